"""Best-effort history for a running chat: store calls that never cost the user an answer.

A `History` wraps a `Store` (or none). The first `StoreError` is reported once through a callback
and history is off from then on; the chat goes on in memory. Shared by print mode and the TUI.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import platformdirs

from parrotchat.core.conversation import Conversation, Message
from parrotchat.core.records import ConversationRecord
from parrotchat.core.store import ConversationNotFound, Store, StoreError

if TYPE_CHECKING:
    from parrotchat.config import Settings

__all__ = [
    "CHECKPOINT_SECONDS",
    "LAST",
    "Checkpoints",
    "History",
    "NoConversation",
    "StoredReply",
    "default_history_path",
    "resumed_settings",
]

CHECKPOINT_SECONDS = 1.0
"""Most seconds of a streaming reply that a kill can lose."""

LAST = -1
"""Stands for "the last conversation" (`--continue`) where a conversation id is expected."""

T = TypeVar("T")


def default_history_path() -> Path:
    """`platformdirs.user_data_dir("parrotchat")/parrotchat.db` (honours `XDG_DATA_HOME`)."""
    return Path(platformdirs.user_data_dir("parrotchat")) / "parrotchat.db"


class NoConversation(Exception):
    """`--continue` or `--resume ID` named a conversation that is not there; a user sentence."""


class History:
    """A store that reports its first failure through `on_unavailable` and then stays quiet.

    `History.open(path, warn).call(Store.recover_interrupted)  # None if history is off`

    Args:
        store: The open store, or None for a chat without history.
        on_unavailable: Called once with the user-facing sentence of the first failure.
    """

    def __init__(self, store: Store | None, on_unavailable: Callable[[str], None]) -> None:
        self.store: Store | None = store
        """The store, or None once history is off."""
        self._on_unavailable = on_unavailable

    @classmethod
    def open(cls, path: Path | None, on_unavailable: Callable[[str], None]) -> History:
        """Open the store at `path` (None: no history); a failure is reported, not raised."""
        history = cls(None, on_unavailable)
        if path is not None:
            try:
                history.store = Store(path)
            except StoreError as error:
                history.fail(str(error))
        return history

    @property
    def available(self) -> bool:
        """True while writes still go to the store."""
        return self.store is not None

    def fail(self, reason: str) -> None:
        """Turn history off and say why (only the first time)."""
        store, self.store = self.store, None
        if store is not None:
            store.close()
        self._on_unavailable(reason)

    def call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """`method(store, *args, **kwargs)`, or None if history is off or the call fails."""
        store = self.store
        if store is None:
            return None
        try:
            return method(store, *args, **kwargs)
        except StoreError as error:
            self.fail(str(error))
            return None

    def close(self) -> None:
        """Close the store (history is off afterwards, silently)."""
        store, self.store = self.store, None
        if store is not None:
            store.close()

    def load(self, which: int) -> tuple[ConversationRecord, list[Message]] | None:
        """The conversation `which` (an id or `LAST`), or None if history is off.

        Raises:
            NoConversation: There is no such conversation (or none at all, for `LAST`).
        """
        store = self.store
        if store is None:
            return None
        try:
            conversation_id = store.last_conversation_id() if which == LAST else which
            if conversation_id is None:
                raise NoConversation("there is no conversation to continue yet")
            return store.load_conversation(conversation_id)
        except ConversationNotFound as error:
            raise NoConversation(f"there is no conversation {which}") from error
        except StoreError as error:
            self.fail(str(error))
            return None


def resumed_settings(
    settings: Settings, record: ConversationRecord
) -> tuple[Settings, Conversation]:
    """Settings that carry on `record`: its model, provider and system prompt, unless flags
    chose others; and an empty `Conversation` with that system prompt."""
    sources = settings.sources
    changes: dict[str, Any] = {}
    provider_flag = sources.get("provider") in ("--provider", "--demo")
    if record.provider in settings.providers and not provider_flag:
        changes["provider"] = record.provider
    # The conversation's model only makes sense on its own provider: one chosen by flag, or
    # one no longer configured, keeps its own model.
    same_provider = changes.get("provider", settings.provider) == record.provider
    if record.model and sources.get("model") != "--model" and same_provider:
        changes["model"] = record.model
    if sources.get("system_prompt") != "--system":
        changes["system_prompt"] = record.system_prompt
    settings = dataclasses.replace(settings, **changes)
    return settings, Conversation(settings.system_prompt)


class Checkpoints:
    """Says when a streaming reply is due for its next checkpoint: every `interval` seconds.

    `if checkpoints.due(): store.checkpoint(...)  # at most once per interval`
    """

    def __init__(
        self, interval: float = CHECKPOINT_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval: float = interval
        self._clock = clock
        self._last = clock()

    def due(self) -> bool:
        """True (and the interval restarts) if `interval` seconds passed since the last one."""
        now = self._clock()
        if now - self._last < self.interval:
            return False
        self._last = now
        return True


class StoredReply:
    """One streaming reply in the history: a checkpoint at most once an interval, then the whole.

    `run(method, *args)` performs `method(store, *args)`: at once in print mode, queued on the
    store's thread in the app, so the same reply logic serves both.
    """

    def __init__(self, run: Callable[..., object], reply_id: int | None) -> None:
        self.reply_id: int | None = reply_id
        """The stored message; None without history."""
        self._run = run
        self._checkpoints = Checkpoints()

    def checkpoint(self, message: Message) -> None:
        """Save the text so far, if a checkpoint is due."""
        if self.reply_id is not None and self._checkpoints.due():
            self._run(
                Store.checkpoint, self.reply_id, message.content, message.reasoning, message.tokens
            )

    def finish(self, message: Message) -> None:
        """Save the reply as it ended."""
        if self.reply_id is not None:
            self._run(Store.finish_message, self.reply_id, message)

    def discard(self) -> None:
        """Remove the reply: a retry replaces it, in the history too."""
        if self.reply_id is not None:
            self._run(Store.delete_message, self.reply_id)
            self.reply_id = None
