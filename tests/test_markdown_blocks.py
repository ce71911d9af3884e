"""Streaming Markdown block by block renders exactly what a one-shot render of the whole text does.

Documents are cut at random points (seeded) and fed piece by piece to `BlockSplitter` and
`LineCache`, as the reply stream does; the lines must equal Rich's render of the whole text.
"""

from __future__ import annotations

import random

import pytest
from rich.console import Console
from rich.markdown import Markdown
from rich.segment import Segment
from textual.strip import Strip

from parrotchat.demo.parrot import reply_text
from parrotchat.ui.render.line_cache import CODE_THEME, LineBudget, LineCache, render_markdown
from parrotchat.ui.render.live_fence import split_live_fence
from parrotchat.ui.render.markdown_blocks import BlockSplitter, safe_cut, split_blocks

WIDTH = 72

DOCUMENTS = {
    "headings and paragraphs": "# Title\n\nSome *text* here.\nA soft break.\n\n## Sub\nMore.\n",
    "setext": "Para one\n\nHeading\n=======\n\nOther\n---\nafter\n",
    "nested lists": "- a\n  - b\n    - c\n- d\n\n1. one\n2. two\n   - inner\n\n- loose\n\n- list\n",
    "fences": "Text\n```python\ndef f():\n    return 1\n```\n\n~~~\nraw\n~~~\n    indented\n",
    "unclosed fence": "Intro\n\n```js\nlet a = 1;\nlet b = 2;\n",
    "table": "| a | b |\n|---|--:|\n| 1 | 2 |\n| `x` | **y** |\n\nafter the table\n",
    "table after paragraph": "lead-in\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    "quotes": "> quoted\n> more\n>\n> - in a list\n\nlazy\n> quote\ncontinued\n",
    "rules": "one\n\n---\n\ntwo\n***\n- item\n\n___\n# h\n",
    "html and breaks": "<div>\nblock\n</div>\n\nline  \nbreak\\\nend\n#not heading\n#\n",
    "demo reply": reply_text("Write 1500 tokens about parsers.", 1500),
    "long fence": "Code:\n\n```python\n"
    + "".join(
        f"x{n} = {n}  \n" if n % 7 == 0 else f"def f{n}():\n    return {n}\n" for n in range(90)
    )
    + "\n\n```\n\nafter\n",
    "long fence with a long string": '```python\nA = """\n'
    + "".join(f"line {n} of a string\n" for n in range(80))
    + '"""\nB = 1\n' * 2
    + "```\n",
    "long open fence at the end": "~~~~ js\n" + "".join(f"let v{n} = {n};\n" for n in range(75)),
}


@pytest.fixture(scope="module")
def console() -> Console:
    return Console(width=WIDTH, force_terminal=True, color_system="truecolor")


def plain(lines: list[Strip]) -> list[list[Segment]]:
    return [list(Segment.simplify(list(line))) for line in lines]


def one_shot(console: Console, text: str, width: int = WIDTH) -> list[list[Segment]]:
    """Rich's own render of the whole text (not parrotchat's `render_markdown`)."""
    options = console.options.update_width(width).update(height=None)
    markdown = Markdown(text, code_theme=CODE_THEME)
    return plain([Strip(line) for line in console.render_lines(markdown, options, pad=False)])


def stream(console: Console, text: str, rng: random.Random, width: int = WIDTH) -> LineCache:
    splitter = BlockSplitter()
    cache = LineCache(lambda source, w: render_markdown(console, source, w), width)
    position = 0
    while position < len(text):
        size = rng.choice((1, 2, 3, 7, 20, 80))
        frozen = splitter.append(text[position : position + size])
        cache.update(frozen, splitter.live_blocks())
        position += size
    cache.finish()  # as the app does when the reply ends
    return cache


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_streamed_lines_equal_a_one_shot_render(console, name):
    text = DOCUMENTS[name]
    expected = one_shot(console, text)
    for seed in range(8):
        cache = stream(console, text, random.Random(seed))
        assert plain(cache.lines()) == expected, f"seed {seed}"
        assert cache.height == len(expected)


