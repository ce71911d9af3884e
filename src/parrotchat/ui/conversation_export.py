"""The app's "Export conversation" action: the conversation on screen to a new Markdown or
JSON file, and a notice saying where it went.

`ConversationExport` is a part of `ParrotChatApp`: the app inherits `action_export`.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from parrotchat.core.conversation import Message, Role
from parrotchat.core.export import export_text
from parrotchat.core.export_file import export_file_name, write_new_file
from parrotchat.core.records import ConversationRecord, make_title
from parrotchat.sanitize import neutralize
from parrotchat.ui.app_part import AppPart
from parrotchat.ui.conversation_list import short_title
from parrotchat.ui.history import HistoryRefused

__all__ = ["ConversationExport", "ExportFormat"]

ExportFormat = Literal["markdown", "json"]


class ConversationExport(AppPart):
    """Write the conversation on screen to a file.

    A part of `ParrotChatApp` (see `AppPart`).
    """

    async def action_export(self, kind: ExportFormat) -> None:
        """Write the conversation on screen to a new file (Markdown or JSON) and say where."""
        loaded = await self._conversation_to_export()
        if loaded is None:
            return
        record, messages = loaded
        text = export_text(record, messages, kind)
        suffix = ".md" if kind == "markdown" else ".json"
        folder = self.export_dir
        name = export_file_name(record.title, suffix)
        try:
            path = await asyncio.to_thread(write_new_file, folder, name, text)
        except OSError as error:
            reason = neutralize(error.strerror or str(error))
            self.notify(
                f"Could not write the export to {neutralize(str(folder))} ({reason}); "
                "check that the folder is writable.",
                severity="error",
                markup=False,
            )
            return
        self.notify(
            f"Exported “{short_title(record.title)}” to {neutralize(str(path))}",
            timeout=10,
            markup=False,
        )

    async def _conversation_to_export(self) -> tuple[ConversationRecord, list[Message]] | None:
        """The stored conversation on screen; or, unsaved (no history), the one in memory."""
        conversation_id = self.history.conversation_id
        if conversation_id is not None:
            try:
                loaded = await self.history.load(conversation_id)
            except HistoryRefused as error:
                self.notify(str(error), severity="warning", markup=False)
                return None
            if loaded is not None:
                return loaded
        messages = list(self.conversation.messages)
        if not messages:
            self.notify("Nothing to export yet: send a prompt first.", markup=False)
            return None
        first = next((m.content for m in messages if m.role is Role.USER), "")
        record = ConversationRecord(
            id=0,
            title=make_title(first),
            created=messages[0].created,
            updated=messages[-1].created,
            system_prompt=self.conversation.system_prompt,
            model=self.model,
            provider=self.provider,
        )
        return record, messages
