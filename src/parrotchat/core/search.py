"""Search text helpers: turn what the user typed into a safe query, and mark matches.

Matches are wrapped in `HIGHLIGHT_START` (\\x02, "start of text") and `HIGHLIGHT_END` (\\x03,
"end of text"): control characters, never valid in displayed text, so they cannot collide with
private-use glyphs (Nerd Fonts) a model may emit. Split before neutralising the pieces.
"""

from __future__ import annotations

import re

__all__ = [
    "HIGHLIGHT_END",
    "HIGHLIGHT_START",
    "fts_query",
    "like_pattern",
    "like_snippet",
    "query_terms",
    "split_highlights",
]

HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
SNIPPET_WORDS = 12
"""About how many words a snippet shows around the match."""


def query_terms(text: str) -> list[str]:
    """The whitespace-separated terms of a search; every term must match."""
    # SQLite reads a NUL as the end of a query string.
    return text.replace("\x00", " ").split()


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression for any text the user types, or None when there is nothing.

    Each term is quoted, so operators (`AND`, `NEAR`, `-`, `*`, `"`) are plain words; the last
    term matches as a prefix, so results follow the typing.
    `fts_query("a -b NEAR")  # '"a" "-b" "NEAR"*'`
    """
    terms = query_terms(text)
    if not terms:
        return None
    quoted = ['"' + term.replace('"', '""') + '"' for term in terms]
    quoted[-1] += "*"
    return " ".join(quoted)


def like_pattern(term: str) -> str:
    """A LIKE pattern (escape character `\\`) matching `term` anywhere."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def mark(text: str, terms: list[str]) -> str:
    """`text` with every case-insensitive occurrence of any term wrapped in highlight markers."""
    if not terms:
        return text
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    return pattern.sub(lambda m: HIGHLIGHT_START + m.group(0) + HIGHLIGHT_END, text)


def like_snippet(text: str, terms: list[str], words: int = SNIPPET_WORDS) -> str:
    """A few words of `text` around the first term found, matches marked (the LIKE fallback)."""
    folded = text.casefold()
    positions = [p for p in (folded.find(t.casefold()) for t in terms) if p >= 0]
    start = min(positions, default=0)
    before = text[:start].split()[-(words // 3) :] if start else []
    after = text[start:].split()[: words - len(before)]
    body = " ".join(before + after)
    prefix = "…" if len(before) < len(text[:start].split()) else ""
    suffix = "…" if len(text[start:].split()) > len(after) else ""
    return prefix + mark(body, terms) + suffix


def split_highlights(text: str) -> list[tuple[str, bool]]:
    """Cut marked text into `(piece, is_match)` pairs, in order, markers removed.

    `split_highlights("a \\x02b\\x03 c")  # [('a ', False), ('b', True), (' c', False)]`
    """
    pieces: list[tuple[str, bool]] = []
    for index, part in enumerate(text.split(HIGHLIGHT_START)):
        if index == 0:
            if part:
                pieces.append((part, False))
            continue
        match, _, rest = part.partition(HIGHLIGHT_END)
        if match:
            pieces.append((match, True))
        if rest:
            pieces.append((rest, False))
    return pieces
