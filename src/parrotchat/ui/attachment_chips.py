"""Chips for attached files: above the prompt (focusable, removable) and on sent messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import HorizontalGroup
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from parrotchat.core.attachments import Attachment, format_size, image_size
from parrotchat.sanitize import neutralize

__all__ = ["AttachmentChip", "AttachmentTray", "MessageChips"]


def _label(attachment: Attachment, removable: bool) -> Content:
    """`notes.md · 4 lines · 61 B`, `parrot.png · 640×480 · 33 B`; a × on a removable chip."""
    parts = [neutralize(attachment.name)]
    if attachment.kind == "image":
        size = image_size(attachment.data)
        parts.append(f"{size[0]}×{size[1]}" if size else "image")
    else:
        data = attachment.data
        lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        parts.append(f"{lines} line{'s' if lines != 1 else ''}")
    parts.append(format_size(attachment.size))
    return Content(" · ".join(parts) + (" ×" if removable else ""))


class AttachmentChip(Static):
    """One attached file: its name and size. Backspace or Delete removes it (when removable)."""

    DEFAULT_CSS = """
    AttachmentChip {
        width: auto;
        height: 1;
        padding: 0 1;
        margin: 0 1 0 0;
        background: $boost;
        color: $text;
        &:focus { background: $accent; color: $text; text-style: bold; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("backspace,delete", "remove_chip", "Remove file", id="remove_attachment"),
    ]

    @dataclass
    class Removed(Message):
        """The user asked to take this file off the prompt."""

        chip: AttachmentChip

    def __init__(self, attachment: Attachment, *, removable: bool) -> None:
        super().__init__(_label(attachment, removable))
        self.attachment: Attachment = attachment
        self.can_focus = removable
        self.tooltip = attachment.path

    def action_remove_chip(self) -> None:
        self.post_message(self.Removed(self))


class AttachmentTray(HorizontalGroup):
    """The files attached to the prompt being written, as chips; hidden while there are none."""

    DEFAULT_CSS = """
    AttachmentTray {
        height: auto;
        margin: 0 2;
        display: none;
        &.-has-files { display: block; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.attachments: list[Attachment] = []
        """The files attached, in order."""

    async def add(self, attachment: Attachment) -> bool:
        """Attach a file; False if a file with the same path is attached already."""
        if any(a.path == attachment.path for a in self.attachments):
            return False
        self.attachments.append(attachment)
        await self.mount(AttachmentChip(attachment, removable=True))
        self.set_class(True, "-has-files")
        return True

    async def remove_chip(self, chip: AttachmentChip) -> None:
        """Take one file off; the focus moves to the next chip (or the one before)."""
        chips = list(self.query_children(AttachmentChip))
        index = chips.index(chip)
        self.attachments.remove(chip.attachment)
        await chip.remove()
        rest = chips[:index] + chips[index + 1 :]
        if rest:
            rest[min(index, len(rest) - 1)].focus()
        self.set_class(bool(self.attachments), "-has-files")

    async def clear(self) -> None:
        """Take every file off (the prompt was sent)."""
        self.attachments = []
        await self.remove_children()
        self.set_class(False, "-has-files")


class MessageChips(HorizontalGroup):
    """The files a sent prompt carried, on its message (not removable)."""

    DEFAULT_CSS = """
    MessageChips { height: auto; margin: 0 0 0 0; }
    """

    def __init__(self, attachments: Sequence[Attachment]) -> None:
        super().__init__(*(AttachmentChip(a, removable=False) for a in attachments))
