"""How far behind the server the bare client ends, with no UI at all: the floor of render lag.

The same demo server process and prompts as `benchmarks/render.py` (full speed, one process of
its own), read by `ChatClient` alone, which only parses the stream and drops the text. Prints,
per reply length, the median of `--runs` runs of: the server finished sending -> the client
saw the end of the stream. Whatever render lag the app shows beyond this is the UI's own.

    python benchmarks/client_lag.py [--runs 5] [--sizes 2k,8k,32k,128k]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from render import ServerProcess, parse_sizes

from parrotchat.api import ChatClient, Endpoint, Finished


async def client_lag(server: ServerProcess, tokens: int) -> float:
    """Seconds from the server's last byte to the client's `Finished` for one reply."""
    ended = len(server.ended)
    async with ChatClient(Endpoint("demo", server.base_url)) as client:
        messages = [{"role": "user", "content": f"Write {tokens} tokens about parsers."}]
        async for event in client.stream_chat("parrot", messages):
            if isinstance(event, Finished):
                done = time.monotonic()
    while len(server.ended) <= ended:  # the server process reports its end on a pipe
        await asyncio.sleep(0.001)
    return max(0.0, done - server.ended[ended])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="2k,8k,32k,128k")
    args = parser.parse_args()
    server = ServerProcess()
    try:
        print(f"bare client, demo server at full speed, medians of {args.runs} runs")
        print("| reply | server done -> client done |")
        print("|---|---|")
        for tokens in parse_sizes(args.sizes):
            lags = [asyncio.run(client_lag(server, tokens)) for _ in range(args.runs)]
            print(f"| {tokens / 1000:g}k | {statistics.median(lags) * 1000:.0f} ms |")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
