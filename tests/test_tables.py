"""Markdown tables wider than the view lose no text: wrapped cells, or one record per row.

Rich's own table cuts each cell to `Prov…` once a table is wider than the view. Rendered here as
an answer is (`render_markdown`), streamed block by block, and in the app at 120 and 80 columns.
"""

from __future__ import annotations

import random
import re

import pytest
from rich.console import Console
from rich.markdown import Markdown
from textual.strip import Strip

from parrotchat.demo.behaviours import Parrot
from parrotchat.ui.render.line_cache import CODE_THEME, LineCache, render_markdown
from parrotchat.ui.render.markdown_blocks import BlockSplitter
from parrotchat.ui.render.tables import MIN_CELL, column_widths
from parrotchat.ui.testing import (
    offline_demo_app,
    send_prompt,
    wait_for_rendered,
    wait_for_reply,
)

HEADERS = [
    "Provider",
    "Context window",
    "Input price",
    "Output price",
    "Tool calling",
    "Vision support",
    "JSON mode",
    "Streaming",
    "Fine-tuning",
    "Batch API",
    "Latency p50",
    "Notes",
]
ROWS = [
    [
        "OpenAI",
        "128k tokens",
        "$2.50 per million",
        "$10.00 per million",
        "yes, parallel",
        "yes",
        "strict schema",
        "yes",
        "yes",
        "50% off",
        "320 ms",
        "the most common choice for general work",
    ],
    [
        "Anthropic",
        "200k tokens",
        "$3.00 per million",
        "$15.00 per million",
        "yes",
        "yes",
        "via tools",
        "yes",
        "no",
        "50% off",
        "410 ms",
        "long context and careful writing",
    ],
    [
        "Mistral",
        "32k tokens",
        "$0.25 per million",
        "$0.25 per million",
        "yes",
        "no",
        "json_object only",
        "yes",
        "yes",
        "none",
        "280 ms",
        "cheap, quick, and European",
    ],
]


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


WIDE = markdown_table(HEADERS, ROWS)
DOCUMENT = f"The providers compared:\n\n{WIDE}\nPick the one that suits you.\n"
NARROW = "| a | bee | c |\n|---|:-:|--:|\n| 1 | two words | 3 |\n| four | 5 | six six |\n"


@pytest.fixture(scope="module")
def console() -> Console:
    return Console(width=200, force_terminal=True, color_system="truecolor")


def texts(lines: list[Strip]) -> list[str]:
    return [line.text for line in lines]


def assert_every_cell_shown(lines: list[str], width: int) -> None:
    """Every word of every cell and header is on screen whole, nothing is cut or too wide."""
    assert all(len(line) <= width for line in lines)
    shown = "\n".join(lines)
    assert "…" not in shown
    words = set(re.findall(r"\S+", shown))
    for cell in [*HEADERS, *(cell for row in ROWS for cell in row)]:
        for word in cell.split():
            assert word in words, f"{word!r} of {cell!r} is not shown whole"


@pytest.mark.parametrize("width", [120, 114, 80, 76, 40])
def test_a_twelve_column_table_shows_every_cell_in_full(console, width):
    lines = texts(render_markdown(console, DOCUMENT, width))
    assert_every_cell_shown(lines, width)
    # Rows stay apart: each row's first cell begins a line (a grid row, or a record's header).
    for row in ROWS:
        starts = [line.split()[:2] for line in lines]
        assert [row[0]] in [start[:1] for start in starts] or ["Provider", row[0]] in starts


def test_rich_alone_cuts_the_same_table(console):
    """What the issue saw: Rich's own table element cuts every cell at 120 columns."""
    options = console.options.update_width(120).update(height=None)
    lines = console.render_lines(Markdown(WIDE, code_theme=CODE_THEME), options, pad=False)
    assert "…" in "\n".join(Strip(line).text for line in lines)


def test_at_120_columns_the_table_is_a_grid_with_its_header_above_the_rows(console):
    lines = texts(render_markdown(console, WIDE, 120))
    rule = next(y for y, line in enumerate(lines) if "────" in line)
    header = " ".join(" ".join(lines[:rule]).split())
    for word in " ".join(HEADERS).split():
        assert word in header
    first_row = lines[rule + 1].split()
    assert first_row[:2] == ["OpenAI", "128k"]


