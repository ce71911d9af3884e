"""A scrollable view that follows its bottom as content grows, until the reader scrolls up.

The chat log and each comparison column follow this way: anchored at the bottom while
following (only once the content overflows), let go of before an upward scroll moves the view,
and followed again when the reader scrolls back down to the bottom.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.containers import VerticalScroll
from textual.reactive import var

__all__ = ["FollowingScroll"]


class FollowingScroll(VerticalScroll):
    """Sticks to its bottom while `following`; the reader's scroll up lets go."""

    following: var[bool] = var(True)
    """True while the view sticks to its bottom as content grows."""

    def follow(self) -> None:
        """Jump to the bottom and stick to it."""
        self.following = True
        self._pin()

    def _pin(self) -> None:
        """Anchor while following, but only once the content overflows the view.

        An anchored container whose content is shorter than the view gets a negative scroll
        offset from Textual, which would push short content to the bottom of the screen.
        """
        if not self.following:
            return
        overflowing = self.max_scroll_y > 0
        self.anchor(overflowing)
        if not overflowing and self.scroll_y != 0:
            self.scroll_home(animate=False)

    def watch_following(self, following: bool) -> None:
        if not following:
            self.anchor(False)

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

    def scroll_page_down(self, *args: Any, **kwargs: Any) -> None:
        # While following, the view is at the bottom: there is nothing below to move to, and
        # Textual's scroll would land a frame later, undoing a scroll up made in between.
        if not self.following:
            super().scroll_page_down(*args, **kwargs)

    def release_anchor(self) -> None:
        # Textual releases the anchor before every keyboard or scrollbar scroll, even one that
        # cannot move (Page Down at the bottom), and never restores it then. Whether to keep
        # following is decided in `watch_scroll_y`, once a scroll has moved the view.
        self.scroll_target_y = self.scroll_y
