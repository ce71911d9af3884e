"""A reply's screen buffer, and the fixed-rate flusher that moves it into the reply's view.

The reply itself is built in `core.reply.ReplyBuilder`; `ReplyStream` listens to it and only
buffers (neutralised) what is to be shown: the task reading the network touches no widget. A
timer at the configured frame rate calls `ReplyStream.flush`, which writes whatever arrived
since the last frame into a `ReplySink` in one go. The sink is the render engine (a
`MessageView` with its line-cached `MarkdownView`); anything implementing the protocol can
replace it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from textual.message_pump import MessagePump
from textual.timer import Timer

from parrotchat.api.events import ToolCall
from parrotchat.core.conversation import Message
from parrotchat.core.reply import ReplyBuilder
from parrotchat.sanitize import neutralize
from parrotchat.ui.render.backlog import BACKLOG

__all__ = ["CATCH_UP_CHARS", "CATCH_UP_INTERVAL", "FRAME_BUDGET", "ReplySink", "ReplyStream"]

FRAME_BUDGET = 65536
"""Characters of answer text rendered per frame at most; the rest waits for the next frames.
(The view splits and draws only the end of a burst: what scrolls away waits until needed.)"""
CATCH_UP_CHARS = 2048
"""Characters waiting at a frame beyond which the stream is behind the network (a burst, a
backlog in the socket): no provider streams that much in a frame (1,000 tokens/s is ~170 at
30 frames a second, ~800 on a machine so loaded that it paints 6)."""
CATCH_UP_INTERVAL = 1.0
"""While behind (`ReplyBuilder.behind`, or more than `CATCH_UP_CHARS` waiting), a frame at most
this often (seconds): the reader catches up sooner, and frames of text that scrolls away at
once are not drawn (each one would cost the reader as many events as it reads in that time).
The end of the reply is drawn at once, whole; so is a backlog once the reader has stopped
(nothing new came since the last frame)."""


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


class ReplyStream:
    """Buffers what one reply shows and flushes it into a `ReplySink` once per frame.

    A `ReplyListener` of the reply's `ReplyBuilder`: `ReplyStream(builder, view).start(app, 30)`.
    """

    def __init__(
        self,
        builder: ReplyBuilder,
        sink: ReplySink,
        *,
        on_grow: Callable[[], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """
        Args:
            builder: The reply; the stream becomes its listener.
            sink: Where the reply is rendered.
            on_grow: Called after a flush that added content (the chat log follows or marks).
            on_error: Called with an unexpected exception raised while flushing.
            clock: Seconds, for the pace of frames while the stream is behind.
        """
        self.builder: ReplyBuilder = builder
        self.sink: ReplySink = sink
        self.frame_budget: int = FRAME_BUDGET
        """Most characters of answer text written into the sink in one frame."""
        self.finished: asyncio.Event = asyncio.Event()
        """Set once the last flush after the reply's end has shown its final state."""
        self._on_grow = on_grow
        self._on_error = on_error
        self._clock = clock
        self._text: list[str] = []
        """Answer text as received (neutralised when written: once a frame, not per event)."""
        self._waiting = 0
        """Characters of answer text buffered."""
        self._heard = 0
        """Events heard from the reply so far."""
        self._heard_at_tick = 0
        """`_heard` at the last frame tick: unchanged means the reader is waiting, not behind."""
        self._written_at = clock()
        """When text was last written into the sink (a burst from the start waits too)."""
        self._reasoning: list[str] = []
        self._tool_calls: dict[int, ToolCall] = {}
        self._dirty_calls: set[int] = set()
        self._notice: str | None = None
        self._flushing = False
        self._timer: Timer | None = None
        self._host: MessagePump | None = None
        builder.listener = self

    @property
    def message(self) -> Message:
        """The assistant message the reply fills in."""
        return self.builder.message

    @property
    def ended(self) -> bool:
        """True once the reply ended (the final flush may still be pending)."""
        return self.builder.ended

    def start(self, host: MessagePump, fps: float) -> None:
        """Start flushing `fps` times a second on a timer owned by `host`."""
        self._host = host
        self._timer = host.set_interval(1 / max(fps, 1.0), self.flush, name="reply-flush")

    def abandon(self) -> None:
        """Stop flushing for good, without touching the sink (its view is gone)."""
        self._end()

    def _end(self) -> None:
        """Flushing is over (finished, failed or abandoned): no timer, no backlog hold."""
        self._stop_timer()
        self.finished.set()
        BACKLOG.release(self)

    # --- the reply's listener: no widgets, no awaits ----------------------------------------

    def on_text(self, text: str) -> None:
        # The message keeps the text as sent; what goes to the screen is neutralised in `_flush`.
        self._text.append(text)
        self._waiting += len(text)
        self._heard += 1

    def on_reasoning(self, text: str) -> None:
        self._reasoning.append(text)
        self._heard += 1

    def on_tool_call(self, call: ToolCall) -> None:
        self._heard += 1
        self._tool_calls[call.index] = call
        self._dirty_calls.add(call.index)

    def on_notice(self, text: str | None) -> None:
        self._notice = neutralize(text) if text is not None else None

    def on_end(self, message: Message) -> None:
        if self._host is not None and self._timer is not None:
            # The last words go on screen now, not at the next tick of the frame timer.
            self._host.call_later(self.flush)

    # --- frame side -------------------------------------------------------------------------

    async def flush(self) -> None:
        """Write everything buffered since the last frame into the sink; finish if ended."""
        if self._flushing or self.finished.is_set():
            return
        heard, last = self._heard, self._heard_at_tick
        self._heard_at_tick = heard
        if (
            (self.builder.behind or self._waiting > CATCH_UP_CHARS)
            and heard != last  # else the reader is waiting for the network, not behind
            and not self.builder.ended
        ):
            # Behind the network: idle rendering waits, and so does this frame unless the last
            # one is long past: the reader catches up first.
            BACKLOG.hold(self)
            if self._clock() - self._written_at < CATCH_UP_INTERVAL:
                return
        elif not self.builder.ended:  # the end is drawn held: what is on screen first
            BACKLOG.release(self)
        self._flushing = True
        try:
            await self._flush()
        except Exception as error:
            self._end()
            if self._on_error is None:
                raise
            self._on_error(error)
        finally:
            self._flushing = False

    async def _flush(self) -> None:
        sink = self.sink
        builder = self.builder
        grew = False
        ended = builder.ended  # read first: events fed during the awaits below wait a frame
        if self._reasoning:
            reasoning = neutralize("".join(self._reasoning))
            self._reasoning.clear()
            await sink.append_reasoning(reasoning)
            grew = True
        if self._text:
            text = "".join(self._text)
            self._text.clear()
            self._waiting = 0
            self._written_at = self._clock()
            if len(text) > self.frame_budget and not ended:
                # A burst (a fast provider, a stalled terminal) is shown over several frames,
                # so no single frame stalls typing for long; the end is drawn whole (the view
                # splits and draws only a screen's worth of it at once).
                self._text.append(text[self.frame_budget :])
                self._waiting = len(self._text[0])
                text = text[: self.frame_budget]
            await sink.append_text(neutralize(text))
            grew = True
        if self._dirty_calls:
            for index in sorted(self._dirty_calls):
                sink.show_tool_call(self._tool_calls[index])
            self._dirty_calls.clear()
            grew = True
        if ended and not (self._text or self._reasoning or self._dirty_calls):
            self._stop_timer()
            await sink.finish(self.message)
            self._end()
            grew = True
        else:
            sink.show_progress(builder.sync(), builder.elapsed(), self._notice)
        if grew and self._on_grow is not None:
            self._on_grow()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
