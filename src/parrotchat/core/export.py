"""Conversations out of the store and back: readable Markdown, and complete versioned JSON."""

from __future__ import annotations

import dataclasses
from datetime import datetime, tzinfo
from typing import Any

from parrotchat.api.events import ToolCall, Usage
from parrotchat.core.conversation import Message, Role, Status
from parrotchat.core.records import ConversationRecord

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "InvalidExport",
    "conversation_from_json",
    "conversation_to_json",
    "conversation_to_markdown",
    "message_from_dict",
    "message_to_dict",
]

EXPORT_FORMAT = "parrotchat-conversation"
EXPORT_VERSION = 1

_ROLE_NAMES = {Role.SYSTEM: "System", Role.USER: "You", Role.ASSISTANT: "Assistant"}


class InvalidExport(ValueError):
    """The data is not a parrotchat conversation export this version can read."""


def usage_to_dict(usage: Usage | None) -> dict[str, Any] | None:
    return dataclasses.asdict(usage) if usage is not None else None


def usage_from_dict(data: dict[str, Any] | None) -> Usage | None:
    if data is None:
        return None
    fields = {f.name for f in dataclasses.fields(Usage)}
    return Usage(**{k: v for k, v in data.items() if k in fields})


def tool_calls_to_list(calls: list[ToolCall]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(call) for call in calls]


def tool_calls_from_list(data: list[dict[str, Any]] | None) -> list[ToolCall]:
    fields = {f.name for f in dataclasses.fields(ToolCall)}
    return [ToolCall(**{k: v for k, v in item.items() if k in fields}) for item in data or []]


def message_to_dict(message: Message) -> dict[str, Any]:
    """Every stored field of a message, JSON-ready."""
    return {
        "role": str(message.role),
        "content": message.content,
        "reasoning": message.reasoning,
        "tool_calls": tool_calls_to_list(message.tool_calls),
        "model": message.model,
        "provider": message.provider,
        "status": str(message.status),
        "error": message.error,
        "notice": message.notice,
        "usage": usage_to_dict(message.usage),
        "ttft": message.ttft,
        "duration": message.duration,
        "tokens": message.tokens,
        "created": message.created,
    }


def message_from_dict(data: dict[str, Any]) -> Message:
    """The message `message_to_dict` wrote; raises InvalidExport on a malformed one."""
    try:
        return Message(
            role=Role(data["role"]),
            content=str(data.get("content") or ""),
            reasoning=str(data.get("reasoning") or ""),
            tool_calls=tool_calls_from_list(data.get("tool_calls")),
            model=data.get("model"),
            provider=data.get("provider"),
            status=Status(data.get("status", "complete")),
            error=data.get("error"),
            notice=data.get("notice"),
            usage=usage_from_dict(data.get("usage")),
            ttft=data.get("ttft"),
            duration=data.get("duration"),
            tokens=int(data.get("tokens") or 0),
            created=float(data["created"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidExport(f"A message in the export is malformed ({error}).") from error


def conversation_to_json(record: ConversationRecord, messages: list[Message]) -> dict[str, Any]:
    """The whole conversation as a versioned JSON-ready dict (ids are not exported)."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "conversation": {
            "title": record.title,
            "created": record.created,
            "updated": record.updated,
            "system_prompt": record.system_prompt,
            "model": record.model,
            "provider": record.provider,
        },
        "messages": [message_to_dict(message) for message in messages],
    }


def conversation_from_json(data: Any) -> tuple[dict[str, Any], list[Message]]:
    """The conversation fields and messages of an export; raises InvalidExport otherwise."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise InvalidExport("This is not a parrotchat conversation export.")
    version = data.get("version")
    if not isinstance(version, int) or version > EXPORT_VERSION:
        raise InvalidExport(
            f"This export was written by a newer parrotchat (format {version}); "
            "upgrade parrotchat to import it."
        )
    conversation = data.get("conversation")
    messages = data.get("messages")
    if not isinstance(conversation, dict) or not isinstance(messages, list):
        raise InvalidExport("The export has no conversation or no message list.")
    if not all(isinstance(item, dict) for item in messages):
        raise InvalidExport("A message in the export is malformed.")
    try:
        fields = {
            "title": str(conversation.get("title") or ""),
            "created": float(conversation["created"]),
            "updated": float(conversation.get("updated", conversation["created"])),
            "system_prompt": conversation.get("system_prompt"),
            "model": conversation.get("model"),
            "provider": conversation.get("provider"),
        }
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidExport(f"The conversation in the export is malformed ({error}).") from error
    return fields, [message_from_dict(item) for item in messages]


def _when(timestamp: float, tz: tzinfo | None) -> str:
    return datetime.fromtimestamp(timestamp, tz).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")


def _model_name(model: str | None, provider: str | None) -> str | None:
    if model and provider:
        return f"{model} ({provider})"
    return model or provider


def conversation_to_markdown(
    record: ConversationRecord, messages: list[Message], tz: tzinfo | None = None
) -> str:
    """A readable Markdown document: title, models, times, then each turn with its status.

    Args:
        tz: The time zone for timestamps; the local one when None.
    """
    lines = [f"# {record.title or 'Untitled conversation'}", ""]
    models = dict.fromkeys(
        name for m in messages if (name := _model_name(m.model, m.provider)) is not None
    )
    lines.append(f"- Started: {_when(record.created, tz)}")
    lines.append(f"- Last activity: {_when(record.updated, tz)}")
    if models:
        lines.append(f"- Models: {', '.join(models)}")
    lines.append("")
    if record.system_prompt:
        lines += ["## System prompt", "", record.system_prompt, ""]
    for message in messages:
        heading = [_ROLE_NAMES[message.role]]
        if message.role is Role.ASSISTANT and (name := _model_name(message.model, None)):
            heading.append(name)
        heading.append(_when(message.created, tz))
        if message.status is not Status.COMPLETE:
            heading.append(str(message.status))
        lines += [f"## {' · '.join(heading)}", ""]
        if message.reasoning:
            quoted = "\n".join("> " + line for line in message.reasoning.splitlines())
            lines += ["> **Reasoning**", ">", quoted, ""]
        if message.content:
            lines += [message.content, ""]
        for call in message.tool_calls:
            lines += [f"Tool call `{call.name}`:", "", "```json", call.arguments, "```", ""]
        if message.notice:
            lines += [f"*{message.notice}*", ""]
        if message.error:
            lines += [f"**Error:** {message.error}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
