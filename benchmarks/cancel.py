"""Cancel latency: from the cancel to the server seeing the TCP connection close.

Two figures, medians of several runs, against the demo server in its own thread:
- client: cancelling the task that iterates `ChatClient.stream_chat` mid-stream;
- app: pressing Esc in the real app (headless, 120x36) while a reply streams.

    python benchmarks/cancel.py [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with DemoServer() as server, tempfile.TemporaryDirectory() as tmp:
        client = [asyncio.run(client_cancel(server)) for _ in range(args.runs)]
        app = [asyncio.run(app_escape(server, Path(tmp))) for _ in range(args.runs)]
    print(f"cancel -> server sees the disconnect, {args.runs} runs (target: within 50 ms)")
    print(f"{'path':<22} {'median ms':>10} {'max ms':>8}")
    for name, figures in (("client task.cancel()", client), ("app Esc", app)):
        median, worst = statistics.median(figures) * 1000, max(figures) * 1000
        print(f"{name:<22} {median:>10.1f} {worst:>8.1f}")


if __name__ == "__main__":
    main()
