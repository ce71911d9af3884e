"""The demo server itself, through plain httpx and raw sockets: wire format, knobs, recording."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from parrotchat.demo import (
    DONE,
    DemoServer,
    HTTPError,
    Parrot,
    Script,
    chunk,
    reply_text,
    sse,
)
from parrotchat.demo.behaviours import ErrorStyle, Framing, ToolCallStyle
from parrotchat.demo.parrot import requested_length, tokenize

PROMPT = "Tell me about parrots and asyncio sockets"


def body(prompt: str = PROMPT, **extra: Any) -> dict[str, Any]:
    """A streaming chat request body asking for usage."""
    return {
        "model": "parrot",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": prompt},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        **extra,
    }


def events(raw: bytes) -> list[str]:
    """The data of each SSE event in `raw` (any line ending; comments and other fields dropped)."""
    text = raw.decode().replace("\r\n", "\n").replace("\r", "\n")
    datas = []
    for block in text.split("\n\n"):
        lines = [line for line in block.split("\n") if line.startswith("data:")]
        if lines:
            datas.append("\n".join(line[5:].removeprefix(" ") for line in lines))
    return datas


def chunks(raw: bytes) -> list[dict[str, Any]]:
    """The JSON chunks of a stream, `[DONE]` excluded."""
    return [json.loads(data) for data in events(raw) if data and data != "[DONE]"]


def content(parsed: list[dict[str, Any]], field: str = "content") -> list[str]:
    """The non-empty `delta[field]` pieces, in order."""
    return [
        piece
        for c in parsed
        for choice in c.get("choices", [])
        if (piece := choice["delta"].get(field))
    ]


def stream(server: DemoServer, request: dict[str, Any] | None = None) -> bytes:
    """One streamed response body, raw."""
    with httpx.Client(timeout=5) as client:
        response = client.post(f"{server.base_url}/chat/completions", json=request or body())
        assert response.status_code == 200
        return response.content


def reads(server: DemoServer, request: dict[str, Any] | None = None) -> Iterator[bytes]:
    """The body as the pieces the client reads (one per HTTP chunk or less)."""
    with (
        httpx.Client(timeout=5) as client,
        client.stream("POST", f"{server.base_url}/chat/completions", json=request or body()) as r,
    ):
        yield from r.iter_raw()


# -- normal behaviour -------------------------------------------------------------------------


def test_models_listing_has_openrouter_fields(demo_server: DemoServer) -> None:
    response = httpx.get(f"{demo_server.base_url}/models")
    models = {m["id"]: m for m in response.json()["data"]}
    assert set(models) == {"parrot", "parrot-fast", "parrot-think", "parrot-tools"}
    for model in models.values():
        assert model["object"] == "model" and model["owned_by"] and model["name"]
        assert isinstance(model["context_length"], int)
        assert set(model["pricing"]) == {"prompt", "completion"}
    assert models["parrot-fast"]["pricing"] == {"prompt": "0", "completion": "0"}
    assert len({m["context_length"] for m in models.values()}) == 3
    assert len({m["pricing"]["completion"] for m in models.values()}) == 3


def test_stream_is_deterministic_markdown_with_usage_and_done(demo_server: DemoServer) -> None:
    raw = stream(demo_server)
    parsed = chunks(raw)
    assert parsed[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all(c["object"] == "chat.completion.chunk" for c in parsed)
    text = "".join(content(parsed))
    assert text == reply_text(PROMPT) == "".join(content(chunks(stream(demo_server))))
    assert text.startswith("# ")
    assert re.search(r"^```\w+$", text, re.MULTILINE)
    assert "|------|" in text and "](https://" in text and "**" in text
    assert "parrots" in text or "sockets" in text or "asyncio" in text
    assert 200 < len(content(parsed)) < 600
    *_, finish, usage = parsed
    assert finish["choices"][0]["finish_reason"] == "stop"
    assert usage["choices"] == []
    assert usage["usage"]["completion_tokens"] == len(content(parsed))
    assert usage["usage"]["cost"] > 0
    assert raw.endswith(DONE)


def test_other_prompts_give_other_replies() -> None:
    assert reply_text("about kittens") != reply_text("about dogs")


def test_no_usage_unless_asked(demo_server: DemoServer) -> None:
    parsed = chunks(stream(demo_server, body(stream_options=None)))
    assert all("usage" not in c for c in parsed)


def test_keep_alive_serves_models_then_chat_on_one_connection(demo_server: DemoServer) -> None:
    with httpx.Client(timeout=5) as client:
        assert client.get(f"{demo_server.base_url}/models").status_code == 200
        response = client.post(f"{demo_server.base_url}/chat/completions", json=body())
        assert response.content.endswith(DONE)
    first, second = demo_server.requests
    assert first.connection == second.connection
    assert (second.method, second.path, second.body["model"]) == (
        "POST",
        "/v1/chat/completions",
        "parrot",
    )
    assert second.headers["content-type"] == "application/json" and second.completed


def test_raw_pipelined_requests_with_content_length(demo_server: DemoServer) -> None:
    payload = json.dumps(
        {"model": "parrot", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3}
    )
    chat = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {len(payload)}\r\n"
        f"\r\n{payload}"
    )
    with socket.create_connection(("127.0.0.1", demo_server.port)) as sock:
        sock.sendall((chat + "GET /v1/models HTTP/1.1\r\nConnection: close\r\n\r\n").encode())
        received = b"".join(iter(lambda: sock.recv(65536), b""))
    assert received.count(b"HTTP/1.1 200 OK") == 2
    assert b'"finish_reason":"length"' in received and b'"parrot-think"' in received


def test_unknown_path_and_bad_body_are_json_errors(demo_server: DemoServer) -> None:
    with httpx.Client(base_url=demo_server.base_url) as client:
        missing = client.get("/nope")
        bad = client.post("/chat/completions", content=b"not json")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert bad.status_code == 400 and "JSON" in bad.json()["error"]["message"]


def test_non_streaming_completion(demo_server: DemoServer) -> None:
    request = body(model="parrot-think", stream=False)
    answer = httpx.post(f"{demo_server.base_url}/chat/completions", json=request).json()
    message = answer["choices"][0]["message"]
    assert message["content"] == reply_text(PROMPT) and message["reasoning"]
    assert answer["object"] == "chat.completion" and answer["usage"]["total_tokens"] > 0


def test_max_tokens_stops_with_length(demo_server: DemoServer) -> None:
    parsed = chunks(stream(demo_server, body(max_tokens=7)))
    assert len(content(parsed)) == 7
    assert parsed[-2]["choices"][0]["finish_reason"] == "length"


def test_prompt_sets_the_length(demo_server: DemoServer) -> None:
    parsed = chunks(stream(demo_server, body("Write 2000 tokens about feathers")))
    pieces = content(parsed)
    assert len(pieces) == 2000
    text = "".join(pieces)
    assert text.count("\n# ") == 0 and text.count("\n## ") + text.count("\n### ") >= 3
    assert text.count("```") % 2 == 0
    assert requested_length("a long one") == 2000 and requested_length("50k tokens") == 50_000


def test_think_model_streams_reasoning_first(demo_server: DemoServer) -> None:
    parsed = chunks(stream(demo_server, body(model="parrot-think")))
    kinds = [k for c in parsed[1:-2] for k in c["choices"][0]["delta"]]
    assert kinds[0] == "reasoning" and kinds[-1] == "content"
    assert kinds.index("content") == len(content(parsed, "reasoning"))


def test_full_speed_streams_every_token(demo_server: DemoServer) -> None:
    """50,000 tokens at full speed all arrive (their rate is measured by benchmarks/client.py)."""
    raw = stream(demo_server, body("50000 tokens"))
    assert raw.count(b'"delta":{"content":') == 50_000


def test_pace_spreads_tokens_over_time(demo_server: DemoServer) -> None:
    demo_server.push(Parrot(tokens=40, tokens_per_second=400))
    started = time.perf_counter()
    pieces = list(reads(demo_server))
    assert time.perf_counter() - started > 0.08
    assert len(pieces) > 5  # paced writes, not one burst


@given(st.text())
def test_tokens_rebuild_the_text(text: str) -> None:
    assert "".join(tokenize(text)) == text


# -- recording ----------------------------------------------------------------------------------


def test_disconnect_is_recorded_promptly(slow_demo_server: DemoServer) -> None:
    with (
        httpx.Client(timeout=5) as client,
        client.stream("POST", f"{slow_demo_server.base_url}/chat/completions", json=body()) as r,
    ):
        next(r.iter_raw())
        left = time.monotonic()
    request = slow_demo_server.wait_for_disconnect(timeout=5)
    assert request.disconnected_at is not None and not request.completed
    assert request.disconnected_at - left < 1.0  # noticed while idle, not at the end
    with pytest.raises(TimeoutError):
        slow_demo_server.wait_for_disconnect(timeout=0.05)


def test_wait_for_request_times_out(demo_server: DemoServer) -> None:
    with pytest.raises(TimeoutError):
        demo_server.wait_for_request(timeout=0.05)


async def test_async_waiters(demo_server: DemoServer) -> None:
    demo_server.push(Script([sse(chunk("Hi"))], end="hang"))
    async with (
        httpx.AsyncClient(timeout=5) as client,
        client.stream("POST", f"{demo_server.base_url}/chat/completions", json=body()) as r,
    ):
        await anext(r.aiter_raw())
        assert (await demo_server.await_request()).body["model"] == "parrot"
    assert (await demo_server.await_disconnect()).completed is False


# -- misbehaviour -------------------------------------------------------------------------------


def test_script_writes_arrive_as_separate_reads(demo_server: DemoServer) -> None:
    writes = [
        sse(chunk("Hi")),
        b'data: {"choices":[{"index":0,"delta":{"content":"caf\xc3',
        b'\xa9"}}]}\n\n',
        DONE,
    ]
    demo_server.push(Script([*writes, b""]))  # the empty write is skipped
    assert list(reads(demo_server)) == writes


def test_one_byte_writes_give_many_reads_of_the_same_stream(demo_server: DemoServer) -> None:
    demo_server.push(Parrot(tokens=20, one_byte_writes=True))
    pieces = list(reads(demo_server, body(stream_options=None)))
    assert len(pieces) > 500 and max(map(len, pieces)) == 1
    assert "".join(content(chunks(b"".join(pieces)))) == reply_text(PROMPT, 20)


def test_split_utf8_cuts_inside_a_character(demo_server: DemoServer) -> None:
    demo_server.push(Parrot(text="café — ok", split_utf8=True))
    pieces = list(reads(demo_server))
    assert any(piece[-1] >= 0xC0 for piece in pieces)
    assert "".join(content(chunks(b"".join(pieces)))) == "café — ok"


@pytest.mark.parametrize("framing", ["lf", "crlf", "cr"])
def test_framing_knobs_keep_the_content(demo_server: DemoServer, framing: Framing) -> None:
    demo_server.push(
        Parrot(
            text="Hello, world.",
            framing=framing,
            keepalives_first=3,
            keepalive_every=1,
            no_space=True,
            split_json=True,
            noise=True,
            null_content=True,
        )
    )
    raw = stream(demo_server)
    eol = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}[framing].encode()
    assert raw.startswith(b": OPENROUTER PROCESSING" + eol * 2) and b"data:{" in raw
    assert b"event: ping" in raw and b"retry: 3000" in raw and b"data:" + eol * 2 in raw
    assert b'"content":null' in raw
    assert "".join(content(chunks(raw))) == "Hello, world."


def test_reasoning_content_field(demo_server: DemoServer) -> None:
    demo_server.push(Parrot(text="Yes.", reasoning="Hmm.", reasoning_field="reasoning_content"))
    parsed = chunks(stream(demo_server))
    assert "".join(content(parsed, "reasoning_content")) == "Hmm."


@pytest.mark.parametrize(
    ("style", "first_index"),
    [("normal", 0), ("repeat_ids", 0), ("one_based", 1), ("no_index", None)],
)
def test_interleaved_tool_calls(
    demo_server: DemoServer, style: ToolCallStyle, first_index: int | None
) -> None:
    calls = [("weather", {"city": "Paris", "unit": "celsius"}), ("clock", '{"tz": "UTC"}')]
    demo_server.push(Parrot(tool_calls=calls, tool_call_style=style))
    parsed = chunks(stream(demo_server))
    assert parsed[-2]["choices"][0]["finish_reason"] == "tool_calls"
    fragments = [f for c in parsed[1:-2] for f in c["choices"][0]["delta"]["tool_calls"]]
    indexes = [f.get("index") for f in fragments]
    second_index = None if first_index is None else first_index + 1
    assert indexes[:3] == [first_index, second_index, first_index]
    assert all("id" in f for f in fragments) == (style == "repeat_ids")
    if first_index is not None:
        first_call = [f for f in fragments if f["index"] == first_index]
        arguments = "".join(f["function"].get("arguments", "") for f in first_call)
        assert json.loads(arguments) == {"city": "Paris", "unit": "celsius"}


def test_usage_chunk_without_choices_key(demo_server: DemoServer) -> None:
    demo_server.push(Parrot(text="ok", usage=True, usage_choices=False))
    usage = chunks(stream(demo_server, body(stream_options=None)))[-1]
    assert "choices" not in usage and usage["usage"]["completion_tokens"] == 1


@pytest.mark.parametrize(
    ("style", "marker"),
    [
        ("openai", b'data: {"error":{"message":"boom"'),
        ("event", b'event: error\ndata: {"error":'),
        ("vllm", b'data: {"object":"error","message":"boom"'),
        ("openrouter", b'"finish_reason":"error"}],"error":{"code":502,"message":"boom"}'),
    ],
)
def test_in_stream_errors(demo_server: DemoServer, style: ErrorStyle, marker: bytes) -> None:
    demo_server.push(
        Parrot(text="one two three", error_after=2, error_style=style, error_message="boom")
    )
    raw = stream(demo_server)
    assert marker in raw and b"[DONE]" not in raw
    assert content(chunks(raw)) == ["one", " two"]


@pytest.mark.parametrize("reason", ["length", "content_filter"])
def test_finish_reason_knob(demo_server: DemoServer, reason: str) -> None:
    demo_server.push(Parrot(text="Cut", finish_reason=reason))
    assert chunks(stream(demo_server))[-2]["choices"][0]["finish_reason"] == reason


def test_end_of_stream_knobs(demo_server: DemoServer) -> None:
    demo_server.push(
        Parrot(text="a", finish=False, done=False),
        Parrot(text="a", done_newline=False),
        Parrot(text="a", trailing=b"data: junk\n\n"),
    )
    no_end, no_newline, trailing = (stream(demo_server) for _ in range(3))
    assert b'finish_reason":"stop' not in no_end and b"DONE" not in no_end
    assert no_newline.endswith(b"data: [DONE]")
    assert trailing.endswith(DONE + b"data: junk\n\n")


def test_drop_closes_mid_body(demo_server: DemoServer) -> None:
    demo_server.push(Parrot(text="one two three", drop_after=2))
    received = b""
    with pytest.raises(httpx.RemoteProtocolError):
        for piece in reads(demo_server):
            received += piece
    assert content(chunks(received)) == ["one", " two"]
    assert demo_server.wait_for_request().completed


def test_reset_sends_rst(demo_server: DemoServer) -> None:
    demo_server.push(Script([sse(chunk("Hi"))], end="reset"))
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        list(reads(demo_server))


HANG = Script([sse(chunk("Hi"))], end="hang")
STALL = Parrot(text="Hi there", stall_after=1, stall_keepalive=0.01)


@pytest.mark.parametrize("behaviour", [HANG, STALL])
def test_hang_and_stall_wait_for_the_client(
    demo_server: DemoServer, behaviour: Script | Parrot
) -> None:
    demo_server.push(behaviour)
    with (
        httpx.Client(timeout=5) as client,
        client.stream("POST", f"{demo_server.base_url}/chat/completions", json=body()) as r,
    ):
        pieces = r.iter_raw()
        received = next(pieces)
        if isinstance(behaviour, Parrot):
            while received.count(b"OPENROUTER PROCESSING") < 2:
                received += next(pieces)
    assert demo_server.wait_for_disconnect().completed is False


def test_slow_first_byte(demo_server: DemoServer) -> None:
    demo_server.push(Parrot(text="late", first_delay=0.1))
    started = time.perf_counter()
    assert "late" in stream(demo_server).decode()
    assert time.perf_counter() - started >= 0.1


def test_http_errors_with_bodies_and_headers(demo_server: DemoServer) -> None:
    demo_server.push(
        HTTPError(429, headers={"Retry-After": "2", "retry-after-ms": "1500"}),
        HTTPError(502, "<html><body>Bad gateway</body></html>"),
        HTTPError(503, "busy"),
        Parrot(text="Finally."),
    )
    with httpx.Client(base_url=demo_server.base_url) as client:
        limited, html, plain, ok = (client.post("/chat/completions", json=body()) for _ in range(4))
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    assert limited.headers["retry-after-ms"] == "1500" and limited.json()["error"]["code"] == 429
    assert html.headers["content-type"].startswith("text/html") and b"Bad gateway" in html.content
    assert plain.headers["content-type"].startswith("text/plain") and plain.text == "busy"
    assert "".join(content(chunks(ok.content))) == "Finally."
    assert len({r.connection for r in demo_server.requests}) == 1


def test_a_gzip_flood_is_a_valid_gzip_of_the_promised_size() -> None:
    import gzip

    from parrotchat.demo.hostile import gzip_stream

    body = b"".join(gzip_stream(b"head", b"\n", 4 << 20, tail=b"end"))
    assert len(body) < 64 * 1024  # ~1000:1
    assert gzip.decompress(body) == b"head" + b"\n" * ((4 << 20) - (1 << 20)) + b"end"


def test_floods_are_sent_in_pieces_and_stop_when_the_client_leaves(
    demo_server: DemoServer,
) -> None:
    from parrotchat.demo import Flood

    demo_server.push(Flood("endless_event", text="so far"))
    with (
        httpx.Client() as client,
        client.stream("POST", f"{demo_server.base_url}/chat/completions", json=body()) as response,
    ):
        assert response.headers["content-type"] == "text/event-stream"
        read = 0
        for piece in response.iter_raw():
            read += len(piece)
            if read > 4 << 20:
                break
    assert demo_server.wait_for_disconnect().is_chat
    demo_server.push_models(Flood("huge_json", size=2 << 20))
    models = httpx.get(f"{demo_server.base_url}/models")
    assert models.content.startswith(b'{"object":"list","data":[{"id":"parrot-flood"}')
    assert len(models.content) >= (2 << 20) - (1 << 20)


def test_the_hostile_flag_names_every_flood() -> None:
    from parrotchat.demo.__main__ import _arguments

    assert _arguments(["--hostile", "gzip-stream"]).hostile == "gzip-stream"
    with pytest.raises(SystemExit):
        _arguments(["--hostile", "nope"])


# -- requests a real server refuses -----------------------------------------------------------


@pytest.mark.parametrize(
    ("request_body", "param", "code"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, None, None),
        ({"model": 7, "messages": []}, "model", "invalid_type"),
        ({"model": "parrot"}, "messages", "missing_required_parameter"),
        ({"model": "parrot", "messages": "not-a-list"}, "messages", "invalid_type"),
        ({"model": "parrot", "messages": []}, "messages", "empty_array"),
        ({"model": "parrot", "messages": ["hi"]}, "messages[0]", "invalid_type"),
        ({"model": "parrot", "messages": [{"content": "hi"}]}, "messages[0].role", None),
        ({"model": "parrot", "messages": [{"role": "robot", "content": "hi"}]},
         "messages[0].role", "invalid_value"),
        ({"model": "parrot", "messages": [{"role": "user"}]}, "messages[0].content", None),
        ({"model": "parrot", "messages": [{"role": "user", "content": 5}]},
         "messages[0].content", "invalid_type"),
        (body(stream="yes"), "stream", "invalid_type"),
        (body(tools="get_weather"), "tools", "invalid_type"),
        (body(tools=[{"type": "function"}]), "tools[0].function", None),
        (body(tools=[{"type": "function", "function": {}}]), "tools[0].function.name", None),
    ],
)  # fmt: skip
def test_malformed_requests_get_openai_400s(
    demo_server: DemoServer, request_body: dict[str, Any], param: str | None, code: str | None
) -> None:
    demo_server.push(Parrot(text="kept for the next good request"))
    with httpx.Client(base_url=demo_server.base_url, timeout=5) as client:
        refused = client.post("/chat/completions", json=request_body)
        assert refused.status_code == 400
        error = refused.json()["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert error["type"] == "invalid_request_error" and error["param"] == param
        assert code is None or error["code"] == code
        assert error["message"].endswith(".") or error["message"].endswith("parameter")
        answered = client.post("/chat/completions", json=body(stream=False))
    assert answered.json()["choices"][0]["message"]["content"] == "kept for the next good request"


def test_not_a_list_of_messages_is_the_openai_sentence(demo_server: DemoServer) -> None:
    refused = httpx.post(
        f"{demo_server.base_url}/chat/completions",
        json={"model": "parrot", "messages": "not-a-list"},
    )
    assert refused.json()["error"] == {
        "message": "Invalid type for 'messages': expected an array of objects, but got a string "
        "instead.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "invalid_type",
    }


# -- parrot-tools -------------------------------------------------------------------------------

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather at a place.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
            },
            "required": ["location", "unit"],
        },
    },
}
CLOCK = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}


def tool_fragments(parsed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        fragment
        for c in parsed
        for choice in c.get("choices", [])
        for fragment in choice["delta"].get("tool_calls") or ()
    ]


def test_parrot_tools_streams_a_call_split_over_chunks_as_openai_does(
    demo_server: DemoServer,
) -> None:
    request = body("Weather in Paris?", model="parrot-tools", tools=[WEATHER, CLOCK])
    parsed = chunks(stream(demo_server, request))
    fragments = tool_fragments(parsed)
    first, rest = fragments[0], fragments[1:]
    assert first == {
        "index": 0,
        "id": "call_parrot_0",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    assert len(rest) > 2 and all(set(f) == {"index", "function"} for f in rest)
    arguments = "".join(f["function"]["arguments"] for f in rest)
    assert json.loads(arguments) == {"location": "Paris", "unit": "celsius"}
    finish = [choice["finish_reason"] for c in parsed for choice in c.get("choices", [])]
    assert finish[-1] == "tool_calls" and not content(parsed)


def test_parrot_tools_calls_every_tool_the_prompt_names_one_after_another(
    demo_server: DemoServer,
) -> None:
    request = body("Use get_time and get_weather for Lima", model="parrot-tools",
                   tools=[WEATHER, CLOCK])  # fmt: skip
    indexes = [f["index"] for f in tool_fragments(chunks(stream(demo_server, request)))]
    assert indexes == sorted(indexes) and set(indexes) == {0, 1}


def test_parrot_tools_answers_in_words_after_the_results(demo_server: DemoServer) -> None:
    call = {"id": "call_parrot_0", "type": "function",
            "function": {"name": "get_weather", "arguments": '{"location":"Paris"}'}}  # fmt: skip
    request = body(model="parrot-tools", tools=[WEATHER])
    request["messages"] += [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_parrot_0", "content": "18 C and sunny"},
    ]
    parsed = chunks(stream(demo_server, request))
    assert "".join(content(parsed)) == "Squawk! The tools said: 18 C and sunny"
    assert not tool_fragments(parsed)


def test_parrot_tools_without_tools_is_a_plain_parrot(demo_server: DemoServer) -> None:
    parsed = chunks(stream(demo_server, body(model="parrot-tools")))
    assert "".join(content(parsed)) == reply_text(PROMPT) and not tool_fragments(parsed)
