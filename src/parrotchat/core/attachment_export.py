"""Attached files in exports: complete in JSON (base64 bytes), by name in Markdown."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from parrotchat.core.attachments import Attachment, format_size

__all__ = ["attachments_from_list", "attachments_to_list", "attachments_to_markdown"]


def attachments_to_list(attachments: Sequence[Attachment]) -> list[dict[str, Any]]:
    """Every attachment with its bytes, JSON-ready (the order is kept)."""
    return [
        {
            "name": a.name,
            "path": a.path,
            "size": a.size,
            "kind": a.kind,
            "mime": a.mime,
            "sha256": a.sha256,
            "content_base64": base64.b64encode(a.data).decode("ascii"),
        }
        for a in attachments
    ]


def attachments_from_list(
    data: Any, where: str, invalid: Callable[[str], Exception]
) -> list[Attachment]:
    """The attachments `attachments_to_list` wrote; `invalid(sentence)` for a malformed one.

    The bytes must match the recorded sha256 and size: an edited export is refused rather than
    stored under a digest that lies.
    """
    if data is None:
        return []
    if not isinstance(data, list):
        raise invalid(f"The export is malformed: {where}'s 'attachments' is not a list.")
    out = []
    for number, item in enumerate(data, 1):
        here = f"{where}, attachment {number}"
        if not isinstance(item, dict):
            raise invalid(f"The export is malformed: {here} is not an object.")
        texts = {}
        for key in ("name", "path", "kind", "mime", "sha256", "content_base64"):
            value = item.get(key)
            if not isinstance(value, str):
                raise invalid(f"The export is malformed: {here}'s {key!r} is not text.")
            texts[key] = value
        if texts["kind"] not in ("text", "image"):
            raise invalid(
                f"The export is malformed: {here} has the unknown kind {texts['kind']!r}."
            )
        try:
            content = base64.b64decode(texts["content_base64"], validate=True)
        except (binascii.Error, ValueError) as error:
            raise invalid(f"The export is malformed: {here}'s content is not base64.") from error
        if hashlib.sha256(content).hexdigest() != texts["sha256"] or item.get("size") != len(
            content
        ):
            raise invalid(f"The export is damaged: {here}'s content does not match its sha256.")
        out.append(
            Attachment(
                texts["name"],
                texts["path"],
                len(content),
                texts["kind"],  # type: ignore[arg-type]
                texts["mime"],
                texts["sha256"],
                content,
            )
        )
    return out


def attachments_to_markdown(attachments: Sequence[Attachment]) -> list[str]:
    """Lines naming each attached file, for the Markdown export (contents left out)."""
    if not attachments:
        return []
    names = ", ".join(f"`{a.path}` ({format_size(a.size)})" for a in attachments)
    return [f"Attached: {names}", ""]
