"""`AppPart`, the base of the app's parts: what `ParrotChatApp` gives the mixins it is made of.

A part is an `App` subclass, not a plain mixin, because Textual collects `@on` handlers per
class through `App`'s metaclass: a plain mixin's handlers would never run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App

if TYPE_CHECKING:
    from pathlib import Path

    from textual.widgets import TabbedContent

    from parrotchat.config import Settings
    from parrotchat.core.conversation import Conversation
    from parrotchat.ui.chat_log import ChatLog
    from parrotchat.ui.conversation_list import ConversationSidebar
    from parrotchat.ui.error_log import ErrorLog
    from parrotchat.ui.history import ChatHistory
    from parrotchat.ui.model_sidebar import ModelSidebar
    from parrotchat.ui.prompt_input import PromptInput

__all__ = ["AppPart"]


class AppPart(App[None]):
    """A part of `ParrotChatApp`; the app or another part defines what is declared here."""

    if TYPE_CHECKING:
        settings: Settings
        state_dir: Path
        export_dir: Path
        error_log: ErrorLog
        history: ChatHistory
        conversation: Conversation
        provider: str
        model: str
        show_sidebar: bool
        narrow: bool

        @property
        def chat_log(self) -> ChatLog: ...
        @property
        def prompt(self) -> PromptInput: ...
        @property
        def sidebar(self) -> ModelSidebar: ...
        @property
        def chats(self) -> ConversationSidebar: ...
        @property
        def sidebar_tabs(self) -> TabbedContent: ...
        def _show_title(self, title: str | None) -> None: ...
        def _end_reply(self) -> None: ...
        async def _start_new_conversation(self) -> None: ...
        def _back_to_prompt(self) -> None: ...
