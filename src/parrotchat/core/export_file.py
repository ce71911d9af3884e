"""Where an exported conversation goes: a new file, named after its title, never overwriting."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from parrotchat.core.export import export_text

if TYPE_CHECKING:
    from parrotchat.core.conversation import Message
    from parrotchat.core.records import ConversationRecord

__all__ = ["ExportFormat", "export_conversation", "export_file_name", "write_new_file"]

ExportFormat = Literal["markdown", "json"]

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
SLUG_LENGTH = 40
"""The longest title part of a file name, in characters."""


def export_conversation(
    record: ConversationRecord,
    messages: list[Message],
    kind: ExportFormat,
    folder: Path,
    active: int | None = None,
) -> Path:
    """Write a conversation to a new Markdown or JSON file in `folder`, named after its title
    (`export_text` says what `messages` and `active` are).

    Raises:
        OSError: The folder cannot be created or written.
    """
    suffix = ".md" if kind == "markdown" else ".json"
    text = export_text(record, messages, kind, active=active)
    return write_new_file(folder, export_file_name(record.title, suffix), text)


def export_file_name(title: str, suffix: str) -> str:
    """A portable file name from a title: ASCII letters, digits and dashes.

    `export_file_name("Explain monads, please!", ".md")  # 'parrotchat-explain-monads-please.md'`
    """
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_title.lower()).strip("-")[:SLUG_LENGTH].rstrip("-")
    return f"parrotchat-{slug}{suffix}" if slug else f"parrotchat-conversation{suffix}"


def write_new_file(folder: Path, name: str, text: str) -> Path:
    """Write `text` to `folder/name`, or to `name-2`, `name-3`... if taken; returns the path.

    The folder is created if missing. An existing file is never overwritten: each name is
    claimed with an exclusive create, so two processes exporting at once cannot collide.

    Raises:
        OSError: The folder cannot be created or written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    number = 1
    while True:
        candidate = name if number == 1 else f"{stem}-{number}{dot}{suffix}"
        path = folder / candidate
        try:
            file = path.open("x", encoding="utf-8", newline="\n")
        except FileExistsError:
            number += 1
            continue
        try:
            with file:
                file.write(text)
        except OSError:
            path.unlink(missing_ok=True)  # no half-written export left behind (disk full)
            raise
        return path
