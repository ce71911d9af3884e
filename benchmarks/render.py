"""How fast the chat screen shows long replies: the real app, headless, against the demo server.

Each measurement runs in a fresh process (so peak RSS is per size); the demo server runs in a
second process at full speed, so the CPU counted is the app's alone. Prints the median of
`--runs` runs per reply length, in an empty conversation and below 50 finished 8k-token replies,
then whether each target of issue 4 is met.

    PYTHONPATH=src python benchmarks/render.py [--runs 5] [--sizes 2k,8k,32k,128k] [--timeout 90]
        [--pace TOKENS_PER_SECOND] [--select]

`--history-sizes 0` (or an empty list) skips the rows below 50 finished replies. `--select`
keeps a mouse selection growing over the streaming answer while it streams (a drag that follows
the text: the selection changes and the pointer is looked up 20 times a second).

Columns:
- lag: the server finished sending -> the whole answer is in the view and a frame was painted.
  At full speed the server finishes long before the app has read the socket (the kernel buffers
  megabytes), so this includes parsing the backlog.
- recv: the app read the end of the stream -> that frame (the render engine's own lag).
- CPU: the app process's user + system time from sending the prompt to that frame (and until
  blocks off screen are rendered too).
- fps: frames painted per second while the reply streamed.
- stall: the longest event-loop delay seen by a 5 ms ticker while streaming.
- RSS: the process's peak resident set size.
- PgDn: the slowest repaint of up to 10 Page Downs through the reply, from its top.
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
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from probes import StallMeter, count_frames

SIZE = (160, 50)
HEADER = "| conversation | reply | lag | recv | CPU | CPU/1k tok | fps | stall | peak RSS | PgDn |"
FRAME_MS = 1000 / 30
"""One frame at the default `render_fps`."""
HISTORY = 50
"""Finished replies above the live one in the `history` scenario."""
HISTORY_TOKENS = 8000


@dataclass
class Run:
    """One measured reply."""

    tokens: int
    lag_ms: float
    recv_lag_ms: float
    cpu_s: float
    fps: float
    stall_ms: float
    rss_mb: float
    pgdn_ms: float


# --- the server process -----------------------------------------------------------------------


def serve(pace: float | None = None) -> None:
    """Run the demo server (full speed, or `pace` tokens a second); print its URL, then the time
    each chat reply ended."""
    from parrotchat.demo import DemoServer

    with DemoServer(tokens_per_second=pace) as server:
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

    def __init__(self, pace: float | None = None) -> None:
        command = [sys.executable, __file__, "--serve"]
        if pace:
            command += ["--pace", str(pace)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
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


async def watch_until(condition: Callable[[], object], timeout: float) -> None:
    """Poll `condition` without touching the app.

    `Pilot.pause` would force a screen update and ping every widget each time: extra frames, and
    CPU that grows with the number of widgets.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {condition}")
        await asyncio.sleep(0.005)


async def load_history(app: Any, pilot: Any) -> None:
    """Put finished replies in the conversation and show them, as reopening it would."""
    from parrotchat.core.conversation import Message, Role, Status
    from parrotchat.demo.parrot import reply_text
    from parrotchat.ui.testing import wait_until

    for number in range(HISTORY):
        question = f"Tell me about topic {number}, {HISTORY_TOKENS} tokens."
        app.conversation.add(Message(Role.USER, question))
        app.conversation.add(
            Message(
                Role.ASSISTANT,
                reply_text(question, HISTORY_TOKENS),
                model="parrot",
                provider="demo",
                status=Status.COMPLETE,
                tokens=HISTORY_TOKENS,
            )
        )
    await app.chat_log.show_messages(app.conversation.messages)
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


async def keep_selecting(app: Any, view: Any, done: Callable[[], bool]) -> None:
    """A drag over the streaming answer, from its first line on screen to the bottom of the view.

    What a mouse move while selecting costs: the screen asks which character is under the
    pointer, and the selection (so its repaint) changes.
    """
    from textual.errors import NoWidget
    from textual.geometry import Offset
    from textual.selection import Selection

    screen = app.screen
    while not done():
        answer = view.answer
        try:
            geometry = screen.find_widget(answer)
        except NoWidget:
            await asyncio.sleep(0.05)
            continue
        visible, region = geometry.visible_region, geometry.region
        if visible.height:
            top = visible.y - region.y
            bottom = top + visible.height - 1
            screen.get_widget_and_offset_at(region.x + 30, visible.bottom - 1)
            screen.selections = {answer: Selection(Offset(3, top), Offset(30, bottom))}
        await asyncio.sleep(0.05)


