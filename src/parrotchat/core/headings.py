"""Headings of a Markdown text moved down a level or more, so a reply's `# Title` sits under
the export's `## Assistant` heading instead of breaking the outline.

Parsed with markdown-it (the dialect of the answer view), so a `#` line inside a fenced or
indented code block is never touched. Pure logic, no Textual.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

__all__ = ["shift_headings"]


@functools.cache
def _parser() -> MarkdownIt:
    """Built on first use: importing markdown-it costs commands that never export ~40 ms."""
    from markdown_it import MarkdownIt

    return MarkdownIt().enable("strikethrough").enable("table").disable("inline")


_ATX = re.compile(r"^([ \t>]*)(#{1,6})(?=[ \t]|$)")
"""An ATX heading's line: what precedes its `#`s (indentation, quote markers), and the `#`s."""


def shift_headings(markdown: str, levels: int) -> str:
    """`markdown` with every heading `levels` deeper (at most `######`); setext headings
    (a line underlined with `===` or `---`) become ATX ones; everything else as written."""
    if "#" not in markdown and "=" not in markdown and "-" not in markdown:
        return markdown
    lines: list[str | None] = list(markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    changed = False
    for token in _parser().parse(markdown):
        if token.type != "heading_open" or token.map is None:
            continue
        level = min(int(token.tag[1]) + levels, 6)
        start, end = token.map
        if token.markup.startswith("#"):
            line = str(lines[start])
            if (atx := _ATX.match(line)) is not None:
                lines[start] = atx.group(1) + "#" * level + line[atx.end() :]
        else:  # setext: the text lines, then the underline
            prefix = re.match(r"^[ \t>]*", str(lines[start]))
            lead = prefix.group(0) if prefix else ""
            text = " ".join(str(line)[len(lead) :].strip() for line in lines[start : end - 1])
            lines[start] = f"{lead}{'#' * level} {text}"
            for gone in range(start + 1, end):  # the indexes of later tokens stay valid
                lines[gone] = None
        changed = True
    if not changed:
        return markdown
    return "\n".join(line for line in lines if line is not None)
