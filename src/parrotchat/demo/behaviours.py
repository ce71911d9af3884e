"""How the demo server answers one chat request: normally, or misbehaving on purpose.

Push behaviours onto a `DemoServer` to script its next answers:

```python
server.push(Parrot(keepalives_first=3, framing="crlf"))          # a bent but valid stream
server.push(Script([sse(chunk("Hi")), b"data: hel", b"lo\\n\\n"]))  # exact bytes, one write each
server.push(HTTPError(429, headers={"Retry-After": "2"}))         # an HTTP error
```
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Literal, Union

if TYPE_CHECKING:
    from parrotchat.demo.hostile import Flood

__all__ = [
    "DONE",
    "SERVER_PACE",
    "Behaviour",
    "End",
    "ErrorStyle",
    "Framing",
    "HTTPError",
    "Parrot",
    "Plan",
    "Script",
    "ToolCallStyle",
    "chunk",
    "error_event",
    "error_payload",
    "http_chunk",
    "json_text",
    "keepalive",
    "reason_phrase",
    "sse",
    "tool_call",
    "usage_chunk",
]

End = Literal["close", "hang", "drop", "reset"]
"""How a response ends: close = proper end of the chunked body; hang = send nothing more until
the client leaves; drop = close the socket without the final chunk; reset = TCP RST."""
Framing = Literal["lf", "crlf", "cr"]
"""Line ending of every SSE line."""
ErrorStyle = Literal["openai", "event", "vllm", "openrouter"]
"""In-stream error shapes, see `error_event`."""
ToolCallStyle = Literal[
    "normal", "sequential", "no_index", "repeat_ids", "one_based", "one_per_chunk"
]
"""How tool-call fragments are numbered and ordered: correctly, or as some servers get it wrong."""

DONE = b"data: [DONE]\n\n"
"""The OpenAI end-of-stream event."""
CHUNK_ID = "chatcmpl-parrot"
"""The `id` of chunks built by `chunk`."""
CREATED = 1_700_000_000
"""The `created` time of chunks built by `chunk` (fixed, so scripted bytes are reproducible)."""


class _ServerPace(enum.Enum):
    SERVER_PACE = "server pace"


SERVER_PACE = _ServerPace.SERVER_PACE
"""`Parrot(tokens_per_second=SERVER_PACE)`: use the server's pace for the requested model."""


def sse(data: str | dict[str, Any], event: str | None = None) -> bytes:
    """One LF-framed SSE event: a dict as compact JSON, each line of a str as a `data:` line.

    `sse(chunk("Hi"))  # b'data: {"id":"chatcmpl-parrot",...}\\n\\n'`
    """
    text = json_text(data) if isinstance(data, dict) else data
    lines = [f"event: {event}"] if event is not None else []
    lines += [f"data: {line}" for line in text.split("\n")]
    return ("\n".join(lines) + "\n\n").encode()


def chunk(
    content: str | None = None,
    reasoning: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str | None = None,
    role: str | None = None,
    *,
    delta: dict[str, Any] | None = None,
    model: str = "parrot",
    **extra: Any,
) -> dict[str, Any]:
    """An OpenAI `chat.completion.chunk`; None arguments are left out of the delta.

    `chunk("Hi")`; `chunk(delta={"reasoning_content": "hm", "content": None})` (extra delta
    fields, kept even when None); `chunk(finish_reason="error", error={"message": "boom"})`
    (`extra` goes to the top level).
    """
    fields = {"role": role, "content": content, "reasoning": reasoning, "tool_calls": tool_calls}
    body = {key: value for key, value in fields.items() if value is not None}
    return {
        "id": CHUNK_ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "choices": [{"index": 0, "delta": body | (delta or {}), "finish_reason": finish_reason}],
        **extra,
    }