async def measure(
    tokens: int, history: bool, pace: float | None = None, select: bool = False
) -> Run:
    from parrotchat.core.reply import ReplyBuilder
    from parrotchat.ui.testing import offline_demo_app, send_prompt

    received: list[float] = []
    end = ReplyBuilder.end

    def timed_end(builder: ReplyBuilder, *args: Any, **kwargs: Any) -> None:
        received.append(time.monotonic())
        end(builder, *args, **kwargs)

    ReplyBuilder.end = timed_end  # type: ignore[method-assign]
    server = ServerProcess(pace)
    workdir = Path(tempfile.mkdtemp(prefix="parrotchat-bench-"))
    try:
        app = offline_demo_app(server.base_url, workdir)
        frames = count_frames(app)
        async with app.run_test(size=SIZE) as pilot:
            if history:
                await load_history(app, pilot)
            await pilot.pause()

            stalls = StallMeter()
            stalls.start()
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

            selecting = asyncio.create_task(keep_selecting(app, view, complete)) if select else None
            await watch_until(complete, timeout=3600)
            if selecting is not None:
                await selecting
            shown = time.monotonic()
            painted = len(frames)
            await watch_until(lambda: len(frames) > painted, timeout=60)
            painted_at = frames[painted]
            # Blocks off screen may still be rendering: their cost counts too.
            await watch_until(lambda: not getattr(view.answer, "pending", 0), timeout=600)
            cpu = cpu_seconds() - cpu_before
            stall = await stalls.stop()
            assert shown >= sent
            first_frame = next((t for t in frames if t > sent), painted_at)
            streaming_frames = [t for t in frames if first_frame <= t <= painted_at]
            span = painted_at - first_frame
            fps = (len(streaming_frames) - 1) / span if span > 0 else 0.0
            lag = max(0.0, painted_at - server.ended[0])
            recv_lag = max(0.0, painted_at - received[0])

            pgdn = await page_down_times(app, pilot, view, frames)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return Run(tokens, lag * 1000, recv_lag * 1000, cpu, fps, stall * 1000, rss, pgdn * 1000)
    finally:
        server.stop()


async def page_down_times(app: Any, pilot: Any, view: Any, frames: list[float]) -> float:
    """The slowest repaint of up to 10 Page Downs through the reply, from its top."""
    chat_log = app.chat_log
    top = view.virtual_region.y
    chat_log.scroll_to(y=top, animate=False, immediate=True)
    await pilot.pause()
    worst = 0.0
    for _ in range(10):
        if chat_log.scroll_y >= chat_log.max_scroll_y:
            break  # at the bottom a Page Down moves nothing and paints nothing
        painted = len(frames)
        start = time.monotonic()
        app.action_scroll_chat(1)
        await watch_until(lambda n=painted: len(frames) > n, timeout=60)
        worst = max(worst, frames[painted] - start)
    return worst


# --- the table (parent process) ---------------------------------------------------------------


def parse_size(text: str) -> int:
    text = text.strip().lower()
    return int(float(text[:-1]) * 1000) if text.endswith("k") else int(text)


def parse_sizes(text: str) -> list[int]:
    """Reply lengths from `2k,8k`; zero or empty entries are left out."""
    return [tokens for tokens in (parse_size(part) for part in text.split(",") if part) if tokens]


def run_child(
    tokens: int, history: bool, timeout: float, pace: float | None = None, select: bool = False
) -> Run | None:
    command = [sys.executable, __file__, "--child", str(tokens)]
    if pace:
        command += ["--pace", str(pace)]
    if select:
        command.append("--select")
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


def median_run(runs: list[Run | None]) -> Run | None:
    """The median of every column, or None if a run timed out."""
    if not runs or any(run is None for run in runs):
        return None
    names = Run.__dataclass_fields__
    values = {name: statistics.median(getattr(run, name) for run in runs) for name in names}
    return Run(**values)


def row(label: str, tokens: int, run: Run | None, timeout: float) -> str:
    head = f"| {label} | {tokens / 1000:g}k | "
    if run is None:
        return head + " | ".join([f"> {timeout:.0f} s"] + [""] * 7) + " |"
    cells = [
        f"{run.lag_ms:.0f} ms",
        f"{run.recv_lag_ms:.0f} ms",
        f"{run.cpu_s:.2f} s",
        f"{run.cpu_s / tokens * 1e6:.0f} ms",
        f"{run.fps:.1f}",
        f"{run.stall_ms:.0f} ms",
        f"{run.rss_mb:.0f} MB",
        f"{run.pgdn_ms:.0f} ms",
    ]
    return head + " | ".join(cells) + " |"


def history_ratios(runs: tuple[Run, ...]) -> list[tuple[int, float]]:
    """(tokens, CPU below 50 replies / CPU in an empty conversation) from (empty, below) pairs."""
    pairs = zip(runs[::2], runs[1::2], strict=True)
    return [(below.tokens, below.cpu_s / empty.cpu_s) for empty, below in pairs]


Verdict = tuple[str, bool | None, str]
"""A target's wording, whether it is met (None: not measured) and the figures behind it."""


