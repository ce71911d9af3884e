"""The conversation history: a SQLite database (WAL) that survives crashes and a second app.

One connection per `Store`, shared by threads under a lock. Every write is one short
`BEGIN IMMEDIATE` transaction, so two parrotchat processes can write side by side; a writer
that finds the database locked waits `busy_timeout` seconds, then raises `StoreBusy`.

Exceptions (all carry one user-facing sentence):

    StoreError
    ├── StoreMissing           no database yet, and the store was opened with create=False
    ├── StoreBusy              another process held the write lock too long
    ├── StoreFull              the disk is full
    ├── StoreUnavailable       damaged, not a history database, or cannot be opened
    │   ├── StoreTooNew        written by a newer parrotchat; left untouched
    │   └── StoreNeedsUpgrade  opened read-only, but written by an older parrotchat
    └── ConversationNotFound   (also a LookupError)
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from parrotchat.api.numbers import clean_usage, count_or_none, finite_or_none
from parrotchat.core import export
from parrotchat.core.attachment_store import (
    delete_orphans,
    load_attachments,
    save_attachments,
    search_names,
)
from parrotchat.core.conversation import Message, Role, Status, active_path
from parrotchat.core.export import InvalidExport
from parrotchat.core.migrations import MIGRATIONS, SCHEMA_VERSION, has_fts5, split_script
from parrotchat.core.records import (
    MAX_TITLE,
    ConversationRecord,
    SearchHit,
    clip_title,
    make_title,
)
from parrotchat.core.search import query_terms, search_fts, search_like

__all__ = [
    "BUSY_MESSAGE",
    "ConversationNotFound",
    "ConversationRecord",
    "InvalidExport",
    "SearchHit",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreFull",
    "StoreMissing",
    "StoreNeedsUpgrade",
    "StoreTooNew",
    "StoreUnavailable",
]

BUSY_MESSAGE = "The history database is busy (another parrotchat is writing); try again."
INTERRUPTED_MESSAGE = "parrotchat stopped before this reply ended."
TRASH_DAYS = 30.0

# SQLite primary result codes (extended codes keep these in the low byte).
_BUSY, _LOCKED, _READONLY, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 11, 13, 14, 26
_SQLITE_HEADER = b"SQLite format 3\x00"

_MESSAGE_COLUMNS = (
    "role, content, reasoning, tool_calls, model, provider, status, error, notice, usage, cost,"
    " ttft, duration, tokens, created, compare"
)
_CONVERSATION_COLUMNS = "id, title, created, updated, system_prompt, model, provider, deleted_at"


class StoreError(Exception):
    """The history could not be read or written; `str(error)` is a sentence for the user."""


class StoreMissing(StoreError):
    """There is no database file, and the store was asked not to create one."""


class StoreBusy(StoreError):
    """Another process held the database's write lock longer than the busy timeout."""


class StoreFull(StoreError):
    """The disk (or the file system's quota) is full: the write did not happen."""


class StoreUnavailable(StoreError):
    """The database is damaged, is not a parrotchat history, or cannot be opened."""


class StoreTooNew(StoreUnavailable):
    """The database's schema is newer than this code knows; it was not altered."""


class StoreNeedsUpgrade(StoreUnavailable):
    """Opened read-only, the database's schema is older than this code reads."""


class ConversationNotFound(StoreError, LookupError):
    """No conversation has this id."""


