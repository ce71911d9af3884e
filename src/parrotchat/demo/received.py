"""What the parrot says it received: the files and images attached to the last prompt.

It reads the request as any provider would: `File: path` blocks in the text (see
`parrotchat.core.attachments.text_block`), and `image_url` parts with data URLs, whose sizes
it reads from the image headers. So attaching works, and can be seen working, offline.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from parrotchat.core.attachments import format_size, image_size

__all__ = ["describe_received", "without_files"]

_FILE_BLOCK = re.compile(
    r"^File: (?P<path>[^\n]+)\n(?P<fence>`{3,})[^\n]*\n(?P<body>.*?)^(?P=fence)$", re.M | re.S
)
_IMAGE_LINE = re.compile(r"^Image: (?P<path>[^\n]+)$", re.M)


def _parts(message: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The text of a message and the data URLs of its images."""
    content = message.get("content")
    if isinstance(content, str):
        return content, []
    texts: list[str] = []
    urls: list[str] = []
    for part in content if isinstance(content, list) else []:
        if not isinstance(part, Mapping):
            continue
        if part.get("type") == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        image = part.get("image_url")
        if part.get("type") == "image_url" and isinstance(image, Mapping):
            url = image.get("url")
            if isinstance(url, str):
                urls.append(url)
    return "\n\n".join(texts), urls


def _image_bytes(url: str) -> bytes | None:
    head, _, data = url.partition(",")
    if not head.startswith("data:") or not head.endswith(";base64"):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def describe_received(message: Mapping[str, Any]) -> str | None:
    """One Markdown paragraph listing what was attached to `message`; None if nothing was."""
    text, urls = _parts(message)
    items = []
    for match in _FILE_BLOCK.finditer(text):
        body = match.group("body")
        lines = body.count("\n")
        size = len(body.encode("utf-8"))
        noun = "line" if lines == 1 else "lines"
        items.append(f"`{match.group('path')}` ({format_size(size)}, {lines} {noun})")
    names = [m.group("path") for m in _IMAGE_LINE.finditer(text)]
    for index, url in enumerate(urls):
        name = names[index] if index < len(names) else f"image {index + 1}"
        data = _image_bytes(url)
        if data is None:
            items.append(f"`{name}` (an image I could not read)")
            continue
        size = image_size(data)
        shape = f"{size[0]}×{size[1]} image, " if size else "image, "
        items.append(f"`{name}` ({shape}{format_size(len(data))})")
    if not items:
        return None
    count = f"{len(items)} file{'s' if len(items) != 1 else ''}"
    return f"Squawk! I received {count}: " + ", ".join(items) + "."


def without_files(text: str) -> str:
    """The prompt's own words: attached file blocks and image lines left out."""
    return _IMAGE_LINE.sub("", _FILE_BLOCK.sub("", text)).strip()
