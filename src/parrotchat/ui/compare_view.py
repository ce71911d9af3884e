"""A comparison on screen: one column per model, each reply streaming into its own column.

The session (`core.session`) starts the replies; `CompareView` gives each one a column with the
same render engine as the chat (`MessageView` fed by a `ReplyStream` once a frame). Columns sit
side by side on a wide terminal and stack on a narrow one; each scrolls and follows on its own.
A column's marks ("■ Stop", "✓ Continue") stop its reply or carry the conversation on with it
(`StopWanted`, `Chosen`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.content import Content
from textual.geometry import Size
from textual.message import Message as TextualMessage
from textual.timer import Timer
from textual.widgets import Static

from parrotchat.core.conversation import Message, Role
from parrotchat.core.session import ChatSession, Reply
from parrotchat.sanitize import neutralize
from parrotchat.ui.following import FollowingScroll
from parrotchat.ui.key_names import app_keymap, key_label
from parrotchat.ui.message_view import MessageView
from parrotchat.ui.render.growing import scrolled_content_grew
from parrotchat.ui.reply_stream import ReplyStream

__all__ = [
    "STACK_BELOW",
    "ColumnLog",
    "CompareColumn",
    "CompareView",
    "choose_key",
    "comparing_label",
    "stop_key",
]

STACK_BELOW = 120
"""Terminal width under which the columns stack instead of standing side by side."""
HOLD_SECONDS = 0.5
"""After Esc, longest the screen waits for every column's connection to close before it
draws again (they close within a few milliseconds unless a frame is drawn first)."""


def comparing_label(count: int) -> str:
    """What the header says while `count` columns are shown: `comparing 3 models`."""
    return f"comparing {count} models" if count else ""


def choose_key(column: int) -> str:
    """The key that carries the conversation on with column `column` (0-based)."""
    # Alt+digit never reaches Textual as such (it reads ESC 2 as a macOS "™").
    return f"shift+f{column + 5}"


def stop_key(column: int) -> str:
    """The key that stops column `column`'s reply (0-based)."""
    return f"f{column + 5}"


class ColumnLog(FollowingScroll, can_focus=True):
    """One column's messages; it follows its reply down unless the reader scrolls up."""

    DEFAULT_CSS = """
    ColumnLog {
        height: 1fr;
        padding: 0 1 0 0;
        scrollbar-size-vertical: 1;
        &:focus { background: $boost; }
    }
    """

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        # Only the messages grew: the column's own lines (padding, background) stay drawn.
        if scrolled_content_grew(self, size, virtual_size, container_size):
            self.grew()
            return True
        return super()._size_updated(size, virtual_size, container_size, layout)

    def grew(self) -> None:
        """Content arrived: keep the bottom in view while following."""
        if self.following and not self.is_anchored:
            self.call_after_refresh(self._pin)

    def on_focus(self) -> None:
        self.post_message(CompareView.ColumnFocused(self))


class Mark(Static):
    """A clickable word in a column's header (stop, continue with this)."""

    DEFAULT_CSS = """
    Mark {
        width: auto;
        margin: 0 0 0 1;
        color: $text-accent;
        &:hover { text-style: underline; }
    }
    """

    def __init__(self, text: str, on_click: Callable[[], None], classes: str) -> None:
        super().__init__(Content(text), classes=classes)
        self._clicked = on_click

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self._clicked()


