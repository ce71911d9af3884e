"""What the app benchmarks watch: the frames the app paints, and how long its event loop stalls."""

from __future__ import annotations

import asyncio
import time
from typing import Any


def count_frames(app: Any) -> list[float]:
    """A list that gets the `time.monotonic()` of every frame `app` paints from now on."""
    frames: list[float] = []
    display = app._display

    def counting_display(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None:
            frames.append(time.monotonic())

    app._display = counting_display
    return frames


class StallMeter:
    """The longest delay a 5 ms ticker on the event loop sees between `start` and `stop`."""

    PERIOD = 0.005

    def __init__(self) -> None:
        self.longest = 0.0
        """Seconds: the longest stall seen so far."""
        self._ticking = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._ticking = True
        self._task = asyncio.create_task(self._tick())

    async def stop(self) -> float:
        """Stop ticking; the longest stall in seconds."""
        self._ticking = False
        if self._task is not None:
            await self._task
        return self.longest

    async def _tick(self) -> None:
        while self._ticking:
            before = time.monotonic()
            await asyncio.sleep(self.PERIOD)
            self.longest = max(self.longest, time.monotonic() - before - self.PERIOD)
