"""The message cursor's commands in the command palette: focus the newest message; copy the
focused message or one of its code blocks. The keys themselves live with the widgets that own
them (`PromptInput` Alt+Up, `ChatLog` Up/Down, c, 1-9)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial

from textual.app import SystemCommand
from textual.screen import Screen

from parrotchat.core.code_blocks import code_blocks
from parrotchat.ui.chat_log import ChatLog
from parrotchat.ui.clipboard import counted

__all__ = ["message_commands"]

_LANGUAGE = re.compile(r"[^\w+#.-]")
"""What a language name may not hold in the palette (it comes from the model's text)."""


def message_commands(
    screen: Screen[object], key_of: Callable[[str, str], str]
) -> Iterator[SystemCommand]:
    """The palette's message commands on `screen`; `key_of(binding_id, default)` names the key
    bound now (after the keymap)."""
    chat_log = next(iter(screen.query(ChatLog)), None)
    if chat_log is None:
        return
    yield SystemCommand(
        "Focus the newest message",
        f"Then ↑/↓ move, c copies, 1-9 copy its code blocks ({key_of('focus_messages', 'alt+up')})",
        chat_log.focus_newest,
    )
    view = chat_log.focused_view
    if view is None:
        return
    number = chat_log.message_number(view)
    yield SystemCommand(
        f"Copy message {number}",
        f"Its Markdown source, as the model wrote it ({key_of('copy_message', 'c')})",
        chat_log.action_copy_message,
    )
    for index, block in enumerate(code_blocks(view.message.content), 1):
        language = _LANGUAGE.sub("", block.language)[:20]
        language = f"{language}, " if language else ""
        key = f" ({key_of(f'copy_code_{index}', str(index))})" if index <= 9 else ""
        yield SystemCommand(
            f"Copy code block {index} of message {number}",
            f"{language}{counted(block.line_count, 'line')}{key}",
            partial(chat_log.copy_code, view, index),
        )
