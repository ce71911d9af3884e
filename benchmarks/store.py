"""History store figures, medians of several runs, on a temporary database:
- load: open the store and load one conversation of 1,000 messages (2M characters);
- search: queries across 10,000 conversations (4 messages each, ~2,000 characters per chat);
- checkpoint: one streaming checkpoint of a 20,000-character reply;
- search without FTS5: the LIKE fallback on the same 10,000 conversations.

    python benchmarks/store.py [--runs 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from parrotchat.core.conversation import Message, Role, Status
from parrotchat.core.store import Store

COMMON = [
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "is",
    "it",
    "that",
    "for",
    "on",
    "with",
    "as",
    "was",
    "be",
    "by",
    "this",
    "are",
    "or",
    "from",
    "at",
]
RARE = ["kingfisher", "heron", "egret", "pelican"]


def vocabulary(size: int = 20_000) -> tuple[list[str], list[float]]:
    """Common words, made-up words and a few rare birds, with Zipf-like weights."""
    rng = random.Random(0)
    letters = "abcdefghijklmnopqrstuvwxyz"
    made_up = ["".join(rng.choices(letters, k=rng.randint(3, 10))) for _ in range(size)]
    words = COMMON + made_up + RARE
    return words, [1 / (rank + 1) for rank in range(len(words))]


WORDS, WEIGHTS = vocabulary()


def text(rng: random.Random, chars: int) -> str:
    words = rng.choices(WORDS, WEIGHTS, k=chars // 4)
    return " ".join(words)[:chars].ljust(chars)


def median_ms(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench_load(folder: Path, runs: int) -> None:
    path = folder / "load.db"
    rng = random.Random(1)
    with Store(path) as store:
        cid = store.import_json(
            {
                "format": "parrotchat-conversation",
                "version": 1,
                "conversation": {"title": "long", "created": 1.0},
                "messages": [
                    {
                        "role": "user" if n % 2 == 0 else "assistant",
                        "content": text(rng, 2_000),
                        "created": float(n),
                    }
                    for n in range(1_000)
                ],
            }
        )

    def load() -> None:
        with Store(path) as store:
            _, messages = store.load_conversation(cid)
            assert sum(len(m.content) for m in messages) == 2_000_000

    print(f"open + load 1,000 messages (2M chars): {median_ms(runs, load):7.1f} ms")


def bench_search(folder: Path, runs: int) -> None:
    path = folder / "search.db"
    rng = random.Random(2)
    started = time.perf_counter()
    with Store(path) as store:
        for n in range(10_000):
            store.import_json(
                {
                    "format": "parrotchat-conversation",
                    "version": 1,
                    "conversation": {"title": text(rng, 40) + f" chat{n}", "created": float(n)},
                    "messages": [
                        {"role": "user", "content": text(rng, 200), "created": float(n)},
                        {"role": "assistant", "content": text(rng, 800), "created": float(n)},
                        {"role": "user", "content": text(rng, 200), "created": float(n)},
                        {"role": "assistant", "content": text(rng, 800), "created": float(n)},
                    ],
                }
            )
    print(f"(built 10,000 conversations in {time.perf_counter() - started:.1f} s)")
    with Store(path) as store:
        for query in [
            "chat4242",
            "kingfisher",
            "kingfisher heron",
            "pel",
            "t",
            "th",
            "the",
            "the a of",
            "zzzz",
        ]:
            hits = len(store.search(query))
            ms = median_ms(runs, lambda q=query: store.search(q))
            print(f"search {query!r:20} across 10,000 conversations: {ms:7.2f} ms ({hits} hits)")
        cid = store.create_conversation()
        mid = store.add_message(cid, Message(Role.ASSISTANT, status=Status.STREAMING))
        replies = iter([text(rng, 20_000 + n) for n in range(runs)])
        ms = median_ms(runs, lambda: store.checkpoint(mid, next(replies)))
        print(f"checkpoint of a 20,000-char reply:      {ms:7.2f} ms")


def bench_like(folder: Path, runs: int) -> None:
    with Store(folder / "search.db", full_text=False) as store:
        for query in ["kingfisher", "the"]:
            ms = median_ms(runs, lambda q=query: store.search(q))
            print(f"search {query!r:20} without FTS5 (LIKE scan):     {ms:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench_load(Path(folder), args.runs)
        bench_search(Path(folder), args.runs)
        bench_like(Path(folder), args.runs)


if __name__ == "__main__":
    main()
