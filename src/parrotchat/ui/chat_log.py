"""The scrolling chat log: follows the bottom while a reply streams, unless the user scrolls up.

Following is a state, not a guess from geometry: it ends when the user moves the view up and
comes back when they reach the bottom again or press the jump key. While it holds, Textual's
anchor keeps the view pinned to the bottom during layout, so the view never lags a frame behind
the content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import events
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.layout import DockArrangeResult
from textual.message import Message as TextualMessage
from textual.reactive import var
from textual.widget import Widget
from textual.widgets import Static

from parrotchat.core.conversation import Message
from parrotchat.ui.message_view import MessageView
from parrotchat.ui.older_messages import OlderMessages, tail_start
from parrotchat.ui.render import heap

__all__ = ["ChatLog", "NewContentMarker"]

TAIL_SCREENS = 2
"""Screens of a reopened conversation's last messages mounted before its first frame."""
KEEP_SCREENS = 3
"""Screens of messages kept mounted above the bottom while following; older ones are set
aside (and come back as the reader scrolls up), so a frame's cost does not grow with the
length of the conversation. It happens once twice as many are mounted, not at every turn."""


class ChatLog(VerticalScroll, can_focus=False):
    """The conversation's messages, newest at the bottom."""

    DEFAULT_CSS = """
    ChatLog {
        height: 1fr;
        padding: 1 1 0 1;
        scrollbar-gutter: stable;
    }
    """

    following: var[bool] = var(True)
    """True while the view sticks to the bottom as content arrives."""
    new_below: var[bool] = var(False)
    """True when content arrived below the view while not following."""

    @dataclass
    class NewContentBelow(TextualMessage):
        """Content arrived out of view (`below` True), or the user caught up (`below` False)."""

        chat_log: ChatLog
        below: bool

        @property
        def control(self) -> ChatLog:
            return self.chat_log

    def __init__(self, *children: Widget, id: str | None = None) -> None:
        super().__init__(*children, id=id)
        self._older: OlderMessages | None = None
        """Older messages not mounted: of a reopened conversation, or set aside."""
        self._loading_older = False
        self._cleared: OlderMessages | None = None
        """The older-messages line of the log before the last `clear`: its batches are void."""
        self._arranged: DockArrangeResult | None = None
        """The last layout of the messages: where each was before the next one."""

    def on_mount(self) -> None:
        self._pin()

    def on_resize(self) -> None:
        self._pin()

    def watch_virtual_size(self) -> None:
        # Content can grow without a flush calling `content_grew` (a reply's last lines, blocks
        # rendered later within the frame budget): the first overflow must still anchor.
        if self.following and not self.is_anchored:
            self.call_after_refresh(self._pin)
        self._want_older()

    def _pin(self) -> None:
        """Anchor while following, but only once the content overflows the view.

        An anchored container whose content is shorter than the view gets a negative scroll
        offset from Textual, which would push a short conversation to the bottom of the screen.
        """
        if not self.following:
            return
        overflowing = self.max_scroll_y > 0
        self.anchor(overflowing)
        if not overflowing and self.scroll_y != 0:
            self.scroll_home(animate=False)

    async def add_message(self, message: Message) -> MessageView:
        """Append a view of `message` at the bottom and return it."""
        view = MessageView(message)
        await self.mount(view)
        self.content_grew()
        if self.following:
            self.call_after_refresh(self._set_aside)
        return view

    async def _set_aside(self) -> None:
        """Unmount the messages more than `KEEP_SCREENS` screens above the bottom.

        Only while following: nothing moves under a reader who scrolled up. The anchor keeps
        the bottom in view while the top goes, and the messages wait in the `OlderMessages`
        line, to be mounted again if the reader scrolls up to them.
        """
        arranged = self._arranged
        if not self.following or arranged is None or self._loading_older:
            return
        if self.virtual_size.height <= self.size.height * KEEP_SCREENS * 2:
            return
        keep_from = self.virtual_size.height - self.size.height * KEEP_SCREENS
        gone = [
            placement.widget
            for placement in arranged.placements
            if placement.region.bottom < keep_from and placement.widget is not self._older
        ]
        views = [widget for widget in gone if isinstance(widget, MessageView)]
        if not views or not all(widget.is_attached for widget in gone):
            return
        older = self._older
        if older is None:
            older = self._older = OlderMessages([])
            await self.mount(older, before=0)
        older.set_aside([view.message for view in views])
        await self.remove_children(gone)
        heap.expect_garbage()

    async def show_messages(self, messages: list[Message]) -> None:
        """Replace the log's content with `messages` (a reopened conversation) and follow.

        Only the messages filling the last screens are mounted now; older ones go in above,
        a batch at a time, as the reader scrolls up to them.
        """
        await self.clear()
        start = tail_start(
            messages, len(messages), self._text_width(), self.size.height * TAIL_SCREENS or 100
        )
        widgets: list[Widget] = [MessageView(message) for message in messages[start:]]
        if start:
            self._older = OlderMessages(list(messages[:start]))
            widgets.insert(0, self._older)
        await self.mount_all(widgets)
        self.follow()
        self.call_after_refresh(heap.settle)

    @property
    def waiting_messages(self) -> int:
        """Older messages not mounted (yet, or any more)."""
        return len(self._older.waiting) if self._older is not None else 0

    def _text_width(self) -> int:
        return self.scrollable_content_region.width or self.app.size.width

    def _want_older(self) -> None:
        """Mount older messages once fewer than a screen of lines is left above the view."""
        if self._older is not None and not self._loading_older and self.scroll_y < self.size.height:
            self._loading_older = True
            self.call_after_refresh(self._mount_older)

    async def _mount_older(self) -> None:
        older = self._older
        try:
            if older is None or not older.is_attached:
                return
            views = [MessageView(message) for message in older.take_batch(self._text_width())]
            if not older.waiting:
                self._older = None
                await older.remove()
            if self._cleared is not older:
                # Still the same log (not cleared while the line went): the views go on top.
                first = next(iter(self.query_children(MessageView)), None)
                await self.mount_all(views, before=first)
        finally:
            self._loading_older = False
        self.call_after_refresh(self._want_older)

    def arrange(self, size: Size, optimal: bool = False) -> DockArrangeResult:
        """Lay out the messages, keeping what a reader who scrolled up sees where it is.

        Content can change height above the view: older messages go in, a block estimated until
        now gets its true height. As browsers do (CSS scroll anchoring), the message at the top
        of the view keeps its place on screen; the scroll moves within this layout pass, as
        Textual's own anchor does, so no frame shows the content jump.
        """
        arrangement = super().arrange(size, optimal)
        before = self._arranged
        if before is not None and arrangement is not before and not self.following:
            self._keep_in_place(before, arrangement)
        self._arranged = arrangement
        return arrangement

    def _keep_in_place(self, before: DockArrangeResult, after: DockArrangeResult) -> None:
        scroll_y = round(self.scroll_y)
        # The guide is the first message that starts in view (the one cut at the top may still
        # change height: blocks rendered late). The older-messages line is never a guide: it
        # stays at the top while messages go in below it.
        placements = [p for p in before.placements if not isinstance(p.widget, OlderMessages)]
        top = next((p for p in placements if p.region.y >= scroll_y), None)
        if top is None:
            top = next((p for p in placements if p.region.bottom > scroll_y), None)
        if top is None:
            return
        moved = next((p.region.y for p in after.placements if p.widget is top.widget), None)
        if moved is None or moved == top.region.y:
            return
        scroll_y += moved - top.region.y
        self.set_reactive(VerticalScroll.scroll_y, scroll_y)
        self.set_reactive(VerticalScroll.scroll_target_y, scroll_y)
        self.vertical_scrollbar._reactive_position = scroll_y

    async def add_widget(self, widget: Widget) -> None:
        """Append any widget (the welcome text) at the bottom."""
        await self.mount(widget)

    async def clear(self) -> None:
        """Remove every message and follow the bottom again."""
        self.anchor(False)
        self._cleared, self._older = self._older, None
        self._arranged = None
        await self.remove_children()
        heap.expect_garbage()
        self.call_after_refresh(heap.settle)  # frees them (Ctrl+N gives the memory back)
        self.following = True

    def message_views(self) -> list[MessageView]:
        """The views of the messages, oldest first."""
        return list(self.query_children(MessageView))

    def content_grew(self) -> None:
        """Called after content was added: mark it if the user is reading further up."""
        if not self.following:
            self.new_below = True
        elif not self.is_anchored:
            # The content may overflow the view once laid out: anchor from then on.
            self.call_after_refresh(self._pin)

    def follow(self) -> None:
        """Jump to the bottom and stick to it."""
        self.following = True
        self._pin()

    def watch_following(self, following: bool) -> None:
        if following:
            self.new_below = False
        else:
            self.anchor(False)

    def watch_new_below(self, below: bool) -> None:
        self.post_message(self.NewContentBelow(self, below))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value >= self.max_scroll_y:
            if not self.following:
                self.follow()
        elif new_value < old_value and self.following:
            self.following = False
        self._want_older()

    def stop_following(self) -> None:
        """The reader moves up: let go of the bottom before the view moves.

        Deciding only after the scroll (in `watch_scroll_y`) loses a race while a reply streams
        fast: the anchor can pull the view back to the bottom before the scroll lands.
        """
        if self.following and self.max_scroll_y > 0:
            self.following = False

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if not (event.ctrl or event.shift):
            self.stop_following()
        super()._on_mouse_scroll_up(event)

    def scroll_up(self, *args: Any, **kwargs: Any) -> None:
        self.stop_following()
        super().scroll_up(*args, **kwargs)

    def scroll_page_up(self, *args: Any, **kwargs: Any) -> None:
        self.stop_following()
        super().scroll_page_up(*args, **kwargs)

    def release_anchor(self) -> None:
        # Textual releases the anchor before every keyboard or scrollbar scroll, even one that
        # cannot move (Page Down at the bottom), and never restores it then. Whether to keep
        # following is decided in `watch_scroll_y`, once a scroll has moved the view.
        self.scroll_target_y = self.scroll_y


class NewContentMarker(Static):
    """The "new content below" line shown while the user reads further up; click to jump."""

    DEFAULT_CSS = """
    NewContentMarker {
        width: 100%;
        height: 1;
        content-align: center middle;
        background: $accent 30%;
        color: $text;
        display: none;
    }
    """

    @dataclass
    class Clicked(TextualMessage):
        """The user clicked the marker."""

    def __init__(self, key_hint: str = "Ctrl+End", *, id: str | None = None) -> None:
        super().__init__(
            Content.assemble("↓ New content below · ", (key_hint, "bold"), " to follow"),
            id=id,
        )

    def on_click(self) -> None:
        self.post_message(self.Clicked())
