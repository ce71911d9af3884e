"""While a reply's reader works through a backlog, work that can wait does.

A burst (a reply that arrived all at once, a provider faster than the screen) waits in the
socket; the end is on screen as soon as the reader has worked through it, so every frame drawn
meanwhile delays it. `ReplyStream` calls `BACKLOG.hold()` for each frame it skips because its
reader is behind; `MarkdownView` renders blocks off screen in idle time only while
`BACKLOG.held()` is False. The hold runs out by itself `HOLD_SECONDS` after the last call, so a
reply that ends, fails or goes away never leaves it on.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["BACKLOG", "HOLD_SECONDS", "Backlog"]

HOLD_SECONDS = 0.1
"""How long one `hold` lasts: a few frames at the default 30 a second."""


class Backlog:
    """Whether some reply's reader is behind the network right now."""

    __slots__ = ("_clock", "_until")

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until = float("-inf")

    def hold(self) -> None:
        """A reader is behind: idle work waits for the next `HOLD_SECONDS`."""
        self._until = self._clock() + HOLD_SECONDS

    def held(self) -> bool:
        """True while a hold is on."""
        return self._clock() < self._until


BACKLOG = Backlog()
"""The one the app's replies and views share."""
