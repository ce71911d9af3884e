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
from textual.message import Message as TextualMessage
from textual.reactive import var
from textual.widget import Widget
from textual.widgets import Static

from parrotchat.core.conversation import Message
from parrotchat.ui import heap
from parrotchat.ui.message_view import MessageView

__all__ = ["ChatLog", "NewContentMarker"]


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

    def on_mount(self) -> None:
        self._pin()

    def on_resize(self) -> None:
        self._pin()

    def watch_virtual_size(self) -> None:
        # Content can grow without a flush calling `content_grew` (a reply's last lines, blocks
        # rendered later within the frame budget): the first overflow must still anchor.
        if self.following and not self.is_anchored:
            self.call_after_refresh(self._pin)

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
        return view

    async def show_messages(self, messages: list[Message]) -> None:
        """Replace the log's content with `messages` (a reopened conversation) and follow."""
        await self.clear()
        await self.mount_all([MessageView(message) for message in messages])
        self.follow()
        self.call_after_refresh(heap.settle)

    async def add_widget(self, widget: Widget) -> None:
        """Append any widget (the welcome text) at the bottom."""
        await self.mount(widget)

    async def clear(self) -> None:
        """Remove every message and follow the bottom again."""
        self.anchor(False)
        await self.remove_children()
        heap.release()
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
