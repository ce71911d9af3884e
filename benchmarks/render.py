"""How fast the chat screen shows long replies: the real app, headless, against the demo server.

Each measurement runs in a fresh process (so peak RSS is per size); the demo server runs in a
second process at full speed, so the CPU counted is the app's alone. Prints the median of
`--runs` runs per reply length, in an empty conversation and below 50 finished 8k-token replies.

    PYTHONPATH=src python benchmarks/render.py [--runs 5] [--sizes 2k,8k,32k,128k] [--timeout 90]

Columns:
- lag: the server finished sending -> the whole answer is in the view and a frame was painted.
- CPU: the app process's user + system time from sending the prompt to that frame (and until
  blocks off screen are rendered too).
- fps: frames painted per second while the reply streamed.
- stall: the longest event-loop delay seen by a 5 ms ticker while streaming.
- RSS: the process's peak resident set size.
- PgDn: the slowest of 10 Page Downs from the top of the reply to its repaint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SIZE = (160, 50)
HISTORY = 50
"""Finished replies above the live one in the `history` scenario."""
HISTORY_TOKENS = 8000


@dataclass
class Run:
    """One measured reply."""

    tokens: int
    lag_ms: float
    cpu_s: float
    fps: float
    stall_ms: float
    rss_mb: float
    pgdn_ms: float


# --- the server process -----------------------------------------------------------------------


def serve() -> None:
    """Run the demo server at full speed; print its URL, then the time each chat reply ended."""
    from parrotchat.demo import DemoServer

    with DemoServer(tokens_per_second=None) as server:
        print(server.base_url, flush=True)
        reported = 0
        while True:
            requests = server.chat_requests
            while reported < len(requests) and requests[reported].completed:
                print(f"{time.monotonic():.6f}", flush=True)
                reported += 1
            time.sleep(0.0005)


class ServerProcess:
    """The demo server in its own process, and the times its replies ended."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        self.ended: list[float] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.ended.append(float(line))

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


# --- one measurement (child process) ----------------------------------------------------------


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def load_history(app: Any, pilot: Any) -> None:
    """Put finished replies in the conversation and the log, as a restored conversation would."""
    from parrotchat.core.conversation import Message, Role, Status
    from parrotchat.demo.parrot import reply_text
    from parrotchat.ui.testing import wait_until

    for number in range(HISTORY):
        question = f"Tell me about topic {number}, {HISTORY_TOKENS} tokens."
        user = app.conversation.add(Message(Role.USER, question))
        await app.chat_log.add_message(user)
        reply = app.conversation.add(
            Message(
                Role.ASSISTANT,
                reply_text(question, HISTORY_TOKENS),
                model="parrot",
                provider="demo",
                status=Status.COMPLETE,
                tokens=HISTORY_TOKENS,
            )
        )
        await app.chat_log.add_message(reply)
    views = app.chat_log.message_views()
    await wait_until(
        pilot,
        lambda: all(
            view.answer is None or (view.answer.source and not getattr(view.answer, "pending", 0))
            for view in views
        ),
        timeout=600,
    )
    for _ in range(5):
        await pilot.pause()


async def measure(tokens: int, history: bool) -> Run:
    from parrotchat.ui.testing import offline_demo_app, send_prompt, wait_until

    server = ServerProcess()
    workdir = Path(tempfile.mkdtemp(prefix="parrotchat-bench-"))
    try:
        app = offline_demo_app(server.base_url, workdir)
        frames: list[float] = []
        display = app._display

        def counting_display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is not None:
                frames.append(time.monotonic())

        app._display = counting_display  # type: ignore[method-assign]
        async with app.run_test(size=SIZE) as pilot:
            if history:
                await load_history(app, pilot)
            await pilot.pause()

            stall = 0.0
            ticking = True

            async def ticker() -> None:
                nonlocal stall
                period = 0.005
                while ticking:
                    before = time.monotonic()
                    await asyncio.sleep(period)
                    stall = max(stall, time.monotonic() - before - period)

            ticker_task = asyncio.create_task(ticker())
            cpu_before = cpu_seconds()
            sent = time.monotonic()
            reply = await send_prompt(pilot, f"Write {tokens} tokens about parsers.")
            view = app.chat_log.message_views()[-1]

            def complete() -> bool:
                stream = app.reply_stream
                answer = view.answer
                return (
                    bool(server.ended)
                    and stream is not None
                    and stream.finished.is_set()
                    and answer is not None
                    and answer.source == reply.content
                )

            await wait_until(pilot, complete, timeout=3600, what="the whole reply")
            shown = time.monotonic()
            painted = len(frames)
            await wait_until(pilot, lambda: len(frames) > painted, timeout=60, what="a frame")
            painted_at = frames[painted]
            # Blocks off screen may still be rendering: their cost counts too.
            await wait_until(pilot, lambda: not getattr(view.answer, "pending", 0), timeout=600)
            cpu = cpu_seconds() - cpu_before
            ticking = False
            await ticker_task
            assert shown >= sent
            first_frame = next((t for t in frames if t > sent), painted_at)
            streaming_frames = [t for t in frames if first_frame <= t <= painted_at]
            span = painted_at - first_frame
            fps = (len(streaming_frames) - 1) / span if span > 0 else 0.0
            lag = max(0.0, painted_at - server.ended[0])

            pgdn = await page_down_times(app, pilot, frames)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return Run(tokens, lag * 1000, cpu, fps, stall * 1000, rss, pgdn * 1000)
    finally:
        server.stop()


