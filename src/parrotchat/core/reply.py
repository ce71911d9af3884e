"""One reply's life: client events in, a finished `Message` out; an exception in, a status and
one sentence out. The TUI and print mode both build their replies here, so what is stored, what
is counted as a token and what the stats say cannot differ between them.

`ReplyBuilder` is synchronous and cheap per event (it touches no widget and no file); whoever
shows the reply listens to it (`ReplyListener`), whoever keeps it records it (`ReplyRecorder`).
`stream_reply` drives one from a `ChatClient` until the stream ends in one of four ways.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from parrotchat.api.errors import APIError, StreamInterrupted
from parrotchat.api.events import (
    Event,
    Finished,
    ReasoningDelta,
    Retrying,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from parrotchat.core.conversation import Message, Status
from parrotchat.sanitize import neutralize

if TYPE_CHECKING:
    from parrotchat.api.client import ChatClient
    from parrotchat.core.error_log import ErrorLog

__all__ = [
    "BEHIND_SECONDS",
    "YIELD_EVERY",
    "ReplyBuilder",
    "ReplyListener",
    "ReplyRecorder",
    "ReplyRequest",
    "retry_notice",
    "stream_reply",
]

YIELD_EVERY = 64
"""Events parsed between chances for other tasks (a frame, a key) to run."""
BEHIND_SECONDS = 0.048
"""`YIELD_EVERY` events read within this long were waiting in the socket: over 1,300 events a
second, faster than the fastest provider streams (`ReplyBuilder.behind`)."""


@dataclass(frozen=True)
class ReplyRequest:
    """What one request sends: the model, the whole history, and sampling parameters."""

    model: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    temperature: float | None = None
    max_tokens: int | None = None


class ReplyListener(Protocol):
    """Hears what a reply adds, as it arrives: raw text from the network (neutralise to show).

    Called from the task reading the network: do no more than buffer or print.
    """

    def on_text(self, text: str) -> None:
        """A piece of the answer."""

    def on_reasoning(self, text: str) -> None:
        """A piece of the reasoning."""

    def on_tool_call(self, call: ToolCall) -> None:
        """A tool call started or grew (the same object each time for one call)."""

    def on_notice(self, text: str | None) -> None:
        """A passing notice (a retry is coming), or None once it no longer applies."""

    def on_end(self, message: Message) -> None:
        """The reply ended; `message` holds its final state (status, error, notice, stats)."""


class ReplyRecorder(Protocol):
    """Where one reply is saved. Both methods only queue work or are quick: they never block."""

    def checkpoint(self, message: Message) -> None:
        """Save the text so far (the session calls it once a `CHECKPOINT_SECONDS` while the
        reply streams)."""

    def finish(self, message: Message) -> None:
        """Called once, when the reply has ended in any way."""


def retry_notice(event: Retrying, remaining: float | None = None) -> str:
    """The one sentence shown while a failed request waits to be sent again, counting down.

    `retry_notice(Retrying(1, 2.0, "Rate limited (429); wait a moment and try again."))`
    reads `Rate limited (429); retrying in 2 s (attempt 1 of 2).`: the reason's own advice
    (to try again) goes, since parrotchat is doing just that.

    Args:
        remaining: Seconds left to wait (default: the whole delay); 0 once the request is
            on its way again.
    """
    cause = event.reason.strip().rstrip(".")
    if "; " in cause:
        cause = cause.rsplit("; ", 1)[0]
    left = event.delay if remaining is None else remaining
    when = f"retrying in {math.ceil(left - 1e-9)} s" if left > 0 else "retrying now"
    return f"{cause}; {when} (attempt {event.attempt} of {event.limit})."


class ReplyBuilder:
    """Fills one assistant `Message` from the client's events.

    `builder.begin(); for event in events: builder.feed(event); builder.end(Status.COMPLETE)`
    """

    def __init__(
        self,
        message: Message,
        *,
        clock: Callable[[], float] = time.monotonic,
        listener: ReplyListener | None = None,
        recorder: ReplyRecorder | None = None,
    ) -> None:
        """
        Args:
            message: The assistant message the reply fills in.
            clock: Seconds, monotonic; tests pass a fake one for stable timings.
            listener: Shows the reply as it grows.
            recorder: Saves the reply as it streams and when it ends.
        """
        self.message: Message = message
        """The assistant message; `content` is brought up to date by `sync` and `end`."""
        self.listener: ReplyListener | None = listener
        self.recorder: ReplyRecorder | None = recorder
        self.notice: str | None = None
        """The passing notice (a retry on its way), until the first token."""
        self._clock = clock
        self._content: list[str] = [message.content]
        """The answer so far in pieces: `+=` on a long string copies it for every token."""
        self._reasoning: list[str] = [message.reasoning]
        self._tool_calls: dict[int, ToolCall] = {}
        self._started: float | None = None
        self._ended = False
        self._retry: tuple[Retrying, float] | None = None
        """The retry on its way and when it is sent, until the first token."""
        self.behind: bool = False
        """The reader is behind the network: the last `YIELD_EVERY` events were waiting in
        the socket (read within `BEHIND_SECONDS`), as in a burst. Frames can wait."""

    @property
    def ended(self) -> bool:
        """True once `end` was called."""
        return self._ended

    def elapsed(self) -> float:
        """Seconds since `begin` (0 before)."""
        return self._clock() - self._started if self._started is not None else 0.0

    def begin(self) -> None:
        """Mark the moment the request is sent (time to first token counts from here)."""
        self._started = self._clock()
        self.message.status = Status.STREAMING

    def feed(self, event: Event) -> None:
        """Record one event from the client."""
        listener = self.listener
        if type(event) is TextDelta:  # the common event, first: this runs per token
            text = event.text
            self._content.append(text)
            self._count_token()
            if listener is not None:
                listener.on_text(text)
            return
        match event:
            case TextDelta(text=text):
                self._content.append(text)
                self._count_token()
                if listener is not None:
                    listener.on_text(text)
            case ReasoningDelta(text=text):
                self._reasoning.append(text)
                self._count_token()
                if listener is not None:
                    listener.on_reasoning(text)
            case ToolCallDelta(index=index, id=call_id, name=name, arguments=arguments):
                call = self._tool_calls.setdefault(index, ToolCall(index=index))
                call.id = call.id or call_id
                call.name = call.name or name or ""
                call.arguments += arguments
                self._count_token()
                if listener is not None:
                    listener.on_tool_call(call)
            case Usage():
                self._record_usage(event)
            case Retrying():
                self._retry = (event, self._clock() + event.delay)
                self._set_notice(retry_notice(event))
            case Finished():
                if event.usage is not None:
                    self._record_usage(event.usage)
                self.message.notice = event.notice
                if event.tool_calls:
                    self._tool_calls = {call.index: call for call in event.tool_calls}
                    if listener is not None:
                        for call in event.tool_calls:
                            listener.on_tool_call(call)

    def sync(self) -> Message:
        """Bring the message's text up to date with the pieces fed so far; return it."""
        message = self.message
        if len(self._content) > 1:
            self._content[:] = ["".join(self._content)]
            message.content = self._content[0]
        if len(self._reasoning) > 1:
            self._reasoning[:] = ["".join(self._reasoning)]
            message.reasoning = self._reasoning[0]
        return message

    def checkpoint(self) -> None:
        """Let the recorder save the text so far (while the reply streams)."""
        if self.recorder is not None and not self._ended:
            self.recorder.checkpoint(self.sync())

    def end(self, status: Status, error: str | None = None) -> None:
        """Record how the reply ended, and save it. Only the first call counts."""
        if self._ended:
            return
        self._ended = True
        message = self.sync()
        message.status = status
        message.error = error
        if self._started is not None:
            message.duration = self._clock() - self._started
        if self._tool_calls:
            message.tool_calls = [self._tool_calls[index] for index in sorted(self._tool_calls)]
        self._set_notice(None)
        if self.recorder is not None:
            self.recorder.finish(message)
        if self.listener is not None:
            self.listener.on_end(message)

    def fail(self, error: BaseException, error_log: ErrorLog | None = None) -> None:
        """End the reply as the exception `error` says: cancelled, interrupted or failed.

        An `APIError` carries its own sentence (kept inert: it can quote the server); anything
        else is a bug, logged to `error_log`
        with its traceback, and the user gets one line naming it.
        """
        if isinstance(error, asyncio.CancelledError | KeyboardInterrupt | BrokenPipeError):
            self.end(Status.CANCELLED)
        elif isinstance(error, StreamInterrupted):
            self.end(Status.INTERRUPTED, neutralize(error.message))
        elif isinstance(error, APIError):
            self.end(Status.ERROR, neutralize(error.message))
        elif error_log is not None:
            self.end(Status.ERROR, error_log.record(error, "streaming a reply"))
        else:
            name = type(error).__name__
            self.end(Status.ERROR, f"Unexpected error while streaming a reply ({name}).")

    def tick(self) -> None:
        """Count a retry's wait down in its notice (call a few times a second)."""
        if self._retry is not None and not self._ended:
            event, at = self._retry
            self._set_notice(retry_notice(event, max(0.0, at - self._clock())))

    def _set_notice(self, notice: str | None) -> None:
        if notice == self.notice:
            return
        self.notice = notice
        if self.listener is not None:
            self.listener.on_notice(notice)

    def _count_token(self) -> None:
        message = self.message
        if message.ttft is None and self._started is not None:
            message.ttft = self._clock() - self._started
            self._retry = None
            self._set_notice(None)
        if message.usage is None or message.usage.completion_tokens is None:
            message.tokens += 1

    def _record_usage(self, usage: Usage) -> None:
        self.message.usage = usage
        if usage.completion_tokens is not None:
            self.message.tokens = usage.completion_tokens


