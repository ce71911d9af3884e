"""Cancel latency: from the cancel to the server seeing the TCP connection close.

Three figures, medians of several runs, against the demo server in its own thread:
- client: cancelling the task that iterates `ChatClient.stream_chat` mid-stream;
- app: pressing Esc in the real app (headless, 120x36) while a reply streams, from the Pilot
  event (no terminal, no Escape delay);
- terminal: `python -m parrotchat` in a real pseudo-terminal (120x36) while a reply streams,
  from the moment the Esc byte is written to the terminal: the whole path a key takes, the
  Escape delay included (`escape_delay_ms`, or `ESCDELAY` for an older parrotchat).

    python benchmarks/cancel.py [--runs 20]

To measure another checkout's app in the terminal, put its `src` first:
`PYTHONPATH=/path/to/checkout/src python benchmarks/cancel.py`.
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
from collections.abc import Callable
from pathlib import Path

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


SCREEN = bytearray()
"""What the app wrote to its terminal."""
PLACEHOLDER = b"Ask anything"
"""Drawn in the prompt box once the app is ready for keys."""


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
        time.sleep(0.002)  # polling the server's record, not synchronising the app


def terminal_escape(server: DemoServer, workdir: Path, runs: int) -> list[float]:
    """Esc's byte written to the app's terminal -> the server sees the close, `runs` times."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    app = subprocess.Popen(
        [sys.executable, "-m", "parrotchat"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=terminal_env(server, workdir),
        start_new_session=True,
    )
    os.close(slave)

    def drain() -> None:  # the terminal's screen: read and dropped, so the app never blocks
        with contextlib.suppress(OSError):
            while chunk := os.read(master, 65536):
                SCREEN.extend(chunk)

    threading.Thread(target=drain, daemon=True).start()
    figures = []
    try:
        wait_for(lambda: PLACEHOLDER in SCREEN, 30, "the app to draw its prompt")
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
        os.write(master, b"\x11")  # Ctrl+Q
        app.wait(10)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        os.close(master)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with DemoServer() as server, tempfile.TemporaryDirectory() as tmp:
        client = [asyncio.run(client_cancel(server)) for _ in range(args.runs)]
        app = [asyncio.run(app_escape(server, Path(tmp))) for _ in range(args.runs)]
        terminal = terminal_escape(server, Path(tmp), args.runs)
    print(f"cancel -> server sees the disconnect, {args.runs} runs")
    print("(targets: app Esc within 50 ms; Esc's byte in the terminal within 30 ms)")
    print(f"{'path':<28} {'median ms':>10} {'max ms':>8}")
    rows = (
        ("client task.cancel()", client),
        ("app Esc (Pilot event)", app),
        ("terminal Esc byte", terminal),
    )
    for name, figures in rows:
        median, worst = statistics.median(figures) * 1000, max(figures) * 1000
        print(f"{name:<28} {median:>10.1f} {worst:>8.1f}")
    met = statistics.median(terminal) <= 0.030
    print(f"terminal Esc byte -> close within 30 ms: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