class Store:
    """The history database at `path`, opened (created or migrated) on construction.

    `Store(path, busy_timeout=0.1)  # a test store that gives up fast when locked`

    Args:
        path: The database file; its folder is created if missing.
        busy_timeout: Seconds to wait for another process's write lock.
        full_text: Use FTS5 search; None detects it, False forces the LIKE fallback.
        create: Create the database (and its folder) if missing; when False a missing file
            raises `StoreMissing` and nothing is created (for commands that only read).
        read_only: Open an existing database without writing anything, so a read-only
            folder or file can still be read (writes then raise `StoreUnavailable`). An older
            schema raises `StoreNeedsUpgrade`, since migrating it would write.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 5.0,
        full_text: bool | None = None,
        create: bool = True,
        read_only: bool = False,
    ) -> None:
        self.path: Path = Path(path)
        """The database file."""
        self._lock = threading.RLock()
        if read_only:
            self._conn = self._connect_read_only(busy_timeout)
            try:
                with self._errors():
                    self._check_readable(read_only=True)
                    self.full_text = has_fts5(self._conn) and self._has_table("messages_fts")
                    if full_text is not None:
                        self.full_text = full_text and self.full_text
            except BaseException:
                self._conn.close()
                raise
            return
        self._conn = self._connect(busy_timeout, create)
        try:
            with self._errors():
                self._check_readable()
                self._use_wal(busy_timeout)
                self._conn.execute("PRAGMA foreign_keys = ON")
                # A killed process loses nothing committed in WAL mode with NORMAL; only a power
                # cut can lose the last transactions. Checkpoints stay cheap (no fsync each).
                self._conn.execute("PRAGMA synchronous = NORMAL")
                self._migrate()
                self.full_text: bool = self._prepare_search(full_text)
                """Whether search uses the FTS5 index (else a slower LIKE scan)."""
        except BaseException:
            self._conn.close()
            raise

    # -- connection ------------------------------------------------------------------------

    def _connect(self, busy_timeout: float, create: bool) -> sqlite3.Connection:
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            elif not self.path.exists():
                raise StoreMissing(f"There is no history yet ({self.path} does not exist).")
            if self.path.is_dir():
                raise StoreUnavailable(f"The history database {self.path} is a folder, not a file.")
            self._check_header()
            # mode=rw opens an existing file only: a file deleted since the check stays deleted.
            target = self.path if create else _uri(self.path, "rw")
            conn = sqlite3.connect(
                target,
                timeout=busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=not create,
            )
        except (OSError, sqlite3.Error) as error:
            raise StoreUnavailable(
                f"The history database {self.path} cannot be opened ({error})."
            ) from error
        conn.row_factory = sqlite3.Row
        return conn

    def _connect_read_only(self, busy_timeout: float) -> sqlite3.Connection:
        """An existing database opened read-only.

        WAL needs its `-shm` file; in a read-only folder that was removed at the last close it
        cannot be created, and then the file is opened as immutable: nothing can be writing it.
        """
        if not self.path.exists():
            raise StoreMissing(f"There is no history yet ({self.path} does not exist).")
        if self.path.is_dir():
            raise StoreUnavailable(f"The history database {self.path} is a folder, not a file.")
        try:
            self._check_header()
        except OSError as error:
            raise StoreUnavailable(
                f"The history database {self.path} cannot be opened ({error})."
            ) from error
        for mode in ("ro", "ro&immutable=1"):
            conn = sqlite3.connect(
                _uri(self.path, mode),
                timeout=busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=True,
            )
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError as error:
                conn.close()
                code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
                if code in (_CANTOPEN, _READONLY) and mode == "ro":
                    continue
                if code in (_BUSY, _LOCKED):
                    raise StoreBusy(BUSY_MESSAGE) from error
                raise StoreUnavailable(
                    f"The history database {self.path} cannot be opened ({error})."
                ) from error
            except sqlite3.DatabaseError as error:
                conn.close()
                raise StoreUnavailable(_damaged(self.path)) from error
            conn.row_factory = sqlite3.Row
            return conn
        raise AssertionError("unreachable")

    def _check_header(self) -> None:
        """Refuse a non-empty file without SQLite's header: SQLite would overwrite a short one."""
        if not self.path.exists():
            return
        with self.path.open("rb") as file:
            header = file.read(len(_SQLITE_HEADER))
        if header and header != _SQLITE_HEADER:
            raise StoreUnavailable(_damaged(self.path))

    def _check_readable(self, *, read_only: bool = False) -> None:
        """Refuse, before writing anything, a file that is not ours or is too new (or, opened
        read-only, too old to read without migrating it)."""
        objects = self._conn.execute("SELECT name FROM sqlite_master").fetchall()
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreTooNew(
                f"This history was written by a newer parrotchat (schema {version}); "
                "upgrade parrotchat to open it."
            )
        if version == 0 and objects:
            raise StoreUnavailable(
                f"The file {self.path} is an SQLite database but not a parrotchat history; "
                "it was left untouched."
            )
        if read_only and version < SCHEMA_VERSION:
            raise StoreNeedsUpgrade(
                f"The history {self.path} was written by an older parrotchat and needs an "
                "upgrade; run parrotchat once where it can write to it."
            )

    def _use_wal(self, busy_timeout: float) -> None:
        """Switch to WAL once per file, waiting for processes creating it at the same moment."""
        deadline = time.monotonic() + busy_timeout
        delay = 0.001
        while True:
            try:
                # Returns the mode in force: a file system without shared memory keeps another.
                self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as error:
                # This change needs the whole file and SQLite fails it at once instead of
                # calling the busy handler: retry like the handler would.
                code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
                if code not in (_BUSY, _LOCKED) or time.monotonic() >= deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.05)

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        for migration in MIGRATIONS[version:]:
            with self._write() as conn:
                # Another process may have migrated while this one waited for the lock.
                if conn.execute("PRAGMA user_version").fetchone()[0] >= migration.version:
                    continue
                if migration.applies(conn):
                    for statement in split_script(migration.script):
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {migration.version:d}")

    def _prepare_search(self, wanted: bool | None) -> bool:
        available = has_fts5(self._conn)
        indexed = self._has_table("messages_fts")
        if indexed and not available:
            raise StoreUnavailable(
                "This history has a full-text index, but this Python's SQLite lacks FTS5; "
                "open it with a Python whose SQLite has FTS5."
            )
        if available and not indexed:
            # The database was created where FTS5 was missing: build the index now.
            with self._write() as conn:
                if not self._has_table("messages_fts"):
                    for statement in split_script(MIGRATIONS[1].script):
                        conn.execute(statement)
        return available if wanted is None else wanted and available

    def _has_table(self, name: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        return row is not None

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn SQLite's exceptions into StoreError sentences."""
        try:
            yield
        except sqlite3.IntegrityError as error:
            if "FOREIGN KEY" in str(error):
                raise ConversationNotFound("That conversation no longer exists.") from error
            raise StoreError(f"The history refused the change ({error}).") from error
        except (sqlite3.OperationalError, sqlite3.DatabaseError) as error:
            code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
            if code in (_BUSY, _LOCKED):
                raise StoreBusy(BUSY_MESSAGE) from error
            if code == _FULL:
                raise StoreFull("The disk is full; the history could not be saved.") from error
            if code in (_CORRUPT, _NOTADB) or type(error) is sqlite3.DatabaseError:
                raise StoreUnavailable(_damaged(self.path)) from error
            raise StoreUnavailable(
                f"The history database {self.path} cannot be used ({error})."
            ) from error

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, taking the write lock up front."""
        with self._lock, self._errors():
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for reads of several statements."""
        with self._lock, self._errors():
            conn = self._conn
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- conversations ---------------------------------------------------------------------

    def create_conversation(
        self,
        *,
        title: str = "",
        system_prompt: str | None = None,
        model: str | None = None,
        provider: str | None = None,
        created: float | None = None,
    ) -> int:
        """Start a conversation and return its id; an empty title is set by the first prompt."""
        now = time.time() if created is None else created
        title = make_title(title, MAX_TITLE) if title else ""
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO conversations"
                " (title, created, updated, system_prompt, model, provider)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    make_title(title, MAX_TITLE) if title else "",
                    now,
                    now,
                    system_prompt,
                    model,
                    provider,
                ),
            )
            return int(cursor.lastrowid or 0)

    def get_conversation(self, conversation_id: int) -> ConversationRecord:
        """The conversation's record; raises ConversationNotFound."""
        with self._read() as conn:
            return self._record(conn, conversation_id)

    def _record(self, conn: sqlite3.Connection, conversation_id: int) -> ConversationRecord:
        row = conn.execute(
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            raise ConversationNotFound("That conversation no longer exists.")
        return ConversationRecord(**dict(row))

    def list_conversations(self, limit: int = 50, offset: int = 0) -> list[ConversationRecord]:
        """Conversations not in the trash, most recently active first."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE deleted_at IS NULL"
                " ORDER BY updated DESC, id DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [ConversationRecord(**dict(row)) for row in rows]

    def last_conversation_id(self) -> int | None:
        """The most recently active conversation not in the trash, or None."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT id FROM conversations WHERE deleted_at IS NULL"
                " ORDER BY updated DESC, id DESC LIMIT 1"
            ).fetchone()
        return None if row is None else int(row[0])

    def _update_conversation(self, conversation_id: int, sql: str, params: tuple[Any, ...]) -> None:
        with self._write() as conn:
            cursor = conn.execute(
                f"UPDATE conversations SET {sql} WHERE id = ?", (*params, conversation_id)
            )
            if cursor.rowcount == 0:
                raise ConversationNotFound("That conversation no longer exists.")

    def rename(self, conversation_id: int, title: str) -> None:
        """Give the conversation a title (one line, controls made inert)."""
        self._update_conversation(conversation_id, "title = ?", (make_title(title, MAX_TITLE),))

    def delete(self, conversation_id: int) -> None:
        """Move the conversation to the trash (undo with `restore`)."""
        self._update_conversation(conversation_id, "deleted_at = ?", (time.time(),))

    def forget(self, conversation_id: int) -> None:
        """Delete the conversation and its messages for good (no trash): nothing worth keeping
        was in it. No error if it is gone."""
        with self._write() as conn:
            conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def restore(self, conversation_id: int) -> None:
        """Take the conversation out of the trash."""
        self._update_conversation(conversation_id, "deleted_at = NULL", ())

    def purge_trash(self, older_than: float = TRASH_DAYS * 86400) -> int:
        """Delete for good the conversations in the trash for `older_than` seconds or more.

        Returns:
            How many conversations were deleted.
        """
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at <= ?",
                (time.time() - older_than,),
            )
            delete_orphans(conn)
            return cursor.rowcount

    # -- messages --------------------------------------------------------------------------

    def add_message(self, conversation_id: int, message: Message, *, root: bool = False) -> int:
        """Store a message (a prompt before it is sent, or a reply starting to stream).

        It follows `message.parent_id`; without one, the end of the active path (or nothing,
        if `root`: an edit of the first prompt). It becomes the end of the active path. The
        first user message titles an untitled conversation. Returns the message id, which is
        also set as `message.id` (and `parent_id` is set too).
        """
        now = time.time()
        with self._write() as conn:
            if message.parent_id is None and not root:
                message.parent_id = self._active_leaf(conn, conversation_id)
            cursor = conn.execute(
                f"INSERT INTO messages (conversation_id, parent_id, {_MESSAGE_COLUMNS}, updated)"
                f" VALUES (?, ?, {', '.join('?' * 16)}, ?)",
                (conversation_id, message.parent_id, *_message_values(message), now),
            )
            message.id = int(cursor.lastrowid or 0)
            self._touch(conn, conversation_id, message, now)
            # A new message is where the conversation is shown: the end of its active path.
            conn.execute(
                "UPDATE conversations SET active_leaf = ? WHERE id = ?",
                (message.id, conversation_id),
            )
            if message.attachments:
                save_attachments(conn, message.id, message.attachments)
            # A prompt of attached files only is titled by their names.
            words = message.content.strip() or " ".join(a.name for a in message.attachments)
            if message.role is Role.USER and words:
                title = conn.execute(
                    "SELECT title FROM conversations WHERE id = ?", (conversation_id,)
                ).fetchone()[0]
                if not title:
                    conn.execute(
                        "UPDATE conversations SET title = ? WHERE id = ?",
                        (make_title(words), conversation_id),
                    )
            return message.id

    def _touch(
        self, conn: sqlite3.Connection, conversation_id: int, message: Message, now: float
    ) -> None:
        conn.execute(
            "UPDATE conversations SET updated = ?, model = coalesce(?, model),"
            " provider = coalesce(?, provider) WHERE id = ?",
            (now, message.model, message.provider if message.model else None, conversation_id),
        )

    def checkpoint(
        self, message_id: int, content: str, reasoning: str = "", tokens: int | None = None
    ) -> None:
        """Save the text streamed so far (one small UPDATE; call it about once a second).

        It also marks the message streaming again if another process, starting up, took it
        for an orphan (`recover_interrupted`). A finished message is left alone.
        """
        with self._write() as conn:
            conn.execute(
                "UPDATE messages SET content = ?, reasoning = ?, tokens = coalesce(?, tokens),"
                " status = 'streaming', recovered = 0, updated = ?"
                " WHERE id = ? AND (status = 'streaming' OR recovered)",
                (content, reasoning, count_or_none(tokens), time.time(), message_id),
            )

    def delete_message(self, message_id: int) -> None:
        """Forget one message and what follows it (a failed reply with nothing in it, asked
        for again); the conversation is then shown at its parent. No error if it is gone."""
        with self._write() as conn:
            conn.execute(
                "UPDATE conversations SET active_leaf ="
                " (SELECT parent_id FROM messages WHERE id = :id)"
                " WHERE active_leaf = :id",
                {"id": message_id},
            )
            conn.execute("DELETE FROM messages WHERE id = ?", (message_id,))

    @staticmethod
    def _active_leaf(conn: sqlite3.Connection, conversation_id: int) -> int | None:
        """The message the conversation is shown at: `active_leaf`, else its newest one."""
        row = conn.execute(
            "SELECT coalesce(c.active_leaf,"
            " (SELECT max(id) FROM messages WHERE conversation_id = c.id))"
            " FROM conversations AS c WHERE c.id = ?",
            (conversation_id,),
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def set_active_leaf(self, conversation_id: int, message_id: int) -> None:
        """Show the conversation at `message_id` (the user switched to another branch)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE conversations SET active_leaf = ? WHERE id = ?"
                " AND EXISTS (SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?)",
                (message_id, conversation_id, message_id, conversation_id),
            )

    def finish_message(self, message_id: int, message: Message) -> None:
        """Store the whole message once its reply has ended (any status but streaming)."""
        if message.status is Status.STREAMING:
            raise ValueError("finish_message needs the final status; use checkpoint to stream.")
        now = time.time()
        with self._write() as conn:
            row = conn.execute(
                "SELECT conversation_id FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            if row is None:
                raise ConversationNotFound("That message no longer exists.")
            assignments = ", ".join(f"{c.strip()} = ?" for c in _MESSAGE_COLUMNS.split(","))
            conn.execute(
                f"UPDATE messages SET {assignments}, recovered = 0, updated = ? WHERE id = ?",
                (*_message_values(message), now, message_id),
            )
            self._touch(conn, row[0], message, now)

    def recover_interrupted(self, idle_for: float = 0.0) -> int:
        """Mark `interrupted` the replies left `streaming` by a process that was killed.

        Args:
            idle_for: Only those with no checkpoint for this many seconds (0: all). A live
                process's next checkpoint undoes a wrong guess.

        Returns:
            How many messages were marked.
        """
        now = time.time()
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE messages SET status = 'interrupted', error = coalesce(error, ?),"
                " recovered = 1, updated = ? WHERE status = 'streaming' AND updated <= ?",
                (INTERRUPTED_MESSAGE, now, now - idle_for),
            )
            return cursor.rowcount

    def load_conversation(self, conversation_id: int) -> tuple[ConversationRecord, list[Message]]:
        """The conversation's record and the messages of its active path (their `id` and
        `parent_id` set), first first."""
        record, messages, active = self.load_tree(conversation_id)
        return record, active_path(messages, active)

    def load_tree(
        self, conversation_id: int
    ) -> tuple[ConversationRecord, list[Message], int | None]:
        """The conversation's record, every message of every branch (oldest first, `id` and
        `parent_id` set), and the id of the message it is shown at (None: the newest leaf)."""
        with self._read() as conn:
            record = self._record(conn, conversation_id)
            active = conn.execute(
                "SELECT active_leaf FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()[0]
            rows = conn.execute(
                f"SELECT id, parent_id, {_MESSAGE_COLUMNS} FROM messages"
                " WHERE conversation_id = ? ORDER BY id",
                (conversation_id,),
            ).fetchall()
            messages = [_row_message(row) for row in rows]
            attached = load_attachments(conn, [m.id for m in messages if m.role is Role.USER])
        for message in messages:
            message.attachments = attached.get(message.id or 0, [])
        record = dataclasses.replace(record, active_leaf=active)
        return record, messages, active

    def message_counts(self, conversation_ids: Sequence[int]) -> dict[int, int]:
        """How many messages the active path of each of these conversations has (0 for one
        without any)."""
        counts = dict.fromkeys(conversation_ids, 0)
        ids = list(counts)
        links: dict[int, dict[int, int | None]] = {}
        actives: dict[int, int | None] = {}
        with self._read() as conn:
            # In slices: SQLite limits the number of parameters of one statement.
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                marks = ", ".join("?" * len(part))
                for cid, mid, parent in conn.execute(
                    "SELECT conversation_id, id, parent_id FROM messages"
                    f" WHERE conversation_id IN ({marks}) ORDER BY id",
                    part,
                ):
                    links.setdefault(int(cid), {})[int(mid)] = parent
                actives.update(
                    conn.execute(
                        f"SELECT id, active_leaf FROM conversations WHERE id IN ({marks})", part
                    ).fetchall()
                )
        for cid, parents in links.items():
            leaf = actives.get(cid)
            node = leaf if leaf in parents else max(parents)
            length = 0
            while node is not None and node in parents:
                length += 1
                node = parents[node]
            counts[cid] = length
        return counts

    def message_ids(self, conversation_id: int) -> list[int]:
        """The ids of the conversation's active path, in the order `load_conversation` gives."""
        _record, messages = self.load_conversation(conversation_id)
        return [message.id for message in messages if message.id is not None]

    # -- search ----------------------------------------------------------------------------

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Conversations (not in the trash) whose title or messages contain every term.

        Any text is a valid query: operators are taken literally, the last term matches as a
        prefix. Title matches come first, then the others; each group most recent first.
        """
        if not query_terms(query):
            return []
        with self._read() as conn:
            if self.full_text:
                hits = search_fts(conn, query, limit)
            else:
                hits = search_like(conn, query, limit)
            # Then conversations found by an attached file's name.
            found = {hit.conversation_id for hit in hits}
            return hits + search_names(conn, query_terms(query), limit - len(hits), found)

    # -- export ----------------------------------------------------------------------------

    def export_json(self, conversation_id: int) -> dict[str, Any]:
        """The whole conversation as a versioned, JSON-ready dict (`import_json` reads it)."""
        return export.conversation_to_json(*self.load_tree(conversation_id))

    def import_json(self, data: Any) -> int:
        """Store an `export_json` dict as a new conversation; returns its id.

        Raises:
            InvalidExport: The data is not an export this version reads.
        """
        fields, messages = export.conversation_from_json(data)
        active = fields.pop("active")
        fields["title"] = clip_title(fields["title"])
        for message in messages:
            if message.status is Status.STREAMING:
                # No process is writing it here: an exported live reply arrives interrupted.
                message.status = Status.INTERRUPTED
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO conversations"
                " (title, created, updated, system_prompt, model, provider)"
                " VALUES (:title, :created, :updated, :system_prompt, :model, :provider)",
                fields,
            )
            conversation_id = int(cursor.lastrowid or 0)
            ids: list[int] = []
            for message in messages:
                parent = ids[message.parent_id] if message.parent_id is not None else None
                row = conn.execute(
                    "INSERT INTO messages"
                    f" (conversation_id, parent_id, {_MESSAGE_COLUMNS}, updated)"
                    f" VALUES (?, ?, {', '.join('?' * 16)}, ?)",
                    (conversation_id, parent, *_message_values(message), message.created),
                )
                ids.append(int(row.lastrowid or 0))
                if message.attachments:
                    save_attachments(conn, ids[-1], message.attachments)
            if active is not None:
                conn.execute(
                    "UPDATE conversations SET active_leaf = ? WHERE id = ?",
                    (ids[active], conversation_id),
                )
            return conversation_id


def _uri(path: Path, mode: str) -> str:
    """An SQLite URI for `path` opened in `mode` (`ro`, `rw`, `rwc`)."""
    return f"{path.absolute().as_uri()}?mode={mode}"


def _damaged(path: Path) -> str:
    return (
        f"The history database {path} is damaged or not a parrotchat history; "
        "it was left untouched."
    )


def _message_values(message: Message) -> tuple[Any, ...]:
    """The values of `_MESSAGE_COLUMNS` for a message, numbers made storable (see `numbers`)."""
    usage = clean_usage(message.usage)
    return (
        str(message.role),
        message.content,
        message.reasoning,
        json.dumps(export.tool_calls_to_list(message.tool_calls)) if message.tool_calls else None,
        message.model,
        message.provider,
        str(message.status),
        message.error,
        message.notice,
        json.dumps(export.usage_to_dict(usage)) if usage is not None else None,
        usage.cost if usage is not None else None,
        finite_or_none(message.ttft),
        finite_or_none(message.duration),
        count_or_none(message.tokens) or 0,
        message.created,
        message.compare,
    )


def _row_message(row: sqlite3.Row) -> Message:
    return Message(
        role=Role(row["role"]),
        content=row["content"],
        reasoning=row["reasoning"],
        tool_calls=export.tool_calls_from_list(json.loads(row["tool_calls"] or "[]")),
        model=row["model"],
        provider=row["provider"],
        status=Status(row["status"]),
        error=row["error"],
        notice=row["notice"],
        usage=export.usage_from_dict(json.loads(row["usage"])) if row["usage"] else None,
        ttft=row["ttft"],
        duration=row["duration"],
        tokens=row["tokens"],
        created=row["created"],
        id=row["id"],
        parent_id=row["parent_id"],
        compare=row["compare"],
    )
