"""Conversations out of the store and back: readable Markdown, and complete versioned JSON."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from datetime import datetime, tzinfo
from typing import Any, Literal

from parrotchat.api.events import ToolCall, Usage
from parrotchat.api.numbers import MAX_COUNT, clean_usage, count_or_none, finite_or_none
from parrotchat.core.attachment_export import (
    attachments_from_list,
    attachments_to_list,
    attachments_to_markdown,
)
from parrotchat.core.conversation import Message, Role, Status, active_path
from parrotchat.core.headings import shift_headings
from parrotchat.core.records import ConversationRecord
from parrotchat.sanitize import format_controls, neutralize

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "InvalidExport",
    "conversation_from_json",
    "conversation_to_json",
    "conversation_to_markdown",
    "dump_json",
    "export_text",
    "message_from_dict",
    "message_to_dict",
]

EXPORT_FORMAT = "parrotchat-conversation"
EXPORT_VERSION = 2
"""2: a conversation is a tree (each message names its `parent` by position; `active` is
the message it is shown at). Version 1 exports, one path each, still import."""

_ROLE_NAMES = {Role.SYSTEM: "System", Role.USER: "You", Role.ASSISTANT: "Assistant"}


class InvalidExport(ValueError):
    """The data is not a parrotchat conversation export this version can read."""


def usage_to_dict(usage: Usage | None) -> dict[str, Any] | None:
    """The usage as JSON-ready fields; counts bounded and a cost that is not finite absent."""
    usage = clean_usage(usage)
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
    """Every stored field of a message, JSON-ready (attached files only when there are any)."""
    data: dict[str, Any] = {
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
        "ttft": finite_or_none(message.ttft),
        "duration": finite_or_none(message.duration),
        "tokens": count_or_none(message.tokens) or 0,
        "created": message.created,
    }
    if message.attachments:
        data["attachments"] = attachments_to_list(message.attachments)
    if message.compare is not None:
        data["compare"] = message.compare
    return data


def message_from_dict(data: dict[str, Any], where: str = "a message") -> Message:
    """The message `message_to_dict` wrote; raises InvalidExport on a malformed one.

    Args:
        where: How the error sentence names this message, e.g. "message 3".
    """
    role = _field(data, "role", "text", where, required=True)
    status = _field(data, "status", "text", where) or str(Status.COMPLETE)
    if role not in {str(r) for r in Role}:
        raise InvalidExport(f"The export is malformed: {where} has the unknown role {role!r}.")
    if status not in {str(s) for s in Status}:
        raise InvalidExport(f"The export is malformed: {where} has the unknown status {status!r}.")
    calls = _field(data, "tool_calls", "list", where) or []
    usage = _field(data, "usage", "object", where)
    return Message(
        role=Role(role),
        content=_field(data, "content", "text", where) or "",
        reasoning=_field(data, "reasoning", "text", where) or "",
        tool_calls=[_tool_call(call, f"{where}, tool call {n}") for n, call in enumerate(calls, 1)],
        model=_field(data, "model", "text", where),
        provider=_field(data, "provider", "text", where),
        status=Status(status),
        error=_field(data, "error", "text", where),
        notice=_field(data, "notice", "text", where),
        usage=None if usage is None else _usage(usage, f"{where}'s usage"),
        ttft=_field(data, "ttft", "number", where),
        duration=_field(data, "duration", "number", where),
        tokens=_field(data, "tokens", "integer", where) or 0,
        created=_field(data, "created", "time", where, required=True),
        attachments=attachments_from_list(data.get("attachments"), where, InvalidExport),
        compare=_field(data, "compare", "integer", where),
    )


def _tool_call(data: Any, where: str) -> ToolCall:
    if not isinstance(data, dict):
        raise InvalidExport(f"The export is malformed: {where} is not an object.")
    return ToolCall(
        index=_field(data, "index", "integer", where, required=True),
        id=_field(data, "id", "text", where),
        type=_field(data, "type", "text", where) or "function",
        name=_field(data, "name", "text", where) or "",
        arguments=_field(data, "arguments", "text", where) or "",
    )


def _usage(data: dict[str, Any], where: str) -> Usage:
    return Usage(
        prompt_tokens=_field(data, "prompt_tokens", "integer", where),
        completion_tokens=_field(data, "completion_tokens", "integer", where),
        total_tokens=_field(data, "total_tokens", "integer", where),
        cost=_field(data, "cost", "number", where),
    )


_KINDS = {
    "text": "text",
    "integer": "a whole number",
    "number": "a number",
    "time": "a time in Unix seconds",
    "list": "a list",
    "object": "an object",
}
_LATEST_TIME = 253402300799
"""The last second of the year 9999: later (or before 1970) Python cannot show as a date."""


def _field(data: dict[str, Any], key: str, kind: str, where: str, required: bool = False) -> Any:
    """`data[key]` if it is of `kind` (see `_KINDS`); None if absent or null and not required."""
    value = data.get(key)
    if value is None:
        if required:
            raise InvalidExport(f"The export is malformed: {where} has no {key!r}.")
        return None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "integer" and number and isinstance(value, int) and not 0 <= value <= MAX_COUNT:
        raise InvalidExport(
            f"The export is malformed: {where}'s {key!r} is out of range "
            f"(a whole number from 0 to {MAX_COUNT})."
        )
    valid = {
        "text": isinstance(value, str),
        "integer": number and isinstance(value, int),
        "number": number and math.isfinite(value),
        "time": number and math.isfinite(value) and 0 <= value <= _LATEST_TIME,
        "list": isinstance(value, list),
        "object": isinstance(value, dict),
    }[kind]
    if not valid:
        raise InvalidExport(f"The export is malformed: {where}'s {key!r} is not {_KINDS[kind]}.")
    return value


def conversation_to_json(
    record: ConversationRecord, messages: list[Message], active: int | None = None
) -> dict[str, Any]:
    """The whole conversation as a versioned JSON-ready dict (ids are not exported).

    Args:
        messages: Every message of every branch, oldest first; each follows the one its
            `parent_id` names (messages not stored yet, without ids, form one path).
        active: The id of the message the conversation is shown at (None: the newest).
    """
    position = {m.id: n for n, m in enumerate(messages) if m.id is not None}
    items = []
    for number, message in enumerate(messages):
        item = message_to_dict(message)
        if message.id is None:
            item["parent"] = number - 1 if number else None
        else:
            item["parent"] = position.get(message.parent_id)
        items.append(item)
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
            "active": position.get(active) if active is not None else None,
        },
        "messages": items,
    }


def conversation_from_json(data: Any) -> tuple[dict[str, Any], list[Message]]:
    """The conversation fields and messages of an export; raises InvalidExport otherwise.

    Each message's `parent_id` holds the *position* of its parent in the list (None for a
    first message), and `fields["active"]` the position of the message the conversation is
    shown at (None: the newest); version 1 exports are one path.
    """
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise InvalidExport("This is not a parrotchat conversation export.")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidExport("This parrotchat export has no valid format version.")
    if version > EXPORT_VERSION:
        raise InvalidExport(
            f"This export was written by a newer parrotchat (format {version}); "
            "upgrade parrotchat to import it."
        )
    conversation = data.get("conversation")
    messages = data.get("messages")
    if not isinstance(conversation, dict) or not isinstance(messages, list):
        raise InvalidExport("The export has no conversation or no message list.")
    fields = {
        "title": _field(conversation, "title", "text", "the conversation") or "",
        "created": _field(conversation, "created", "time", "the conversation", required=True),
        "updated": _field(conversation, "updated", "time", "the conversation"),
        "system_prompt": _field(conversation, "system_prompt", "text", "the conversation"),
        "model": _field(conversation, "model", "text", "the conversation"),
        "provider": _field(conversation, "provider", "text", "the conversation"),
    }
    if fields["updated"] is None:
        fields["updated"] = fields["created"]
    parsed = []
    for number, item in enumerate(messages, 1):
        if not isinstance(item, dict):
            raise InvalidExport(f"The export is malformed: message {number} is not an object.")
        message = message_from_dict(item, f"message {number}")
        if version == 1:
            message.parent_id = number - 2 if number > 1 else None
        else:
            parent = _field(item, "parent", "integer", f"message {number}")
            if parent is not None and not 0 <= parent < number - 1:
                raise InvalidExport(
                    f"The export is malformed: message {number} follows a message that does "
                    "not come before it."
                )
            message.parent_id = parent
        parsed.append(message)
    active = _field(conversation, "active", "integer", "the conversation") if version > 1 else None
    if active is not None and not 0 <= active < len(parsed):
        raise InvalidExport("The export is malformed: its active message is not one of its own.")
    _check_encodable(fields, parsed)
    fields["active"] = active
    return fields, parsed


def _check_encodable(fields: dict[str, Any], messages: list[Message]) -> None:
    """Refuse text the database cannot store: JSON can spell lone surrogates, UTF-8 cannot."""
    texts = [json.dumps(fields, ensure_ascii=False)]
    texts += [json.dumps(message_to_dict(m), ensure_ascii=False) for m in messages]
    try:
        for text in texts:
            text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidExport(
            "The export contains text that is not valid Unicode (a lone surrogate)."
        ) from error


_UNSAFE = re.compile(f"[\x7f-\x9f\ud800-\udfff{''.join(format_controls())}]")


def export_text(
    record: ConversationRecord,
    messages: list[Message],
    kind: Literal["markdown", "json"],
    tz: tzinfo | None = None,
    *,
    active: int | None = None,
    all_branches: bool = False,
) -> str:
    """A conversation as an export file's text, terminal-safe whichever the format.

    The database keeps the model's raw text; Markdown shows control characters as visible
    symbols, JSON escapes them (and reads back as the same text). JSON holds every branch of
    `messages`; Markdown the active path (to the message whose id is `active`), and with
    `all_branches` every other branch after it.
    """
    if kind == "json":
        return dump_json(conversation_to_json(record, messages, active))
    if not any(message.id is not None for message in messages):
        return neutralize(conversation_to_markdown(record, messages, tz=tz))
    path = active_path(messages, active)
    text = conversation_to_markdown(record, path, tz=tz)
    text += comparison_markdown(messages, path, tz)
    if all_branches:
        text += other_branches_markdown(messages, path, tz)
    return neutralize(text)


def comparison_markdown(nodes: list[Message], path: list[Message], tz: tzinfo | None = None) -> str:
    """The comparison the path ends at (its prompt sent to several models, no reply chosen
    yet): each model's branch under a heading naming the model; "" if there is none."""
    if not path or path[-1].id is None:
        return ""
    below = [m for m in nodes if m.parent_id == path[-1].id and m.compare is not None]
    group = max((m.compare or 0 for m in below), default=None)
    roots = [m for m in below if m.compare == group]
    if not roots:
        return ""
    children: dict[int | None, list[Message]] = {}
    for message in nodes:
        children.setdefault(message.parent_id, []).append(message)
    lines: list[str] = []
    for number, root in enumerate(roots, 1):
        branch = [root]
        while kids := children.get(branch[-1].id):
            branch.append(kids[-1])
        name = _model_name(root.model, root.provider) or "unknown model"
        lines += ["", f"# Compared {number} of {len(roots)}: {name}", ""]
        lines += _message_lines(branch, tz)
    return "\n".join(lines).rstrip("\n") + "\n"


