"""Long conversations stay light: older messages wait above, mounted as the reader goes up.

A reopened conversation can hold thousands of messages and megabytes of Markdown; mounting a view
for each before the first frame would take seconds. `ChatLog.show_messages` mounts only the
messages that fill the last screens (`tail_start`) and keeps the rest in an `OlderMessages` line at
the top, which mounts them a batch at a time when it scrolls into view. A conversation that grows
long while it is on screen sets its oldest views aside the same way, since every mounted widget
costs Textual's layout something on every frame.

Messages waiting here keep their texts packed (`Message.pack`: compressed, read back exactly),
so a long session does not hold every old reply's text at full size; they are unpacked as they
are mounted again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Static

from parrotchat.core.conversation import Message

__all__ = ["BATCH_LINES", "OlderMessages", "estimated_lines", "tail_start"]

BATCH_LINES = 150
"""Lines of older messages mounted at a time (about three screens)."""
PACK_AFTER = 0.05
"""Seconds between two rounds of packing a reopened conversation's waiting messages."""
PACK_BUDGET = 0.004
"""Seconds one round of packing may take."""
_OVERHEAD = 4
"""Lines every message takes besides its text: the role line, stats and the margin."""


def estimated_lines(message: Message, width: int) -> int:
    """A cheap guess of how many lines `message` takes at `width` columns."""
    width = max(width, 10)
    lines = _OVERHEAD
    for text in (message.content, message.reasoning):
        if text:
            lines += sum(len(line) // width + 1 for line in text.split("\n"))
    return lines


def tail_start(messages: Sequence[Message], end: int, width: int, lines: int) -> int:
    """The index from which `messages[:end]` fill at least `lines` lines (0: all of them)."""
    total = 0
    start = end
    while start > 0 and total < lines:
        start -= 1
        total += estimated_lines(messages[start], width)
    return start


class OlderMessages(Static):
    """The line above the first mounted message: how many older ones wait, mounted on the way up."""

    DEFAULT_CSS = """
    OlderMessages {
        width: 100%;
        height: 1;
        margin: 0 0 1 0;
        content-align: center middle;
        color: $text-muted;
    }
    """

    def __init__(self, waiting: list[Message]) -> None:
        super().__init__()
        self.waiting: list[Message] = waiting
        """Messages not mounted yet, oldest first; their texts packed."""
        self._show_count()

    def on_mount(self) -> None:
        # A reopened conversation's messages are packed once its last screen is on and a few
        # at a time, so no frame waits for it (a long reply takes ~0.4 ms to compress; the
        # first frame waited 0.2 s more for an after-refresh callback in `benchmarks/open.py`).
        self._packed_until = 0
        self.set_timer(PACK_AFTER, self._pack_some, name="pack-older")

    def _pack_some(self) -> None:
        deadline = time.perf_counter() + PACK_BUDGET
        waiting = self.waiting
        index = min(self._packed_until, len(waiting))  # batches taken leave the start as it was
        while index < len(waiting) and time.perf_counter() < deadline:
            waiting[index].pack()
            index += 1
        self._packed_until = index
        if index < len(waiting):
            self.set_timer(PACK_AFTER, self._pack_some, name="pack-older")

    def _show_count(self) -> None:
        count = len(self.waiting)
        noun = "message" if count == 1 else "messages"
        self.update(Content(f"↑ {count:,} earlier {noun} · scroll up to show them"))

    def set_aside(self, messages: list[Message]) -> None:
        """Add `messages`, newer than every waiting one, at the end of the waiting list."""
        for message in messages:
            message.pack()
        self.waiting.extend(messages)
        self._show_count()

    def take_batch(self, width: int, lines: int = BATCH_LINES) -> list[Message]:
        """Remove and return the newest waiting messages that fill about `lines` lines."""
        start = tail_start(self.waiting, len(self.waiting), width, lines)
        batch = self.waiting[start:]
        del self.waiting[start:]
        for message in batch:
            message.unpack()
        self._show_count()
        return batch
