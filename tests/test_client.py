"""Every case of protocol.md, through the real client against the real demo server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field

import pytest

from parrotchat.api import (
    APIError,
    AuthenticationError,
    ChatClient,
    Endpoint,
    Finished,
    IdleTimeout,
    Limits,
    NotFound,
    PaymentRequired,
    ProtocolError,
    ProviderError,
    RateLimited,
    ReasoningDelta,
    ResponseTooLarge,
    Retrying,
    ServerError,
    StreamInterrupted,
    TextDelta,
    ToolCallDelta,
)
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import DONE, HTTPError, Parrot, Script, chunk, sse
from parrotchat.demo.hostile import Flood, gzip_stream

KEY = "sk-test-0123456789abcdef"


@dataclass
class Outcome:
    text: str = ""
    reasoning: str = ""
    tool_deltas: int = 0
    retries: list[Retrying] = field(default_factory=list)
    finished: Finished | None = None
    error: APIError | None = None


def endpoint(server: DemoServer, **overrides: object) -> Endpoint:
    options: dict[str, object] = {
        "api_key": KEY,
        "key_source": "environment variable PARROTCHAT_API_KEY",
        **overrides,
    }
    return Endpoint("test", server.base_url, **options)  # type: ignore[arg-type]


async def run(server: DemoServer, *behaviours: object, **endpoint_options: object) -> Outcome:
    """Queue `behaviours` on the server, stream one reply, and collect what a user would see."""
    server.push(*behaviours)
    outcome = Outcome()
    async with ChatClient(endpoint(server, **endpoint_options)) as client:
        try:
            async for event in client.stream_chat("parrot", [{"role": "user", "content": "hi"}]):
                if isinstance(event, TextDelta):
                    outcome.text += event.text
                elif isinstance(event, ReasoningDelta):
                    outcome.reasoning += event.text
                elif isinstance(event, ToolCallDelta):
                    outcome.tool_deltas += 1
                elif isinstance(event, Retrying):
                    outcome.retries.append(event)
                elif isinstance(event, Finished):
                    outcome.finished = event
        except APIError as exc:
            outcome.error = exc
    return outcome


def text_chunks(*pieces: str) -> list[bytes]:
    writes = [sse(chunk(role="assistant", content=""))]
    writes += [sse(chunk(content=piece)) for piece in pieces]
    writes += [sse(chunk(finish_reason="stop")), DONE]
    return writes


async def test_1_plain_stream(demo_server: DemoServer) -> None:
    outcome = await run(demo_server, Script(text_chunks("Hi", " there")))
    assert outcome.text == "Hi there"
    assert outcome.finished is not None and outcome.finished.reason == "stop"
    assert outcome.error is None


async def test_2_data_without_space(demo_server: DemoServer) -> None:
    writes = [b'data:{"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n', DONE]
    assert (await run(demo_server, Script(writes))).text == "Hi"


async def test_3_json_split_over_two_data_lines(demo_server: DemoServer) -> None:
    writes = [b'data: {"choices":[{"index":0,\ndata: "delta":{"content":"Hi"}}]}\n\n', DONE]
    assert (await run(demo_server, Script(writes))).text == "Hi"


async def test_4_keepalive_comments_are_ignored(demo_server: DemoServer) -> None:
    writes = [b": OPENROUTER PROCESSING\n\n"] * 3 + text_chunks("Hi")
    assert (await run(demo_server, Script(writes))).text == "Hi"


@pytest.mark.parametrize("framing", ["crlf", "cr"])
async def test_5_crlf_and_cr_framing(demo_server: DemoServer, framing: str) -> None:
    outcome = await run(demo_server, Parrot(text="Hello, world.", framing=framing))
    assert outcome.text == "Hello, world."
    assert outcome.finished is not None


async def test_6_one_byte_per_read(demo_server: DemoServer) -> None:
    outcome = await run(demo_server, Parrot(text="Héllo wörld 😀 done.", one_byte_writes=True))
    assert outcome.text == "Héllo wörld 😀 done."


async def test_7_split_two_byte_character(demo_server: DemoServer) -> None:
    body = sse(chunk(content="é"))
    cut = body.index("é".encode()) + 1
    writes = [body[:cut], body[cut:], DONE]
    assert (await run(demo_server, Script(writes))).text == "é"


async def test_8_empty_data_and_ping_events_are_skipped(demo_server: DemoServer) -> None:
    writes = [b"data:\n\n", b"event: ping\n\n", *text_chunks("ok")]
    outcome = await run(demo_server, Script(writes))
    assert (outcome.text, outcome.error) == ("ok", None)


async def test_9_retry_field_does_nothing(demo_server: DemoServer) -> None:
    writes = [b"retry: 3000\n\n", *text_chunks("ok")]
    outcome = await run(demo_server, Script(writes))
    assert (outcome.text, outcome.error, len(demo_server.chat_requests)) == ("ok", None, 1)


async def test_10_not_json_is_a_clear_protocol_error_partial_kept(demo_server: DemoServer) -> None:
    writes = [sse(chunk(content="partial")), b"data: hello\n\n", DONE]
    outcome = await run(demo_server, Script(writes))
    assert outcome.text == "partial"
    assert isinstance(outcome.error, ProtocolError)
    assert "not JSON" in outcome.error.message
    assert len(demo_server.chat_requests) == 1  # tokens were shown: no retry


async def test_11_null_content_prints_nothing(demo_server: DemoServer) -> None:
    writes = [
        b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":null}}]}\n\n',
        *text_chunks("a"),
    ]
    outcome = await run(demo_server, Script(writes))
    assert outcome.text == "a"
    assert "null" not in outcome.text


@pytest.mark.parametrize("field_name", ["reasoning", "reasoning_content"])
async def test_12_reasoning_is_not_the_answer(demo_server: DemoServer, field_name: str) -> None:
    outcome = await run(
        demo_server, Parrot(text="Answer.", reasoning="Let me think.", reasoning_field=field_name)
    )
    assert outcome.reasoning == "Let me think."
    assert outcome.text == "Answer."


async def test_13_two_interleaved_tool_calls(demo_server: DemoServer) -> None:
    def call(index: int, **fields: object) -> bytes:
        return sse(chunk(tool_calls=[{"index": index, **fields}]))

    writes = [
        call(0, id="a", type="function", function={"name": "weather", "arguments": ""}),
        call(1, id="b", type="function", function={"name": "clock", "arguments": '{"tz":'}),
        call(0, function={"arguments": '{"city":"Par'}),
        call(1, function={"arguments": '"UTC"}'}),
        call(0, function={"arguments": 'is"}'}),
        sse(chunk(finish_reason="tool_calls")),
        DONE,
    ]
    outcome = await run(demo_server, Script(writes))
    assert outcome.finished is not None and outcome.finished.reason == "tool_calls"
    calls = outcome.finished.tool_calls
    assert [(c.name, c.parsed_arguments) for c in calls] == [
        ("weather", {"city": "Paris"}),
        ("clock", {"tz": "UTC"}),
    ]
    assert outcome.tool_deltas == 5


async def test_parallel_calls_one_per_chunk_with_empty_ids(demo_server: DemoServer) -> None:
    calls = [("get_weather", {"location": "Paris"}), ("get_timezone", {"tz": "CET"})]
    outcome = await run(demo_server, Parrot(tool_calls=calls, tool_call_style="one_per_chunk"))
    assert outcome.finished is not None and outcome.finished.reason == "tool_calls"
    assert [(c.name, c.parsed_arguments) for c in outcome.finished.tool_calls] == calls
    assert outcome.tool_deltas == 2


async def test_14_tool_call_without_index(demo_server: DemoServer) -> None:
    writes = [
        sse(chunk(tool_calls=[{"id": "x", "function": {"name": "f", "arguments": "{}"}}])),
        sse(chunk(finish_reason="tool_calls")),
        DONE,
    ]
    outcome = await run(demo_server, Script(writes))
    assert outcome.finished is not None
    assert [c.name for c in outcome.finished.tool_calls] == ["f"]


async def test_15_usage_chunks_with_empty_or_no_choices(demo_server: DemoServer) -> None:
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5, "cost": 0.01}
    writes = [
        *text_chunks("ok")[:-1],
        b'data: {"id":"x"}\n\n',
        sse({"choices": [], "usage": usage}),
        DONE,
    ]
    outcome = await run(demo_server, Script(writes))
    assert outcome.finished is not None and outcome.finished.usage is not None
    assert outcome.finished.usage.completion_tokens == 2
    assert outcome.finished.usage.cost == 0.01


async def test_16_openrouter_error_chunk_then_eof(demo_server: DemoServer) -> None:
    error_chunk = {
        "error": {"code": 502, "message": "Upstream overloaded"},
        "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
    }
    writes = [sse(chunk(content="partial")), sse(error_chunk)]
    outcome = await run(demo_server, Script(writes))
    assert outcome.text == "partial"
    assert isinstance(outcome.error, ProviderError)
    assert "Upstream overloaded" in outcome.error.message
    assert len(demo_server.chat_requests) == 1


@pytest.mark.parametrize(
    "error_write",
    [
        sse({"error": {"message": "boom"}}),
        b'event: error\ndata: {"error": {"message": "boom"}}\n\n',
        b"event: error\ndata: boom\n\n",
        sse({"object": "error", "message": "boom", "code": 400}),
    ],
)
async def test_17_in_stream_errors(demo_server: DemoServer, error_write: bytes) -> None:
    outcome = await run(demo_server, Script([sse(chunk(content="so far")), error_write]))
    assert isinstance(outcome.error, ProviderError)
    assert "boom" in outcome.error.message
    assert outcome.text == "so far"


@pytest.mark.parametrize("reason", ["length", "content_filter"])
async def test_18_length_and_content_filter_notices(demo_server: DemoServer, reason: str) -> None:
    outcome = await run(demo_server, Parrot(text="Cut", finish_reason=reason))
    assert outcome.finished is not None and outcome.finished.reason == reason
    assert outcome.finished.notice is not None


@pytest.mark.parametrize("ending", ["close", "drop", "reset"])
async def test_19_eof_or_reset_without_finish_is_interrupted(
    demo_server: DemoServer, ending: str
) -> None:
    outcome = await run(demo_server, Script([sse(chunk(content="half"))], end=ending))
    assert outcome.text == "half"
    assert isinstance(outcome.error, StreamInterrupted)
    assert len(demo_server.chat_requests) == 1


async def test_19_finish_reason_then_drop_is_success(demo_server: DemoServer) -> None:
    writes = [sse(chunk(content="all")), sse(chunk(finish_reason="stop"))]
    outcome = await run(demo_server, Script(writes, end="drop"))
    assert outcome.error is None
    assert outcome.finished is not None and outcome.finished.reason == "stop"


async def test_20_done_without_trailing_newline(demo_server: DemoServer) -> None:
    writes = [sse(chunk(content="ok")), b"data: [DONE]"]
    outcome = await run(demo_server, Script(writes))
    assert (outcome.text, outcome.error) == ("ok", None)


async def test_21_bytes_after_done_are_ignored(demo_server: DemoServer) -> None:
    writes = [sse(chunk(content="ok")), DONE, sse(chunk(content="GARBAGE")), b"data: junk\n\n"]
    outcome = await run(demo_server, Script(writes, end="hang"))
    assert (outcome.text, outcome.error) == ("ok", None)
    request = await asyncio.to_thread(demo_server.wait_for_disconnect, 5)
    assert request.disconnected_at is not None  # the client closed the connection itself


async def test_22_unauthorized_names_the_key_source_and_never_retries(
    demo_server: DemoServer,
) -> None:
    body = {"error": {"message": f"Incorrect API key provided: {KEY}", "code": "invalid_api_key"}}
    outcome = await run(demo_server, HTTPError(401, body))
    assert isinstance(outcome.error, AuthenticationError)
    assert "environment variable PARROTCHAT_API_KEY" in outcome.error.message
    assert KEY not in outcome.error.message and KEY not in repr(outcome.error)
    assert len(demo_server.chat_requests) == 1
    assert demo_server.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    ("status", "kind", "hint"),
    [(402, PaymentRequired, "credits"), (404, NotFound, "model id"), (400, APIError, "refused")],
)
async def test_22_client_errors_are_not_retried(
    demo_server: DemoServer, status: int, kind: type, hint: str
) -> None:
    outcome = await run(demo_server, HTTPError(status, {"error": {"message": "nope"}}))
    assert isinstance(outcome.error, kind)
    assert hint in outcome.error.message
    assert len(demo_server.chat_requests) == 1


async def test_22_html_error_page_gives_a_plain_sentence(demo_server: DemoServer) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    outcome = await run(
        demo_server, *[HTTPError(502, page, content_type="text/html")] * 3, max_retries=2
    )
    assert isinstance(outcome.error, ServerError)
    assert "<" not in outcome.error.message
    assert len(outcome.retries) == 2 and len(demo_server.chat_requests) == 3


async def test_23_retry_after_is_honoured(demo_server: DemoServer) -> None:
    started = time.monotonic()
    outcome = await run(
        demo_server,
        HTTPError(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "1"}),
        Parrot(text="Finally."),
    )
    assert outcome.text == "Finally."
    assert [r.delay for r in outcome.retries] == [1.0]
    first, second = demo_server.chat_requests
    assert second.received_at - first.received_at >= 0.95
    assert time.monotonic() - started < 5


async def test_23_retry_after_ms_wins(demo_server: DemoServer) -> None:
    headers = {"retry-after-ms": "50", "Retry-After": "30"}
    outcome = await run(demo_server, HTTPError(503, "busy", headers=headers), Parrot(text="ok"))
    assert outcome.text == "ok"
    assert [r.delay for r in outcome.retries] == [0.05]


async def test_23_long_retry_after_gives_up_and_says_so(demo_server: DemoServer) -> None:
    outcome = await run(demo_server, HTTPError(429, "later", headers={"Retry-After": "3600"}))
    assert isinstance(outcome.error, RateLimited)
    assert "3600" in outcome.error.message
    assert len(demo_server.chat_requests) == 1


async def test_insufficient_quota_is_not_retried(demo_server: DemoServer) -> None:
    body = {"error": {"message": "quota", "type": "insufficient_quota"}}
    outcome = await run(demo_server, HTTPError(429, body))
    assert isinstance(outcome.error, PaymentRequired)
    assert len(demo_server.chat_requests) == 1


async def test_connection_refused_is_retried_then_explained() -> None:
    dead = Endpoint("dead", "http://127.0.0.1:9/v1", max_retries=1)
    async with ChatClient(dead) as client:
        with pytest.raises(APIError) as caught:
            async for _ in client.stream_chat("m", [{"role": "user", "content": "x"}]):
                pass
    assert "Could not connect" in caught.value.message


async def test_24_idle_past_timeout_keeps_the_partial(demo_server: DemoServer) -> None:
    # Only keep-alives after the first token: httpx's read timeout never fires, the watchdog does.
    behaviour = Parrot(text="one two three", stall_after=1, stall_keepalive=0.05)
    outcome = await run(demo_server, behaviour, idle_timeout=0.5)
    assert isinstance(outcome.error, IdleTimeout)
    assert outcome.text == "one"


async def test_a_silent_server_is_not_said_to_send_keep_alives(demo_server: DemoServer) -> None:
    silent = Script([], end="hang")  # the headers, then not one byte
    outcome = await run(demo_server, silent, idle_timeout=0.3, read_timeout=30, max_retries=0)
    assert isinstance(outcome.error, IdleTimeout)
    assert outcome.error.message == "The server sent nothing for 0.3 s; try again."


async def test_a_long_retry_after_on_a_503_says_when_to_try_again(demo_server: DemoServer) -> None:
    outcome = await run(demo_server, HTTPError(503, headers={"Retry-After": "120"}))
    assert isinstance(outcome.error, ServerError)
    assert outcome.retries == []
    assert "try again in 2 minutes" in outcome.error.message


async def test_random_bytes_as_a_stream_are_a_malformed_answer(demo_server: DemoServer) -> None:
    noise = bytes((i * 73 + 41) % 256 for i in range(4096) if (i * 73 + 41) % 256 not in (10, 13))
    outcome = await run(demo_server, Script([noise, noise]), max_retries=0)
    assert isinstance(outcome.error, ProtocolError)
    assert "malformed" in outcome.error.message


async def test_random_bytes_instead_of_http_are_a_malformed_answer() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.write(bytes((i * 73 + 41) % 256 for i in range(4096)) + b"\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with ChatClient(Endpoint("junk", f"http://127.0.0.1:{port}/v1", max_retries=0)) as c:
            with pytest.raises(ProtocolError, match="malformed"):
                async for _ in c.stream_chat("m", [{"role": "user", "content": "x"}]):
                    pass
    finally:
        server.close()
        await server.wait_closed()


async def test_24_read_timeout_before_any_byte(demo_server: DemoServer) -> None:
    outcome = await run(demo_server, Script([], end="hang"), read_timeout=0.3, max_retries=0)
    assert outcome.error is not None
    assert "did not answer" in outcome.error.message


async def test_25_cancel_closes_the_connection_at_once(demo_server: DemoServer) -> None:
    demo_server.push(Parrot(tokens=10_000, tokens_per_second=200))
    got_tokens = asyncio.Event()

    async def consume() -> None:
        async with ChatClient(endpoint(demo_server)) as client:
            async for event in client.stream_chat("parrot", [{"role": "user", "content": "x"}]):
                if isinstance(event, TextDelta):
                    got_tokens.set()

    task = asyncio.create_task(consume())
    await got_tokens.wait()
    cancelled_at = time.monotonic()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    request = await asyncio.to_thread(demo_server.wait_for_disconnect, 5)
    assert request.disconnected_at is not None
    assert request.disconnected_at - cancelled_at < 1.0  # at once; benchmarks/cancel.py times it


async def test_leaving_the_loop_early_closes_the_connection(demo_server: DemoServer) -> None:
    demo_server.push(Parrot(tokens=10_000, tokens_per_second=200))
    async with ChatClient(endpoint(demo_server)) as client:
        events = client.stream_chat("parrot", [{"role": "user", "content": "x"}])
        async with contextlib.aclosing(events):
            async for event in events:
                if isinstance(event, TextDelta):
                    break
        left_at = time.monotonic()
    request = await asyncio.to_thread(demo_server.wait_for_disconnect, 5)
    assert request.disconnected_at is not None
    assert request.disconnected_at - left_at < 1.0  # at once; benchmarks/cancel.py times it


async def test_request_shape_headers_and_usage_option(demo_server: DemoServer) -> None:
    extra_headers = {"X-Custom": "1"}
    await run(demo_server, Parrot(text="ok"), headers=extra_headers)
    request = demo_server.chat_requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.headers["user-agent"].startswith("parrotchat/")
    assert request.headers["x-title"] == "parrotchat"
    assert "http-referer" in request.headers
    assert request.headers["x-custom"] == "1"


async def test_no_key_means_no_authorization_header(demo_server: DemoServer) -> None:
    await run(demo_server, Parrot(text="ok"), api_key=None, key_source=None)
    assert "authorization" not in demo_server.chat_requests[0].headers


async def test_list_models_reads_names_context_and_prices(demo_server: DemoServer) -> None:
    async with ChatClient(endpoint(demo_server)) as client:
        models = await client.list_models()
    ids = [m.id for m in models]
    assert "parrot" in ids
    parrot = next(m for m in models if m.id == "parrot")
    assert parrot.context_length
    assert parrot.prompt_price is not None


async def test_a_web_page_instead_of_a_stream_is_explained(demo_server: DemoServer) -> None:
    page = Script(
        [b"<html><body>Please log in to the Wi-Fi</body></html>"],
        headers={"Content-Type": "text/html"},
    )
    outcome = await run(demo_server, page, max_retries=0)
    assert isinstance(outcome.error, ProtocolError)
    assert "web page" in outcome.error.message


async def test_an_endless_line_is_cut_off_not_buffered_forever(demo_server: DemoServer) -> None:
    endless = Script([b"data: " + b"x" * (1 << 20)] * 9, end="hang")
    outcome = await run(demo_server, endless, max_retries=0)
    assert isinstance(outcome.error, ProtocolError)
    assert "8 MB" in outcome.error.message


async def test_a_server_that_ignores_stream_true_still_answers(demo_server: DemoServer) -> None:
    message = {"role": "assistant", "content": "Whole."}
    body = json.dumps({"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})
    whole = Script([body.encode()], headers={"Content-Type": "application/json"})
    outcome = await run(demo_server, whole)
    assert outcome.text == "Whole."
    assert outcome.finished is not None and outcome.finished.reason == "stop"


async def test_surrogate_pairs_split_across_chunks_become_one_character(
    demo_server: DemoServer,
) -> None:
    writes = [
        b'data: {"choices":[{"index":0,"delta":{"content":"smile \\ud83d"}}]}\n\n',
        b'data: {"choices":[{"index":0,"delta":{"content":"\\ude00 and \\udc00 done"}}]}\n\n',
        DONE,
    ]
    outcome = await run(demo_server, Script(writes))
    assert outcome.text == "smile 😀 and \ufffd done"
    outcome.text.encode("utf-8")  # the next request can carry it


async def test_a_key_is_scrubbed_before_an_error_text_is_shortened(demo_server: DemoServer) -> None:
    echoed = "x" * 150 + f" bad key Bearer {KEY} " + "y" * 300
    outcome = await run(demo_server, HTTPError(401, {"error": {"message": echoed}}))
    assert outcome.error is not None
    assert KEY[:8] not in outcome.error.message


async def test_credential_headers_are_scrubbed_from_errors(demo_server: DemoServer) -> None:
    secret = "hdr-SECRET-abcdef123456"
    body = {"error": {"message": f"token {secret} rejected"}}
    outcome = await run(
        demo_server, HTTPError(403, body), api_key=None, headers={"api-key": secret}
    )
    assert outcome.error is not None
    assert secret not in outcome.error.message
    assert demo_server.chat_requests[0].headers["api-key"] == secret


async def test_a_compressed_body_is_refused_in_one_sentence(demo_server: DemoServer) -> None:
    lying = Script([b"not gzip at all"], headers={"Content-Encoding": "gzip"})
    outcome = await run(demo_server, lying, max_retries=0)
    assert isinstance(outcome.error, ProtocolError)
    assert "compressed its answer (Content-Encoding: gzip)" in outcome.error.message


# -- hostile servers: every read from the network has a limit -------------------------------

SMALL = Limits(response=1 << 20, models=1 << 20, event=1 << 20, line=1 << 20, reply=1 << 20)
"""1 MB everywhere: the attacks below send 64 MB and more."""


async def test_a_gzip_bomb_json_body_is_refused_not_decoded(demo_server: DemoServer) -> None:
    bomb = Flood("gzip_json", size=64 << 20)
    outcome = await run(demo_server, bomb, max_retries=0, limits=SMALL)
    assert isinstance(outcome.error, ProtocolError)
    assert "compressed its answer" in outcome.error.message


async def test_a_huge_json_body_stops_at_the_response_limit(demo_server: DemoServer) -> None:
    outcome = await run(demo_server, Flood("huge_json", size=64 << 20), max_retries=0, limits=SMALL)
    assert isinstance(outcome.error, ResponseTooLarge)
    assert outcome.error.message == (
        "The server's answer is larger than 1 MB (limits.response_mb); check that the base URL "
        "points to an OpenAI-compatible API, or raise the limit in the config."
    )


async def test_an_endless_event_stops_at_the_event_limit_and_keeps_the_text(
    demo_server: DemoServer,
) -> None:
    flood = Flood("endless_event", size=64 << 20, text="partial answer")
    outcome = await run(demo_server, flood, max_retries=0, limits=SMALL)
    assert outcome.text == "partial answer"
    assert isinstance(outcome.error, ResponseTooLarge)
    assert "one event of over 1 MB (limits.event_mb)" in outcome.error.message


async def test_a_gzip_bomb_in_the_stream_is_refused(demo_server: DemoServer) -> None:
    flood = Flood("gzip_stream", size=64 << 20)
    outcome = await run(demo_server, flood, max_retries=0, limits=SMALL)
    assert isinstance(outcome.error, ProtocolError)
    assert "compressed its answer (Content-Encoding: gzip)" in outcome.error.message


async def test_a_gzip_error_body_is_read_within_its_limit(demo_server: DemoServer) -> None:
    body = b"".join(gzip_stream(b'{"error":{"message":"overloaded', b" ", 64 << 20, b'"}}'))
    error = HTTPError(503, body, headers={"Content-Encoding": "gzip"}, content_type="text/plain")
    outcome = await run(demo_server, error, max_retries=0)
    assert isinstance(outcome.error, ServerError)
    assert "503 Service Unavailable" in outcome.error.message


async def test_a_reply_stops_at_the_reply_limit_and_keeps_the_text(
    demo_server: DemoServer,
) -> None:
    piece = "x" * 4096
    writes = [sse(chunk(content=piece)) for _ in range(400)]  # 1.6 MB of answer
    outcome = await run(demo_server, Script(writes, end="hang"), max_retries=0, limits=SMALL)
    assert isinstance(outcome.error, ResponseTooLarge)
    assert "limits.reply_mb" in outcome.error.message
    assert 1 << 20 <= len(outcome.text) <= (1 << 20) + len(piece)


async def test_a_huge_model_list_stops_at_the_models_limit(demo_server: DemoServer) -> None:
    demo_server.push_models(Flood("huge_json", size=64 << 20))
    async with ChatClient(endpoint(demo_server, limits=SMALL, max_retries=0)) as client:
        with pytest.raises(ResponseTooLarge, match=r"model list is larger than 1 MB"):
            await client.list_models()


async def test_a_long_line_stops_at_the_line_limit(demo_server: DemoServer) -> None:
    endless = Script([b"data: " + b"x" * (1 << 19)] * 4, end="hang")
    outcome = await run(demo_server, endless, max_retries=0, limits=SMALL)
    assert isinstance(outcome.error, ProtocolError)
    assert "a line of over 1 MB (limits.line_mb)" in outcome.error.message


def test_absurdly_deep_tool_arguments_are_kept_as_text() -> None:
    from parrotchat.api.events import ToolCall

    call = ToolCall(index=0, name="f", arguments="[" * 200_000)
    assert call.parsed_arguments is None


def test_model_ids_that_cannot_be_encoded_are_left_out() -> None:
    from parrotchat.api.models import parse_models

    models = parse_models(
        {"data": [{"id": "bad-\ud83d"}, {"id": "good", "context_length": True, "name": "n\udc00"}]}
    )
    assert [(m.id, m.context_length, m.name) for m in models] == [("good", None, "n\ufffd")]


async def test_a_content_part_whose_text_is_not_a_string_is_a_protocol_error(
    demo_server: DemoServer,
) -> None:
    parts = [{"type": "text", "text": "fine "}, {"type": "text", "text": 5}]
    writes = [sse(chunk(content="so far ")), sse(chunk(delta={"content": parts})), DONE]
    outcome = await run(demo_server, Script(writes), max_retries=0)
    assert outcome.text == "so far "
    assert isinstance(outcome.error, ProtocolError)
    assert "a content part's text is not a string" in outcome.error.message


def test_llama_cpp_context_size_from_meta() -> None:
    from parrotchat.api.models import parse_models

    def llama(model_id: str, **meta: int) -> dict[str, object]:
        return {"id": model_id, "object": "model", "owned_by": "llamacpp", "meta": meta}

    body = {
        "models": [{"name": "gemma.gguf", "model": "gemma.gguf"}],
        "object": "list",
        "data": [
            llama("gemma.gguf", n_ctx_train=32768),
            llama("qwen.gguf", n_ctx=4096, n_ctx_train=40960),
        ],
    }
    models = parse_models(body)
    assert [(m.id, m.context_length) for m in models] == [
        ("gemma.gguf", 32768),
        ("qwen.gguf", 4096),  # the context the server was started with comes first
    ]
