"""The app's history: store calls run in order on one thread of their own, never on the event loop.

SQLite can wait seconds for another process's lock; the UI must not. Writes keep their order
(prompt, reply, checkpoints, finish) because a single thread runs them one after another.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from parrotchat.core.conversation import Message
from parrotchat.core.history import History, NoConversation, StoredReply
from parrotchat.core.records import ConversationRecord, SearchHit
from parrotchat.core.store import ConversationNotFound, Store, StoreBusy

__all__ = ["LIST_LIMIT", "ChatHistory", "HistoryRefused", "Resumed", "open_history"]

LIST_LIMIT = 200
"""The most conversations the Chats view lists (recent ones, or search hits)."""

T = TypeVar("T")

Resumed = tuple[ConversationRecord, list[Message]]
"""A conversation reopened (`--continue`, `--resume`, the Chats view): its record and messages."""


class HistoryRefused(Exception):
    """A change the user asked for did not happen (the conversation is gone, the database
    is busy); `str(error)` is the sentence to show. History stays on."""


@dataclass(frozen=True)
class _Refusal:
    reason: str


def _refusing(method: Callable[..., T]) -> Callable[..., T | _Refusal]:
    """`method`, with the failures that must not turn history off handed back as a value."""

    def run(store: Store, *args: Any) -> T | _Refusal:
        try:
            return method(store, *args)
        except (ConversationNotFound, StoreBusy) as error:
            return _Refusal(str(error))

    return run


def open_history(
    path: Path | None, resume: int | None = None
) -> tuple[ChatHistory, Resumed | None]:
    """Open the history at `path`, recover killed replies, empty the trash of conversations
    deleted 30 days ago or more, and load the conversation to resume.

    Runs before the app starts (no event loop to block yet). The app applies the resumed
    conversation's model and system prompt itself (`resumed_settings`), so the configured
    ones stay for the next new conversation.

    Returns:
        The history, and the resumed conversation, if any.

    Raises:
        NoConversation: `resume` names a conversation that is not there.
    """
    chat_history = ChatHistory()
    history = History.open(path, chat_history.report)
    chat_history.history = history
    history.call(Store.recover_interrupted)
    history.call(Store.purge_trash)
    try:
        loaded = history.load(resume) if resume is not None else None
    except NoConversation:
        history.close()
        raise
    if loaded is not None:
        chat_history.conversation_id = loaded[0].id
    return chat_history, loaded


class ChatHistory:
    """Keeps the conversation on screen in the store, without ever blocking the event loop.

    A failure turns history off; `on_unavailable` hears about it once, on the event loop.
    """

    def __init__(self, history: History | None = None) -> None:
        self.history: History = history or History(None, self.report)
        self.conversation_id: int | None = None
        """The stored conversation on screen; None until its first prompt is stored."""
        self.unavailable: str | None = None
        """Why history is off, once it failed."""
        self.on_unavailable: Callable[[str], None] | None = None
        """Called on the event loop with the reason when history fails (set by the app)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parrotchat-history")

    def attach(self, on_unavailable: Callable[[str], None]) -> None:
        """Report failures to `on_unavailable` on the running loop (one already seen, at once)."""
        self._loop = asyncio.get_running_loop()
        self.on_unavailable = on_unavailable
        if self.unavailable is not None:
            on_unavailable(self.unavailable)

    def report(self, reason: str) -> None:
        """History failed (in any thread): remember why and tell the app."""
        self.unavailable = reason
        loop, callback = self._loop, self.on_unavailable
        if loop is not None and callback is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody to tell
                loop.call_soon_threadsafe(callback, reason)

    def submit(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T | None]:
        """Queue `method(store, ...)` behind the earlier calls; its future never raises."""
        future: Future[T | None]
        try:
            future = self._executor.submit(self.history.call, method, *args, **kwargs)
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

    async def add_prompt(
        self, message: Message, system_prompt: str | None, *, model: str, provider: str
    ) -> None:
        """Store the user's message (and its conversation, the first time)."""
        if self.conversation_id is None:
            self.conversation_id = await self.call(
                Store.create_conversation,
                system_prompt=system_prompt,
                model=model,
                provider=provider,
            )
        if self.conversation_id is not None:
            await self.call(Store.add_message, self.conversation_id, message)

    async def add_reply(self, message: Message) -> StoredReply:
        """Store the reply about to stream; the recorder keeps it up to date."""
        reply_id = None
        if self.conversation_id is not None:
            reply_id = await self.call(Store.add_message, self.conversation_id, message)
        return StoredReply(self.submit, reply_id)

    @property
    def available(self) -> bool:
        """True while conversations are saved (a store is open and has not failed)."""
        return self.history.available

    async def ask(self, method: Callable[..., T], *args: Any) -> T | None:
        """Run a store call the user asked for, after the queued ones; None if history is off.

        Raises:
            HistoryRefused: The conversation no longer exists, or another process held the
                database too long. Unlike a damaged file, that does not turn history off.
        """
        result = await self.call(_refusing(method), *args)
        if isinstance(result, _Refusal):
            raise HistoryRefused(result.reason)
        return result

    async def recent(self, limit: int = LIST_LIMIT) -> list[ConversationRecord] | None:
        """The conversations not in the trash, most recently active first."""
        return await self.ask(Store.list_conversations, limit)

    async def search(self, query: str, limit: int = LIST_LIMIT) -> list[SearchHit] | None:
        """Conversations whose title or messages contain every word of `query`."""
        return await self.ask(Store.search, query, limit)

    async def load(self, conversation_id: int) -> Resumed | None:
        """A stored conversation's record and messages."""
        return await self.ask(Store.load_conversation, conversation_id)

    def new_conversation(self) -> None:
        """The next prompt starts a new stored conversation."""
        self.conversation_id = None

    async def close(self) -> None:
        """Let the queued writes finish, then close the store."""
        await asyncio.to_thread(self._executor.shutdown, True)
        self.history.close()
