"""Cancel latency: from the cancel to the server seeing the TCP connection close.

Medians of several runs, against the demo server in its own thread:
- client: cancelling the task that iterates `ChatClient.stream_chat` mid-stream;
- app: pressing Esc in the real app (headless, 120x36) while a reply streams, from the Pilot
  event (no terminal, no Escape delay);
- terminal: `python -m parrotchat` in a real pseudo-terminal (120x36) while a reply streams,
  from the moment the Esc byte is written to the terminal: the whole path a key takes, the
  Escape delay included (`escape_delay_ms`, or `ESCDELAY` for an older parrotchat).
- bare Textual: a minimal Textual app in the same terminal, from the Esc byte to its key
  handler, with Textual's own input loop and with `quicken_escape` (10 ms): the input path alone.

    python benchmarks/cancel.py [--runs 20]

To time another checkout's app (before/after), run only the terminal row with its `src` first:
`PYTHONPATH=/path/to/checkout/src python benchmarks/cancel.py --terminal-only`.
"""

from __future__ import annotations

import argparse
import asyncio
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

from parrotchat.api import ChatClient, Endpoint, TextDelta
from parrotchat.demo import DemoServer, Parrot
from parrotchat.ui.testing import offline_demo_app, press_now, send_prompt, wait_until

LONG = Parrot(tokens=100_000, tokens_per_second=500)
"""A reply that would stream for minutes: only a cancel ends it early."""


async def client_cancel(server: DemoServer) -> float:
    server.push(LONG)
    started = asyncio.Event()

    async def consume() -> None:
        async with ChatClient(Endpoint("bench", server.base_url)) as client:
            async for event in client.stream_chat("parrot", [{"role": "user", "content": "x"}]):
                if isinstance(event, TextDelta):
                    started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    cancelled_at = time.monotonic()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    request = await server.await_disconnect()
    assert request.disconnected_at is not None
    return request.disconnected_at - cancelled_at


async def app_escape(server: DemoServer, workdir: Path) -> float:
    app = offline_demo_app(server.base_url, workdir)
    async with app.run_test(size=(120, 36)) as pilot:
        server.push(LONG)
        reply = await send_prompt(pilot, "talk for a while")
        await wait_until(pilot, lambda: reply.tokens > 50, what="tokens to arrive")
        pressed = time.monotonic()
        press_now(pilot, "escape")
        request = await server.await_disconnect()
        assert request.disconnected_at is not None
        return request.disconnected_at - pressed


PLACEHOLDER = b"Ask anything"
"""Drawn in the prompt box once the app is ready for keys."""
BARE_DELAY_MS = 10
"""The Escape delay of the bare app with `quicken_escape` (parrotchat's default)."""


def terminal_env(server: DemoServer, workdir: Path) -> dict[str, str]:
    """A throwaway home, no config file, ParrotRouter pointed at `server`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARROTCHAT_", "XDG_"))}
    env.update(HOME=str(workdir), TERM="xterm-256color", PARROTCHAT_API_KEY="sk-bench-cancel")
    env.update(PARROTCHAT_CONFIG=str(workdir / "none.toml"), PARROTCHAT_BASE_URL=server.base_url)
    for name, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data")):
        env[name] = str(workdir / sub)
    env["XDG_STATE_HOME"] = str(workdir / "state")
    return env


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.002)  # polling a record, not synchronising the app


@contextlib.contextmanager
def in_terminal(
    argv: list[str], env: dict[str, str], pass_fds: tuple[int, ...] = ()
) -> Iterator[tuple[int, bytearray]]:
    """Run `argv` in a 120x36 pseudo-terminal; yield its master side and what it has drawn."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    process = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        pass_fds=pass_fds,
        start_new_session=True,
    )
    os.close(slave)
    screen = bytearray()

    def drain() -> None:  # read the screen all along, so the app never blocks on a write
        with contextlib.suppress(OSError):
            while chunk := os.read(master, 65536):
                screen.extend(chunk)

    threading.Thread(target=drain, daemon=True).start()
    try:
        yield master, screen
        os.write(master, b"\x11")  # Ctrl+Q
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)


