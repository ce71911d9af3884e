"""CPU per chunk of parrotchat's client vs the official `openai` SDK on the same stream.

The demo server runs in a separate process at full speed, streaming a reply of N chunks; each
client parses it in this process, and we measure this process's CPU time (user + system) for the
whole request. Prints the median of several runs per client and the ratio.

    python -m pip install -e '.[bench]'
    python benchmarks/client.py [--chunks 50000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

from parrotchat.api import ChatClient, Endpoint, TextDelta


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "parrotchat.demo", "--port", str(port), "--tps", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("the demo server did not start")


def messages(chunks: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"Write {chunks} tokens about parsers."}]


async def parrotchat_client(base_url: str, chunks: int) -> int:
    count = 0
    async with ChatClient(Endpoint("bench", base_url)) as client:
        async for event in client.stream_chat("parrot-fast", messages(chunks)):
            if isinstance(event, TextDelta):
                count += 1
    return count


async def openai_sdk(base_url: str, chunks: int) -> int:
    from openai import AsyncOpenAI

    count = 0
    async with AsyncOpenAI(base_url=base_url, api_key="unused", max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="parrot-fast",
            messages=messages(chunks),
            stream=True,  # type: ignore[arg-type]
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                count += 1
    return count


def measure(
    run: Callable[[str, int], Awaitable[int]], base_url: str, chunks: int
) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, content chunks) for one request."""
    cpu, wall = time.process_time(), time.perf_counter()
    count = asyncio.run(run(base_url, chunks))  # type: ignore[arg-type]
    return time.process_time() - cpu, time.perf_counter() - wall, count


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    port = free_port()
    server = start_server(port)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        clients: dict[str, Callable[[str, int], Awaitable[int]]] = {"parrotchat": parrotchat_client}
        try:
            import openai  # noqa: F401

            clients["openai SDK"] = openai_sdk
        except ImportError:
            print("(openai not installed: pip install -e '.[bench]' to compare)")
        results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in clients}
        for _ in range(args.runs):
            for name, run in clients.items():  # interleaved, so drift hits both alike
                results[name].append(measure(run, base_url, args.chunks))
    finally:
        server.terminate()
        server.wait()
    print(f"{args.chunks} chunks from the demo server at full speed, median of {args.runs} runs")
    print(f"{'client':<12} {'CPU s':>8} {'wall s':>8} {'µs CPU/chunk':>13} {'chunks':>8}")
    medians: dict[str, float] = {}
    for name, runs in results.items():
        cpu = statistics.median(r[0] for r in runs)
        wall = statistics.median(r[1] for r in runs)
        count = runs[0][2]
        medians[name] = cpu / max(count, 1) * 1e6
        print(f"{name:<12} {cpu:>8.3f} {wall:>8.3f} {medians[name]:>13.2f} {count:>8}")
    if "openai SDK" in medians:
        ratio = medians["parrotchat"] / medians["openai SDK"]
        print(f"parrotchat / openai SDK CPU ratio: {ratio:.2f} (target <= 0.50)")
    verdict = "met" if medians["parrotchat"] < 10 else "NOT met"
    print(f"target: parrotchat < 10 µs CPU per chunk -> {verdict}")


if __name__ == "__main__":
    main()
