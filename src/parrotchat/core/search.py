"""Search the history: turn what the user typed into a safe query, run it, mark matches.

Matches are wrapped in `HIGHLIGHT_START` (\\x02, "start of text") and `HIGHLIGHT_END` (\\x03,
"end of text"): control characters, never valid in displayed text, so they cannot collide with
private-use glyphs (Nerd Fonts) a model may emit. Split before neutralising the pieces.
"""

from __future__ import annotations

import re
import sqlite3

from parrotchat.core.records import SearchHit

__all__ = [
    "HIGHLIGHT_END",
    "HIGHLIGHT_START",
    "fts_query",
    "like_pattern",
    "like_snippet",
    "query_terms",
    "search_fts",
    "search_like",
    "split_highlights",
]

HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
SNIPPET_WORDS = 12
"""About how many words a snippet shows around the match."""
PREFIX_MIN = 2
"""A last term this long or longer matches as a prefix: every word starting with one letter
would be a list too long to merge while typing (0.7 s across 10,000 conversations)."""
SNIPPET_SCAN = 5_000
"""Matching messages read at most to find snippets for title matches (which then have none)."""


def query_terms(text: str) -> list[str]:
    """The whitespace-separated terms of a search; every term must match."""
    # SQLite reads a NUL as the end of a query string.
    return text.replace("\x00", " ").split()


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression for any text the user types, or None when there is nothing.

    Each term is quoted, so operators (`AND`, `NEAR`, `-`, `*`, `"`) are plain words; the last
    term matches as a prefix (from `PREFIX_MIN` characters), so results follow the typing.
    `fts_query("a -b NEAR")  # '"a" "-b" "NEAR"*'`
    """
    terms = query_terms(text)
    if not terms:
        return None
    quoted = ['"' + term.replace('"', '""') + '"' for term in terms]
    if len(terms[-1]) >= PREFIX_MIN:
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


def search_fts(conn: sqlite3.Connection, text: str, limit: int) -> list[SearchHit]:
    """Conversations matching `text` through the FTS5 indexes: title matches first, then
    message matches; each group most recent first.
    """
    match = fts_query(text)
    if match is None:
        return []
    titles = conn.execute(
        "SELECT c.id, c.title, highlight(conversations_fts, 0, ?, ?), c.updated"
        " FROM conversations_fts JOIN conversations AS c ON c.id = conversations_fts.rowid"
        " WHERE conversations_fts MATCH ? AND c.deleted_at IS NULL"
        " ORDER BY c.updated DESC, c.id DESC LIMIT ?",
        (HIGHLIGHT_START, HIGHLIGHT_END, match, limit),
    ).fetchall()
    found: dict[int, tuple[str, str, float]] = {
        cid: (title, marked, updated) for cid, title, marked, updated in titles
    }
    message_of: dict[int, int] = {}
    # Newest matching messages first: FTS5 walks its rowids backwards, so a word found in
    # every message still stops after a few rows instead of ranking them all.
    cursor = conn.execute(
        "SELECT f.rowid, m.conversation_id, c.title, c.updated FROM messages_fts AS f"
        " JOIN messages AS m ON m.id = f.rowid JOIN conversations AS c ON c.id = m.conversation_id"
        " WHERE messages_fts MATCH ? AND c.deleted_at IS NULL ORDER BY f.rowid DESC",
        (match,),
    )
    for scanned, (message_id, conversation_id, title, updated) in enumerate(cursor):
        if len(found) >= limit and (len(message_of) == len(found) or scanned >= SNIPPET_SCAN):
            break
        if conversation_id in message_of:
            continue
        if conversation_id not in found:
            if len(found) >= limit:
                continue  # still looking for a snippet for the title matches
            found[conversation_id] = (title, title, updated)
        message_of[conversation_id] = message_id
    cursor.close()
    snippets = _snippets(conn, match, list(message_of.values()))
    return [
        SearchHit(
            cid,
            title,
            marked,
            snippets.get(message_of.get(cid, -1), ""),
            updated,
            message_of.get(cid),
        )
        for cid, (title, marked, updated) in found.items()
    ]


def _snippets(conn: sqlite3.Connection, match: str, message_ids: list[int]) -> dict[int, str]:
    """message id -> a one-line snippet around its matches, matches marked."""
    snippets: dict[int, str] = {}
    for message_id in message_ids:
        # One query per message: FTS5 seeks a rowid range, but reads every match for `IN`.
        row = conn.execute(
            f"SELECT snippet(messages_fts, 0, ?, ?, '…', {SNIPPET_WORDS:d}) FROM messages_fts"
            " WHERE messages_fts MATCH ? AND rowid BETWEEN ? AND ?",
            (HIGHLIGHT_START, HIGHLIGHT_END, match, message_id, message_id),
        ).fetchone()
        if row is not None:
            snippets[message_id] = " ".join(str(row[0]).split())
    return snippets


def search_like(conn: sqlite3.Connection, text: str, limit: int) -> list[SearchHit]:
    """The same search without FTS5: a LIKE scan of titles and messages (slower)."""
    terms = query_terms(text)
    if not terms:
        return []
    in_messages = (
        "EXISTS (SELECT 1 FROM messages AS m WHERE m.conversation_id = c.id"
        " AND m.status != 'streaming' AND m.content LIKE ? ESCAPE '\\')"
    )
    condition = " AND ".join(f"(c.title LIKE ? ESCAPE '\\' OR {in_messages})" for _ in terms)
    params = [pattern for term in terms for pattern in (like_pattern(term),) * 2]
    rows = conn.execute(
        "SELECT c.id, c.title, c.updated FROM conversations AS c"
        f" WHERE c.deleted_at IS NULL AND {condition}"
        " ORDER BY c.title LIKE ? ESCAPE '\\' DESC, c.updated DESC, c.id DESC LIMIT ?",
        (*params, like_pattern(terms[0]), limit),
    ).fetchall()
    hits = []
    for conversation_id, title, updated in rows:
        found = conn.execute(
            "SELECT content, id FROM messages WHERE conversation_id = ? AND status != 'streaming'"
            " AND content LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT 1",
            (conversation_id, like_pattern(terms[0])),
        ).fetchone()
        snippet = " ".join(like_snippet(found[0], terms).split()) if found else ""
        marked = mark(title, terms)
        message_id = int(found[1]) if found else None
        hits.append(SearchHit(conversation_id, title, marked, snippet, updated, message_id))
    return hits
