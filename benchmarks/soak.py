"""Memory over a long session: the real app, headless at 160x50, for many long replies.

The demo server runs in another process at full speed; the app (with a history database in a
temp folder, as `parrotchat --demo` keeps one) gets `--replies` prompts of `--tokens` tokens
each, in one conversation (or a new one every `--new-every` replies, as Ctrl+N starts), then
Ctrl+N. Prints the process's resident set size (RSS, from /proc) at the start, after every 10
replies and after the final Ctrl+N, then whether the targets of issue 17 are met: RSS after the
last reply within 10% of after reply 20, and after Ctrl+N within 10% of the start.

    PYTHONPATH=src python benchmarks/soak.py [--replies 100] [--tokens 10000] [--new-every 0]
        [--types] [--tracemalloc]

`--types` prints which objects the collector tracks grew, by type, from reply 20 (or the
middle) to the last reply and to after Ctrl+N (cheap).

`--tracemalloc` traces allocations from reply 20 (or the middle) on, much slower, and prints
what was allocated since and is still alive at the end, by traceback: the way to find a leak
(`--replies 12 --tokens 3000` is enough to see one).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

SIZE = (160, 50)
BASELINE_REPLY = 20
"""The reply after which the RSS is the baseline for the end of the session."""


def rss_mb() -> float:
    """The resident set size now (not the peak), in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def python_heap() -> str:
    """Python's own view: memory blocks allocated, objects the collector tracks (frozen too)."""
    blocks = sys.getallocatedblocks()
    tracked = len(gc.get_objects()) + gc.get_freeze_count()
    return f"{blocks / 1e6:.2f}M blocks, {tracked / 1e6:.2f}M tracked objects"


def type_counts() -> Counter[str]:
    """Live objects the collector tracks, by type (frozen ones included; garbage collected)."""
    gc.unfreeze()
    gc.collect()
    counts = Counter(type(obj).__qualname__ for obj in gc.get_objects())
    gc.freeze()
    return counts


def print_type_growth(before: Counter[str], after: Counter[str], label: str) -> None:
    growth = after.copy()
    growth.subtract(before)
    top = ", ".join(f"{name} {count:+d}" for name, count in growth.most_common(12))
    print(f"objects that grew ({label}): {top}", flush=True)


def start_server() -> tuple[subprocess.Popen[str], str]:
    """`python -m parrotchat.demo` at full speed; the process and its base URL."""
    server = subprocess.Popen(
        [sys.executable, "-m", "parrotchat.demo", "--tps", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline()  # "parrotchat demo server at URL  (Ctrl+C to stop)"
    return server, line.split(" at ", 1)[1].split()[0]


async def watch_until(condition: Callable[[], object], timeout: float) -> None:
    """Poll `condition` without touching the app (`Pilot.pause` forces extra frames)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {condition}")
        await asyncio.sleep(0.01)


async def quiet(pilot: Any) -> None:
    """A few frames with nothing happening: the app settles (`heap.settle`) as it would."""
    for _ in range(3):
        await pilot.pause()


def top_growth(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, limit: int = 12) -> None:
    stats = after.compare_to(before, "traceback")
    total = sum(stat.size_diff for stat in stats)
    print(f"\nStill allocated from what was traced: {total / 1e6:+.2f} MB in all. Top {limit}:")
    for stat in stats[:limit]:
        print(f"{stat.size_diff / 1e6:+8.2f} MB {stat.count_diff:+8d} blocks")
        for line in stat.traceback.format(limit=8):
            print(f"    {line}")


async def soak(args: argparse.Namespace) -> dict[str, float]:
    from parrotchat.ui.testing import offline_demo_app, send_prompt

    server, base_url = start_server()
    workdir = Path(tempfile.mkdtemp(prefix="parrotchat-soak-"))
    series: dict[str, float] = {}
    snapshot: tracemalloc.Snapshot | None = None
    types_before: Counter[str] = Counter()
    middle = BASELINE_REPLY if args.replies >= 2 * BASELINE_REPLY else args.replies // 2
    try:
        app = offline_demo_app(base_url, workdir, history=workdir / "data" / "parrotchat.db")
        async with app.run_test(size=SIZE) as pilot:
            await quiet(pilot)
            series["start"] = rss_mb()
            print(f"start: {series['start']:.1f} MB ({python_heap()})", flush=True)
            started = time.monotonic()
            for number in range(1, args.replies + 1):
                if args.new_every and number > 1 and (number - 1) % args.new_every == 0:
                    await pilot.press("ctrl+n")
                    await watch_until(lambda: not app.chat_log.message_views(), 60)
                prompt = f"Write {args.tokens} tokens about topic {number}."
                await send_prompt(pilot, prompt)

                def done() -> bool:
                    stream = app.reply_stream
                    return stream is not None and stream.finished.is_set() and not app.streaming

                await watch_until(done, 600)
                await quiet(pilot)
                if number % 10 == 0 or number == middle:
                    gc.collect()
                    series[f"reply {number}"] = rss_mb()
                    elapsed = time.monotonic() - started
                    print(
                        f"after reply {number}: {series[f'reply {number}']:.1f} MB"
                        f"  ({elapsed:.0f} s, {python_heap()})",
                        flush=True,
                    )
                if number == middle and args.types:
                    types_before = type_counts()
                if number == middle and args.tracemalloc:
                    # Traced from here on only (tracing is slow): what is still allocated at
                    # the end is what the later replies added.
                    tracemalloc.start(10)
                    snapshot = tracemalloc.take_snapshot()
            if args.types:
                print_type_growth(types_before, type_counts(), f"reply {middle} -> {number}")
            await pilot.press("ctrl+n")
            await watch_until(lambda: not app.chat_log.message_views(), 60)
            await quiet(pilot)
            await app.history.drain()
            if args.types:
                print_type_growth(types_before, type_counts(), f"reply {middle} -> Ctrl+N")
            gc.collect()
            series["after Ctrl+N"] = rss_mb()
            print(f"after Ctrl+N: {series['after Ctrl+N']:.1f} MB ({python_heap()})", flush=True)
            if snapshot is not None:
                top_growth(snapshot, tracemalloc.take_snapshot())
    finally:
        server.kill()
        server.wait()
    return series


def report(series: dict[str, float], replies: int) -> None:
    baseline = series.get(f"reply {BASELINE_REPLY}")
    last = series.get(f"reply {replies}")
    if baseline and last:
        growth = (last / baseline - 1) * 100
        met = "met" if growth <= 10 else "NOT met"
        print(f"reply {replies} vs reply {BASELINE_REPLY}: {growth:+.1f}% (target <= +10%: {met})")
    end = series["after Ctrl+N"]
    growth = (end / series["start"] - 1) * 100
    met = "met" if growth <= 10 else "NOT met"
    print(f"after Ctrl+N vs start: {growth:+.1f}% (target <= +10%: {met})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replies", type=int, default=100)
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--new-every", type=int, default=0, help="Ctrl+N every N replies")
    parser.add_argument("--tracemalloc", action="store_true", help="print what grew, by traceback")
    parser.add_argument("--types", action="store_true", help="print which objects grew, by type")
    args = parser.parse_args()
    series = asyncio.run(soak(args))
    report(series, args.replies)


if __name__ == "__main__":
    main()