def test_random_mixes_of_blocks_stream_like_one_shot(console):
    parts = list(DOCUMENTS.values())
    rng = random.Random(2024)
    for _ in range(25):
        text = "".join(rng.choice(parts) + rng.choice(("", "\n", "\n\n")) for _ in range(3))
        expected = one_shot(console, text)
        assert plain(stream(console, text, rng).lines()) == expected, text


def test_a_width_change_rerenders_every_block_lazily(console):
    text = DOCUMENTS["demo reply"]
    cache = stream(console, text, random.Random(1))
    cache.lines()
    cache.set_width(40)
    assert cache.pending > 0
    assert cache.line(0) is not None and cache.pending > 0  # only what was asked for
    assert plain(cache.lines()) == one_shot(console, text, 40)
    assert cache.pending == 0


def test_a_block_freezes_only_when_the_next_one_began_on_a_complete_line():
    splitter = BlockSplitter()
    assert splitter.append("para\n#") == []  # `#x` would make it one paragraph
    assert splitter.append("x\n\nnext\n") == [split_blocks("para\n#x\n\n")[0]]
    assert splitter.tail == "next\n"
    assert splitter.append("===\n") == []  # a setext underline still belongs to the live block
    assert [block.kind for block in splitter.live_blocks()] == ["heading_open"]


def test_lines_dropped_by_the_budget_come_back_the_same(console):
    text = DOCUMENTS["demo reply"]
    budget = LineBudget(40)
    cache = LineCache(lambda source, w: render_markdown(console, source, w), WIDTH, budget)
    splitter = BlockSplitter()
    rng = random.Random(7)
    position = 0
    while position < len(text):
        size = rng.choice((3, 20, 80))
        cache.update(splitter.append(text[position : position + size]), splitter.live_blocks())
        cache.render_pending(float("inf"))
        position += size
    expected = one_shot(console, text)
    height = cache.height
    assert height == len(expected)
    assert budget.lines <= 40 + max(len(block.source.splitlines()) + 2 for block in splitter.frozen)
    assert plain([cache.line(y) for y in range(height)]) == expected
    assert cache.height == height  # dropped blocks kept their exact heights


def test_a_long_fence_streams_chunk_by_chunk_and_looks_like_a_whole_render(console):
    lines = "".join(f"echo step {n}\n" for n in range(100))
    text = "```bash\n" + lines
    splitter = BlockSplitter()
    cache = LineCache(lambda source, w: render_markdown(console, source, w), WIDTH)
    cache.update(splitter.append(text + "echo par"), splitter.live_blocks())
    assert len(split_live_fence(splitter.tail).chunks) == 3  # cut while streaming
    # Each line of shell is lexed alone, so the pieces join up exactly.
    assert plain(cache.lines()) == one_shot(console, text + "echo par")


def test_a_live_fence_is_cut_only_where_the_cut_cannot_change_it():
    body = "".join("a  \n" if n in (31, 32) else "\n" if n == 63 else f"v{n}\n" for n in range(70))
    fence = split_live_fence("```py\n" + body, chunk_lines=32)
    assert fence is not None
    # Rich strips trailing spaces and blank lines at a fence's end: no chunk may end on one.
    assert [chunk.splitlines()[-2] for chunk in fence.chunks] == ["v33", "v65"]
    assert fence.tail.startswith("```py\nv66\n")
    assert split_live_fence("```py\n" + body + "```\n", chunk_lines=32) is None  # closed
    assert split_live_fence("```py\n" + "x\n" * 20, chunk_lines=32) is None  # short


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_update_says_which_lines_changed_and_the_lines_above_stay_the_same(console, name):
    text = DOCUMENTS[name]
    for seed in range(2):
        rng = random.Random(seed)
        splitter = BlockSplitter()
        cache = LineCache(lambda source, w: render_markdown(console, source, w), WIDTH)
        shown: list[list[Segment]] = []
        position = 0
        while position < len(text):
            size = rng.choice((1, 7, 20, 80, 200))
            first = cache.update(
                splitter.append(text[position : position + size]), splitter.live_blocks()
            )
            position += size
            lines = plain(cache.lines())
            # What a frame repaints from `first` down; everything above it must be as drawn.
            assert lines[:first] == shown[:first], f"seed {seed} at {position}"
            shown = lines


