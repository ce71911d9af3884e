"""How fast the `@` file picker opens in a folder of 50,000 files: the real app, headless.

A tree of 50,000 small files (500 folders of 100, plus a `node_modules` and a `.git` the walk
must skip) is made in a temporary folder. Each run opens the picker with Ctrl+A and is timed
until the first files are listed (the target is 100 ms) and until that frame is painted; also
printed: the time for the walk to end (all files listed, on its thread), the longest event-loop
stall meanwhile, and how long one typed character takes to re-rank all 50,000 paths.

    python benchmarks/picker.py [--runs 5] [--files 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from probes import StallMeter, count_frames

SIZE = (160, 50)


@dataclass
class Run:
    """One opening of the picker."""

    listed_ms: float
    painted_ms: float
    walked_ms: float
    stall_ms: float
    keystroke_ms: float


def make_tree(root: Path, files: int) -> None:
    """`files` files in folders of 100, and skipped folders beside them."""
    per_folder = 100
    for folder in range(files // per_folder):
        path = root / f"pkg{folder:03d}" / "src"
        path.mkdir(parents=True)
        for number in range(per_folder):
            (path / f"module_{folder:03d}_{number:03d}.py").write_bytes(b"x = 1\n")
    for skipped in ("node_modules/lib", ".git/objects"):
        (root / skipped).mkdir(parents=True)
        for number in range(1000):
            (root / skipped / f"skip{number}.js").write_bytes(b"")


async def until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll `condition` every 2 ms of the event loop (lighter than `Pilot.pause`, which waits
    for the app to be idle and would time the harness, not the picker)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.002)


async def one_run(root: Path, workdir: Path) -> Run:
    from parrotchat.demo import DemoServer
    from parrotchat.ui.file_picker import FilePicker
    from parrotchat.ui.testing import offline_demo_app, press_now

    async with DemoServer() as server:
        app = offline_demo_app(server.base_url, workdir)
        app.attacher.attach_root = root
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            frames = count_frames(app)

            def painted_after(moment: float | None) -> float | None:
                if moment is None:
                    return None
                return next((frame for frame in frames if frame >= moment), None)

            meter = StallMeter()
            meter.start()
            start = time.monotonic()
            app.action_attach_file()
            await until(lambda: isinstance(app.screen, FilePicker), 10, "the picker")
            picker = app.screen
            assert isinstance(picker, FilePicker)
            await until(lambda: painted_after(picker.shown_at), 10, "the first files on screen")
            shown = picker.shown_at or 0.0
            painted = painted_after(shown) or 0.0
            await until(lambda: not picker.walking, 60, "the walk")
            walked = time.monotonic()
            stall = await meter.stop()
            await pilot.pause()
            typed = time.monotonic()
            press_now(pilot, "7")
            await until(lambda: picker.listed_query == "7", 10, "the filter")
            await until(lambda: painted_after(picker.listed_at), 10, "the filtered list on screen")
            keystroke = (painted_after(picker.listed_at) or 0.0) - typed
            return Run(
                *((moment - start) * 1e3 for moment in (shown, painted, walked)),
                stall * 1e3,
                keystroke * 1e3,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "tree"
        made = time.perf_counter()
        make_tree(root, args.files)
        print(f"made {args.files:,} files in {time.perf_counter() - made:.1f} s")
        runs = []
        for number in range(args.runs):
            run = asyncio.run(one_run(root, Path(tmp) / f"work{number}"))
            runs.append(run)
            print(
                f"run {number + 1}: first files listed {run.listed_ms:.1f} ms,"
                f" painted {run.painted_ms:.1f} ms, walk done {run.walked_ms:.0f} ms,"
                f" longest stall {run.stall_ms:.1f} ms, one keystroke {run.keystroke_ms:.1f} ms"
            )

    def median(field: str) -> float:
        return statistics.median(getattr(run, field) for run in runs)

    print(
        f"median of {len(runs)}: first files listed {median('listed_ms'):.1f} ms"
        f" (target 100 ms), painted {median('painted_ms'):.1f} ms,"
        f" walk done {median('walked_ms'):.0f} ms, longest stall {median('stall_ms'):.1f} ms,"
        f" one keystroke {median('keystroke_ms'):.1f} ms"
    )


if __name__ == "__main__":
    main()
