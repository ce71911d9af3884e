"""A reply's buffer, and the fixed-rate flusher that moves it into the reply's view.

The worker reading the network only calls the cheap `ReplyStream.feed` and `ReplyStream.end`;
they touch no widget. A timer at the configured frame rate calls `ReplyStream.flush`, which
writes whatever arrived since the last frame into a `ReplySink` in one go. The sink is the
render engine (a `MessageView` with its line-cached `MarkdownView`); anything implementing the
protocol can replace it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from textual.message_pump import MessagePump
from textual.timer import Timer

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

__all__ = ["FRAME_BUDGET", "ReplyRecorder", "ReplySink", "ReplyStream"]

FRAME_BUDGET = 32768
"""Characters of answer text rendered per frame at most; the rest waits for the next frames."""


class ReplySink(Protocol):
    """Where one reply is rendered. `ReplyStream.flush` calls each method at most once a frame."""

    async def append_text(self, text: str) -> None:
        """Append answer text (already neutralised) to the rendered answer."""

    async def append_reasoning(self, text: str) -> None:
        """Append reasoning text (already neutralised) to the reasoning block."""

    def show_tool_call(self, call: ToolCall) -> None:
        """Show or update one tool call (raw text from the network: neutralise before display)."""

    def show_progress(self, message: Message, elapsed: float, notice: str | None) -> None:
        """Update the live status line of a reply still streaming."""

    async def finish(self, message: Message) -> None:
        """Show the final state of the reply: stats, status, error, notice."""


class ReplyRecorder(Protocol):
    """Where one reply is saved. Both methods only queue work: they never block."""

    def checkpoint(self, message: Message) -> None:
        """Called every frame while streaming; saves the text so far when it is due."""

    def finish(self, message: Message) -> None:
        """Called once, when the reply has ended in any way."""


class ReplyStream:
    """Buffers the events of one reply and flushes them into a `ReplySink` once per frame.

    `stream.start(app, fps=30)`; the worker then calls `stream.feed(event)`... `stream.end(...)`.
    """

    def __init__(
        self,
        message: Message,
        sink: ReplySink,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_grow: Callable[[], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        recorder: ReplyRecorder | None = None,
    ) -> None:
        """
        Args:
            message: The assistant message the reply fills in.
            sink: Where the reply is rendered.
            clock: Seconds, monotonic; tests pass a fake one for stable timings.
            on_grow: Called after a flush that added content (the chat log follows or marks).
            on_error: Called with an unexpected exception raised while flushing.
            recorder: Saves the reply to the history as it streams and when it ends.
        """
        self.message: Message = message
        """The assistant message; the worker updates it as events arrive."""
        self.sink: ReplySink = sink
        self.frame_budget: int = FRAME_BUDGET
        """Most characters of answer text written into the sink in one frame."""
        self.finished: asyncio.Event = asyncio.Event()
        """Set once the last flush after `end` has shown the final state."""
        self._clock = clock
        self._on_grow = on_grow
        self._on_error = on_error
        self.recorder: ReplyRecorder | None = recorder
        """Saves the reply to the history, if there is one."""
        self._text: list[str] = []
        self._content: list[str] = [message.content]
        """The answer so far in pieces: `+=` on a long string copies it for every token."""
        self._reasoning: list[str] = []
        self._tool_calls: dict[int, ToolCall] = {}
        self._dirty_calls: set[int] = set()
        self._notice: str | None = None
        self._started: float | None = None
        self._ended = False
        self._flushing = False
        self._timer: Timer | None = None
        self._host: MessagePump | None = None

    @property
    def ended(self) -> bool:
        """True once the worker called `end` (the final flush may still be pending)."""
        return self._ended

    def start(self, host: MessagePump, fps: float) -> None:
        """Start flushing `fps` times a second on a timer owned by `host`."""
        self._host = host
        self._timer = host.set_interval(1 / max(fps, 1.0), self.flush, name="reply-flush")

    def abandon(self) -> None:
        """Stop flushing for good, without touching the sink (its view is gone)."""
        self._stop_timer()
        self.finished.set()

    # --- worker side: no widgets, no awaits -------------------------------------------------

    def begin(self) -> None:
        """Mark the moment the request is sent (time to first token counts from here)."""
        self._started = self._clock()
        self.message.status = Status.STREAMING

    def feed(self, event: Event) -> None:
        """Record one event from the client: update the message, buffer what is to be shown."""
        message = self.message
        match event:
            case TextDelta(text=text):
                # The message keeps the text as sent (the model sees its own words next turn);
                # only what goes to the screen is neutralised.
                self._content.append(text)
                self._text.append(neutralize(text))
                self._count_token()
            case ReasoningDelta(text=text):
                message.reasoning += text
                self._reasoning.append(neutralize(text))
                self._count_token()
            case ToolCallDelta(index=index, id=call_id, name=name, arguments=arguments):
                call = self._tool_calls.setdefault(index, ToolCall(index=index))
                call.id = call.id or call_id
                call.name = call.name or name or ""
                call.arguments += arguments
                self._dirty_calls.add(index)
                self._count_token()
            case Usage():
                self._record_usage(event)
            case Retrying(attempt=attempt, delay=delay, reason=reason):
                self._notice = (
                    f"{neutralize(reason)} Retrying in {delay:.1f} s (attempt {attempt})."
                )
            case Finished():
                if event.usage is not None:
                    self._record_usage(event.usage)
                message.notice = event.notice
                if event.tool_calls:
                    message.tool_calls = list(event.tool_calls)
                    self._tool_calls = {call.index: call for call in event.tool_calls}
                    self._dirty_calls.update(self._tool_calls)

    def _sync_content(self) -> None:
        """Bring `message.content` up to date with the pieces fed so far."""
        if len(self._content) > 1:
            self._content[:] = ["".join(self._content)]
            self.message.content = self._content[0]

    def end(self, status: Status, error: str | None = None) -> None:
        """Record how the reply ended; a flush right away shows it and stops the timer.

        Only the first call counts: the app ends a live reply itself when it quits.
        """
        if self._ended:
            return
        self._sync_content()
        message = self.message
        message.status = status
        message.error = error
        if self._started is not None:
            message.duration = self._clock() - self._started
        if not message.tool_calls and self._tool_calls:
            message.tool_calls = [self._tool_calls[index] for index in sorted(self._tool_calls)]
        self._ended = True
        if self.recorder is not None:
            self.recorder.finish(message)
        if self._host is not None and self._timer is not None:
            # The last words go on screen now, not at the next tick of the frame timer.
            self._host.call_later(self.flush)

    def _count_token(self) -> None:
        message = self.message
        if message.ttft is None and self._started is not None:
            message.ttft = self._clock() - self._started
            self._notice = None
        if message.usage is None or message.usage.completion_tokens is None:
            message.tokens += 1

    def _record_usage(self, usage: Usage) -> None:
        self.message.usage = usage
        if usage.completion_tokens is not None:
            self.message.tokens = usage.completion_tokens

    # --- frame side -------------------------------------------------------------------------

    async def flush(self) -> None:
        """Write everything buffered since the last frame into the sink; finish if ended."""
        if self._flushing or self.finished.is_set():
            return
        self._flushing = True
        try:
            await self._flush()
        except Exception as error:
            self._stop_timer()
            self.finished.set()
            if self._on_error is None:
                raise
            self._on_error(error)
        finally:
            self._flushing = False

    async def _flush(self) -> None:
        sink = self.sink
        grew = False
        self._sync_content()
        ended = self._ended  # read first: events fed during the awaits below wait a frame
        if not ended and self.recorder is not None:
            self.recorder.checkpoint(self.message)
        if self._reasoning:
            reasoning = "".join(self._reasoning)
            self._reasoning.clear()
            await sink.append_reasoning(reasoning)
            grew = True
        if self._text:
            text = "".join(self._text)
            self._text.clear()
            if len(text) > self.frame_budget:
                # A burst (a fast provider, a stalled terminal) is shown over several frames,
                # so no single frame stalls typing for long.
                self._text.append(text[self.frame_budget :])
                text = text[: self.frame_budget]
            await sink.append_text(text)
            grew = True
        if self._dirty_calls:
            for index in sorted(self._dirty_calls):
                sink.show_tool_call(self._tool_calls[index])
            self._dirty_calls.clear()
            grew = True
        if ended and not (self._text or self._reasoning or self._dirty_calls):
            self._stop_timer()
            await sink.finish(self.message)
            self.finished.set()
            grew = True
        else:
            elapsed = self._clock() - self._started if self._started is not None else 0.0
            sink.show_progress(self.message, elapsed, self._notice)
        if grew and self._on_grow is not None:
            self._on_grow()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
