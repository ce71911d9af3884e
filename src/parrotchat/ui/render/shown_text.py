"""The text a reader selected in rendered Markdown: what is shown, without padding, unwrapped.

Rendered lines carry padding (a code block's margin, a quote's bar, the spaces that fill a line)
and wrap where the width ran out. To copy what the reader sees as the writer meant it, each
rendered line of a block is matched against the same block rendered wide enough that nothing
wraps: consecutive narrow lines found in one wide line were wrapped, and are joined again with
the whitespace the wrap took. A line that cannot be matched (a table, a rule) stays a line of its
own, which is what a naive copy would give anyway. Pure logic, no Textual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["GUTTER", "ShownLine", "selected_text", "shown_lines"]

GUTTER = "▌ "
"""A quote's bar, repeated on each of its lines (once per level of nesting)."""
LOOKAHEAD = 8
"""Wide lines searched ahead for a narrow line that begins a new one (blank lines in between,
or a block laid out differently when wide, such as a table)."""


@dataclass(frozen=True, slots=True)
class ShownLine:
    """One rendered line, and how its text joins the line before it."""

    text: str
    """The line's text as drawn (offsets into it are the selection's x)."""
    start: int = 0
    """Where its content begins: after the leading padding, indentation or quote bars."""
    end: int = 0
    """Where its content ends: before the trailing padding."""
    joiner: str | None = None
    """The text between the line before and this one when it continues that line (a wrap);
    None when it begins a line of its own."""
    skip: bool = False
    """Padding only (a code block's top and bottom margin): copied as nothing at all."""


def shown_lines(
    narrow: Sequence[str], wide: Sequence[str], *, code: bool = False
) -> list[ShownLine]:
    """Describe the rendered lines `narrow` of one block, given the same block rendered `wide`.

    Args:
        narrow: The block's lines as shown.
        wide: The block's lines rendered so wide that nothing wraps.
        code: The block is a code block: its first and last lines are its margin, and every
            line is indented by one column of padding (the code's own indentation is kept).
    """
    lines: list[ShownLine] = []
    row, used = 0, 0
    """The wide line being matched, and how much of it the narrow lines so far account for."""
    last = len(narrow) - 1
    for index, line in enumerate(narrow):
        body = line.rstrip()
        if not body.strip():
            if used and (row >= len(wide) or not wide[row][used:].strip()):
                row, used = row + 1, 0
            if not used and row < len(wide) and not wide[row].strip():
                row += 1
            lines.append(ShownLine(line, skip=code and index in (0, last)))
            continue
        lead = len(body) - len(body.lstrip())
        start = lead + _gutter(body, lead)
        if used:
            rest = wide[row][used:] if row < len(wide) else ""
            found = rest.find(body[start:])
            if found >= 0 and not rest[:found].strip():
                used += found + len(body) - start
                lines.append(ShownLine(line, start, len(body), rest[:found]))
                continue
            row, used = row + 1, 0
        if code:
            start = min(lead, 1)
        content = body[start:]
        for ahead in range(row, min(row + LOOKAHEAD, len(wide))):
            found = wide[ahead].find(content)
            if found >= 0 and not wide[ahead][:found].replace(GUTTER.strip(), "").strip():
                row, used = ahead, found + len(content)
                break
        lines.append(ShownLine(line, start, len(body)))
    return lines


def _gutter(body: str, lead: int) -> int:
    """The width of the quote bars at `lead` in `body`."""
    at = lead
    while body.startswith(GUTTER, at) or body.startswith(GUTTER.strip(), at):
        at += len(GUTTER)
    return min(at, len(body)) - lead


def selected_text(
    lines: Sequence[ShownLine], start: tuple[int, int] | None, end: tuple[int, int] | None
) -> str:
    """The text of `lines` from `start` to `end` (each `(x, y)`, x exclusive at the end).

    None for `start` is the beginning, None for `end` the end. Wrapped lines are joined, padding
    is left out, and a selection that begins past a line's end does not begin with a break.
    """
    if not lines:
        return ""
    first_x, first_y = start if start is not None else (0, 0)
    last_x, last_y = end if end is not None else (len(lines[-1].text), len(lines) - 1)
    parts: list[str] = []
    for y in range(max(first_y, 0), min(last_y, len(lines) - 1) + 1):
        line = lines[y]
        if line.skip:
            continue
        begin = max(line.start, first_x) if y == first_y else line.start
        stop = min(line.end, last_x) if y == last_y else line.end
        piece = line.text[begin:stop] if begin < stop else ""
        if parts:
            parts.append("\n" if line.joiner is None else line.joiner)
        if piece or parts:
            parts.append(piece)
    return "".join(parts)
