"""Rendered lines kept in a form the garbage collector stops looking at.

A `Strip` is about 16 objects the cyclic collector tracks, and each of its segments holds a
tracked `Style`: a cache of thousands of lines made every full collection walk them all. A packed
line is a tuple of `(text, style number, control)` tuples, only strings and integers, which
CPython stops tracking after the first collection that sees them.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

__all__ = ["PackedLine", "pack", "unpack"]

PackedLine = tuple[int, tuple[tuple[str, int, object], ...]]
"""The line's cell length and its segments, styles replaced by their numbers."""

_styles: list[Style | None] = [None]
"""Every style seen, by number (0 is no style); Markdown uses a few hundred at most."""
_numbers: dict[Style | None, int] = {None: 0}


def _number(style: Style | None) -> int:
    number = _numbers.get(style)
    if number is None:
        number = _numbers[style] = len(_styles)
        _styles.append(style)
    return number


def pack(strip: Strip) -> PackedLine:
    """`strip` as plain tuples."""
    return strip.cell_length, tuple(
        (text, _number(style), control) for text, style, control in strip
    )


def unpack(line: PackedLine) -> Strip:
    """The `Strip` that `pack` was given."""
    styles = _styles
    cell_length, segments = line
    return Strip(
        [Segment(text, styles[style], control) for text, style, control in segments],
        cell_length,
    )
