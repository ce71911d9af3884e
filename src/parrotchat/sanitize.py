"""Make untrusted text inert before it reaches a terminal.

Model output and server error texts can carry terminal escape sequences (cursor moves, screen
clears, OSC 52 clipboard writes). Every C0 and C1 control character except newline and tab is
replaced by a visible stand-in; carriage returns are dropped so `\\r\\n` reads as a newline and a
lone `\\r` cannot overwrite a line.

Invisible formatting characters (Unicode category Cf) can reorder what a reader sees, as in
"Trojan Source" (the bidi embeddings, overrides, isolates and marks), or hide text (tag
characters). They become U+FFFD too, with these exceptions: the zero-width joiner and
non-joiner (emoji sequences, Persian and Indic scripts), the soft hyphen and the visible
prepended number signs are kept (`KEPT_FORMAT`); tag characters are kept inside a flag
sequence (🏴 + tags + cancel tag); zero-width spaces, word joiners, the BOM and the invisible
math operators, which neither reorder nor hide anything, are dropped.
"""

from __future__ import annotations

import re

__all__ = ["KEPT_FORMAT", "format_controls", "neutralize", "one_line"]

KEPT_FORMAT = frozenset(
    "\u00ad"  # soft hyphen
    "\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2"  # number signs
    "\u200c\u200d"  # zero-width non-joiner and joiner
    "\U000110bd\U000110cd"  # Kaithi number signs
)
"""Format characters that reorder and hide nothing: passed through."""
_DROPPED = frozenset("\u200b\u2060\u2061\u2062\u2063\u2064\ufeff")
"""Invisible spaces and operators: removed (nothing to see, nothing hidden)."""
_FORMAT_RANGES = (
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip
"""Every character of Unicode category Cf (Unicode 15)."""


def format_controls() -> list[str]:
    """The format characters made visible or dropped (every Cf but `KEPT_FORMAT`)."""
    chars = (chr(code) for start, end in _FORMAT_RANGES for code in range(start, end + 1))
    return [char for char in chars if char not in KEPT_FORMAT]


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(0x20):
        if code not in (0x09, 0x0A):
            table[code] = chr(0x2400 + code)  # Unicode "control pictures": ␛, ␇, ...
    table[0x0D] = None
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):
        table[code] = "\ufffd"
    for char in format_controls():
        table[ord(char)] = None if char in _DROPPED else "\ufffd"
    return table


_TABLE = _build_table()
_TAG = re.compile("[\U000e0000-\U000e007f]")
_FLAG = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
"""An emoji flag of a region (England: 🏴 g b e n g, cancel tag): its tags stay."""


def neutralize(text: str) -> str:
    """Return `text` with control characters made visible and harmless.

    `neutralize("\\x1b]52;c;aGk=\\x07")  # '␛]52;c;aGk=␇'`;
    `neutralize("a\\u202eb")  # 'a\\ufffdb'`
    """
    if text.isascii() or _TAG.search(text) is None:
        return text.translate(_TABLE)
    parts, last = [], 0
    for flag in _FLAG.finditer(text):
        parts += [text[last : flag.start()].translate(_TABLE), flag.group()]
        last = flag.end()
    parts.append(text[last:].translate(_TABLE))
    return "".join(parts)


def one_line(text: str) -> str:
    """`text` made inert for one line: controls neutralised, whitespace runs collapsed.

    `one_line("gpt\\n4\\x1b[2J")  # 'gpt 4␛[2J'`
    """
    return " ".join(neutralize(text).split())
