"""Time per frame while a long code fence streams into the answer's line cache.

The reply is fed 800 characters a frame (a fast model at 30 fps), as `ReplyStream` does; each
frame freezes finished blocks and re-renders the live one, as `MarkdownView.append` does.
Prints the median, 90th percentile and worst frame, and the total.

    PYTHONPATH=src python benchmarks/fence.py [--lines 500,2000] [--width 150]
"""

from __future__ import annotations

import argparse
import statistics
import time

from rich.console import Console

from parrotchat.ui.render.line_cache import LineCache, render_markdown
from parrotchat.ui.render.markdown_blocks import BlockSplitter

LINE = "    result = compute(value, other_value) + 42  # a comment about things\n"
FRAME_CHARS = 800


def measure(lines: int, width: int) -> list[float]:
    console = Console(width=width, force_terminal=True, color_system="truecolor")
    text = "Here is the file:\n\n```python\ndef f():\n" + LINE * lines + "```\n\nDone.\n"
    splitter = BlockSplitter()
    cache = LineCache(lambda source, w: render_markdown(console, source, w), width)
    frames: list[float] = []
    for start in range(0, len(text), FRAME_CHARS):
        began = time.perf_counter()
        frozen = splitter.append(text[start : start + FRAME_CHARS])
        cache.update(frozen, splitter.live_blocks())
        cache.render_pending(float("inf"))
        frames.append(time.perf_counter() - began)
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", default="500,2000")
    parser.add_argument("--width", type=int, default=150)
    args = parser.parse_args()
    print("| fence | frames | median | p90 | worst | total |")
    print("|---|---|---|---|---|---|")
    for lines in (int(part) for part in args.lines.split(",")):
        frames = measure(lines, args.width)
        ordered = sorted(frames)
        print(
            f"| {lines} lines | {len(frames)} | {statistics.median(frames) * 1000:.1f} ms"
            f" | {ordered[int(len(ordered) * 0.9)] * 1000:.1f} ms | {ordered[-1] * 1000:.0f} ms"
            f" | {sum(frames):.2f} s |"
        )


if __name__ == "__main__":
    main()