def test_a_word_added_to_a_long_paragraph_changes_only_its_last_line(console):
    splitter = BlockSplitter()
    cache = LineCache(lambda source, w: render_markdown(console, source, w), WIDTH)
    cache.update(splitter.append("Intro.\n\n" + "word " * 100), splitter.live_blocks())
    height = cache.height
    assert height > 8
    first = cache.update(splitter.append("more"), splitter.live_blocks())
    assert first == height - 1  # one line repainted, not the whole paragraph


def burst(console: Console, text: str, pieces: list[int], keep: int) -> LineCache:
    """Stream `text` in pieces of the given sizes (the rest in one), as bursts arrive."""
    splitter = BlockSplitter()
    cache = LineCache(lambda source, w: render_markdown(console, source, w), WIDTH)
    position = 0
    for size in [*pieces, len(text)]:
        piece = text[position : position + size]
        cache.update(splitter.append(piece, keep), splitter.live_blocks())
        position += len(piece)
    return cache


def test_a_burst_is_split_only_near_its_end_and_the_rest_when_needed(console):
    text = reply_text("Write 4000 tokens about parsers.", 4000)
    expected = one_shot(console, text)
    cache = burst(console, text, [300], keep=2000)
    kinds = [cache.block(index)[0].kind for index in range(len(cache))]
    assert kinds.count("deferred") == 1  # the start of the burst, not split yet
    assert len(cache) < 40 < len(split_blocks(text))
    cache.render_pending(0.0, cache.height - 20, cache.height)  # the last screen, as on view
    height = cache.height
    last = plain([cache.line(y) for y in range(height - 20, height)])
    assert len(cache) < 40  # the last screen came from the blocks split at once
    cache.finish()
    assert plain(cache.lines()) == expected  # scrolled up to: exactly the one-shot render
    assert cache.height == len(expected) and last == expected[-20:]


def test_a_bursts_waiting_text_counts_about_its_drawn_height(console):
    # The scrollbar and the view's length come from these heights before the text is drawn:
    # counting source lines alone made long paragraphs a fraction of their height.
    paragraph = " ".join(f"word{n}" for n in range(60))  # about 6 lines at 72 columns
    text = "\n\n".join([paragraph] * 40) + "\n\n" + reply_text("Write about parsers.", 2000)
    cache = burst(console, text, [300], keep=2000)
    assert any(cache.block(i)[0].kind == "deferred" for i in range(len(cache)))
    estimated = cache.height
    cache.render_pending(float("inf"))
    cache.finish()
    drawn = cache.height
    assert drawn == len(one_shot(console, text))
    assert 0.85 * drawn <= estimated <= 1.15 * drawn


def test_bursts_of_every_document_mix_render_like_one_shot(console):
    parts = list(DOCUMENTS.values())
    rng = random.Random(77)
    deferred = 0
    for _ in range(25):
        text = "".join(rng.choice(parts) + rng.choice(("", "\n", "\n\n")) for _ in range(6))
        pieces = [rng.randrange(1, 400) for _ in range(rng.randrange(0, 3))]
        cache = burst(console, text, pieces, keep=rng.choice((50, 200, 600)))
        deferred += any(cache.block(i)[0].kind == "deferred" for i in range(len(cache)))
        cache.render_pending(float("inf"))
        cache.finish()
        assert plain(cache.lines()) == one_shot(console, text), text
    assert deferred > 5  # the cut was found often, not only in easy cases


def test_a_burst_is_not_cut_inside_a_fence_html_or_after_a_rule():
    fence = "Intro\n\n```\ncode\n\nLooks like a paragraph\n```\n\n"
    assert safe_cut(fence + "After\n", 10_000) == len(fence)
    assert safe_cut("Intro\n\n<!--\n\nHidden\n-->\n\nAfter\n", 10_000) == 0
    assert safe_cut("Intro\n\n---\n\nAfter\n", 10_000) == 0
    assert safe_cut("- item\n\n  ```\n\nAfter\n", 10_000) == 0