def tool_call(
    index: int | None = 0,
    id: str | None = None,
    name: str | None = None,
    arguments: str | None = None,
) -> dict[str, Any]:
    """One `delta.tool_calls[]` fragment; None fields are left out.

    `tool_call(0, "call_1", "get_weather", "")` then `tool_call(0, arguments='{"city"')`.
    """
    fragment: dict[str, Any] = {} if index is None else {"index": index}
    if id is not None:
        fragment |= {"id": id, "type": "function"}
    function = {"name": name, "arguments": arguments}
    if any(value is not None for value in function.values()):
        fragment["function"] = {k: v for k, v in function.items() if v is not None}
    return fragment


def usage_chunk(
    prompt_tokens: int = 10,
    completion_tokens: int = 20,
    cost: float | None = None,
    *,
    choices: bool = True,
    model: str = "parrot",
) -> dict[str, Any]:
    """The final usage chunk: `"choices": []`, or no `choices` key at all when `choices=False`."""
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if cost is not None:
        usage["cost"] = cost
    result: dict[str, Any] = {
        "id": CHUNK_ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
    }
    if choices:
        result["choices"] = []
    return result | {"usage": usage}


def error_payload(message: str, style: ErrorStyle) -> tuple[str | None, dict[str, Any]]:
    """The SSE event name and JSON data of an in-stream error, see `error_event`."""
    error = {"message": message, "type": "server_error", "param": None, "code": None}
    if style == "vllm":
        vllm = {"object": "error", "message": message, "type": "InternalServerError", "code": 500}
        return None, vllm
    if style == "openrouter":
        router_error = {"code": 502, "message": message}
        return None, chunk(content="", finish_reason="error", error=router_error)
    return ("error" if style == "event" else None), {"error": error}


def error_event(message: str = "boom", style: ErrorStyle = "openai") -> bytes:
    """An in-stream error event in one of the shapes servers use.

    openai: `data: {"error": {...}}`; event: `event: error` + that data; vllm:
    `{"object": "error", "message": ...}`; openrouter: a chunk with `error` and
    `finish_reason: "error"`.
    """
    event, data = error_payload(message, style)
    return sse(data, event=event)


def keepalive(text: str = "OPENROUTER PROCESSING") -> bytes:
    """An SSE comment, as routers send while the model thinks."""
    return f": {text}\n\n".encode()


@dataclass
class Script:
    """Exact response body bytes, each element of `writes` sent as its own write (HTTP chunk).

    `Script([sse(chunk("Hi")), DONE], end="drop")`
    """

    writes: list[bytes]
    """The body, one element per write; empty elements are skipped (they would end the body)."""
    delay: float = 0.0
    """Seconds between writes."""
    status: int = 200
    headers: dict[str, str] | None = None
    """Response headers, replacing the defaults of the same name (content-type: SSE)."""
    end: End = "close"
    """How the response ends after the last write, see `End`."""
    first_delay: float = 0.0
    """Seconds before the status line (a slow first byte)."""


@dataclass
class HTTPError:
    """A non-200 answer with a complete body.

    `HTTPError(401, {"error": {"message": "bad key", "code": "invalid_api_key"}})`,
    `HTTPError(502, "<html>Bad gateway</html>")`,
    `HTTPError(429, headers={"Retry-After": "2"})`.
    """

    status: int
    body: bytes | str | dict[str, Any] | None = None
    """The body: a dict is sent as JSON; None = an OpenAI-style JSON error for the status."""
    headers: dict[str, str] | None = None
    """Extra response headers (e.g. `Retry-After`, `retry-after-ms`)."""
    content_type: str | None = None
    """None = guessed: JSON for a dict, HTML for text starting with `<`, else plain text."""

    def payload(self) -> tuple[bytes, str]:
        """The body bytes and their content type."""
        body = self.body
        if body is None:
            body = {"error": {"message": reason_phrase(self.status), "type": "demo_error",
                              "param": None, "code": self.status}}  # fmt: skip
        if isinstance(body, dict):
            data, guessed = json_text(body).encode(), "application/json"
        else:
            data = body.encode() if isinstance(body, str) else body
            html = data.lstrip().startswith(b"<")
            guessed = "text/html; charset=utf-8" if html else "text/plain; charset=utf-8"
        return data, self.content_type or guessed


