"""CPU at a real provider's pace: the app in a real terminal beside a bare Textual app.

The demo server (in this process's thread) streams a reply at 50, 200 and 1,000 tokens a second
for `--seconds` (10) each. Two programs read it, each in its own 160x50 pseudo-terminal, one
after the other (alternating, `--runs` times per pace):

- parrotchat: `python -m parrotchat` with a throwaway home, the prompt typed into the terminal;
- bare: a minimal Textual app that streams the same reply with parrotchat's client and writes
  the text into a `Log` filling the screen at the same frame rate (30 a second): the floor of
  a Textual app showing that stream.

For the stream's duration (the server receiving the request -> it sent the last byte) it prints
the medians of: the program's CPU seconds (user + system, all threads, from /proc), frames
painted per second (each program counts its own `App._display` calls and reports each on a
pipe) and bytes written to the terminal per second (read from the terminal's master side), then
parrotchat's CPU as a ratio of the bare app's, against the targets of issue 14. CPU per frame is
printed too: on a loaded machine both programs paint fewer frames than they ask for, and the one
that falls further behind saves CPU by painting less.

    python benchmarks/pace.py [--runs 3] [--paces 50,200,1000] [--seconds 10]

`PACE_PROFILE=/tmp/app.prof` profiles parrotchat's runs with cProfile (the last run's file
stays; read it with `python -m pstats`).

To time another checkout's app (before/after), put its `src` first:
`PYTHONPATH=/path/to/checkout/src python benchmarks/pace.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from cancel import PLACEHOLDER, terminal_env, wait_for

from parrotchat.demo import DemoServer

SIZE = (160, 50)
FPS = 30
"""parrotchat's default `render_fps`, and the bare app's frame rate."""
TARGETS = {50: 2.0, 200: 1.5, 1000: 2.0}
"""Pace -> the most CPU parrotchat may use, as a multiple of the bare app's."""
READY = b"bare ready"


@dataclass
class Figures:
    """One program reading one stream."""

    cpu_s: float
    fps: float
    bytes_per_s: float
    ms_per_frame: float
    """CPU milliseconds per frame painted (a loaded machine paints fewer frames, not cheaper)."""


# --- the programs (children in the terminal) ---------------------------------------------------


def count_frames_on(fd: int) -> None:
    """Make every Textual app in this process write a byte to `fd` for each frame it paints."""
    from textual.app import App

    display = App._display

    def counted(self: App[object], screen: object, renderable: object) -> None:
        display(self, screen, renderable)  # type: ignore[arg-type]
        if renderable is not None:
            os.write(fd, b".")

    App._display = counted  # type: ignore[method-assign]


def run_parrotchat(fd: int) -> int:
    """`python -m parrotchat`, counting frames."""
    count_frames_on(fd)
    from parrotchat.cli import main

    return main([])


def run_bare(fd: int, base_url: str) -> None:
    """A `Log` growing by the text of one streamed reply, 30 frames a second; Ctrl+Q quits."""
    from textual.app import App, ComposeResult
    from textual.widgets import Log

    from parrotchat.api import ChatClient, Endpoint, TextDelta

    count_frames_on(fd)

    class Bare(App[None]):
        CSS = "Log { height: 1fr; }"

        def __init__(self) -> None:
            super().__init__()
            self.buffered: list[str] = []

        def compose(self) -> ComposeResult:
            yield Log()

        def on_mount(self) -> None:
            self.query_one(Log).write_line("bare ready")
            self.set_interval(1 / FPS, self.flush)

        def on_key(self, event: object) -> None:
            key = getattr(event, "key", "")
            if key == "enter":
                self.run_worker(self.stream(), exclusive=True)

        async def stream(self) -> None:
            async with ChatClient(Endpoint("bench", base_url)) as client:
                messages = [{"role": "user", "content": os.environ["PACE_PROMPT"]}]
                async for event in client.stream_chat("parrot", messages):
                    if isinstance(event, TextDelta):
                        self.buffered.append(event.text)

        def flush(self) -> None:
            if self.buffered:
                text = "".join(self.buffered)
                self.buffered.clear()
                self.query_one(Log).write(text)

    Bare().run()


# --- the terminal (parent) ---------------------------------------------------------------------


class Terminal:
    """A program in a pseudo-terminal: what it drew, its frames, its CPU."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        self.frames_read, frames_write = os.pipe()
        self.process = subprocess.Popen(
            [*argv, str(frames_write)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            pass_fds=(frames_write,),
            start_new_session=True,
        )
        os.close(slave)
        os.close(frames_write)
        self.master = master
        self.screen = bytearray()
        self.written = 0
        """Bytes the program wrote to the terminal so far."""
        self.frames = 0
        """Frames it painted so far."""
        threading.Thread(target=self._drain, daemon=True).start()
        threading.Thread(target=self._count, daemon=True).start()

    def _drain(self) -> None:  # read all along, so the program never blocks on a write
        with contextlib.suppress(OSError):
            while chunk := os.read(self.master, 65536):
                self.written += len(chunk)
                if len(self.screen) < 1 << 20:
                    self.screen.extend(chunk)

    def _count(self) -> None:
        with contextlib.suppress(OSError):
            while chunk := os.read(self.frames_read, 4096):
                self.frames += len(chunk)

    def cpu(self) -> float:
        """The program's user + system CPU seconds so far (every thread)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, b"\x11")  # Ctrl+Q
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.master)
        os.close(self.frames_read)


