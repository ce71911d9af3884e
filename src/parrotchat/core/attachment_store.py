"""Attached files in the history database: bytes stored once by sha256, messages refer to them.

`attachment_blobs` holds each distinct file once (a file attached to ten prompts, or imported
twice, is one row); `message_attachments` holds each message's references, in order. These
functions run inside the `Store`'s own transactions.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence

from parrotchat.core.attachments import Attachment
from parrotchat.core.records import SearchHit
from parrotchat.core.search import like_pattern, mark

__all__ = ["delete_orphans", "load_attachments", "save_attachments", "search_names"]


def save_attachments(
    conn: sqlite3.Connection, message_id: int, attachments: Sequence[Attachment]
) -> None:
    """Store `message_id`'s attachments: each file's bytes once, then the references."""
    conn.executemany(
        "INSERT OR IGNORE INTO attachment_blobs (sha256, size, data) VALUES (?, ?, ?)",
        [(a.sha256, a.size, a.data) for a in attachments],
    )
    conn.executemany(
        "INSERT INTO message_attachments"
        " (message_id, position, name, path, size, kind, mime, sha256)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (message_id, position, a.name, a.path, a.size, a.kind, a.mime, a.sha256)
            for position, a in enumerate(attachments)
        ],
    )


def load_attachments(
    conn: sqlite3.Connection, message_ids: Iterable[int]
) -> dict[int, list[Attachment]]:
    """message id -> its attachments in order (messages without any are left out)."""
    ids = list(message_ids)
    found: dict[int, list[Attachment]] = defaultdict(list)
    for start in range(0, len(ids), 500):  # SQLite limits a statement's parameters
        part = ids[start : start + 500]
        rows = conn.execute(
            "SELECT a.message_id, a.name, a.path, a.size, a.kind, a.mime, a.sha256, b.data"
            " FROM message_attachments AS a JOIN attachment_blobs AS b ON b.sha256 = a.sha256"
            f" WHERE a.message_id IN ({', '.join('?' * len(part))})"
            " ORDER BY a.message_id, a.position",
            part,
        ).fetchall()
        for message_id, name, path, size, kind, mime, sha256, data in rows:
            found[int(message_id)].append(
                Attachment(name, path, int(size), kind, mime, sha256, bytes(data))
            )
    return dict(found)


def delete_orphans(conn: sqlite3.Connection) -> int:
    """Forget the bytes of files no message refers to any more; how many were deleted."""
    cursor = conn.execute(
        "DELETE FROM attachment_blobs WHERE sha256 NOT IN (SELECT sha256 FROM message_attachments)"
    )
    return cursor.rowcount


def search_names(
    conn: sqlite3.Connection, terms: list[str], limit: int, skip: set[int]
) -> list[SearchHit]:
    """Conversations (not in the trash, not in `skip`) with a file whose name has every term;
    the snippet names the file, matches marked. Most recent first."""
    if not terms or limit <= 0:
        return []
    condition = " AND ".join("a.name LIKE ? ESCAPE '\\'" for _ in terms)
    rows = conn.execute(
        "SELECT c.id, c.title, c.updated, a.name, a.message_id FROM message_attachments AS a"
        " JOIN messages AS m ON m.id = a.message_id"
        " JOIN conversations AS c ON c.id = m.conversation_id"
        f" WHERE c.deleted_at IS NULL AND {condition}"
        " ORDER BY c.updated DESC, c.id DESC, a.message_id DESC",
        [like_pattern(term) for term in terms],
    ).fetchall()
    hits: list[SearchHit] = []
    seen = set(skip)
    for conversation_id, title, updated, name, message_id in rows:
        if conversation_id in seen:
            continue
        seen.add(conversation_id)
        snippet = f"attached {mark(name, terms)}"
        # The message that carries the file: Chats opens its branch.
        hits.append(SearchHit(conversation_id, title, title, snippet, updated, message_id))
        if len(hits) >= limit:
            break
    return hits
