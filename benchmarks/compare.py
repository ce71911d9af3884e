"""Comparisons under load: several replies streaming at once into the real app's columns.

Headless 160x50 against the demo server in its own thread, every figure a median of `--runs`
paired runs (single and comparison alternate):
- four replies at 1,000 tokens/s each vs one: frames a second (flushes of the busiest column),
  the longest event-loop stall, CPU per token, and Esc until the server saw every connection
  close (against one reply's Esc in the chat);
- two 32k-token replies at full speed vs one: until every column's end is on screen.

    python benchmarks/compare.py [--runs 3] [--tokens 4000] [--only paced,esc,fast]

The benchmark waits by polling with plain sleeps, not `Pilot.pause`, which paints a frame and
waits for every widget's queue each time: that would cost more with more columns. To time
another checkout (before/after), run this file with `PYTHONPATH=/path/to/checkout/src`.
The machine may be loaded by other work: quote medians and ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from parrotchat.demo import DemoServer
from parrotchat.ui.message_view import MessageView
from parrotchat.ui.testing import offline_demo_app, press_now

_writes: dict[int, int] = {}
"""Frames that wrote answer text, by view: `MessageView.append_text` runs once a frame."""
_append_text = MessageView.append_text


async def _counted(self: MessageView, text: str) -> None:
    _writes[id(self)] = _writes.get(id(self), 0) + 1
    await _append_text(self, text)


MessageView.append_text = _counted  # type: ignore[method-assign]

SIZE = (160, 50)


@dataclass
class Run:
    frames_per_second: float
    longest_stall_ms: float
    cpu_per_token_us: float
    seconds: float
    esc_ms: float | None = None


async def _watch_stalls(stalls: list[float], done: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not done.is_set():
        before = loop.time()
        await asyncio.sleep(0.005)
        stalls.append(loop.time() - before - 0.005)


async def poll(condition: Callable[[], object], timeout: float) -> None:
    """Let the app run until `condition()` is true (a benchmark's light wait, see above)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {condition}")
        await asyncio.sleep(0.002)


async def one_run(server: DemoServer, models: list[str], tokens: int, *, esc: bool) -> Run:
    with tempfile.TemporaryDirectory() as scratch:
        app = offline_demo_app(server.base_url, Path(scratch))
        async with app.run_test(size=SIZE) as pilot:
            app.show_sidebar = False
            if len(models) > 1:
                app.session.compare_next = [("demo", m) for m in models]
            # Esc: a reply that would stream for minutes, so only the Esc ends it.
            prompt = f"Write about parrots, {100_000 if esc else tokens} tokens"
            app.prompt.load_text(prompt)
            app.prompt.focus()
            done = asyncio.Event()
            stalls: list[float] = []
            watcher = asyncio.create_task(_watch_stalls(stalls, done))
            _writes.clear()
            streams = app.compare_view.streams if len(models) > 1 else None
            # The app's thread only: the demo server streams from a thread of its own.
            start_cpu, start = time.thread_time(), time.perf_counter()
            asked = len(server.chat_requests)
            press_now(pilot, "enter")
            await poll(lambda: len(app.session.replies) == len(models), 30)
            replies = list(app.session.replies)
            if esc:
                await poll(lambda: all(r.message.tokens > 200 for r in replies), 60)
                pressed = time.monotonic()  # the clock the server records disconnects with
                press_now(pilot, "escape")
                requests = server.chat_requests[asked:]

                def closed() -> bool:
                    return all(r.disconnected_at is not None for r in requests)

                await poll(closed, 30)
                last = max(r.disconnected_at or 0.0 for r in requests)
                esc_ms = (last - pressed) * 1000
            else:
                esc_ms = None

            def ended() -> bool:
                if app.streaming:
                    return False
                if streams is not None:
                    return all(s.finished.is_set() for s in streams.values())
                stream = app.reply_stream
                return stream is not None and stream.finished.is_set()

            await poll(ended, 300)
            seconds = time.perf_counter() - start
            cpu = time.thread_time() - start_cpu
            done.set()
            await watcher
            total = sum(r.message.tokens for r in replies) or 1
            first = replies[0].message
            streaming_span = max((first.duration or seconds) - (first.ttft or 0.0), 1e-3)
            return Run(
                frames_per_second=max(_writes.values(), default=0) / streaming_span,
                longest_stall_ms=max(stalls, default=0.0) * 1000,
                cpu_per_token_us=cpu / total * 1e6,
                seconds=seconds,
                esc_ms=esc_ms,
            )


def med(values: list[float]) -> float:
    return statistics.median(values)


async def main(runs: int, tokens: int, only: set[str]) -> None:
    print("Medians of paired, alternating runs (single and comparison alternate).")
    with DemoServer(tokens_per_second=1000) as paced:
        if "paced" in only:
            single: list[Run] = []
            four: list[Run] = []
            for _ in range(runs):
                single.append(await one_run(paced, ["parrot"], tokens, esc=False))
                four.append(await one_run(paced, ["parrot"] * 4, tokens, esc=False))
            print(f"\n1,000 tok/s, {tokens} tokens each   single      four")
            print(
                f"  frames/s (busiest column)   {med([r.frames_per_second for r in single]):8.1f}"
                f"  {med([r.frames_per_second for r in four]):8.1f}   target >= 27"
            )
            print(
                f"  longest stall, ms           {med([r.longest_stall_ms for r in single]):8.1f}"
                f"  {med([r.longest_stall_ms for r in four]):8.1f}   target <= 50"
            )
            cpu1 = med([r.cpu_per_token_us for r in single])
            cpu4 = med([r.cpu_per_token_us for r in four])
            print(
                f"  CPU per token, us           {cpu1:8.1f}  {cpu4:8.1f}   ratio {cpu4 / cpu1:.2f}"
                " (target <= 1.3)"
            )
        if "esc" in only:
            one_esc: list[float] = []
            four_esc: list[float] = []
            for _ in range(runs):
                one_esc.append((await one_run(paced, ["parrot"], tokens, esc=True)).esc_ms or 0)
                four_esc.append(
                    (await one_run(paced, ["parrot"] * 4, tokens, esc=True)).esc_ms or 0
                )
            print(
                f"\nEsc until the server saw every connection close, ms: one {med(one_esc):.1f}, "
                f"four {med(four_esc):.1f} (worst {max(four_esc):.1f})   target <= 50"
            )
    if "fast" in only:
        with DemoServer(tokens_per_second=None) as fast:
            one: list[float] = []
            two: list[float] = []
            for _ in range(runs):
                one.append((await one_run(fast, ["parrot"], 32000, esc=False)).seconds)
                two.append((await one_run(fast, ["parrot"] * 2, 32000, esc=False)).seconds)
        print(
            f"\n32k tokens at full speed: one {med(one):.2f} s, two {med(two):.2f} s, "
            f"ratio {med(two) / med(one):.2f} (target <= 2)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=4000)
    parser.add_argument(
        "--only", default="paced,esc,fast", help="comma-separated: paced, esc, fast (default: all)"
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.tokens, set(arguments.only.split(","))))