@dataclass
class Parrot:
    """The normal generated stream, with knobs to bend it; the defaults are a well-behaved stream.

    Token counts below count content chunks of the answer (`*_after=0` acts before any).
    """

    tokens: int | None = None
    """Answer length in tokens; None = what the prompt asks (`2000 tokens`, `long`) or the
    server's default."""
    tokens_per_second: float | _ServerPace | None = SERVER_PACE
    """Pace of reasoning, answer and tool-call chunks; None or 0 = as fast as the socket takes."""
    text: str | None = None
    """The exact answer, split into tokens (replaces the generated Markdown and `tokens`)."""
    reasoning: str | None = None
    """Reasoning streamed before the answer; None = generated for `parrot-think` only."""
    reasoning_field: Literal["reasoning", "reasoning_content"] = "reasoning"
    """Delta field of the reasoning: OpenRouter/Ollama or DeepSeek style."""
    tool_calls: list[tuple[str, str | dict[str, Any]]] | None = None
    """(name, arguments) of parallel calls streamed interleaved, arguments split in pieces; the
    answer is then empty unless `text` or `tokens` is given, and comes first."""
    tool_call_style: ToolCallStyle = "normal"
    """normal: calls interleaved; sequential: one call after another, as OpenAI sends them;
    no_index: fragments lack `index`; repeat_ids: `id` in every fragment; one_based: 1, 2...;
    one_per_chunk: each call whole in one fragment, without `index` and with an empty `id`."""
    framing: Framing = "lf"
    """Line ending of every SSE line."""
    one_byte_writes: bool = False
    """Send the body one byte per write (each its own HTTP chunk)."""
    split_utf8: bool = False
    """Send each event containing non-ASCII as two writes split inside a multi-byte character."""
    keepalive_every: int = 0
    """Send a `: OPENROUTER PROCESSING` comment after every N data events (0 = never)."""
    keepalives_first: int = 0
    """Comments sent before the first event."""
    no_space: bool = False
    """Write `data:{...}` without the space after the colon."""
    split_json: bool = False
    """Split each chunk's JSON over two `data:` lines (the client joins them with `\\n`)."""
    noise: bool = False
    """Send legal no-op events after the role chunk: `data:` (empty), `event: ping`, `retry:`."""
    null_content: bool = False
    """The role chunk carries `"content": null` instead of `""`."""
    finish_reason: str | None = None
    """Reason of the final chunk; None = stop, length (cut by `max_tokens`) or tool_calls."""
    finish: bool = True
    """Send the chunk with `finish_reason` at all."""
    usage: bool | None = None
    """Send the usage chunk; None = if the request asks (`stream_options.include_usage`)."""
    usage_choices: bool = True
    """The usage chunk has `"choices": []`; False = no `choices` key at all."""
    error_after: int | None = None
    """After N answer tokens, send an in-stream error in `error_style` and end the body."""
    error_style: ErrorStyle = "openai"
    """Shape of that error, see `error_event`."""
    error_message: str = "The parrot flew away mid-sentence"
    """Message of that error."""
    drop_after: int | None = None
    """After N answer tokens, close the socket without ending the chunked body."""
    reset_after: int | None = None
    """After N answer tokens, reset the connection (TCP RST)."""
    stall_after: int | None = None
    """After N answer tokens, send nothing more until the client leaves."""
    stall_keepalive: float | None = None
    """While stalled, send a keep-alive comment every that many seconds."""
    done: bool = True
    """Send `data: [DONE]` at the end."""
    done_newline: bool = True
    """False = `data: [DONE]` without its trailing newlines."""
    trailing: bytes = b""
    """Bytes sent after `[DONE]`, as one write."""
    first_delay: float = 0.0
    """Seconds before the status line (a slow first byte)."""

    def __post_init__(self) -> None:
        """Reject contradictory endings."""
        endings = (self.error_after, self.drop_after, self.reset_after, self.stall_after)
        if sum(after is not None for after in endings) > 1:
            raise ValueError("Parrot: set at most one of error/drop/reset/stall_after")

    @property
    def cut(self) -> tuple[Literal["error", "drop", "reset", "stall"], int] | None:
        """How and after how many answer tokens the stream ends abnormally, if it does."""
        if self.error_after is not None:
            return "error", self.error_after
        if self.drop_after is not None:
            return "drop", self.drop_after
        if self.reset_after is not None:
            return "reset", self.reset_after
        if self.stall_after is not None:
            return "stall", self.stall_after
        return None


