"""While a reply's reader works through a backlog, work that can wait does.

A burst (a reply that arrived all at once, a provider faster than the screen) waits in the
socket; the end is on screen as soon as the reader has worked through it, so everything drawn
meanwhile delays it. `ReplyStream` calls `BACKLOG.hold(self)` at each frame tick while its
reader is behind and `release(self)` once it is not (or the reply ended); `MarkdownView`
renders blocks off screen in idle time only while `BACKLOG.held()` is False. A hold also runs
out by itself `HOLD_SECONDS` after its last renewal, so a reply that goes away without a word
never leaves it on.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["BACKLOG", "HOLD_SECONDS", "Backlog"]

HOLD_SECONDS = 2.0
"""How long one `hold` lasts unless renewed or released: longer than a frame while behind
(`reply_stream.CATCH_UP_INTERVAL`) and its paint take on a loaded machine."""


class Backlog:
    """Whether some reply's reader is behind the network right now."""

    __slots__ = ("_clock", "_holds")

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._holds: dict[int, float] = {}
        """Until when each holder's hold lasts, by `id` of the holder."""

    def hold(self, holder: object) -> None:
        """`holder`'s reader is behind: idle work waits (for `HOLD_SECONDS` at most)."""
        self._holds[id(holder)] = self._clock() + HOLD_SECONDS

    def release(self, holder: object) -> None:
        """`holder`'s reader caught up, or its reply ended."""
        self._holds.pop(id(holder), None)

    def held(self) -> bool:
        """True while a hold is on."""
        if not self._holds:
            return False
        now = self._clock()
        for key, until in list(self._holds.items()):
            if until <= now:
                del self._holds[key]
        return bool(self._holds)


BACKLOG = Backlog()
"""The one the app's replies and views share."""
