"""Chunk parsing: JSON chunks to typed events, tolerant of how servers bend the protocol."""

from __future__ import annotations

import json
from typing import Any

import pytest

from parrotchat.api.chunks import ChunkParser
from parrotchat.api.errors import ProtocolError, ProviderError
from parrotchat.api.events import ReasoningDelta, TextDelta, ToolCallDelta, Usage
from parrotchat.api.sse import ServerSentEvent


def parse_all(*chunks: dict[str, Any] | str, event: str = "message") -> tuple[list, ChunkParser]:
    parser = ChunkParser()
    events: list = []
    for chunk in chunks:
        data = chunk if isinstance(chunk, str) else json.dumps(chunk)
        events += parser.parse(ServerSentEvent(data, event))
    return events, parser


def delta(**fields: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": fields, "finish_reason": None}]}


def test_text_and_role() -> None:
    events, _ = parse_all(delta(role="assistant", content=""), delta(content="Hi"))
    assert events == [TextDelta("Hi")]


def test_null_and_absent_content_print_nothing() -> None:
    events, _ = parse_all(delta(role="assistant", content=None), delta(), {"choices": [{}]})
    assert events == []


def test_reasoning_in_either_field_is_not_the_answer() -> None:
    events, _ = parse_all(delta(reasoning="think"), delta(reasoning_content="more"))
    assert events == [ReasoningDelta("think"), ReasoningDelta("more")]
    both, _ = parse_all(delta(reasoning="once", reasoning_content="once"))
    assert both == [ReasoningDelta("once")]


def test_two_interleaved_tool_calls_with_split_arguments() -> None:
    def call(index: int, **fields: Any) -> dict[str, Any]:
        return delta(tool_calls=[{"index": index, **fields}])

    _, parser = parse_all(
        call(0, id="a", type="function", function={"name": "get_weather", "arguments": ""}),
        call(1, id="b", type="function", function={"name": "get_time", "arguments": '{"tz'}),
        call(0, function={"arguments": '{"city": '}),
        call(1, function={"arguments": '": "UTC"}'}),
        call(0, function={"arguments": '"Paris"}'}),
    )
    calls = parser.tool_calls
    assert [(c.index, c.id, c.name) for c in calls] == [
        (0, "a", "get_weather"),
        (1, "b", "get_time"),
    ]
    assert [c.parsed_arguments for c in calls] == [{"city": "Paris"}, {"tz": "UTC"}]


def test_tool_call_without_index_is_one_call() -> None:
    events, parser = parse_all(
        delta(tool_calls=[{"id": "x", "function": {"name": "f", "arguments": '{"a"'}}]),
        delta(tool_calls=[{"function": {"arguments": ": 1}"}}]),
    )
    assert len(parser.tool_calls) == 1
    assert parser.tool_calls[0].parsed_arguments == {"a": 1}
    assert all(isinstance(e, ToolCallDelta) and e.index == 0 for e in events)


def test_tool_call_ids_repeated_and_numbering_from_one() -> None:
    _, parser = parse_all(
        delta(tool_calls=[{"index": 1, "id": "c1", "function": {"name": "f", "arguments": "{"}}]),
        delta(tool_calls=[{"index": 1, "id": "c1", "function": {"arguments": "}"}}]),
        delta(tool_calls=[{"index": 2, "id": "c2", "function": {"name": "g", "arguments": "[]"}}]),
    )
    assert [(c.index, c.id, c.name, c.arguments) for c in parser.tool_calls] == [
        (0, "c1", "f", "{}"),
        (1, "c2", "g", "[]"),
    ]


def test_same_index_reused_for_a_new_call_id() -> None:
    _, parser = parse_all(
        delta(tool_calls=[{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}}]),
        delta(tool_calls=[{"index": 0, "id": "b", "function": {"name": "g", "arguments": "{}"}}]),
    )
    assert [c.name for c in parser.tool_calls] == ["f", "g"]


