"""Best-effort history for a running chat: store calls in order on a thread of their own.

SQLite can wait seconds for another process's lock; the event loop must not. Writes keep their
order (prompt, reply, checkpoints, finish) because a single thread runs them one after another.

A database locked by another program (or a full disk) is passing: a write that meets it is tried
again on the history thread, with a growing pause, and saving resumes by itself once the lock
is gone; a reply's checkpoint that waited is superseded by its next save, which holds all the
text. Only a lock held longer than `LOCK_PATIENCE` (a disk still full after `FULL_PATIENCE`), or
a damaged or unwritable database, turns history off: once, with one sentence through
`History.attach`'s callback; the chat goes on in memory. A refusal the user should simply retry
(the conversation is gone, the database is busy) raises `HistoryRefused` and keeps history on.

The TUI and print mode share it (through `ChatSession`). The history modules, each with one job:
`store` (the SQLite database), `history` (this: the running chat's view of it), and the
`history_cli` / `history_output` commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from parrotchat.core.conversation import Message
from parrotchat.core.records import LAST, ConversationRecord, SearchHit
from parrotchat.core.store import ConversationNotFound, Store, StoreBusy, StoreError, StoreFull

__all__ = [
    "CHECKPOINT_SECONDS",
    "FULL_PATIENCE",
    "LAST",
    "LIST_LIMIT",
    "LOCK_PATIENCE",
    "History",
    "HistoryRefused",
    "NoConversation",
    "Resumed",
    "StoredReply",
    "open_history",
]

CHECKPOINT_SECONDS = 1.0
"""Most seconds of a streaming reply that a kill can lose."""


LIST_LIMIT = 200
"""The most conversations the Chats view lists (recent ones, or search hits)."""

LOCK_PATIENCE = 60.0
"""Seconds the history keeps trying to save while another program holds the database locked
(the store's own busy timeout included) before it turns history off for the session."""
FULL_PATIENCE = 10.0
"""Seconds the history keeps trying to save on a full disk before it turns history off."""
RETRY_PAUSES = (0.05, 0.1, 0.2, 0.5, 1.0)
"""Pauses between tries of a blocked write, growing; the last one repeats."""

T = TypeVar("T")

Resumed = tuple[ConversationRecord, list[Message]]
"""A stored conversation reopened: its record (with `active_leaf`) and every message of every
branch, oldest first (`Conversation.from_tree` makes it a conversation on its active path)."""


class NoConversation(Exception):
    """`--continue` or `--resume ID` named a conversation that is not there; a user sentence."""


class HistoryRefused(Exception):
    """A change the user asked for did not happen (the conversation is gone, the database
    is busy); `str(error)` is the sentence to show. History stays on."""


class _Refusal:
    """A refusal carried back from the history thread as a value (it must not turn history off)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def open_history(path: Path | None, resume: int | None = None) -> tuple[History, Resumed | None]:
    """Open the history at `path` (None: no history), recover replies a killed parrotchat left
    streaming, empty the trash of conversations deleted 30 days ago or more, and load the
    conversation to resume (an id, or `LAST`).

    Runs before the app's loop starts (no event loop to block yet).

    Raises:
        NoConversation: `resume` names a conversation that is not there.
    """
    history = History.open(path)
    history.call_now(Store.recover_interrupted)
    history.call_now(Store.purge_trash)
    try:
        loaded = history.load_now(resume) if resume is not None else None
    except NoConversation:
        history.close_now()
        raise
    return history, loaded


class History:
    """The store behind a running chat, never blocking the event loop.

    `history = History.open(path); history.attach(warn)  # warn(reason) if it fails`
    """

    def __init__(self, store: Store | None = None) -> None:
        self.store: Store | None = store
        """The store, or None once history is off (or for a chat without history)."""
        self.unavailable: str | None = None
        """Why history is off, once it failed."""
        self.lock_patience: float = LOCK_PATIENCE
        """Seconds a locked database is waited for before history turns off."""
        self.full_patience: float = FULL_PATIENCE
        """Seconds a full disk is waited for before history turns off."""
        self.lock_retries: int = 0
        """Writes tried again because the database was locked or the disk full (so far)."""
        self._on_unavailable: Callable[[str], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parrotchat-history")
        self._blocked_since: float | None = None
        """When the writes now waiting first met the lock (or the full disk); None if none."""
        self._giving_up = threading.Event()

    @classmethod
    def open(cls, path: Path | None) -> History:
        """Open the store at `path` (None: no history); a failure is remembered, not raised."""
        history = cls()
        if path is not None:
            try:
                history.store = Store(path)
            except StoreError as error:
                history._fail(str(error))
        return history

    @property
    def available(self) -> bool:
        """True while conversations are saved (a store is open and has not failed)."""
        return self.store is not None

    def attach(self, on_unavailable: Callable[[str], None]) -> None:
        """Report failures to `on_unavailable` on the running loop (one already seen, at once)."""
        with contextlib.suppress(RuntimeError):  # no running loop: call it from this thread
            self._loop = asyncio.get_running_loop()
        self._on_unavailable = on_unavailable
        if self.unavailable is not None:
            on_unavailable(self.unavailable)

    # --- the history thread ---------------------------------------------------------------

    def _fail(self, reason: str) -> None:
        """Turn history off and say why (only the first time). Runs on any thread."""
        store, self.store = self.store, None
        if store is not None:
            store.close()
        if self.unavailable is not None:
            return
        self.unavailable = reason
        loop, callback = self._loop, self._on_unavailable
        if callback is None:
            return
        if loop is None:
            callback(reason)
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody to tell
            loop.call_soon_threadsafe(callback, reason)

    def call_now(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """`method(store, ...)` on this thread; None if history is off or the call fails.

        Only before the loop runs (start-up) or on the history thread itself.
        """
        store = self.store
        if store is None:
            return None
        try:
            return method(store, *args, **kwargs)
        except StoreError as error:
            self._fail(str(error))
            return None

    def call_patiently(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """`call_now`, trying again while the database is locked or the disk full.

        The history thread only. Between tries it pauses (`RETRY_PAUSES`); history turns off
        once the writes have been blocked for `lock_patience` (`full_patience`) seconds, or at
        once after `give_up`.
        """
        pauses = iter(RETRY_PAUSES)
        pause = RETRY_PAUSES[0]
        while (store := self.store) is not None:
            try:
                result = method(store, *args, **kwargs)
            except (StoreBusy, StoreFull) as error:
                now = time.monotonic()
                if self._blocked_since is None:
                    self._blocked_since = now
                full = isinstance(error, StoreFull)
                patience = self.full_patience if full else self.lock_patience
                if now - self._blocked_since >= patience or self._giving_up.is_set():
                    self._fail(self._lasting(error, patience))
                    return None
                self.lock_retries += 1
                pause = next(pauses, pause)
                self._giving_up.wait(pause)
            except StoreError as error:
                self._fail(str(error))
                return None
            else:
                self._blocked_since = None
                return result
        return None

    @staticmethod
    def _lasting(error: StoreError, patience: float) -> str:
        """The sentence for a lock or a full disk that did not go away."""
        if isinstance(error, StoreFull):
            return (
                f"the disk stayed full for {patience:g} s, so this session is not saved from "
                "now on; free some space and restart parrotchat."
            )
        return (
            f"another program kept the history database locked for over {patience:g} s, so "
            "what follows in this session is not saved; restart parrotchat once it lets go."
        )

    def give_up(self) -> None:
        """Stop waiting for a locked database or a full disk: the write waiting now, and any
        later one that meets them, turns history off (the app is about to exit)."""
        self._giving_up.set()

    def submit(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T | None]:
        """Queue `method(store, ...)` behind the earlier calls; its future never raises.

        A locked database or a full disk is waited for (`call_patiently`).
        """
        future: Future[T | None]
        try:
            future = self._executor.submit(self.call_patiently, method, *args, **kwargs)
        except RuntimeError:  # closed while the app shuts down; the next start recovers it
            future = Future()
            future.set_result(None)
        return future

    async def call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Run `method(store, ...)` after the queued calls and return its result."""
        return await asyncio.wrap_future(self.submit(method, *args, **kwargs))

    async def drain(self) -> None:
        """Wait until every call queued so far has run."""
        await self.call(lambda _store: None)

    async def ask(self, method: Callable[..., T], *args: Any) -> T | None:
        """Run a store call the user asked for, after the queued ones; None if history is off.

        Raises:
            HistoryRefused: The conversation no longer exists, or another process held the
                database too long. Unlike a damaged file, that does not turn history off.
        """

        def run(store: Store) -> T | _Refusal:
            try:
                return method(store, *args)
            except (ConversationNotFound, StoreBusy) as error:
                return _Refusal(str(error))

        result = await self.call(run)
        if isinstance(result, _Refusal):
            raise HistoryRefused(result.reason)
        return result

    # --- what the chat asks of it -----------------------------------------------------------

    def load_now(self, which: int) -> Resumed | None:
        """The conversation `which` (an id or `LAST`), or None if history is off. Start-up only.

        Raises:
            NoConversation: There is no such conversation (or none at all, for `LAST`).
        """

        def load(store: Store) -> Resumed | _Refusal:
            conversation_id = store.last_conversation_id() if which == LAST else which
            if conversation_id is None:
                return _Refusal("there is no conversation to continue yet")
            try:
                record, nodes, _active = store.load_tree(conversation_id)
                return record, nodes
            except ConversationNotFound:
                return _Refusal(f"there is no conversation {which}")

        result = self.call_now(load)
        if isinstance(result, _Refusal):
            raise NoConversation(result.reason)
        return result

    async def create_conversation(
        self, system_prompt: str | None, *, model: str, provider: str
    ) -> int | None:
        """A new stored conversation's id; None if history is off."""
        return await self.call(
            Store.create_conversation, system_prompt=system_prompt, model=model, provider=provider
        )

    async def add_message(
        self, conversation_id: int, message: Message, *, root: bool = False
    ) -> int | None:
        """Store `message` after its parent (`Store.add_message`; `root`: it has none);
        `message.id` is set. Its id, or None if history is off."""
        return await self.call(Store.add_message, conversation_id, message, root=root)

    def delete_message(self, message_id: int) -> None:
        """Queue the removal of one message (a retry replaces it)."""
        self.submit(Store.delete_message, message_id)

    def forget(self, conversation_id: int) -> None:
        """Queue the removal for good of a conversation with nothing worth keeping."""
        self.submit(Store.forget, conversation_id)

    async def recent(self, limit: int = LIST_LIMIT) -> list[ConversationRecord] | None:
        """The conversations not in the trash, most recently active first."""
        return await self.ask(Store.list_conversations, limit)

    async def search(self, query: str, limit: int = LIST_LIMIT) -> list[SearchHit] | None:
        """Conversations whose title or messages contain every word of `query`."""
        return await self.ask(Store.search, query, limit)

    async def load(self, conversation_id: int) -> Resumed | None:
        """A stored conversation's record and every message of every branch (`Resumed`)."""
        loaded = await self.ask(Store.load_tree, conversation_id)
        return None if loaded is None else (loaded[0], loaded[1])

    async def load_tree(
        self, conversation_id: int
    ) -> tuple[ConversationRecord, list[Message], int | None] | None:
        """A stored conversation's record, every message of every branch, and the id of the
        message it is shown at (`Store.load_tree`)."""
        return await self.ask(Store.load_tree, conversation_id)

    async def set_active_leaf(self, conversation_id: int, message_id: int) -> None:
        """Remember the branch on screen (queued; it never blocks)."""
        self.submit(Store.set_active_leaf, conversation_id, message_id)

    async def get(self, conversation_id: int) -> ConversationRecord | None:
        """A stored conversation's record."""
        return await self.ask(Store.get_conversation, conversation_id)

    async def rename(self, conversation_id: int, title: str) -> None:
        """Give a conversation a new title."""
        await self.ask(Store.rename, conversation_id, title)

    async def delete(self, conversation_id: int) -> None:
        """Move a conversation to the trash."""
        await self.ask(Store.delete, conversation_id)

    async def restore(self, conversation_id: int) -> None:
        """Bring a conversation back from the trash."""
        await self.ask(Store.restore, conversation_id)

    async def close(self) -> None:
        """Let the queued writes finish, then close the store."""
        await asyncio.to_thread(self.close_now)

    def close_now(self) -> None:
        """Let the queued writes finish, then close the store (blocks; not on the loop)."""
        self._executor.shutdown(wait=True)
        store, self.store = self.store, None
        if store is not None:
            store.close()


class StoredReply:
    """One streaming reply in the history: its text so far, then the whole.

    A `ReplyRecorder` (which decides how often to checkpoint); its calls are queued on the
    history's thread and never block.
    """

    def __init__(self, history: History, reply_id: int | None) -> None:
        self.reply_id: int | None = reply_id
        """The stored message; None without history."""
        self._history = history
        self._saves = 0
        """Saves queued so far; a checkpoint still waiting when a later one is queued (the
        database was locked) is skipped: the later one holds all its text."""

    def checkpoint(self, message: Message) -> None:
        """Save the text so far."""
        if self.reply_id is not None:
            self._saves += 1
            self._history.submit(
                self._checkpoint,
                self._saves,
                self.reply_id,
                message.content,
                message.reasoning,
                message.tokens,
            )

    def _checkpoint(
        self, store: Store, serial: int, reply_id: int, content: str, reasoning: str, tokens: int
    ) -> None:
        if serial == self._saves:  # else superseded by a later save (the history thread reads)
            store.checkpoint(reply_id, content, reasoning, tokens)

    def finish(self, message: Message) -> None:
        """Save the reply as it ended."""
        if self.reply_id is not None:
            self._saves += 1
            self._history.submit(Store.finish_message, self.reply_id, message)

    def discard(self) -> None:
        """Remove the reply: a retry replaces it, in the history too."""
        if self.reply_id is not None:
            self._history.delete_message(self.reply_id)
            self.reply_id = None