def test_at_80_columns_each_row_is_a_record_of_headers_and_values(console):
    lines = [line.rstrip() for line in texts(render_markdown(console, WIDE, 80))]
    assert " Provider        OpenAI" in lines
    assert " Notes           the most common choice for general work" in lines
    assert " Output price    $15.00 per million" in lines
    rules = [y for y, line in enumerate(lines) if "────" in line]
    assert len(rules) == len(ROWS) - 1, "a rule between records"


def test_a_table_that_fits_is_drawn_exactly_as_rich_draws_it(console):
    for width in (72, 30):
        options = console.options.update_width(width).update(height=None)
        rich = console.render_lines(Markdown(NARROW, code_theme=CODE_THEME), options, pad=False)
        ours = render_markdown(console, NARROW, width)
        assert [Strip(line).text for line in rich] == texts(ours)
        assert [list(Strip(line)) for line in rich] == [list(line) for line in ours]


def test_a_narrow_table_squeezed_folds_words_instead_of_cutting_them(console):
    lines = texts(render_markdown(console, NARROW.replace("two words", "extraordinarily"), 14))
    shown = "\n".join(lines)
    assert "…" not in shown
    assert "extraordinarily" in "".join(shown.split())


@pytest.mark.parametrize("width", [120, 80])
def test_a_streamed_table_renders_as_a_one_shot_render(console, width):
    rng = random.Random(width)
    splitter = BlockSplitter()
    cache = LineCache(lambda source, w: render_markdown(console, source, w), width)
    position = 0
    while position < len(DOCUMENT):
        size = rng.choice((1, 2, 3, 7, 20, 80))
        frozen = splitter.append(DOCUMENT[position : position + size])
        cache.update(frozen, splitter.live_blocks())
        position += size
    cache.finish()
    assert texts(cache.lines()) == texts(render_markdown(console, DOCUMENT, width))


def test_column_widths_give_every_word_room_and_share_the_rest_by_need():
    # Longest words 6, 7, 8 fit in 30: the 9 left go in proportion to 0, 8 and 9 wanted.
    assert column_widths([6, 15, 17], [6, 7, 8], 30) == [6, 11, 13]
    assert sum(column_widths([40, 6, 60], [12, 6, 9], 50) or []) == 50
    # Only words longer than FOLD_LEVEL are folded, to a fair level; short columns kept.
    assert column_widths([40, 6, 40], [40, 6, 40], 46) == [20, 6, 20]
    # Shorter words would be folded, or the cells would average under MIN_CELL: records.
    assert column_widths([30, 9, 30], [12, 9, 12], 30) is None
    assert column_widths([20] * 10, [4] * 10, 10 * MIN_CELL - 1) is None


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_in_the_app_a_wide_table_streamed_shows_every_cell(demo_server, tmp_path, size):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=size) as pilot:
        demo_server.push(Parrot(text=DOCUMENT))
        await send_prompt(pilot, "compare providers in a table")
        reply = await wait_for_reply(pilot)
        await wait_for_rendered(pilot, reply)
        await pilot.pause()
        answer = app.chat_log.message_views()[1].answer
        assert answer is not None
        width = answer.content_size.width
        lines = [answer.render_line(y).text.rstrip() for y in range(answer.size.height)]
        assert_every_cell_shown(lines, width)
        whole = [line.rstrip() for line in texts(render_markdown(app.console, DOCUMENT, width))]
        assert lines == whole


async def test_a_selection_over_a_wrapped_table_copies_its_lines_with_columns_in_place(
    demo_server, tmp_path
):
    table = markdown_table(HEADERS, ROWS[:2])
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(170, 40)) as pilot:
        demo_server.push(Parrot(text=table))
        await send_prompt(pilot, "a table")
        reply = await wait_for_reply(pilot)
        await wait_for_rendered(pilot, reply)
        await pilot.pause()
        answer = app.chat_log.message_views()[1].answer
        assert answer is not None
        lines = [answer.render_line(y).text.rstrip() for y in range(answer.size.height)]
        shown = [y for y, line in enumerate(lines) if line.strip()]
        first, last = shown[0], shown[-1]
        below = lines[next(y for y, line in enumerate(lines) if "OpenAI" in line) + 1]
        assert below.split()[0] == "tokens", "a grid, its cells continued on the next line"

        await pilot.mouse_down(answer, offset=(0, first))
        await pilot.hover(answer, offset=(5, last))
        await pilot.mouse_up(answer, offset=(len(lines[last]), last))
        await pilot.press("ctrl+c")
        # Each line as shown, the cells continued below still under their column.
        assert app.clipboard == "\n".join(line[1:] for line in lines[first : last + 1])
