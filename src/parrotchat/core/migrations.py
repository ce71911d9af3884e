"""The history database's schema: an ordered list of forward migrations.

The schema version lives in `PRAGMA user_version`; migration N (1-based) takes a database from
version N-1 to N. Never edit a released migration: append a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "has_fts5", "split_script"]

V1_TABLES = """
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL,
    system_prompt TEXT,
    model TEXT,
    provider TEXT,
    deleted_at REAL
);
CREATE INDEX conversations_by_updated ON conversations (updated DESC, id DESC);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content TEXT NOT NULL DEFAULT '',
    reasoning TEXT NOT NULL DEFAULT '',
    tool_calls TEXT,
    model TEXT,
    provider TEXT,
    status TEXT NOT NULL
        CHECK (status IN ('streaming', 'complete', 'cancelled', 'interrupted', 'error')),
    error TEXT,
    notice TEXT,
    usage TEXT,
    cost REAL,
    ttft REAL,
    duration REAL,
    tokens INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    recovered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';
"""

# Streaming messages stay out of the index: a checkpoint a second would otherwise re-tokenise
# the whole growing reply each time. A message enters the index when its status leaves
# 'streaming' (finished, or recovered as interrupted) and leaves it if it goes back.
# The prefix indexes keep search-as-you-type fast: "th"* would otherwise merge the lists of
# every word starting with "th" on each query.
V2_SEARCH = """
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content, content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE VIRTUAL TABLE conversations_fts USING fts5 (
    title, content = 'conversations', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN new.status != 'streaming' BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.status != 'streaming' BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content)
    VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content)
    SELECT 'delete', old.id, old.content WHERE old.status != 'streaming';
    INSERT INTO messages_fts (rowid, content)
    SELECT new.id, new.content WHERE new.status != 'streaming';
END;
CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversations_fts (rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, title)
    VALUES ('delete', old.id, old.title);
END;
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, title)
    VALUES ('delete', old.id, old.title);
    INSERT INTO conversations_fts (rowid, title) VALUES (new.id, new.title);
END;
INSERT INTO messages_fts (rowid, content)
    SELECT id, content FROM messages WHERE status != 'streaming';
INSERT INTO conversations_fts (rowid, title) SELECT id, title FROM conversations;
"""

# Attached files: each file's bytes once (by sha256), and each message's references to them.
V4_ATTACHMENTS = """
CREATE TABLE attachment_blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE message_attachments (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'image')),
    mime TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES attachment_blobs (sha256),
    PRIMARY KEY (message_id, position)
);
CREATE INDEX message_attachments_by_blob ON message_attachments (sha256);
"""


V3_TREES = """
ALTER TABLE messages ADD COLUMN parent_id INTEGER REFERENCES messages (id) ON DELETE CASCADE;
ALTER TABLE conversations ADD COLUMN active_leaf INTEGER;
UPDATE messages SET parent_id = (
    SELECT max(earlier.id) FROM messages AS earlier
    WHERE earlier.conversation_id = messages.conversation_id AND earlier.id < messages.id
);
CREATE INDEX messages_by_parent ON messages (conversation_id, parent_id);
"""
"""Conversations become trees: each message follows its parent (the one before it, for the
conversations stored so far: one path each); `active_leaf` is the message the conversation is
shown at (NULL: its newest)."""


V5_COMPARISONS = """
ALTER TABLE messages ADD COLUMN compare INTEGER;
"""
"""Comparisons: the replies of one prompt sent to several models at once (and the prompts that
carry each of them on) share a number, `compare`; NULL for everything else."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One step forward: the SQL that takes the schema from `version - 1` to `version`."""

    version: int
    description: str
    script: str
    applies: Callable[[sqlite3.Connection], bool] = lambda conn: True
    """False to skip the script (the version still advances), e.g. FTS5 missing."""


def has_fts5(conn: sqlite3.Connection) -> bool:
    """Whether this SQLite was compiled with the FTS5 full-text search extension."""
    try:
        conn.execute("SELECT fts5(?1)", (None,))
    except sqlite3.OperationalError as error:
        # "wrong number of arguments" (or similar) means the function exists.
        return "no such function" not in str(error)
    return True


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "conversations and messages", V1_TABLES),
    Migration(2, "full-text search index", V2_SEARCH, applies=has_fts5),
    Migration(3, "conversation trees", V3_TREES),
    Migration(4, "attached files", V4_ATTACHMENTS),
    Migration(5, "model comparisons", V5_COMPARISONS),
)
"""Every migration, in order; `MIGRATIONS[n - 1].version == n`."""

SCHEMA_VERSION = MIGRATIONS[-1].version
"""The schema version this code writes."""


def split_script(script: str) -> list[str]:
    """Split an SQL script into whole statements (trigger bodies keep their semicolons).

    `execute` runs one statement at a time inside our own transaction, which `executescript`
    would commit first.
    """
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n;"):
                statements.append(buffer.strip())
            buffer = ""
    return statements
