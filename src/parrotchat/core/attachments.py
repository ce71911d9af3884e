"""Files attached to a prompt: read and checked, then sent inside the user message.

A text file (UTF-8) goes into the message's text as a fenced block headed by its relative path;
an image (PNG, JPEG, GIF or WebP, known by its first bytes, not its name) goes as an OpenAI
`image_url` content part holding a data URL, so the message's `content` becomes a list of parts,
the text part first. Every refusal is an `AttachmentError` whose text is one sentence for the
user; nothing here touches the UI or the network.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "DEFAULT_MAX_FILE_KB",
    "DEFAULT_MAX_MESSAGE_KB",
    "IMAGE_MIMES",
    "Attachment",
    "AttachmentError",
    "AttachmentLimits",
    "check_total",
    "fence_for",
    "format_size",
    "image_size",
    "join_contents",
    "read_attachment",
    "read_attachments",
    "relative_name",
    "request_content",
    "sniff_image",
    "text_block",
]

DEFAULT_MAX_FILE_KB = 512
"""The largest file attached, in KB (`[attachments] max_file_kb`)."""
DEFAULT_MAX_MESSAGE_KB = 2048
"""The most attached to one message, in KB, every file counted raw (`max_message_kb`)."""

Kind = Literal["text", "image"]
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp")
"""The image types sent as `image_url` parts (the ones vision models take)."""


class AttachmentError(ValueError):
    """A file cannot be attached; `str(error)` is one sentence saying why and what to do."""


@dataclass(frozen=True, slots=True)
class AttachmentLimits:
    """How much can be attached, in bytes. `AttachmentLimits(max_file=1024)`"""

    max_file: int = DEFAULT_MAX_FILE_KB * 1024
    max_message: int = DEFAULT_MAX_MESSAGE_KB * 1024


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attached file, its bytes included (stored once by its sha256 in the history)."""

    name: str
    """The file's name, e.g. `notes.md`."""
    path: str
    """The path shown and sent: relative to the folder parrotchat runs in when inside it."""
    size: int
    kind: Kind
    mime: str
    sha256: str
    data: bytes = field(repr=False)

    @classmethod
    def from_bytes(cls, path: str, data: bytes, kind: Kind, mime: str) -> Attachment:
        """An attachment of `data`, its size and digest computed."""
        name = path.replace("\\", "/").rsplit("/", 1)[-1] or path
        digest = hashlib.sha256(data).hexdigest()
        return cls(name, path, len(data), kind, mime, digest, data)

    @property
    def text(self) -> str:
        """A text file's content (the bytes were checked to be UTF-8)."""
        return self.data.decode("utf-8")

    @property
    def data_url(self) -> str:
        """The file as a `data:` URL (for an image's `image_url` part)."""
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"

    def describe(self) -> str:
        """`notes.md · 1.2 KB` — what a chip shows."""
        return f"{self.name} · {format_size(self.size)}"


def format_size(size: int) -> str:
    """A byte count for people. `format_size(1536)  # '1.5 KB'`"""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


# --- images -----------------------------------------------------------------------------------


def sniff_image(data: bytes) -> str | None:
    """The MIME type of a PNG, JPEG, GIF or WebP image from its first bytes; None otherwise."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """An image's width and height read from its header (no decoding); None if unknown."""
    try:
        mime = sniff_image(data)
        if mime == "image/png" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if mime == "image/gif":
            return struct.unpack("<HH", data[6:10])
        if mime == "image/webp":
            return _webp_size(data)
        if mime == "image/jpeg":
            return _jpeg_size(data)
    except struct.error:
        return None
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the JPEG segments to the first start-of-frame marker."""
    offset = 2
    while offset + 9 < len(data):
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            offset += 2
            continue
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return width, height
        offset += 2 + length
    return None


# --- reading ----------------------------------------------------------------------------------


def relative_name(path: Path, base: Path) -> str:
    """`path` as shown and sent: relative to `base` when inside it, else as an absolute path."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path(os.path.abspath(base))).as_posix()
    except ValueError:
        return str(absolute)


