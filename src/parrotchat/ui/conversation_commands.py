"""The app's conversation commands in the command palette (beside Textual's own)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from parrotchat.ui.key_names import app_keymap, key_label

if TYPE_CHECKING:
    from parrotchat.ui.app import ParrotChatApp

__all__ = ["conversation_commands"]


def conversation_commands(app: ParrotChatApp) -> Iterator[SystemCommand]:
    """New, show, rename, delete and export conversations: the palette's commands for `app`."""
    keymap = app_keymap(app)
    yield SystemCommand(
        "New conversation",
        f"Start an empty chat ({key_label('new_conversation', keymap)})",
        app.action_new_conversation,
    )
    yield SystemCommand(
        "Show conversations",
        f"Open the saved chats and search them ({key_label('show_chats', keymap)})",
        app.action_show_chats,
    )
    yield SystemCommand(
        "Rename conversation",
        "Give the conversation on screen a new title",
        app.action_rename_conversation,
    )
    yield SystemCommand(
        "Delete conversation",
        "Move the conversation on screen to the trash",
        app.action_delete_conversation,
    )
    yield SystemCommand(
        "Compare models…",
        "Send the next prompt to 2 to 4 models at once: mark them with Space, then Enter",
        app.action_compare_models,
    )
    yield SystemCommand(
        "Attach a file",
        f"Attach a file or image to the prompt ({key_label('attach_file', keymap)}, or @)",
        app.action_attach_file,
    )
    for kind, label in (("markdown", "Markdown"), ("json", "JSON")):
        yield SystemCommand(
            f"Export conversation as {label}",
            f"Write the conversation on screen to a {label} file",
            partial(app.action_export, kind),
        )
