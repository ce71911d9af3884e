"""Turn decoded SSE events of a chat-completions stream into typed events.

Tolerant of how servers bend the protocol (see `protocol.md`): `content` may be null or absent,
reasoning arrives as `reasoning` or `reasoning_content`, tool calls may lack `index`, repeat
their ids, count from 1 or come one whole call per chunk with empty ids, a usage chunk may have
`"choices": []` or no `choices` at all (Groq puts it in `x_groq`), and errors come in four
shapes. Unknown fields are ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from parrotchat.api.errors import ProtocolError, ProviderError, ResponseTooLarge, redact
from parrotchat.api.events import Event, ReasoningDelta, TextDelta, ToolCall, ToolCallDelta, Usage
from parrotchat.api.limits import megabytes
from parrotchat.api.numbers import clean_usage
from parrotchat.api.sse import ServerSentEvent

__all__ = ["ChunkParser", "fix_surrogates"]

_loads = json.loads
_SURROGATE = re.compile("[\ud800-\udfff]")


def fix_surrogates(text: str) -> str:
    """Join UTF-16 surrogate pairs that JSON escapes spelled out, and replace lone ones.

    `json.loads('"\\ud83d\\ude00"')` gives two surrogates, not an emoji; a lone surrogate
    cannot be encoded at all and would break the next request and the terminal.
    """
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class ChunkParser:
    """Parses one stream's events, remembering what spans chunks (tool calls, finish, usage)."""

    __slots__ = (
        "_call_keys",
        "_calls",
        "_held",
        "_max_text",
        "_secrets",
        "finish_reason",
        "text_size",
        "usage",
    )

    def __init__(self, secrets: Sequence[str] = (), *, max_text: int = 16 << 20) -> None:
        """
        Args:
            secrets: Credentials to scrub from server error texts before they are shortened.
            max_text: Most characters of answer, reasoning and tool-call arguments together;
                past it `parse` raises `ResponseTooLarge` (the text before it was returned).
        """
        self._secrets = tuple(secrets)
        self._max_text = max_text
        self.text_size = 0
        """Characters of answer, reasoning and tool-call arguments parsed so far."""
        self._held = ""
        """A high surrogate that ended the last text delta, waiting for its other half."""
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self._calls: list[ToolCall] = []
        self._call_keys: dict[object, ToolCall] = {}

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The whole tool calls seen so far, in order of first appearance."""
        return list(self._calls)

    def parse(self, sse: ServerSentEvent) -> list[Event]:
        """Events carried by one SSE event. Raises ProviderError or ProtocolError."""
        data = sse.data
        if sse.event == "error":
            raise _provider_error(_error_text(data), self._secrets)
        try:
            obj = _loads(data)
        except ValueError:
            if not data or data.isspace():
                return []  # `data:` alone: nothing to parse (protocol.md, case 8)
            if sse.event != "message":
                return []  # an unknown event type with text data: not ours to judge
            raise ProtocolError(
                f"The server sent a malformed stream (not JSON: {self._snippet(data)!r}); "
                "check that the base URL points to an OpenAI-compatible API."
            ) from None
        if not isinstance(obj, dict):
            if sse.event != "message":
                return []
            raise ProtocolError(
                f"The server sent a malformed stream (not a chunk: {self._snippet(data)!r}); "
                "check that the base URL points to an OpenAI-compatible API."
            )
        choices = obj.get("choices")
        if (
            choices
            and type(choices) is list
            and "error" not in obj
            and "usage" not in obj
            and "x_groq" not in obj
            and obj.get("object") != "error"
        ):
            # The common chunk: one choice whose delta holds only text. Kept short: it runs per
            # token.
            choice = choices[0]
            if type(choice) is dict:
                delta = choice.get("delta")
                if type(delta) is dict and choice.get("finish_reason") is None:
                    content = delta.get("content")
                    if type(content) is str and (
                        len(delta) == 1 or (len(delta) == 2 and "role" in delta)
                    ):
                        if content and (self._held or not content.isascii()):
                            content = self._join_surrogates(content)
                        self.text_size += len(content)
                        if self.text_size > self._max_text:
                            raise self._too_large()
                        return [TextDelta(content)] if content else []
        error = obj.get("error")
        if error:
            raise _provider_error(_message_of(error), self._secrets)
        if obj.get("object") == "error":
            raise _provider_error(_message_of(obj), self._secrets)
        usage = obj.get("usage") or _groq_usage(obj)
        events: list[Event] = []
        if choices and isinstance(choices, list):
            choice = choices[0]
            if isinstance(choice, dict):
                self._choice(choice, events)
        if usage and isinstance(usage, dict):
            self.usage = _usage(usage)
            events.append(self.usage)
        return events

    def _too_large(self) -> ResponseTooLarge:
        return ResponseTooLarge(
            f"The reply grew past {megabytes(self._max_text)} of text (limits.reply_mb); "
            "the answer so far is kept."
        )

    def _grow(self, text: str) -> str:
        """Count `text` against the reply's size limit; raises ResponseTooLarge past it."""
        self.text_size += len(text)
        if self.text_size > self._max_text:
            raise self._too_large()
        return text

    def parse_completion(self, body: bytes) -> list[Event]:
        """Events of a whole, non-streamed completion (a server that ignored `stream`)."""
        try:
            obj = _loads(body)
        except ValueError:
            raise ProtocolError(
                "The server's answer is not valid JSON; check that the base URL points to an "
                "OpenAI-compatible API."
            ) from None
        if isinstance(obj, dict):
            for choice in obj.get("choices") or []:
                if isinstance(choice, dict) and isinstance(choice.get("message"), dict):
                    choice = {**choice, "delta": choice["message"]}
                    obj = {**obj, "choices": [choice]}
                    break
        return self.parse(ServerSentEvent(json.dumps(obj)))

    def _choice(self, choice: dict[str, Any], events: list[Event]) -> None:
        delta = choice.get("delta")
        if isinstance(delta, dict):
            reasoning = delta.get("reasoning") or delta.get("reasoning_content")
            if reasoning and isinstance(reasoning, str):
                events.append(ReasoningDelta(self._grow(fix_surrogates(reasoning))))
            content = delta.get("content")
            if content:
                if isinstance(content, str):
                    content = self._join_surrogates(content)
                    if content:
                        events.append(TextDelta(self._grow(content)))
                elif isinstance(content, list):
                    text = self._join_surrogates(_parts_text(content))
                    if text:
                        events.append(TextDelta(self._grow(text)))
            tool_calls = delta.get("tool_calls")
            if tool_calls and isinstance(tool_calls, list):
                for position, fragment in enumerate(tool_calls):
                    if isinstance(fragment, dict):
                        events.append(self._tool_fragment(fragment, position))
        reason = choice.get("finish_reason")
        if reason:
            self.finish_reason = str(reason)

    def _snippet(self, text: str) -> str:
        return _snippet(redact(text, self._secrets))

    def _join_surrogates(self, text: str) -> str:
        """`fix_surrogates`, holding back a trailing high surrogate for the next delta."""
        text, self._held = self._held + text, ""
        if text and "\ud800" <= text[-1] <= "\udbff":
            text, self._held = text[:-1], text[-1]
        return fix_surrogates(text)

    def _tool_fragment(self, fragment: dict[str, Any], position: int) -> ToolCallDelta:
        call = self._call_for(fragment, position)
        function = fragment.get("function")
        function = function if isinstance(function, dict) else {}
        name = function.get("name")
        if name and isinstance(name, str) and not call.name:
            call.name = name
        kind = fragment.get("type")
        if kind and isinstance(kind, str):
            call.type = kind
        arguments = function.get("arguments")
        piece = arguments if isinstance(arguments, str) else ""
        if arguments is not None and not isinstance(arguments, str):
            piece = json.dumps(arguments)  # some servers send an object, not a string
        call.arguments += self._grow(piece)
        return ToolCallDelta(call.index, call.id, name if isinstance(name, str) else None, piece)

    def _call_for(self, fragment: dict[str, Any], position: int) -> ToolCall:
        """Find the call a fragment belongs to: by index, else by id, else the latest."""
        raw_index = fragment.get("index")
        call_id = fragment.get("id") if isinstance(fragment.get("id"), str) else None
        if isinstance(raw_index, int):
            key: object = ("index", raw_index)
            call = self._call_keys.get(key)
            if call is not None and call_id and call.id and call_id != call.id and call.arguments:
                # Same index reused for a new call (some servers number every call 0).
                call = None
        elif call_id and ("id", call_id) in self._call_keys:
            return self._call_keys[("id", call_id)]
        elif call_id:
            key = ("id", call_id)
            call = None
        elif self._calls:
            latest = self._calls[-1]
            if position == 0 and not _starts_another(fragment, latest):
                return latest
            return self._new_call(("pos", len(self._calls)), None)
        else:
            key = ("pos", position)
            call = None
        if call is None:
            call = self._new_call(key, call_id)
        elif call_id and not call.id:
            call.id = call_id
        return call

    def _new_call(self, key: object, call_id: str | None) -> ToolCall:
        call = ToolCall(index=len(self._calls), id=call_id)
        self._calls.append(call)
        self._call_keys[key] = call
        if call_id:
            self._call_keys[("id", call_id)] = call
        return call


