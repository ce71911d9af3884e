"""The reply buffer and its flusher, against a recording sink: no terminal, no network."""

from __future__ import annotations

from dataclasses import dataclass, field

from parrotchat.api.events import (
    Finished,
    ReasoningDelta,
    Retrying,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from parrotchat.core.conversation import Message, Role, Status
from parrotchat.core.reply import ReplyBuilder
from parrotchat.ui.render.backlog import BACKLOG, HOLD_SECONDS, Backlog
from parrotchat.ui.reply_stream import CATCH_UP_INTERVAL, ReplyStream
from parrotchat.ui.stats import format_stats


@dataclass
class RecordingSink:
    """A `ReplySink` that records every call."""

    calls: list[tuple[str, object]] = field(default_factory=list)

    async def append_text(self, text: str) -> None:
        self.calls.append(("text", text))

    async def append_reasoning(self, text: str) -> None:
        self.calls.append(("reasoning", text))

    def show_tool_call(self, call: ToolCall) -> None:
        self.calls.append(("tool", (call.name, call.arguments)))

    def show_progress(self, message: Message, elapsed: float, notice: str | None) -> None:
        self.calls.append(("progress", notice))

    async def finish(self, message: Message) -> None:
        self.calls.append(("finish", message.status))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_stream() -> tuple[ReplyStream, ReplyBuilder, RecordingSink, Clock, list[int]]:
    """A stream listening to a reply's builder; tests feed the builder, as the client does."""
    sink, clock, grew = RecordingSink(), Clock(), []
    message = Message(Role.ASSISTANT, model="parrot", status=Status.STREAMING)
    builder = ReplyBuilder(message, clock=clock)
    stream = ReplyStream(builder, sink, on_grow=lambda: grew.append(1), clock=clock)
    return stream, builder, sink, clock, grew


async def test_many_events_make_one_write_per_frame():
    stream, reply, sink, clock, grew = make_stream()
    reply.begin()
    clock.now += 0.25
    for piece in ("Hel", "lo", " world"):
        reply.feed(TextDelta(piece))
    reply.feed(ReasoningDelta("hm"))
    await stream.flush()
    assert sink.calls == [("reasoning", "hm"), ("text", "Hello world"), ("progress", None)]
    assert grew == [1]
    assert stream.message.content == "Hello world" and stream.message.reasoning == "hm"
    assert stream.message.ttft == 0.25 and stream.message.tokens == 4

    sink.calls.clear()
    await stream.flush()  # nothing new: no write, only the live stats
    assert sink.calls == [("progress", None)] and grew == [1]


async def test_end_is_shown_by_the_next_flush_after_the_rest_of_the_buffer():
    stream, reply, sink, clock, _ = make_stream()
    reply.begin()
    reply.feed(TextDelta("partial"))
    clock.now += 2
    reply.end(Status.CANCELLED)
    assert stream.ended and not stream.finished.is_set()
    await stream.flush()
    assert sink.calls == [("text", "partial"), ("finish", Status.CANCELLED)]
    assert stream.finished.is_set() and stream.message.duration == 2
    await stream.flush()  # finished streams flush nothing more
    assert len(sink.calls) == 2


async def test_control_characters_are_neutralised_before_anything_sees_them():
    stream, reply, sink, _, _ = make_stream()
    reply.begin()
    reply.feed(TextDelta("a\x1b]52;c;aGk=\x07b\x9b"))
    reply.feed(ReasoningDelta("\x1b[2J"))
    await stream.flush()
    shown = "".join(str(value) for _, value in sink.calls)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert stream.message.content == "a\x1b]52;c;aGk=\x07b\x9b"  # history keeps the words
    assert stream.message.reasoning == "\x1b[2J"


async def test_tool_calls_accumulate_by_index_and_finish_replaces_them():
    stream, reply, sink, _, _ = make_stream()
    reply.begin()
    reply.feed(ToolCallDelta(0, "call_1", "get_weather", '{"city"'))
    reply.feed(ToolCallDelta(1, "call_2", "get_time", ""))
    reply.feed(ToolCallDelta(0, None, None, ': "Lima"}'))
    await stream.flush()
    assert ("tool", ("get_weather", '{"city": "Lima"}')) in sink.calls
    assert ("tool", ("get_time", "")) in sink.calls

    final = [ToolCall(0, "call_1", name="get_weather", arguments='{"city": "Lima"}')]
    reply.feed(Finished("tool_calls", Usage(completion_tokens=9, cost=0.002), final))
    reply.end(Status.COMPLETE)
    await stream.flush()
    message = stream.message
    assert message.tool_calls == final
    assert message.tokens == 9 and message.usage is not None and message.usage.cost == 0.002


async def test_a_burst_is_written_over_several_frames_and_its_end_whole():
    stream, reply, sink, _, _ = make_stream()
    stream.frame_budget = 10
    reply.begin()
    reply.feed(TextDelta("x" * 25))
    for _ in range(3):
        await stream.flush()
    reply.feed(TextDelta("y" * 25))
    reply.end(Status.COMPLETE)
    await stream.flush()
    texts = [value for kind, value in sink.calls if kind == "text"]
    assert texts == ["x" * 10, "x" * 10, "x" * 5, "y" * 25]
    assert sink.calls[-1] == ("finish", Status.COMPLETE)


async def test_behind_the_network_frames_come_less_often_until_the_end():
    stream, reply, sink, clock, _ = make_stream()
    reply.begin()

    def texts() -> list[int]:
        return [len(str(value)) for kind, value in sink.calls if kind == "text"]

    for _ in range(3):  # a real provider's pace: every frame is drawn
        reply.feed(TextDelta("word " * 40))
        await stream.flush()
        clock.now += 1 / 30
    assert texts() == [200, 200, 200]
    reply.feed(TextDelta("x" * 5000))  # a backlog: the reader gets time before a frame
    await stream.flush()
    assert texts()[3:] == []
    clock.now += CATCH_UP_INTERVAL
    await stream.flush()
    assert texts()[3:] == [5000]
    reply.feed(TextDelta("y" * 5000))
    clock.now += 1 / 30
    await stream.flush()
    assert texts()[3:] == [5000]
    reply.feed(TextDelta("z" * 5000))
    reply.end(Status.COMPLETE)
    await stream.flush()  # the end is drawn at once, behind or not
    assert texts()[3:] == [5000, 10000]
    assert sink.calls[-1] == ("finish", Status.COMPLETE)


async def test_retrying_shows_a_notice_until_the_first_token():
    stream, reply, sink, _, _ = make_stream()
    reply.begin()
    reply.feed(Retrying(1, 0.5, "The server is busy (503)."))
    await stream.flush()
    notice = "The server is busy (503); retrying in 1 s (attempt 1 of 2)."
    assert sink.calls[-1] == ("progress", notice)
    reply.feed(TextDelta("ok"))
    await stream.flush()
    assert sink.calls[-1] == ("progress", None)


async def test_flush_errors_go_to_the_handler_and_stop_the_stream():
    class Broken(RecordingSink):
        async def append_text(self, text: str) -> None:
            raise RuntimeError("render bug")

    errors: list[Exception] = []
    reply = ReplyBuilder(Message(Role.ASSISTANT))
    stream = ReplyStream(reply, Broken(), on_error=errors.append)
    reply.begin()
    reply.feed(TextDelta("x"))
    await stream.flush()
    assert [str(error) for error in errors] == ["render bug"]
    assert stream.finished.is_set()


def test_stats_line():
    message = Message(Role.ASSISTANT, status=Status.COMPLETE, ttft=0.21, duration=5.21, tokens=301)
    message.usage = Usage(completion_tokens=301, cost=0.0012)
    assert format_stats(message) == "TTFT 0.21 s · 301 tokens · 60.0 tok/s · $0.0012"
    message.status = Status.CANCELLED
    assert format_stats(message).startswith("cancelled · ")
    streaming = Message(Role.ASSISTANT, status=Status.STREAMING, ttft=1.0, tokens=11)
    live = format_stats(streaming, elapsed=2.0)
    assert live == "streaming… · TTFT 1.00 s · 11 tokens · 10.0 tok/s"


def test_stats_show_no_rate_over_a_few_ms_and_no_zero_cost():
    # A cached answer: 200 tokens within 2 ms would read "99500.0 tok/s".
    quick = Message(Role.ASSISTANT, status=Status.COMPLETE, ttft=0.3, duration=0.302, tokens=200)
    quick.usage = Usage(completion_tokens=200, cost=0.00002)
    assert format_stats(quick) == "TTFT 0.30 s · 200 tokens · <$0.0001"
    few = Message(Role.ASSISTANT, status=Status.COMPLETE, ttft=0.1, duration=3.1, tokens=3)
    assert "tok/s" not in format_stats(few)
    assert quick.tokens_per_second is None  # print mode's --stats too
    slow = Message(Role.ASSISTANT, status=Status.STREAMING, ttft=1.0, tokens=11)
    assert "tok/s" not in format_stats(slow, elapsed=1.2)


async def test_behind_a_reader_that_stopped_gets_its_frame_at_once():
    stream, reply, sink, clock, _ = make_stream()
    reply.begin()
    reply.behind = True  # the reader's last events were waiting in the socket
    reply.feed(TextDelta("x" * 5000))
    await stream.flush()  # a burst from the start: the reader gets the time
    assert [kind for kind, _ in sink.calls] == []
    assert BACKLOG.held()  # and idle rendering waits for it
    clock.now += 1 / 30
    await stream.flush()  # nothing new since the last tick: it waits for the network
    assert sink.calls[0] == ("text", "x" * 5000)


def test_a_backlog_hold_lasts_until_released_or_run_out():
    clock, first, second = Clock(), object(), object()
    backlog = Backlog(clock)
    assert not backlog.held()
    backlog.hold(first)
    backlog.hold(second)
    backlog.release(first)
    assert backlog.held()  # the other reader is still behind
    clock.now += HOLD_SECONDS
    assert not backlog.held()  # a holder that went away without a word


async def test_the_backlog_hold_ends_with_the_reply():
    stream, reply, sink, _, _ = make_stream()
    reply.begin()
    reply.behind = True
    reply.feed(TextDelta("x" * 5000))
    await stream.flush()
    assert BACKLOG.held() and sink.calls == []
    reply.feed(TextDelta("y"))
    reply.end(Status.COMPLETE)
    await stream.flush()
    assert sink.calls[0] == ("text", "x" * 5000 + "y")
    assert sink.calls[-1] == ("finish", Status.COMPLETE) and not BACKLOG.held()
