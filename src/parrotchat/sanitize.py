"""Make untrusted text inert before it reaches a terminal.

Model output and server error texts can carry terminal escape sequences (cursor moves, screen
clears, OSC 52 clipboard writes). Every C0 and C1 control character except newline and tab is
replaced by a visible stand-in; carriage returns are dropped so `\\r\\n` reads as a newline and a
lone `\\r` cannot overwrite a line.
"""

from __future__ import annotations

__all__ = ["neutralize", "one_line"]


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(0x20):
        if code not in (0x09, 0x0A):
            table[code] = chr(0x2400 + code)  # Unicode "control pictures": ␛, ␇, ...
    table[0x0D] = None
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):
        table[code] = "\ufffd"
    return table


_TABLE = _build_table()


def neutralize(text: str) -> str:
    """Return `text` with control characters made visible and harmless.

    `neutralize("\\x1b]52;c;aGk=\\x07")  # '␛]52;c;aGk=␇'`
    """
    return text.translate(_TABLE)


def one_line(text: str) -> str:
    """`text` made inert for one line: controls neutralised, whitespace runs collapsed.

    `one_line("gpt\\n4\\x1b[2J")  # 'gpt 4␛[2J'`
    """
    return " ".join(neutralize(text).split())
