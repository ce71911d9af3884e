"""`render.shown_text`: the selected text of rendered Markdown, unwrapped and without padding.

Each block is rendered by the real renderer (Rich, as the answer view draws it) at a narrow width
and at a wide one, as `MarkdownView.get_selection` does.
"""

from __future__ import annotations

import pytest
from rich.console import Console

from parrotchat.ui.render.line_cache import render_markdown
from parrotchat.ui.render.markdown_blocks import split_blocks
from parrotchat.ui.render.shown_text import ShownLine, selected_text, shown_lines

CONSOLE = Console(width=200, color_system="truecolor")


def shown(source: str, width: int = 40) -> list[ShownLine]:
    """The shown lines of the one block in `source`, as drawn `width` columns wide."""
    (block,) = split_blocks(source)
    narrow = [strip.text for strip in render_markdown(CONSOLE, source, width)]
    wide = [strip.text for strip in render_markdown(CONSOLE, source, 400)]
    return shown_lines(narrow, wide, code=block.kind == "fence")


def whole(source: str, width: int = 40) -> str:
    return selected_text(shown(source, width), None, None)


def test_a_wrapped_paragraph_is_copied_as_one_line() -> None:
    text = "Some paragraph text that is long enough to wrap around at a narrow width, surely."
    lines = shown(text + "\n")
    assert len([line for line in lines if line.text.strip()]) >= 2
    assert whole(text + "\n") == text


def test_wrapped_list_items_join_and_keep_their_bullets() -> None:
    source = "- item one is long enough to wrap around the narrow width too\n- item two\n"
    assert (
        whole(source) == "• item one is long enough to wrap around the narrow width too\n• item two"
    )


def test_quotes_lose_their_bar_and_join() -> None:
    source = "> quoted text that is long enough to wrap around at the narrow width for sure\n"
    assert whole(source) == (
        "quoted text that is long enough to wrap around at the narrow width for sure"
    )


def test_code_keeps_indentation_drops_padding_and_rejoins_long_lines() -> None:
    source = (
        "```python\ndef f(x):\n\n    return x + 1  # a comment long enough to wrap at forty\n```\n"
    )
    lines = shown(source)
    assert lines[0].skip and lines[-1].skip  # the code block's top and bottom margin
    assert whole(source) == (
        "def f(x):\n\n    return x + 1  # a comment long enough to wrap at forty"
    )


def test_a_table_stays_as_drawn() -> None:
    source = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert whole(source).split("\n")[:3] == ["a  b", "────", "1  2"]


@pytest.mark.parametrize("width", [20, 33, 57])
def test_a_selection_inside_wrapped_text_is_exactly_the_characters_under_it(width: int) -> None:
    text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron " * 2
    text = text.strip()
    lines = shown(text + "\n", width)
    # From "gamma" on the first line to the end of the third line's first word.
    first = lines[0].text.index("gamma")
    third = lines[2].text
    end = third.index(" ")
    got = selected_text(lines, (first, 0), (end, 2))
    words = text.split()
    through = len(lines[0].text.split()) + len(lines[1].text.split()) + 1
    assert got == " ".join(words[words.index("gamma") : through])


def test_a_selection_that_begins_past_a_line_end_does_not_begin_with_a_break() -> None:
    lines = shown("```\nfirst\n    second\n```\n")
    assert selected_text(lines, (30, 1), (11, 2)) == "    second"


def test_a_line_that_matches_nothing_stays_a_line_of_its_own() -> None:
    lines = shown_lines(["one", "two"], ["something else"])
    assert selected_text(lines, None, None) == "one\ntwo"