def terminal_escape(server: DemoServer, workdir: Path, runs: int) -> list[float]:
    """Esc's byte written to the app's terminal -> the server sees the close, `runs` times."""
    figures = []
    argv = [sys.executable, "-m", "parrotchat"]
    with in_terminal(argv, terminal_env(server, workdir)) as (master, screen):
        wait_for(lambda: PLACEHOLDER in screen, 30, "the app to draw its prompt")
        time.sleep(0.3)  # the first screen settles
        for _ in range(runs):
            sent = len(server.chat_requests)
            server.push(LONG)
            os.write(master, b"talk for a while\r")
            wait_for(lambda: len(server.chat_requests) > sent, 10, "the prompt to be sent")  # noqa: B023
            time.sleep(0.3)  # the reply streams: the app draws frames as Esc arrives
            written = time.monotonic()
            os.write(master, b"\x1b")
            request = server.wait_for_disconnect()
            assert request.disconnected_at is not None
            figures.append(request.disconnected_at - written)
            time.sleep(0.2)  # the cancelled reply settles before the next prompt
    return figures


def bare_app(quick: bool, signal_fd: int) -> None:
    """A Textual app that writes a byte to `signal_fd` on Esc (the `--bare` child)."""
    from textual.app import App, ComposeResult
    from textual.binding import BindingType
    from textual.widgets import Static

    from parrotchat.ui.quick_escape import quicken_escape

    class Bare(App[None]):
        BINDINGS: ClassVar[list[BindingType]] = [("escape", "pressed", "")]

        def compose(self) -> ComposeResult:
            yield Static("ready")

        def action_pressed(self) -> None:
            os.write(signal_fd, b"!")

    app = Bare()
    if quick:
        quicken_escape(app, BARE_DELAY_MS)
    app.run()


def bare_escape(quick: bool, runs: int) -> list[float]:
    """Esc's byte written to a bare Textual app's terminal -> its key handler ran."""
    readable, writable = os.pipe()
    argv = [sys.executable, __file__, "--bare", "quick" if quick else "stock", str(writable)]
    env = {**os.environ, "TERM": "xterm-256color"}
    figures = []
    try:
        with in_terminal(argv, env, pass_fds=(writable,)) as (master, screen):
            wait_for(lambda: b"ready" in screen, 30, "the bare app to start")
            time.sleep(0.3)
            for _ in range(runs):
                written = time.monotonic()
                os.write(master, b"\x1b")
                os.read(readable, 1)
                figures.append(time.monotonic() - written)
                time.sleep(0.13)  # out of step with Textual's 100 ms input poll
    finally:
        os.close(readable)
        os.close(writable)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--terminal-only", action="store_true", help="only the terminal row")
    parser.add_argument("--bare", nargs=2, metavar=("MODE", "FD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_app(args.bare[0] == "quick", int(args.bare[1]))
        return
    if args.terminal_only:
        with DemoServer() as server, tempfile.TemporaryDirectory() as tmp:
            terminal = terminal_escape(server, Path(tmp), args.runs)
        median, worst = statistics.median(terminal) * 1000, max(terminal) * 1000
        print(
            f"terminal Esc byte -> close, {args.runs} runs: median {median:.1f} ms, max {worst:.1f}"
        )
        return
    with DemoServer() as server, tempfile.TemporaryDirectory() as tmp:
        client = [asyncio.run(client_cancel(server)) for _ in range(args.runs)]
        app = [asyncio.run(app_escape(server, Path(tmp))) for _ in range(args.runs)]
        terminal = terminal_escape(server, Path(tmp), args.runs)
    stock, quick = bare_escape(False, args.runs), bare_escape(True, args.runs)
    print(f"cancel -> server sees the disconnect, {args.runs} runs (bare Textual: -> key handler)")
    print("(targets: app Esc within 50 ms; Esc's byte in the terminal within 30 ms)")
    print(f"{'path':<28} {'median ms':>10} {'max ms':>8}")
    rows = (
        ("client task.cancel()", client),
        ("app Esc (Pilot event)", app),
        ("terminal Esc byte", terminal),
        ("bare Textual, stock input", stock),
        (f"bare Textual, quick {BARE_DELAY_MS} ms", quick),
    )
    for name, figures in rows:
        median, worst = statistics.median(figures) * 1000, max(figures) * 1000
        print(f"{name:<28} {median:>10.1f} {worst:>8.1f}")
    met = statistics.median(terminal) <= 0.030
    print(f"terminal Esc byte -> close within 30 ms: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
