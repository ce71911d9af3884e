"""Peak memory under hostile servers: each attack of the demo server's `Flood` against the client.

Each attack runs in a fresh process (its peak RSS measured by the kernel, `wait4`), against the
demo server in this process, with the default `[limits]`:

- gzip-json: a non-streamed answer, gzip, 4 GiB decoded (`parrotchat -p`);
- huge-models: a 4 GiB `GET /models` list (the model sidebar's request, `list_models`);
- endless-event: 1 MiB `data:` lines forever in one event, after some text (`parrotchat -p`);
- gzip-stream: some text, then a gzip bomb of 4 GiB of newlines (`parrotchat -p`).

It prints, per attack, the median peak RSS and time of `--runs` runs and the one sentence the
user saw. Target: at most 200 MB each.

    python benchmarks/attacks.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

from parrotchat.demo import DemoServer, Flood

LIST_MODELS = """
import asyncio, sys
from parrotchat.api import APIError, ChatClient, Endpoint

async def main():
    async with ChatClient(Endpoint("bench", sys.argv[1], max_retries=0)) as client:
        try:
            await client.list_models()
        except APIError as error:
            print(f"parrotchat: error: {error}", file=sys.stderr)

asyncio.run(main())
"""

ATTACKS = ("gzip-json", "huge-models", "endless-event", "gzip-stream")


def run_once(server: DemoServer, attack: str, home: Path) -> tuple[float, float, str]:
    """One attack in a fresh process: (peak RSS in MB, seconds, last line of stderr)."""
    kind = "huge_json" if attack == "huge-models" else attack.replace("-", "_")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARROTCHAT_")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        PARROTCHAT_CONFIG=str(home / "none.toml"),
        PARROTCHAT_BASE_URL=server.base_url,
        PARROTCHAT_API_KEY="sk-bench-000000000000",
    )
    if attack == "huge-models":
        server.push_models(Flood(kind))
        command = [sys.executable, "-c", LIST_MODELS, server.base_url]
    else:
        server.push(Flood(kind, text="The answer so far"))
        command = [sys.executable, "-m", "parrotchat", "-p", "hi"]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.monotonic()
        child = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=stdout,
                                 stderr=stderr)  # fmt: skip
        _, _status, usage = os.wait4(child.pid, 0)  # the child's own peak RSS
        child.returncode = 0  # reaped by wait4, not by Popen
        seconds = time.monotonic() - started
        out, err = _read(stdout), _read(stderr)
    lines = err.decode(errors="replace").strip().splitlines() or ["(nothing on stderr)"]
    kept = out.decode(errors="replace").strip()
    sentence = lines[-1] + (f"  [stdout kept: {kept!r}]" if kept else "")
    return usage.ru_maxrss / 1024, seconds, sentence


def _read(file: IO[bytes]) -> bytes:
    file.seek(0)
    return file.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'attack':<14} {'peak RSS':>9} {'time':>7}  sentence")
    with DemoServer(tokens_per_second=None) as server, tempfile.TemporaryDirectory() as tmp:
        for attack in ATTACKS:
            results = [run_once(server, attack, Path(tmp)) for _ in range(args.runs)]
            rss = statistics.median(r[0] for r in results)
            seconds = statistics.median(r[1] for r in results)
            print(f"{attack:<14} {rss:>6.1f} MB {seconds:>6.2f}s  {results[-1][2]}", flush=True)


if __name__ == "__main__":
    main()
