"""Schema versions: a hand-made v1 database migrates forward; damaged and newer ones are refused."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from parrotchat.core.conversation import Role, Status
from parrotchat.core.migrations import MIGRATIONS, SCHEMA_VERSION, split_script
from parrotchat.core.store import Store, StoreTooNew, StoreUnavailable

# Version 1 exactly as it shipped, typed out again so that an edit to migration 1 fails here.
V1 = """
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT '', created REAL NOT NULL,
    updated REAL NOT NULL, system_prompt TEXT, model TEXT, provider TEXT, deleted_at REAL
);
CREATE INDEX conversations_by_updated ON conversations (updated DESC, id DESC);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content TEXT NOT NULL DEFAULT '', reasoning TEXT NOT NULL DEFAULT '', tool_calls TEXT,
    model TEXT, provider TEXT,
    status TEXT NOT NULL
        CHECK (status IN ('streaming', 'complete', 'cancelled', 'interrupted', 'error')),
    error TEXT, notice TEXT, usage TEXT, cost REAL, ttft REAL, duration REAL,
    tokens INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL, updated REAL NOT NULL,
    recovered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';
PRAGMA user_version = 1;
"""


def make_v1(path: Path) -> None:
    """A version-1 history with one conversation, one finished and one orphaned reply."""
    conn = sqlite3.connect(path)
    conn.executescript(V1)
    conn.executescript(
        """
        INSERT INTO conversations (id, title, created, updated, model)
            VALUES (7, 'Old kingfisher chat', 1.0, 2.0, 'm1');
        INSERT INTO messages (conversation_id, role, content, status, created, updated)
            VALUES (7, 'user', 'tell me about herons', 'complete', 1.0, 1.0),
                   (7, 'assistant', 'herons wade', 'complete', 2.0, 2.0),
                   (7, 'assistant', 'an orphaned egret', 'streaming', 3.0, 3.0);
        """
    )
    conn.close()


def columns(conn: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    return conn.execute(f"PRAGMA table_info({table})").fetchall()


def test_migrations_are_numbered_in_order() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert MIGRATIONS[-1].version == SCHEMA_VERSION


def test_migration_1_matches_the_shipped_v1(tmp_path: Path) -> None:
    shipped, current = sqlite3.connect(tmp_path / "a.db"), sqlite3.connect(":memory:")
    shipped.executescript(V1)
    for statement in split_script(MIGRATIONS[0].script):
        current.execute(statement)
    for table in ("conversations", "messages"):
        assert columns(shipped, table) == columns(current, table)
    shipped.close()
    current.close()


def user_version(path: Path) -> int:
    """The schema version the database at `path` says it has (`PRAGMA user_version`)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_a_v1_database_migrates_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "parrotchat.db"
    make_v1(path)
    with Store(path) as store:
        assert user_version(store.path) == SCHEMA_VERSION
        record, messages = store.load_conversation(7)
        assert record.title == "Old kingfisher chat" and record.model == "m1"
        assert [m.role for m in messages] == [Role.USER, Role.ASSISTANT, Role.ASSISTANT]
        # Old finished messages and titles are searchable; the streaming one once recovered.
        assert [h.conversation_id for h in store.search("herons")] == [7]
        assert [h.conversation_id for h in store.search("kingfisher")] == [7]
        assert store.search("egret") == []
        assert store.recover_interrupted() == 1
        assert [h.conversation_id for h in store.search("egret")] == [7]
        assert store.load_conversation(7)[1][2].status is Status.INTERRUPTED


def test_a_database_made_without_fts5_gets_its_index_later(tmp_path: Path) -> None:
    path = tmp_path / "parrotchat.db"
    make_v1(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 2")  # as a Python without FTS5 would have left it
    conn.close()
    with Store(path) as store:
        assert store.full_text
        assert [h.conversation_id for h in store.search("wade")] == [7]


def test_reopening_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "parrotchat.db"
    Store(path).close()
    with Store(path) as store:
        assert user_version(store.path) == SCHEMA_VERSION


def test_a_newer_schema_is_refused_unaltered(tmp_path: Path) -> None:
    path = tmp_path / "parrotchat.db"
    make_v1(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreTooNew) as caught:
        Store(path)
    assert str(caught.value) == (
        f"This history was written by a newer parrotchat (schema {SCHEMA_VERSION + 5}); "
        "upgrade parrotchat to open it."
    )
    assert isinstance(caught.value, StoreUnavailable)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parrotchat.db"]


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00\x01garbage bytes, not a database" * 200,
        b"SQLite format 3\x00" + b"\xff" * 4000,
        b"x",
    ],
    ids=["garbage", "bad-header", "one-byte"],
)
def test_a_corrupt_file_is_refused_and_left_byte_identical(tmp_path: Path, garbage: bytes) -> None:
    path = tmp_path / "parrotchat.db"
    path.write_bytes(garbage)
    with pytest.raises(StoreUnavailable, match="damaged or not a parrotchat history"):
        Store(path)
    assert path.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parrotchat.db"]


def test_an_unopenable_location_is_unavailable(tmp_path: Path) -> None:
    # Where the data directory should be there is a file: nothing can be opened or created.
    blocker = tmp_path / "data"
    blocker.write_text("not a directory")
    with pytest.raises(StoreUnavailable):
        Store(blocker / "parrotchat.db")
    assert blocker.read_text() == "not a directory"
