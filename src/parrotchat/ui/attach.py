"""The chat screen's side of attaching files: the picker, the chips, and sending them.

`Attacher` is a plain object the app holds and hands these events to. `@` (at the start of the
prompt or after a space),
Ctrl+A and the palette open the `FilePicker`; a picked file is read and checked at once (one
sentence if it cannot go) and shows as a chip above the prompt. A pasted path that names a file
offers Ctrl+A to attach it. On send every file is read and checked again: if one went missing
or changed past a limit, the sentence says so and the prompt keeps its text and chips.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING

from parrotchat.core.attachments import (
    Attachment,
    AttachmentError,
    AttachmentLimits,
    check_total,
    read_attachment,
    read_attachments,
)
from parrotchat.core.session import ProviderMissing
from parrotchat.sanitize import neutralize
from parrotchat.ui.attachment_chips import AttachmentChip, AttachmentTray
from parrotchat.ui.file_picker import FilePicker
from parrotchat.ui.prompt_input import PromptInput

if TYPE_CHECKING:
    from parrotchat.ui.app import ParrotChatApp

__all__ = ["Attacher", "pasted_file"]

PASTE_PATH_LIMIT = 4096
"""Longer pasted text is never taken for a path."""


def pasted_file(text: str, base: Path) -> Path | None:
    """The existing file a pasted text names (quotes and `~` allowed), or None."""
    candidate = text.strip()
    if not candidate or "\n" in candidate or len(candidate) > PASTE_PATH_LIMIT:
        return None
    if len(candidate) >= 2 and candidate[0] == candidate[-1] and candidate[0] in "'\"":
        candidate = candidate[1:-1]
    if candidate.startswith("file://"):
        candidate = candidate.removeprefix("file://")
    path = Path(os.path.expanduser(candidate))
    path = path if path.is_absolute() else base / path
    try:
        return path if path.is_file() else None
    except (OSError, ValueError):
        return None


class Attacher:
    """Attaching files to the prompt of `app`: the picker, the chips, and sending them."""

    def __init__(self, app: ParrotChatApp, root: Path) -> None:
        """
        Args:
            app: The chat screen whose prompt and chips these are.
            root: The folder the picker offers and attached paths are relative to.
        """
        self.app = app
        self.attach_root: Path = root
        """The folder the picker offers and attached paths are relative to (the working one)."""
        self._offered: tuple[Path, str] | None = None
        """A pasted file offered for Ctrl+A, and the text that was pasted."""

    @property
    def tray(self) -> AttachmentTray:
        """The chips of the files attached to the prompt."""
        return self.app.query_one("#attachments", AttachmentTray)

    @property
    def attachment_limits(self) -> AttachmentLimits:
        return self.app.settings.attachments

    # --- opening the picker -----------------------------------------------------------------

    def attach_file(self) -> None:
        """Ctrl+A: attach the file just pasted, if one was offered; else open the picker."""
        app = self.app
        offered, self._offered = self._offered, None
        if offered is not None and offered[1] in app.prompt.text:
            path, pasted = offered
            text = app.prompt.text
            app.prompt.load_text(text.replace(pasted, "", 1))
            app.prompt.move_cursor(app.prompt.document.end)
            app.run_worker(self.attach_path(path), group="attach")
            return
        self.open_file_picker()

    def open_file_picker(self, *, after_at: bool = False) -> None:
        """Show the picker; a picked file is attached. After a typed `@`, picking removes it
        (Esc leaves it, as typed)."""
        app = self.app

        def picked(path: str | None) -> None:
            if path is None:
                app.prompt.focus()
                return
            if after_at:
                _remove_at(app.prompt)
            app.run_worker(self.attach_path(self.attach_root / path), group="attach")

        app.push_screen(FilePicker(self.attach_root), picked)

    def pasted(self, text: str) -> None:
        """Text was pasted into the prompt: if it names a file, offer Ctrl+A to attach it."""
        path = pasted_file(text, self.attach_root)
        if path is None:
            return
        self._offered = (path, text)
        self.app.notify(
            f"{neutralize(path.name)} is a file: press Ctrl+A to attach it.",
            timeout=10,
            markup=False,
        )

    # --- chips ------------------------------------------------------------------------------

    async def attach_path(self, path: Path) -> Attachment | None:
        """Read and check `path` and show its chip; a sentence (and None) if it cannot go."""
        app = self.app
        limits = self.attachment_limits
        tray = self.tray
        try:
            attachment = await asyncio.to_thread(read_attachment, path, self.attach_root, limits)
            if any(a.path == attachment.path for a in tray.attachments):
                app.notify(f"{neutralize(attachment.path)} is attached already.", markup=False)
                app.prompt.focus()
                return None
            check_total([*tray.attachments, attachment], limits)
        except AttachmentError as error:
            app.notify(neutralize(str(error)), severity="error", timeout=10, markup=False)
            app.prompt.focus()
            return None
        await tray.add(attachment)
        app.prompt.has_attachments = True
        app.prompt.focus()
        return attachment

    async def remove(self, chip: AttachmentChip) -> None:
        """Take a chip off the prompt (Backspace or Delete on it)."""
        tray = self.tray
        if chip.parent is not tray:
            return
        await tray.remove_chip(chip)
        self.app.prompt.has_attachments = bool(tray.attachments)
        if not tray.attachments:
            self.app.prompt.focus()

    # --- sending ----------------------------------------------------------------------------

    async def send(self, text: str) -> None:
        """Send `text` with the attached files, each read and checked again first; on a
        problem, one sentence, and the prompt keeps its text and chips."""
        app = self.app
        attached = self.tray.attachments
        if not attached:
            await app.send(text)
            return
        paths = [self.attach_root / a.path for a in attached]
        try:
            fresh = await asyncio.to_thread(
                read_attachments, paths, self.attach_root, self.attachment_limits
            )
        except AttachmentError as error:
            app.notify(neutralize(str(error)), severity="error", timeout=10, markup=False)
            if not app.prompt.text:
                app.prompt.load_text(text)
                app.prompt.move_cursor(app.prompt.document.end)
            return
        try:
            await app.session.send(text, fresh)
        except ProviderMissing as missing:
            app.refused(missing, text)  # the chips stay for the next try
            return
        await self.tray.clear()
        app.prompt.has_attachments = False


def _remove_at(prompt: PromptInput) -> None:
    """Remove the `@` just before the cursor (the one that opened the picker)."""
    row, column = prompt.cursor_location
    if column and prompt.document.get_line(row)[column - 1] == "@":
        prompt.delete((row, column - 1), (row, column))