async def page_down_times(app: Any, pilot: Any, frames: list[float]) -> float:
    """The slowest repaint of 10 Page Downs from the top of the log."""
    from parrotchat.ui.testing import wait_until

    chat_log = app.chat_log
    chat_log.scroll_home(animate=False)
    await pilot.pause()
    worst = 0.0
    for _ in range(10):
        painted = len(frames)
        start = time.monotonic()
        app.action_scroll_chat(1)
        await wait_until(pilot, lambda n=painted: len(frames) > n, timeout=60, what="a repaint")
        worst = max(worst, frames[painted] - start)
    return worst


# --- the table (parent process) ---------------------------------------------------------------


def parse_size(text: str) -> int:
    text = text.strip().lower()
    return int(float(text[:-1]) * 1000) if text.endswith("k") else int(text)


def run_child(tokens: int, history: bool, timeout: float) -> Run | None:
    command = [sys.executable, __file__, "--child", str(tokens)]
    if history:
        command.append("--history")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as error:
        sys.stderr.write(error.stderr)
        raise
    return Run(**json.loads(done.stdout.strip().splitlines()[-1]))


def row(label: str, tokens: int, runs: list[Run | None], timeout: float) -> str:
    done = [run for run in runs if run is not None]
    if len(done) < len(runs):
        cells = [f"> {timeout:.0f} s"] + [""] * 6
        return f"| {label} | {tokens // 1000}k | " + " | ".join(cells) + " |"

    def median(name: str) -> float:
        return statistics.median(getattr(run, name) for run in done)

    cpu = median("cpu_s")
    cells = [
        f"{median('lag_ms'):.0f} ms",
        f"{cpu:.2f} s",
        f"{cpu / tokens * 1000 * 1000:.0f} ms",
        f"{median('fps'):.1f}",
        f"{median('stall_ms'):.0f} ms",
        f"{median('rss_mb'):.0f} MB",
        f"{median('pgdn_ms'):.0f} ms",
    ]
    return f"| {label} | {tokens // 1000}k | " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="2k,8k,32k,128k")
    parser.add_argument("--history-sizes", default="8k,32k", help="sizes below 50 finished replies")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds per run at most")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--history", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    if args.child is not None:
        run = asyncio.run(measure(args.child, args.history))
        print(json.dumps(asdict(run)))
        return

    print(
        f"{args.runs} runs per row (median), terminal {SIZE[0]}x{SIZE[1]},"
        " demo server at full speed"
    )
    print()
    print("| conversation | reply | lag | CPU | CPU/1k tok | fps | stall | peak RSS | PgDn |")
    print("|---|---|---|---|---|---|---|---|---|")
    plans = [("empty", size, False) for size in args.sizes.split(",") if size]
    plans += [(f"{HISTORY}×8k above", size, True) for size in args.history_sizes.split(",") if size]
    for label, size, history in plans:
        tokens = parse_size(size)
        runs: list[Run | None] = []
        for _ in range(args.runs):
            run = run_child(tokens, history, args.timeout)
            runs.append(run)
            if run is None:
                break
        print(row(label, tokens, runs, args.timeout), flush=True)


if __name__ == "__main__":
    main()