def other_branches_markdown(
    nodes: list[Message], path: list[Message], tz: tzinfo | None = None
) -> str:
    """Every branch but `path`, each under a heading saying where it leaves the path before
    it, oldest first: what `--all-branches` adds to the Markdown export."""
    children: dict[int | None, list[Message]] = {}
    for message in nodes:
        children.setdefault(message.parent_id, []).append(message)
    leaves = [m for m in nodes if m.id is not None and not children.get(m.id)]
    shown = {id(message) for message in path}
    lines: list[str] = []
    others = [leaf for leaf in leaves if id(leaf) not in shown]
    for number, leaf in enumerate(others, 2):
        branch = active_path(nodes, leaf.id)
        fork = next(
            (n for n, message in enumerate(branch) if id(message) not in shown), len(branch)
        )
        lines += [
            "",
            f"# Branch {number} of {len(others) + 1} · from message {fork + 1} on",
            "",
        ]
        lines += _message_lines(branch[fork:], tz)
    return "\n".join(lines).rstrip("\n") + "\n" if lines else ""


def dump_json(data: Any) -> str:
    """Indented UTF-8 JSON text, terminal-safe: every control character is escaped.

    `json.dumps` escapes C0 controls (ESC included) but passes DEL, the C1 controls and the
    invisible format characters (bidi overrides, tags) through raw; they only occur inside
    strings, where `\\uXXXX` (a surrogate pair beyond U+FFFF) reads back as the same character.
    `dump_json({"t": "\\x9b"})  # '{\\n  "t": "\\\\u009b"\\n}\\n'`
    """
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return _UNSAFE.sub(_escape, text) + "\n"


def _escape(match: re.Match[str]) -> str:
    """A character as JSON escapes: one `\\uXXXX`, or a surrogate pair beyond U+FFFF."""
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


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
    # An imported title may span lines; a heading may not.
    lines = [f"# {' '.join(record.title.split()) or 'Untitled conversation'}", ""]
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
    lines += _message_lines(messages, tz)
    return "\n".join(lines).rstrip("\n") + "\n"


def _message_lines(messages: list[Message], tz: tzinfo | None) -> list[str]:
    """The Markdown of each message: a heading (role, model, time, status), then its parts."""
    lines: list[str] = []
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
            # A reply's own `# Heading` goes under this `## Role` heading, not beside it.
            lines += [shift_headings(message.content, 2), ""]
        lines += attachments_to_markdown(message.attachments)
        for call in message.tool_calls:
            lines += [f"Tool call `{call.name}`:", "", "```json", call.arguments, "```", ""]
        if message.notice:
            lines += [f"*{message.notice}*", ""]
        if message.error:
            lines += [f"**Error:** {message.error}", ""]
    return lines
