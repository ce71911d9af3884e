"""An idle watchdog on data events, cheap enough to feed for every chunk of a fast stream.

httpx's read timeout restarts on every byte, so a server that only sends keep-alive comments
would hang forever. This watchdog counts time since the last *data* event instead. It is armed
lazily, one timer per idle period rather than one per chunk: at 20,000 chunks/s a per-read
`asyncio.timeout` costs more than parsing the chunk.
"""

from __future__ import annotations

import asyncio

__all__ = ["IdleWatchdog"]


class IdleWatchdog:
    """Cancels the reading task if it waits for data more than `idle` seconds after the last.

    Call `fed()` when a data event arrives; set `waiting` around each read; after a
    `CancelledError` during a read, `expired()` says whether the watchdog caused it.
    """

    __slots__ = ("_handle", "_idle", "_loop", "_task", "fired", "last_data", "waiting")

    def __init__(self, idle: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._idle = idle
        self.last_data: float = self._loop.time()
        self.waiting: bool = False
        """True while the task awaits the network: only then may the watchdog cancel it."""
        self.fired: bool = False
        self._handle = self._loop.call_at(self.last_data + idle, self._check)

    @property
    def idle(self) -> float:
        return self._idle

    def fed(self) -> None:
        self.last_data = self._loop.time()

    def _check(self) -> None:
        now = self._loop.time()
        due = self.last_data + self._idle
        if not self.waiting:
            # The consumer is busy, not the server idle: look again a full period later.
            due = max(due, now + self._idle)
        if now < due:
            self._handle = self._loop.call_at(due, self._check)
            return
        self.fired = True
        if self._task is not None:
            self._task.cancel()

    def expired(self) -> bool:
        """After a CancelledError: True if only the watchdog cancelled (swallow and time out)."""
        if not self.fired or self._task is None:
            return False
        return self._task.uncancel() == 0

    def close(self) -> None:
        self._handle.cancel()