class CompareColumn(Vertical):
    """One model's column: its name, its marks, and its branch of the conversation."""

    DEFAULT_CSS = """
    CompareColumn {
        width: 1fr;
        height: 1fr;
        margin: 0 1 0 0;
        & > .column-head { height: 1; padding: 0 1; background: $boost; }
        & > .column-head > .name {
            width: 1fr;
            min-width: 16;
            height: 1;
            text-style: bold;
            color: $text-accent;
            text-overflow: ellipsis;
            text-wrap: nowrap;
        }
        & > .column-head > .stop { display: none; color: $text-warning; }
        &.-streaming > .column-head > .stop { display: block; }
    }
    """

    def __init__(self, number: int, provider: str, model: str) -> None:
        super().__init__()
        self.number: int = number
        """0-based, in the order the models were asked."""
        self.provider: str = provider
        self.model: str = model
        self.column_log: ColumnLog = ColumnLog()
        """The column's messages."""
        self._name = neutralize(f"{number + 1} {provider}:{model}")

    def compose(self) -> ComposeResult:
        keymap = app_keymap(self.app)
        number = self.number + 1
        stop = key_label(f"stop_column_{number}", keymap)
        choose = key_label(f"choose_column_{number}", keymap)
        with Horizontal(classes="column-head"):
            yield Static(Content(self._name), classes="name")
            yield Mark(f"■ Stop ({stop})", self._stop, "stop")
            yield Mark(f"✓ Continue ({choose})", self._choose, "choose")
        yield self.column_log

    def _stop(self) -> None:
        self.post_message(CompareView.StopWanted(self.number))

    def _choose(self) -> None:
        self.post_message(CompareView.Chosen(self.number))

    async def add(self, message: Message) -> MessageView:
        """Show `message` at the bottom of the column."""
        view = MessageView(message)
        # The column takes the focus (Page Up/Down, Esc stops every reply), not its messages:
        # their keys (edit, switch, ...) belong to the chat's messages.
        view.can_focus = False
        await self.column_log.mount(view)
        self.column_log.grew()
        return view


