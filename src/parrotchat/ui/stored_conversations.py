"""The app's stored conversations: open one, rename it, delete it with Ctrl+Z to undo.

`StoredConversations` is a part of `ParrotChatApp`: the app inherits its actions (Textual finds
them by name) and its handlers of the Chats view's messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work

from parrotchat.core.conversation import Conversation, Message
from parrotchat.core.records import ConversationRecord
from parrotchat.core.store import Store
from parrotchat.sanitize import neutralize
from parrotchat.ui.app_part import AppPart
from parrotchat.ui.conversation_list import ConversationSidebar, short_title
from parrotchat.ui.history import HistoryRefused

if TYPE_CHECKING:
    from textual.timer import Timer

__all__ = ["UNDO_SECONDS", "DeletedConversation", "StoredConversations"]

UNDO_SECONDS = 8.0
"""How long Ctrl+Z can bring back a deleted conversation (it stays in the trash anyway)."""


@dataclass(frozen=True)
class DeletedConversation:
    """A conversation just moved to the trash, that Ctrl+Z can still bring back."""

    conversation_id: int
    title: str
    on_screen: bool
    """It was the conversation on screen (undo reopens it if nothing replaced it)."""


class StoredConversations(AppPart):
    """Open, rename and delete (and undelete) the conversations in the history.

    A part of `ParrotChatApp` (see `AppPart`).
    """

    _deleted: DeletedConversation | None = None
    """The conversation Ctrl+Z can bring back, if any."""
    _undo_timer: Timer | None = None
    """Forgets `_deleted` when the undo time is up."""

    @property
    def can_undo_delete(self) -> bool:
        """True while Ctrl+Z can bring back a deleted conversation."""
        return self._deleted is not None

    async def _show_stored(self, record: ConversationRecord, messages: list[Message]) -> None:
        """Head the screen with the record's title, mark it in the Chats view, show `messages`."""
        self._show_title(record.title)
        self.chats.current = record.id
        await self.chat_log.show_messages(messages)

    @work(exclusive=True, group="open-conversation", exit_on_error=False)
    async def open_conversation(self, conversation_id: int) -> None:
        """Show a stored conversation with its model and system prompt; nothing is sent.

        A reply still streaming is stopped once the conversation is loaded, its partial answer
        saved as Esc saves it; if the load fails, it streams on. The next prompt carries the
        opened conversation on, in the history too.
        """
        try:
            await self._open_conversation(conversation_id)
        except Exception as error:  # a bug: one sentence and the log, never a traceback
            message = self.error_log.record(error, "opening a conversation")
            self.notify(message, severity="error", markup=False)

    async def _open_conversation(self, conversation_id: int) -> None:
        try:
            loaded = await self.history.load(conversation_id)
        except HistoryRefused as error:
            self.notify(str(error), severity="warning", markup=False)
            self.chats.refresh_list()
            return
        if loaded is None:
            self.notify("History is unavailable, so nothing can be opened.", severity="warning")
            return
        record, messages = loaded
        self._end_reply()  # no await from here to the new conversation: nothing slips in
        self._restore_model(record)
        self.conversation = Conversation(record.system_prompt, list(messages))
        self.history.conversation_id = record.id
        await self._show_stored(record, messages)
        self._back_to_prompt()

    def _restore_model(self, record: ConversationRecord) -> None:
        """Go back to the conversation's provider and model, if that provider is still set up."""
        provider, model = record.provider, record.model
        if not provider or not model:
            return
        if provider not in self.settings.providers:
            self.notify(
                f"This conversation used {neutralize(provider)}, which is no longer configured;"
                f" it goes on with {neutralize(self.provider)} · {neutralize(self.model)}.",
                severity="warning",
                markup=False,
            )
            return
        if (provider, model) != (self.provider, self.model):
            self.provider, self.model = provider, model
            self.sidebar.set_current(provider, model)

    async def action_rename_conversation(self) -> None:
        """Give the conversation on screen a new title (in a dialog)."""
        record = await self._stored_conversation("rename")
        if record is not None:
            self.chats.rename(record.id, record.title)

    async def action_delete_conversation(self) -> None:
        """Move the conversation on screen to the trash, after asking."""
        record = await self._stored_conversation("delete")
        if record is not None:
            self.chats.delete(record.id, record.title)

    async def _stored_conversation(self, verb: str) -> ConversationRecord | None:
        """The record of the conversation on screen, or None (and a notice saying why)."""
        conversation_id = self.history.conversation_id
        if conversation_id is None:
            why = (
                "this conversation is not saved yet: send a prompt first"
                if self.history.available
                else "history is unavailable"
            )
            self.notify(f"Nothing to {verb}: {why}.", severity="warning", markup=False)
            return None
        try:
            return await self.history.ask(Store.get_conversation, conversation_id)
        except HistoryRefused as error:
            self.notify(str(error), severity="warning", markup=False)
            return None

    async def action_undo_delete(self) -> None:
        """Ctrl+Z: bring back the conversation just deleted."""
        deleted = self._deleted
        if deleted is None:
            return
        self._forget_deleted()
        try:
            await self.history.ask(Store.restore, deleted.conversation_id)
        except HistoryRefused as error:
            self.notify(str(error), severity="warning", markup=False)
            return
        self.notify(f"Restored “{short_title(deleted.title)}”.", markup=False)
        self.chats.refresh_list()
        nothing_else = self.history.conversation_id is None and not self.conversation.messages
        if deleted.on_screen and nothing_else:
            self.open_conversation(deleted.conversation_id)

    def _forget_deleted(self) -> None:
        self._deleted = None
        if self._undo_timer is not None:
            self._undo_timer.stop()
            self._undo_timer = None
        self.refresh_bindings()

    @on(ConversationSidebar.Opened)
    def _conversation_chosen(self, event: ConversationSidebar.Opened) -> None:
        event.stop()
        self.open_conversation(event.conversation_id)

    @on(ConversationSidebar.Renamed)
    def _conversation_renamed(self, event: ConversationSidebar.Renamed) -> None:
        event.stop()
        if event.conversation_id == self.history.conversation_id:
            self._show_title(event.title)

    @on(ConversationSidebar.Deleted)
    async def _conversation_deleted(self, event: ConversationSidebar.Deleted) -> None:
        event.stop()
        on_screen = event.conversation_id == self.history.conversation_id
        self._forget_deleted()
        self._deleted = DeletedConversation(event.conversation_id, event.title, on_screen)
        self._undo_timer = self.set_timer(UNDO_SECONDS, self._forget_deleted)
        self.refresh_bindings()
        self.notify(
            f"Deleted “{short_title(event.title)}” · Ctrl+Z to undo",
            timeout=UNDO_SECONDS,
            markup=False,
        )
        if on_screen:
            await self._start_new_conversation()