def read_attachment(path: Path, base: Path, limits: AttachmentLimits) -> Attachment:
    """Read and check one file; raises AttachmentError with a sentence for the user."""
    shown = relative_name(path, base)
    try:
        if not path.exists():
            raise AttachmentError(f"{shown} no longer exists; remove it or attach it again.")
        if not path.is_file():
            raise AttachmentError(f"{shown} is not a file; attach a file, not a folder.")
        with path.open("rb") as file:
            data = file.read(limits.max_file + 1)
    except OSError as error:
        reason = error.strerror or str(error)
        raise AttachmentError(
            f"{shown} cannot be read ({reason}); check its permissions."
        ) from error
    if len(data) > limits.max_file:
        raise AttachmentError(
            f"{shown} is larger than the {format_size(limits.max_file)} limit per file"
            " (max_file_kb in the [attachments] config table)."
        )
    mime = sniff_image(data)
    if mime is not None:
        return Attachment.from_bytes(shown, data, "image", mime)
    if _looks_binary(data):
        raise AttachmentError(
            f"{shown} is a binary file; only text files and PNG, JPEG, GIF or WebP images"
            " can be attached."
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AttachmentError(
            f"{shown} is not UTF-8 text; convert it to UTF-8 to attach it."
        ) from error
    return Attachment.from_bytes(shown, data, "text", _text_mime(shown))


def _looks_binary(data: bytes) -> bool:
    """A NUL byte, or many control bytes, in the first 8 KB: not a text file."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13, 27))
    return bool(head) and controls / len(head) > 0.1


def _text_mime(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {"md": "text/markdown", "json": "application/json", "csv": "text/csv"}.get(
        suffix, "text/plain"
    )


def check_total(attachments: Sequence[Attachment], limits: AttachmentLimits) -> None:
    """Refuse a message whose files together pass `limits.max_message`."""
    total = sum(a.size for a in attachments)
    if total > limits.max_message:
        raise AttachmentError(
            f"The attached files come to {format_size(total)}, over the"
            f" {format_size(limits.max_message)} limit per message"
            " (max_message_kb in the [attachments] config table); remove some."
        )


def read_attachments(
    paths: Iterable[Path], base: Path, limits: AttachmentLimits
) -> list[Attachment]:
    """Read and check every file and their total (call it off the event loop)."""
    attachments = [read_attachment(path, base, limits) for path in paths]
    check_total(attachments, limits)
    return attachments


# --- what is sent -----------------------------------------------------------------------------

_BACKTICKS = re.compile(r"`{3,}")


def fence_for(text: str) -> str:
    """A backtick fence longer than any run of three or more backticks inside `text`."""
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(text)), default=2)
    return "`" * (longest + 1)


def text_block(attachment: Attachment) -> str:
    """A text file as sent: `File: path` then its content in a fence it cannot close."""
    text = attachment.text
    fence = fence_for(text)
    suffix = attachment.name.rsplit(".", 1)[-1] if "." in attachment.name else ""
    language = suffix if suffix.isalnum() else ""
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"File: {attachment.path}\n{fence}{language}\n{body}{fence}"


def request_content(text: str, attachments: Sequence[Attachment]) -> str | list[dict[str, Any]]:
    """A user message's `content`: its text with the text files' blocks, then the images.

    Plain text when no image is attached; else a list of parts, the text part first (the
    images named there, so the model can refer to them), then one `image_url` part per image.
    """
    pieces = [text] if text else []
    pieces += [text_block(a) for a in attachments if a.kind == "text"]
    images = [a for a in attachments if a.kind == "image"]
    pieces += [f"Image: {a.path}" for a in images]
    joined = "\n\n".join(pieces)
    if not images:
        return joined
    parts: list[dict[str, Any]] = [{"type": "text", "text": joined}]
    parts += [{"type": "image_url", "image_url": {"url": a.data_url}} for a in images]
    return parts


def join_contents(
    first: str | list[dict[str, Any]], second: str | list[dict[str, Any]]
) -> str | list[dict[str, Any]]:
    """Two user turns' contents as one turn (the first got no answer at all)."""
    if isinstance(first, str) and isinstance(second, str):
        return first + "\n\n" + second

    def parts(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"type": "text", "text": content}] if isinstance(content, str) else content

    return parts(first) + parts(second)
