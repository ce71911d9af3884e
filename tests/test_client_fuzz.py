"""Any byte stream a server may send ends in an answer or in one `APIError`, never a crash."""

from __future__ import annotations

import asyncio
import itertools
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parrotchat.api import APIError, ChatClient, Endpoint, Finished, TextDelta
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import Script

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_deltas = st.fixed_dictionaries(
    {},
    optional={
        "content": st.none() | st.text(max_size=10) | _json_values,
        "role": st.just("assistant"),
        "reasoning": st.none() | st.text(max_size=10),
        "reasoning_content": st.text(max_size=10),
        "tool_calls": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "index": st.integers(-1, 3) | st.none() | st.text(max_size=2),
                    "id": st.sampled_from(["a", "b", None]),
                    "function": st.fixed_dictionaries(
                        {},
                        optional={
                            "name": st.text(max_size=5) | st.none(),
                            "arguments": st.text(max_size=8) | _json_values,
                        },
                    )
                    | _json_values,
                },
            )
            | _json_values,
            max_size=3,
        ),
    },
)
_chunks = st.one_of(
    st.builds(
        lambda delta, finish: {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]},
        _deltas | _json_values,
        st.sampled_from([None, None, "stop", "length", "tool_calls", "error", "weird"]),
    ),
    st.builds(lambda usage: {"choices": [], "usage": usage}, _json_values),
    st.builds(lambda choices: {"choices": choices}, st.lists(_json_values, max_size=2)),
    st.builds(lambda error: {"error": error}, _json_values),
    st.dictionaries(st.sampled_from(["choices", "usage", "object", "error", "x"]), _json_values),
)
_lines = st.one_of(
    _chunks.map(lambda c: b"data: " + json.dumps(c).encode() + b"\n\n"),
    _chunks.map(lambda c: b"data:" + json.dumps(c).encode() + b"\r\n\r\n"),
    st.sampled_from(
        [
            b"data: [DONE]\n\n",
            b"data: [DONE]",
            b": keep-alive\n\n",
            b"event: error\n",
            b"event: ping\n\n",
            b"retry: 10\n",
            b"id: 1\n",
            b"data:\n\n",
            b"\n",
            b"\r",
            b"\xef\xbb\xbf",
            b"data: not json\n\n",
            b"data: {\n",
            b'data: "x"}\n\n',
        ]
    ),
    st.binary(max_size=12),
)


def _split(stream: bytes, cuts: list[int]) -> list[bytes]:
    bounds = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    return [stream[a:b] for a, b in itertools.pairwise(bounds) if stream[a:b]]


async def _run(server: DemoServer) -> list[object]:
    events: list[object] = []
    endpoint = Endpoint("fuzz", server.base_url, max_retries=0, read_timeout=2, idle_timeout=2)
    async with ChatClient(endpoint) as client:
        try:
            async for event in client.stream_chat("parrot", [{"role": "user", "content": "x"}]):
                events.append(event)
        except APIError as exc:
            assert exc.message and "\n" not in exc.message  # one plain sentence
            events.append(exc)
    return events


def test_any_byte_stream_ends_in_an_answer_or_one_api_error() -> None:
    with DemoServer(tokens_per_second=None) as server:

        @settings(
            max_examples=120,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(
            pieces=st.lists(_lines, max_size=12),
            cuts=st.lists(st.integers(0, 10_000), max_size=8),
            end=st.sampled_from(["close", "drop", "reset"]),
        )
        def check(pieces: list[bytes], cuts: list[int], end: str) -> None:
            writes = _split(b"".join(pieces), cuts)
            server.push(Script(writes, end=end))  # type: ignore[arg-type]
            events = asyncio.run(_run(server))
            last = events[-1] if events else None
            assert isinstance(last, Finished | APIError), events
            assert sum(isinstance(e, Finished | APIError) for e in events) == 1
            assert all(isinstance(e.text, str) for e in events if isinstance(e, TextDelta))

        check()