def _parts_text(parts: list[Any]) -> str:
    """The text of a content list (`[{"type": "text", "text": "..."}]`); other parts are skipped.

    Raises:
        ProtocolError: A part's `text` is not a string.
    """
    pieces = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        text = part.get("text")
        if text is None:
            continue
        if not isinstance(text, str):
            raise ProtocolError(
                "The server sent a malformed stream (a content part's text is not a string); "
                "check that the base URL points to an OpenAI-compatible API."
            )
        pieces.append(text)
    return "".join(pieces)


def _starts_another(fragment: dict[str, Any], latest: ToolCall) -> bool:
    """A fragment without index or id names a function while the latest call already has one.

    Some endpoints send parallel calls one whole call per chunk, with no `index` and an empty
    `id`: only the new name tells them apart. A server that repeats the name in every fragment
    of one call is told apart by the latest call's arguments: they are not complete JSON yet.
    """
    function = fragment.get("function")
    name = function.get("name") if isinstance(function, dict) else None
    if not name or not isinstance(name, str) or not latest.name:
        return False
    complete = bool(latest.arguments.strip()) and latest.parsed_arguments is not None
    return name != latest.name or complete


def _groq_usage(obj: dict[str, Any]) -> object:
    """Groq reports a stream's usage inside `x_groq`, not at the top level."""
    extra = obj.get("x_groq")
    return extra.get("usage") if isinstance(extra, dict) else None


def _usage(raw: dict[str, Any]) -> Usage:
    cost = raw.get("cost")
    if isinstance(cost, str):  # some servers quote it
        try:
            cost = float(cost)
        except ValueError:
            cost = None
    return clean_usage(
        Usage(
            prompt_tokens=raw.get("prompt_tokens"),
            completion_tokens=raw.get("completion_tokens"),
            total_tokens=raw.get("total_tokens"),
            cost=cost,
        )
    )


def _message_of(error: object) -> str:
    if isinstance(error, dict):
        message = error.get("message") or error.get("error") or error.get("detail")
        if isinstance(message, dict):
            return _message_of(message)
        if message:
            return str(message)
        return json.dumps(error)[:200]
    return str(error)


def _error_text(data: str) -> str:
    try:
        obj = _loads(data)
    except ValueError:
        return data
    if isinstance(obj, dict):
        return _message_of(obj.get("error") or obj)
    return data


def _snippet(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _provider_error(server_message: str, secrets: Sequence[str] = ()) -> ProviderError:
    text = " ".join(redact(server_message, secrets).split()) or "no details given"
    text = _snippet(text, 300)
    return ProviderError(
        f"The provider reported an error: {text} (try again, or choose another model).",
        server_message=text,
    )