def test_whole_calls_one_per_chunk_without_index_and_with_empty_ids() -> None:
    def whole(name: str, arguments: str) -> dict[str, Any]:
        return delta(tool_calls=[{"id": "", "type": "function",
                                  "function": {"name": name, "arguments": arguments}}])  # fmt: skip

    events, parser = parse_all(
        whole("get_weather", '{"location":"Paris"}'),
        whole("get_timezone", '{"tz":"CET"}'),
        whole("get_weather", '{"location":"Lima"}'),
    )
    assert [(c.index, c.name, c.parsed_arguments) for c in parser.tool_calls] == [
        (0, "get_weather", {"location": "Paris"}),
        (1, "get_timezone", {"tz": "CET"}),
        (2, "get_weather", {"location": "Lima"}),
    ]
    assert [e.index for e in events if isinstance(e, ToolCallDelta)] == [0, 1, 2]


def test_a_name_repeated_in_every_fragment_of_one_call_is_still_one_call() -> None:
    def piece(arguments: str) -> dict[str, Any]:
        return delta(tool_calls=[{"function": {"name": "get_weather", "arguments": arguments}}])

    _, parser = parse_all(piece(""), piece('{"location":'), piece('"Paris"}'))
    assert [(c.name, c.parsed_arguments) for c in parser.tool_calls] == [
        ("get_weather", {"location": "Paris"})
    ]


def test_malformed_tool_arguments_are_kept_as_text() -> None:
    _, parser = parse_all(
        delta(tool_calls=[{"index": 0, "function": {"name": "f", "arguments": "{oops"}}])
    )
    assert parser.tool_calls[0].parsed_arguments is None
    assert parser.tool_calls[0].arguments == "{oops"


def test_usage_with_empty_or_missing_choices() -> None:
    usage = {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8, "cost": 0.002}
    events, parser = parse_all({"choices": [], "usage": usage}, {"id": "x"})
    assert events == [Usage(3, 5, 8, 0.002)]
    assert parser.usage == Usage(3, 5, 8, 0.002)


def test_groq_usage_inside_x_groq() -> None:
    usage = {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}
    events, parser = parse_all(
        {**delta(role="assistant", content=""), "x_groq": {"id": "req_1"}},
        delta(content="Hi"),
        {
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "x_groq": {"id": "req_1", "usage": usage},
        },
    )
    assert events == [TextDelta("Hi"), Usage(12, 7, 19)]
    assert parser.usage == Usage(12, 7, 19) and parser.finish_reason == "stop"


def test_finish_reason_is_remembered() -> None:
    _, parser = parse_all({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]})
    assert parser.finish_reason == "length"


@pytest.mark.parametrize(
    ("chunk", "event"),
    [
        ({"error": {"message": "boom", "code": 500}}, "message"),
        ({"object": "error", "message": "boom", "code": 400}, "message"),
        (
            {
                "error": {"code": 502, "message": "boom"},
                "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
            },
            "message",
        ),
        ({"error": {"message": "boom"}}, "error"),
        ("boom", "error"),
    ],
)
def test_in_stream_errors_carry_the_server_message(chunk: dict | str, event: str) -> None:
    with pytest.raises(ProviderError) as caught:
        parse_all(chunk, event=event)
    assert "boom" in caught.value.message
    assert caught.value.server_message == "boom"


def test_not_json_is_a_protocol_error_with_advice() -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_all("hello")
    assert "hello" in str(caught.value)
    assert "base URL" in str(caught.value)


def test_unknown_fields_and_event_types_are_ignored() -> None:
    events, _ = parse_all({"choices": [{"index": 0, "delta": {"content": "a", "x": 1}}], "y": 2})
    assert events == [TextDelta("a")]
    ignored, _ = parse_all("pong", event="ping")
    assert ignored == []


def test_whole_completion_from_a_server_that_ignores_stream() -> None:
    body = {
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1},
    }
    parser = ChunkParser()
    events = parser.parse_completion(json.dumps(body).encode())
    assert events[0] == TextDelta("Hi")
    assert parser.finish_reason == "stop"