class CompareView(Container):
    """The open comparison's columns (hidden when there is none)."""

    DEFAULT_CSS = """
    CompareView {
        display: none;
        height: 3fr;
        layout: horizontal;
        &.-open { display: block; }
        &.-stacked { layout: vertical; }
        &.-stacked > CompareColumn { margin: 0; }
    }
    """

    @dataclass
    class Chosen(TextualMessage):
        """Carry the conversation on with `column` (0-based)."""

        column: int

    @dataclass
    class ColumnFocused(TextualMessage):
        """A column's log took the focus: Page Up/Down from the prompt scroll it from now on."""

        log: ColumnLog

    @dataclass
    class ColumnsChanged(TextualMessage):
        """Columns were shown or closed: `count` are shown now (0: no comparison)."""

        count: int

    @dataclass
    class StopWanted(TextualMessage):
        """Stop the reply of `column` (0-based)."""

        column: int

    def __init__(
        self,
        session: ChatSession,
        *,
        fps: float,
        on_error: Callable[[Exception], None] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.session: ChatSession = session
        self.fps: float = fps
        self.columns: list[CompareColumn] = []
        """The columns shown, in the order the models were asked."""
        self.streams: dict[int, ReplyStream] = {}
        """Each column's latest reply stream (it may have ended), by column."""
        self._roots: list[Message] = []
        """The replies the columns start with (the comparison shown)."""
        self._timer: Timer | None = None
        """The frame timer flushing the columns' streams while any streams."""
        self._scrolled: ColumnLog | None = None
        """The column focused last: Page Up/Down in the prompt scroll it."""
        self._on_error = on_error
        self._holding: asyncio.Task[None] | None = None
        """Waits, after Esc, for every column's task to end; no frame is drawn meanwhile."""

    def on_resize(self) -> None:
        self.set_class(self.app.size.width < STACK_BELOW, "-stacked")

    def on_compare_view_column_focused(self, event: ColumnFocused) -> None:
        event.stop()
        self._scrolled = event.log

    def scrolled(self) -> ColumnLog | None:
        """The column Page Up/Down act on: the one focused last (else the first); None when
        no comparison is open."""
        if not self.columns:
            return None
        logs = [column.column_log for column in self.columns]
        return self._scrolled if self._scrolled in logs else logs[0]

    def follow(self) -> None:
        """Every column jumps to its bottom and follows it again."""
        for column in self.columns:
            column.column_log.follow()

    @property
    def is_open(self) -> bool:
        """True while columns are shown."""
        return bool(self.columns)

    async def reply_started(self, reply: Reply) -> ReplyStream:
        """A column's reply is about to stream: show it (and its prompt, when a comparison
        carries on) in its column, with a stream that flushes once a frame."""
        column = reply.column or 0
        conversation = self.session.conversation
        prompt = conversation.parent(reply.message)
        path = conversation.messages
        if column == 0 and path and prompt is path[-1]:
            await self._open([])  # a comparison just asked: fresh columns
        if column >= len(self.columns):
            await self._add_column(reply.provider, reply.model, [])
            self._roots.append(reply.message)
        target = self.columns[column]
        if prompt is not None and prompt.role is Role.USER and prompt is not path[-1]:
            await target.add(prompt)
        view = await target.add(reply.message)
        target.set_class(True, "-streaming")
        log = target.column_log

        def grew() -> None:
            log.grew()
            if stream.ended:
                target.set_class(False, "-streaming")

        stream = ReplyStream(reply.builder, view, on_grow=grew, on_error=self._on_error)
        self.streams[column] = stream
        # One frame timer for every column (not one each): all of them change in one frame.
        if self._timer is None:
            self._timer = self.set_interval(1 / max(self.fps, 1.0), self._flush, name="columns")
        return stream

    async def _flush(self) -> None:
        """One frame: every column's stream writes what arrived since the last one."""
        if self._holding is not None:
            return  # Esc: the connections close first
        live = [stream for stream in self.streams.values() if not stream.finished.is_set()]
        for stream in live:
            await stream.flush()
        if not live and self._timer is not None:
            self._timer.stop()
            self._timer = None

    async def sync(self) -> None:
        """Show the session's open comparison (reopened, or carried on), or close if none."""
        roots = self.session.comparison
        if not roots:
            await self.close()
            return
        if [id(m) for m in roots] == [id(m) for m in self._roots]:
            return
        await self._open(self.session.columns())

    async def _open(self, columns: list[list[Message]]) -> None:
        await self.close()
        self.add_class("-open")
        self.on_resize()
        for branch in columns:
            root = branch[0]
            await self._add_column(root.provider or "", root.model or "", branch)
            self._roots.append(root)

    async def _add_column(self, provider: str, model: str, branch: list[Message]) -> None:
        self.add_class("-open")
        column = CompareColumn(len(self.columns), provider, model)
        self.columns.append(column)
        self.post_message(self.ColumnsChanged(len(self.columns)))
        await self.mount(column)
        for message in branch:
            await column.add(message)

    async def close(self) -> None:
        """Stop flushing and remove every column."""
        self.abandon()
        if self.columns:
            self.post_message(self.ColumnsChanged(0))
        self.columns = []
        self._roots = []
        await self.remove_children()
        self.remove_class("-open")
        self._scrolled = None

    def abandon(self) -> None:
        """Stop every column's frame flush for good (the comparison is leaving the screen)."""
        for stream in self.streams.values():
            stream.abandon()
        self.streams.clear()
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def stop_all(self) -> bool:
        """Esc: stop every column's reply; False if no column streams.

        Nothing is drawn until every connection is closed: a task sees its cancel only at
        its turn in the event loop, after a frame already due, and a frame of four columns
        takes longer than the cancel itself (up to `HOLD_SECONDS`).
        """
        replies = [reply for reply in self.session.replies if reply.column is not None]
        tasks = [reply.task for reply in replies if reply.task is not None]
        if not tasks:
            return False
        if self._holding is None:
            # From now: a frame already due is not drawn either.
            batch = ExitStack()
            batch.enter_context(self.app.batch_update())
            self._holding = asyncio.create_task(self._hold(tasks, batch), name="compare-stop")
        self.session.stop()
        return True

    async def _hold(self, tasks: list[asyncio.Task[None]], batch: ExitStack) -> None:
        try:
            await asyncio.wait(tasks, timeout=HOLD_SECONDS)
        finally:
            batch.close()
            self._holding = None
            self.refresh()  # the screen draws what waited

    def stop(self, column: int) -> bool:
        """Stop column `column`'s reply if it streams; False if there is none."""
        for reply in list(self.session.replies):
            if reply.column == column:
                self.session.stop_reply(reply)
                return True
        return False
