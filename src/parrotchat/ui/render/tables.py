"""Markdown tables that lose no text when they are wider than the view.

Rich's own table element cuts each cell to its column with an ellipsis (`Prov…`) once the table
is wider than the view, and sizes the columns so that one of them may wrap a word a line. This
element draws a table that fits exactly as Rich does; one that does not fit is laid out:

- as a grid of wrapped cells, every column as wide as its longest word (what is left is shared
  in proportion to how much more each column's text needs); only words longer than
  `FOLD_LEVEL` (a URL) may be folded across lines, at one fair width; never an ellipsis;
- as records when that cannot be, or the cells would average fewer than `MIN_CELL` columns (a
  dozen columns at 80): each row a list of `header  value` lines, the rows set apart by a rule,
  so every character is still shown and each value keeps its header.

`line_cache` renders every block with `TableMarkdown`. Copying a message still
copies its Markdown; a mouse selection copies the lines shown (`shown_text`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import Markdown, MarkdownElement
from rich.markdown import TableElement as RichTableElement
from rich.table import Table
from rich.text import Text

__all__ = ["FOLD_LEVEL", "MIN_CELL", "TableElement", "TableMarkdown", "column_widths"]

MIN_CELL = 6
"""Columns of text a cell gets on average, at least, in a grid; fewer: records."""
FOLD_LEVEL = 16
"""A grid folds only words longer than this (URLs, paths); shorter ones folded (`Streamin` /
`g`) would make the rows hard to read, so the table is shown as records instead."""

RECORDS = box.Box("    \n    \n    \n    \n ── \n    \n    \n    \n")
"""Blank edges as Rich's Markdown tables have (`box.SIMPLE`), a rule between records."""


def column_widths(natural: Sequence[int], words: Sequence[int], room: int) -> list[int] | None:
    """Widths for columns whose text is `natural` wide (its longest line) with its longest word
    `words` wide, within `room` columns of text; None when the table is better shown as records.

    Every column gets its longest word when they all fit, the rest shared in proportion to what
    each still needs. Otherwise only words longer than `FOLD_LEVEL` (a URL, a path) may be folded
    across lines, at one fair level. Records when that is not enough, or when the columns would
    average fewer than `MIN_CELL`.
    """
    count = len(natural)
    if not count:
        return []
    if room < MIN_CELL * count:
        return None
    least = [min(word, full) for word, full in zip(words, natural, strict=True)]
    if sum(least) <= room:
        spare = room - sum(least)
        wants = [full - width for full, width in zip(natural, least, strict=True)]
        wanted = sum(wants)
        if wanted <= spare:
            return list(natural)
        given = [spare * want // wanted for want in wants]
        # Hand out what rounding left, to the columns still wanting most first.
        left = spare - sum(given)
        for index in sorted(range(count), key=lambda i: wants[i] - given[i], reverse=True)[:left]:
            given[index] += 1
        return [width + extra for width, extra in zip(least, given, strict=True)]
    level = _level(least, room)
    if level < FOLD_LEVEL:
        return None
    widths = [min(width, level) for width in least]
    left = room - sum(widths)
    for index in sorted(range(count), key=lambda i: least[i] - widths[i], reverse=True)[:left]:
        if least[index] > widths[index]:
            widths[index] += 1
    return widths


def _level(needs: Sequence[int], room: int) -> int:
    """The largest cap such that the needs, each cut to it, fit in `room`."""
    used = 0
    ordered = sorted(needs)
    for index, need in enumerate(ordered):
        rest = len(ordered) - index
        if used + need * rest > room:
            return (room - used) // rest
        used += need
    return ordered[-1] if ordered else room


class TableElement(RichTableElement):
    """A Markdown table as Rich draws it when it fits, laid out without loss when it does not."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        headers = [cell.content for cell in self.header.row.cells] if self._has_header() else []
        rows = [[cell.content for cell in row.cells] for row in self.body.rows] if self.body else []
        count = max([len(headers), *map(len, rows)], default=0)
        if not count:
            yield from super().__rich_console__(console, options)
            return
        # A cell is one line of text: its width is its length, as Rich measures it.
        natural = [0] * count
        for cells in (headers, *rows):
            for index, text in enumerate(cells):
                natural[index] = max(natural[index], text.cell_len)
        room = options.max_width - 2 * count
        """Rich's Markdown table spends two columns a cell: edges, separators and padding."""
        if sum(natural) <= room:
            yield from super().__rich_console__(console, options)
            return
        words = [0] * count
        for cells in (headers, *rows):
            for index, text in enumerate(cells):
                longest = max(map(cell_len, text.plain.split()), default=0)
                words[index] = max(words[index], longest)
        widths = column_widths(natural, words, room)
        if widths is None:
            yield _records(headers, rows, options.max_width)
        else:
            yield _grid(headers, rows, widths)

    def _has_header(self) -> bool:
        return self.header is not None and self.header.row is not None


def _heading(text: Text) -> Text:
    heading = text.copy()
    heading.stylize("markdown.table.header")
    return heading


def _grid(headers: list[Text], rows: list[list[Text]], widths: list[int]) -> Table:
    """The table of Rich's Markdown, its columns `widths` wide, words folded, nothing cut."""
    table = Table(
        box=box.SIMPLE,
        pad_edge=False,
        style="markdown.table.border",
        show_edge=True,
        collapse_padding=True,
        show_header=bool(headers),
    )
    for index, width in enumerate(widths):
        heading = _heading(headers[index]) if index < len(headers) else ""
        table.add_column(heading, width=width, overflow="fold")
    for cells in rows:
        table.add_row(*cells)
    return table


def _records(headers: list[Text], rows: list[list[Text]], width: int) -> Table:
    """Each row as `header  value` lines, the rows set apart by a rule."""
    label_width = max((text.cell_len for text in headers), default=0)
    label_width = max(min(label_width, width // 3), 1)
    table = Table(
        box=RECORDS,
        pad_edge=False,
        style="markdown.table.border",
        show_edge=True,
        show_header=False,
        collapse_padding=True,
    )
    table.add_column(width=label_width, overflow="fold")
    table.add_column(ratio=1, overflow="fold")
    if not rows:
        for heading in headers:
            table.add_row(_heading(heading), "")
        return table
    for cells in rows:
        for index, cell in enumerate(cells):
            heading = _heading(headers[index]) if index < len(headers) else Text()
            table.add_row(heading, cell, end_section=index == len(cells) - 1)
    return table


class TableMarkdown(Markdown):
    """Rich's Markdown with `TableElement` in place of Rich's table element."""

    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **Markdown.elements,
        "table_open": TableElement,
    }