def targets(
    empty: dict[int, Run | None], history: dict[int, Run | None], fps: float
) -> list[Verdict]:
    """Check each target of issue 4 against the medians."""

    def verdict(
        name: str, runs: list[Run | None], met: Callable[..., bool], say: Callable[..., str]
    ) -> Verdict:
        if not runs or any(run is None for run in runs):
            return name, None, "not measured (or timed out)"
        return name, met(*runs), say(*runs)

    everything = list(empty.values()) + list(history.values())
    known = [run for run in empty.values() if run is not None]
    pairs = [(empty.get(tokens), run) for tokens, run in history.items()]
    e8, e32, e128 = empty.get(8000), empty.get(32000), empty.get(128000)
    return [
        verdict(
            "render lag <= 50 ms at every length",
            everything,
            lambda *runs: all(run.lag_ms <= 50 for run in runs),
            lambda *runs: ", ".join(f"{run.tokens / 1000:g}k: {run.lag_ms:.0f} ms" for run in runs),
        ),
        verdict(
            "CPU <= 1 s per 8k tokens",
            known,
            lambda *runs: all(run.cpu_s / run.tokens * 8000 <= 1.0 for run in runs),
            lambda *runs: ", ".join(
                f"{run.tokens / 1000:g}k: {run.cpu_s / run.tokens * 8000:.2f} s" for run in runs
            ),
        ),
        verdict(
            "CPU(32k) / CPU(8k) <= 4.5",
            [e8, e32],
            lambda a, b: b.cpu_s / a.cpu_s <= 4.5,
            lambda a, b: f"{b.cpu_s / a.cpu_s:.2f}",
        ),
        verdict(
            f"frame rate within 10% of {fps:g} fps at 32k",
            [e32],
            lambda run: run.fps >= fps * 0.9,
            lambda run: f"{run.fps:.1f} fps",
        ),
        verdict(
            "longest stall <= 50 ms at 32k",
            [e32],
            lambda run: run.stall_ms <= 50,
            lambda run: f"{run.stall_ms:.0f} ms",
        ),
        verdict(
            "CPU per token below 50 finished replies <= 1.2x empty",
            [run for pair in pairs for run in pair],
            lambda *runs: all(ratio <= 1.2 for _, ratio in history_ratios(runs)),
            lambda *runs: ", ".join(
                f"{tokens / 1000:g}k: {ratio:.2f}x" for tokens, ratio in history_ratios(runs)
            ),
        ),
        verdict(
            "peak RSS <= 150 MB with a 128k reply",
            [e128],
            lambda run: run.rss_mb <= 150,
            lambda run: f"{run.rss_mb:.0f} MB",
        ),
        verdict(
            f"Page Down through 128k repaints within one frame ({FRAME_MS:.0f} ms)",
            [e128],
            lambda run: run.pgdn_ms <= FRAME_MS,
            lambda run: f"{run.pgdn_ms:.0f} ms",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="2k,8k,32k,128k")
    parser.add_argument(
        "--history-sizes", default="8k,32k", help="sizes below 50 finished replies (0: none)"
    )
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds per run at most")
    parser.add_argument(
        "--pace",
        type=float,
        help="the server sends this many tokens a second (default: full speed)",
    )
    parser.add_argument(
        "--select",
        action="store_true",
        help="keep selecting the answer with the mouse as it streams",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--history", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.pace)
        return
    if args.child is not None:
        run = asyncio.run(measure(args.child, args.history, args.pace, args.select))
        print(json.dumps(asdict(run)))
        return

    speed = f"{args.pace:g} tokens/s" if args.pace else "full speed"
    selecting = ", selecting as it streams" if args.select else ""
    print(
        f"{args.runs} runs per row (median), terminal {SIZE[0]}x{SIZE[1]}, "
        f"demo server at {speed}{selecting}"
    )
    print()
    print(HEADER)
    print("|---" * (HEADER.count("|") - 1) + "|")
    empty: dict[int, Run | None] = {}
    below: dict[int, Run | None] = {}
    plans = [(tokens, False) for tokens in parse_sizes(args.sizes)]
    plans += [(tokens, True) for tokens in parse_sizes(args.history_sizes)]
    for tokens, history in plans:
        runs: list[Run | None] = []
        for _ in range(args.runs):
            runs.append(run_child(tokens, history, args.timeout, args.pace, args.select))
            if runs[-1] is None:
                break
        result = median_run(runs)
        (below if history else empty)[tokens] = result
        label = f"{HISTORY}×8k above" if history else "empty"
        print(row(label, tokens, result, args.timeout), flush=True)

    print()
    for name, met, figures in targets(empty, below, fps=30):
        verdict = "not measured" if met is None else "met" if met else "NOT met"
        print(f"target: {verdict:12} {name}: {figures}")


if __name__ == "__main__":
    main()