Behaviour = Union[Parrot, Script, HTTPError, "Flood"]
"""Anything `DemoServer.push` accepts (`Flood` lives in `parrotchat.demo.hostile`)."""


@dataclass
class Plan:
    """One response as wire bytes, ready for the server to send (body parts are HTTP-chunked)."""

    status: int
    headers: dict[str, str]
    """Headers besides the framing ones (`transfer-encoding` / `content-length`, `connection`)."""
    head: bytes = b""
    """Sent at once after the headers."""
    units: list[bytes] = field(default_factory=list)
    """Paced: one unit per token at `tokens_per_second`, or one write each for `write_delay`."""
    tail: bytes = b""
    """Sent at once after the units."""
    end: End = "close"
    tokens_per_second: float | None = None
    """Pace of `units`; None = as fast as the socket takes them, in large writes."""
    write_delay: float | None = None
    """If set, each unit is its own write followed by this many seconds of sleep."""
    first_delay: float = 0.0
    """Seconds before the status line."""
    stall_keepalive: float | None = None
    """With `end="hang"`: seconds between keep-alive comments while hanging."""
    keepalive: bytes = b""
    """The wire bytes of one keep-alive comment."""
    chunked: bool = True
    """False: `head` is the whole body, sent with `content-length`."""
    source: Iterator[bytes] | None = None
    """Body pieces generated as they are sent, each its own write (a `Flood`'s gigabytes)."""

    @classmethod
    def for_script(cls, script: Script) -> Plan:
        """The plan of a scripted response."""
        headers = _merge_headers({"content-type": "text/event-stream"}, script.headers)
        return cls(
            status=script.status,
            headers=headers,
            units=[http_chunk(write) for write in script.writes if write],
            end=script.end,
            write_delay=script.delay,
            first_delay=script.first_delay,
        )

    @classmethod
    def for_http_error(cls, error: HTTPError) -> Plan:
        """The plan of an HTTP error answer."""
        body, content_type = error.payload()
        headers = _merge_headers({"content-type": content_type}, error.headers)
        return cls(status=error.status, headers=headers, head=body, chunked=False)

    @classmethod
    def for_json(cls, status: int, body: dict[str, Any]) -> Plan:
        """A complete JSON answer."""
        data = json_text(body).encode()
        return cls(status, {"content-type": "application/json"}, head=data, chunked=False)


def http_chunk(data: bytes) -> bytes:
    """`data` framed as one HTTP/1.1 chunk (`data` must not be empty)."""
    return b"%x\r\n%b\r\n" % (len(data), data)


def _merge_headers(defaults: dict[str, str], extra: dict[str, str] | None) -> dict[str, str]:
    """`defaults` updated by `extra`, names compared case-insensitively."""
    extra = extra or {}
    names = {name.lower() for name in extra}
    return {k: v for k, v in defaults.items() if k.lower() not in names} | extra


def reason_phrase(status: int) -> str:
    """The standard reason phrase of an HTTP status (`Too Many Requests`), or `HTTP 599`."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def json_text(data: Any) -> str:
    """Compact JSON, as most servers send it."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
