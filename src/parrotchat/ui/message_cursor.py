"""The message cursor's wiring: from the prompt to the messages and back, and its palette commands.

The keys live with the widgets that own them: Alt+Up in `PromptInput` asks for the messages
(`PromptInput.MessagesWanted`), `ChatLog` moves the focus between them and copies, and says when
the reader goes back (`ChatLog.BackToPrompt`, with the key they typed). This part only joins the
two, which are siblings, and offers the same actions in the command palette.

`MessageCursorPart` is a part of `ParrotChatApp` (see `AppPart`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial

from textual import on
from textual.app import SystemCommand
from textual.screen import Screen

from parrotchat.core.code_blocks import code_blocks
from parrotchat.ui.app_part import AppPart
from parrotchat.ui.chat_log import ChatLog
from parrotchat.ui.clipboard import counted
from parrotchat.ui.keys_help import key_name
from parrotchat.ui.prompt_input import PromptInput

__all__ = ["MessageCursorPart"]

_LANGUAGE = re.compile(r"[^\w+#.-]")
"""What a language name may not hold in the palette (it comes from the model's text)."""


class MessageCursorPart(AppPart):
    """Alt+Up from the prompt to the newest message, and back; the cursor's palette commands.

    A part of `ParrotChatApp` (see `AppPart`).
    """

    @on(PromptInput.MessagesWanted)
    def _messages_wanted(self, event: PromptInput.MessagesWanted) -> None:
        event.stop()
        if not self.chat_log.focus_newest():
            self.bell()

    @on(ChatLog.BackToPrompt)
    def _back_to_prompt_from_messages(self, event: ChatLog.BackToPrompt) -> None:
        event.stop()
        prompt = self.prompt
        prompt.focus()
        if event.text:
            prompt.insert(event.text)

    def _key_of(self, binding_id: str, default: str) -> str:
        """The key bound to `binding_id` now (the keymap's, if it remaps it)."""
        keys = self._keymap.get(binding_id, default)
        return key_name(keys.split(",")[0])

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette's commands, and the message cursor's (those of the focused message too)."""
        yield from super().get_system_commands(screen)
        chat_log = next(iter(screen.query(ChatLog)), None)
        if chat_log is None:
            return
        yield SystemCommand(
            "Focus the newest message",
            f"Then ↑/↓ move, c copies, 1-9 copy its code blocks "
            f"({self._key_of('focus_messages', 'alt+up')})",
            chat_log.focus_newest,
        )
        view = chat_log.focused_view
        if view is None:
            return
        number = chat_log.message_number(view)
        yield SystemCommand(
            f"Copy message {number}",
            f"Its Markdown source, as the model wrote it ({self._key_of('copy_message', 'c')})",
            chat_log.action_copy_message,
        )
        for index, block in enumerate(code_blocks(view.message.content), 1):
            language = _LANGUAGE.sub("", block.language)[:20]
            language = f"{language}, " if language else ""
            key = f" ({self._key_of(f'copy_code_{index}', str(index))})" if index <= 9 else ""
            yield SystemCommand(
                f"Copy code block {index} of message {number}",
                f"{language}{counted(block.line_count, 'line')}{key}",
                partial(chat_log.copy_code, view, index),
            )