async def stream_reply(
    client: ChatClient,
    request: ReplyRequest,
    builder: ReplyBuilder,
    error_log: ErrorLog | None = None,
) -> None:
    """Stream one reply into `builder`, ending it as complete, cancelled, interrupted or failed.

    Cancelling the task leaves the client's generator at once, which closes the connection.
    Nothing but `CancelledError` (and `KeyboardInterrupt`, `BrokenPipeError`) escapes, and the
    reply is ended first. (The session checkpoints the text so far once a second.)
    """
    builder.begin()
    try:
        events = client.stream_chat(
            request.model,
            request.messages,
            temperature=request.temperature,
            max_tokens=request.max_tokens,
        )
        async with contextlib.aclosing(events):
            count = 0
            mark = time.perf_counter()
            async for event in events:
                builder.feed(event)
                count += 1
                if not count % YIELD_EVERY:
                    builder.behind = time.perf_counter() - mark < BEHIND_SECONDS
                    # A fast stream arrives in big reads parsed without a pause: let a due frame in.
                    await asyncio.sleep(0)
                    mark = time.perf_counter()
    except (asyncio.CancelledError, KeyboardInterrupt, BrokenPipeError) as error:
        # BrokenPipeError: print mode's reader went away (`| head`); the caller stops quietly.
        builder.fail(error)
        raise
    except Exception as error:
        builder.fail(error, error_log)
    else:
        builder.end(Status.COMPLETE)
