"""The SSE decoder: WHATWG framing rules, whatever fragments the network delivers."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from parrotchat.api.sse import ServerSentEvent, SSEDecoder


def decode(stream: bytes, cuts: list[int] | None = None) -> list[ServerSentEvent]:
    """Decode `stream` fed in pieces cut at the given offsets (one piece if None)."""
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    bounds = [0, *sorted(set(cuts or [])), len(stream)]
    for start, end in itertools.pairwise(bounds):
        events += decoder.feed(stream[start:end])
    return events + decoder.close()


def datas(stream: bytes, cuts: list[int] | None = None) -> list[str]:
    return [event.data for event in decode(stream, cuts)]


def one_byte_at_a_time(stream: bytes) -> list[str]:
    return datas(stream, list(range(1, len(stream))))


def test_data_with_and_without_space_after_colon() -> None:
    assert datas(b"data: hi\n\ndata:hi\n\ndata:  two\n\n") == ["hi", "hi", " two"]


def test_multiple_data_lines_are_joined_with_newline() -> None:
    assert datas(b'data: {"a":\ndata: 1}\n\n') == ['{"a":\n1}']


def test_comments_are_ignored() -> None:
    stream = b": OPENROUTER PROCESSING\n\n" * 3 + b"data: x\n\n"
    assert datas(stream) == ["x"]


def test_crlf_cr_and_lf_framing_give_the_same_events() -> None:
    lf = b"event: a\ndata: 1\ndata: 2\n\n: c\ndata: 3\n\n"
    expected = datas(lf)
    assert datas(lf.replace(b"\n", b"\r\n")) == expected
    assert datas(lf.replace(b"\n", b"\r")) == expected
    assert one_byte_at_a_time(lf.replace(b"\n", b"\r\n")) == expected
    assert expected == ["1\n2", "3"]


def test_crlf_split_across_reads_is_one_line_end() -> None:
    # A CR at the end of one read and the LF at the start of the next must not make a blank line.
    assert datas(b"data: a\r\ndata: b\r\n\r\n", cuts=[8]) == ["a\nb"]


def test_unicode_line_separator_is_content_not_a_line_end() -> None:
    text = "x\u2028y\u0085z"
    assert datas(f"data: {text}\n\n".encode()) == [text]


def test_empty_data_and_event_only_blocks() -> None:
    events = decode(b"data:\n\nevent: ping\n\nretry: 3000\n\nid: 7\n\n")
    # `data:` alone dispatches an event with empty data (WHATWG); the others dispatch nothing.
    assert [(e.event, e.data) for e in events] == [("message", "")]


def test_event_type_and_id() -> None:
    [event] = decode(b"event: error\nid: 5\ndata: boom\n\n")
    assert (event.event, event.data, event.id) == ("error", "boom", "5")
    assert decode(b"data: x\n\n")[0].event == "message"


def test_field_without_colon_and_unknown_fields() -> None:
    assert datas(b"data\nfoo: bar\n\n") == [""]


def test_bom_is_stripped_once_even_when_split() -> None:
    stream = b"\xef\xbb\xbfdata: a\n\n"
    assert datas(stream) == ["a"]
    assert one_byte_at_a_time(stream) == ["a"]
    assert datas(b"data: \xef\xbb\xbfa\n\n") == ["\ufeffa"]  # only a leading BOM is stripped


def test_split_utf8_character() -> None:
    stream = "data: é€😀\n\n".encode()
    assert one_byte_at_a_time(stream) == ["é€😀"]


def test_incomplete_final_event_is_dropped() -> None:
    assert datas(b"data: a\n\ndata: partial\n") == ["a"]
    assert datas(b"data: a\n\ndata: partial") == ["a"]


def test_done_without_trailing_newline_or_blank_line() -> None:
    assert datas(b"data: a\n\ndata: [DONE]") == ["a", "[DONE]"]
    assert datas(b"data: a\n\ndata: [DONE]\n") == ["a", "[DONE]"]
    assert one_byte_at_a_time(b"data: a\n\ndata: [DONE]") == ["a", "[DONE]"]


_pieces = st.sampled_from(
    [
        b"data: ",
        b"data:",
        b'{"x": "\xc3\xa9\xe2\x82\xac"}',
        b"\n",
        b"\r",
        b"\r\n",
        b": keep-alive",
        b"event: ping",
        b"event: error",
        b"id: 3",
        b"retry: 10",
        b"[DONE]",
        b"\xef\xbb\xbf",
        b"hello",
        b" ",
        b":",
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    stream=st.lists(_pieces, max_size=40).map(b"".join),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=30),
)
def test_any_split_decodes_to_the_same_events(stream: bytes, cuts: list[int]) -> None:
    cuts = [cut for cut in cuts if cut <= len(stream)]
    assert decode(stream, cuts) == decode(stream)
    assert decode(stream, list(range(1, len(stream)))) == decode(stream)