@contextlib.contextmanager
def terminal(argv: list[str], env: dict[str, str]) -> Iterator[Terminal]:
    term = Terminal(argv, env)
    try:
        yield term
    finally:
        term.close()


def measure(
    server: DemoServer, term: Terminal, ready: bytes, keys: bytes, timeout: float
) -> Figures:
    """Wait for `ready` on screen, type `keys`, and measure while the server streams the reply."""
    wait_for(lambda: ready in term.screen, 60, f"{ready!r} on screen")
    time.sleep(0.5)  # the first screen settles
    sent = len(server.chat_requests)
    os.write(term.master, keys)
    wait_for(lambda: len(server.chat_requests) > sent, 10, "the request")
    request = server.chat_requests[sent]
    cpu, frames, written, start = term.cpu(), term.frames, term.written, time.monotonic()
    wait_for(lambda: request.completed, timeout, "the end of the stream")
    cpu = term.cpu() - cpu
    span = time.monotonic() - start
    painted = term.frames - frames
    ms_per_frame = cpu * 1000 / max(painted, 1)
    return Figures(cpu, painted / span, (term.written - written) / span, ms_per_frame)


def run_pair(server: DemoServer, workdir: Path, tokens: int, seconds: float) -> tuple[Figures, ...]:
    """parrotchat, then the bare app, each reading a reply of `tokens`."""
    prompt = f"Write {tokens} tokens about parsers."
    env = terminal_env(server, workdir)
    me = [sys.executable, __file__]
    with terminal([*me, "--parrotchat"], env) as term:
        app = measure(server, term, PLACEHOLDER, prompt.encode() + b"\r", seconds * 3 + 30)
    bare_env = {**env, "PACE_PROMPT": prompt}
    with terminal([*me, "--bare", server.base_url], bare_env) as term:
        bare = measure(server, term, READY, b"\r", seconds * 3 + 30)
    return app, bare


def median(runs: list[Figures], name: str) -> float:
    return statistics.median(getattr(run, name) for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--paces", default="50,200,1000", help="tokens a second, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each stream")
    parser.add_argument("--parrotchat", nargs=1, metavar="FD", help=argparse.SUPPRESS)
    parser.add_argument("--bare", nargs=2, metavar=("URL", "FD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parrotchat:
        profile = os.environ.get("PACE_PROFILE")
        if profile:
            import cProfile

            cProfile.runctx(
                "run_parrotchat(fd)", globals(), {"fd": int(args.parrotchat[0])}, profile
            )
            return
        raise SystemExit(run_parrotchat(int(args.parrotchat[0])))
    if args.bare:
        run_bare(int(args.bare[1]), args.bare[0])
        return

    paces = [float(pace) for pace in args.paces.split(",") if pace]
    print(
        f"{SIZE[0]}x{SIZE[1]} pseudo-terminal, {args.seconds:g} s streams, "
        f"medians of {args.runs} runs (parrotchat and bare alternating)"
    )
    print()
    print("| tokens/s | program | CPU | frames/s | CPU per frame | terminal bytes/s | CPU ratio |")
    print("|---|---|---|---|---|---|---|")
    verdicts: list[str] = []
    for pace in paces:
        tokens = int(pace * args.seconds)
        ours: list[Figures] = []
        bare: list[Figures] = []
        with DemoServer(tokens_per_second=pace) as server, tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.runs):
                app, floor = run_pair(server, Path(tmp), tokens, args.seconds)
                ours.append(app)
                bare.append(floor)
        ratio = median(ours, "cpu_s") / max(median(bare, "cpu_s"), 1e-3)
        for label, runs, cell in (("parrotchat", ours, f"{ratio:.2f}x"), ("bare Log", bare, "")):
            print(
                f"| {pace:g} | {label} | {median(runs, 'cpu_s'):.2f} s | "
                f"{median(runs, 'fps'):.1f} | {median(runs, 'ms_per_frame'):.1f} ms | "
                f"{median(runs, 'bytes_per_s') / 1000:.1f} kB | {cell} |",
                flush=True,
            )
        target = TARGETS.get(int(pace))
        if target is not None:
            met = "met" if ratio <= target else "NOT met"
            verdicts.append(
                f"target: {met:8} CPU at {pace:g} tokens/s <= {target:g}x bare: {ratio:.2f}x"
            )
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
