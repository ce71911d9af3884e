"""How fast a long stored conversation opens: the real app, headless, on a real SQLite history.

A conversation of 1,000 messages (500 prompts, 500 Markdown replies from the demo parrot,
2M characters in all) is stored in a temporary database. The app runs headless at 160x50; each
run loads the conversation from the store and shows it, and is timed until the first frame is
painted with the last message on screen (the target is 200 ms). Also printed: how many messages
were mounted by then (older ones go in above as the reader scrolls up), the longest event-loop
stall meanwhile, the time from scrolling to the top to the repaint with older messages in, and
switching the second message to its alternative and back to the 1,000-message branch.

    python benchmarks/open.py [--runs 5] [--messages 1000] [--chars 2000000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from probes import StallMeter, count_frames
from textual.errors import NoWidget

SIZE = (160, 50)


@dataclass
class Run:
    """One opening of the conversation."""

    shown_ms: float
    mounted: int
    stall_ms: float
    older_ms: float
    end_ms: float
    """The last reply to its alternative, and back (the median of the two)."""
    to_short_ms: float
    """The second message to its short alternative."""
    to_long_ms: float
    """The second message back to the 1,000-message branch."""
    retry_shown_ms: float
    """A retry of the last reply: its new view on screen."""
    retry_done_ms: float
    """A retry of the last reply: the whole new reply painted."""
    empty_shown_ms: float
    empty_done_ms: float
    """The same retry in a conversation of one prompt."""


class PaintWatch:
    """The time of the first frame painted while `condition()` holds, once armed."""

    def __init__(self, app: Any) -> None:
        self.condition: Callable[[], bool] | None = None
        self.painted: float | None = None
        display = app._display

        def watching(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            waiting = renderable is not None and self.painted is None
            if waiting and self.condition is not None and self.condition():
                self.painted = time.monotonic()

        app._display = watching

    def arm(self, condition: Callable[[], bool]) -> None:
        self.condition, self.painted = condition, None


def make_database(path: Path, messages: int, chars: int) -> int:
    """Store one conversation of `messages` messages, about `chars` characters in all."""
    from parrotchat.core.conversation import Message, Role, Status
    from parrotchat.core.store import Store
    from parrotchat.demo.parrot import reply_text

    per_message = chars // messages
    with Store(path) as store:
        cid = store.create_conversation(system_prompt=None, model="parrot", provider="demo")
        for number in range(messages // 2):
            question = f"Question {number}: tell me about parsers. " * 4
            store.add_message(cid, Message(Role.USER, question[: per_message // 4]))
            answer = reply_text(f"topic {number}", per_message // 3)
            while len(answer) < per_message * 7 // 4:
                answer += "\n\n" + answer
            answer = answer[: per_message * 7 // 4]
            store.add_message(
                cid,
                Message(
                    Role.ASSISTANT,
                    answer,
                    model="parrot",
                    provider="demo",
                    status=Status.COMPLETE,
                ),
            )
        # An alternative second message (an answer asked for again at the start), and one of
        # the last reply; neither shown.
        _record, path = store.load_conversation(cid)
        for parent in (path[0], path[-2]):
            store.add_message(
                cid,
                Message(Role.ASSISTANT, "Another answer.", model="parrot", parent_id=parent.id),
            )
        store.set_active_leaf(cid, path[-1].id or 0)
        return cid


async def measure_retry(pilot: Any, watch: PaintWatch) -> tuple[float, float]:
    """Ask again for the last reply: seconds to its new view on screen, and to the whole
    reply painted."""
    from parrotchat.ui.testing import wait_until

    app = pilot.app
    await pilot.pause()
    shown: list[float] = []

    def reply_view() -> Any:
        views = app.chat_log.message_views()
        latest = app.session.latest
        if not views or latest is None or views[-1].message is not latest.message:
            return None
        try:
            return views[-1] if app.screen.find_widget(views[-1]).visible_region.height else None
        except NoWidget:
            return None

    def done() -> bool:
        view = reply_view()
        if view is None:
            return False
        if not shown:
            shown.append(time.monotonic())
        stream = app.reply_stream
        return (
            stream is not None
            and stream.finished.is_set()
            and view.answer is not None
            and view.message.content != ""
            and view.answer.source == view.message.content
        )

    watch.arm(done)
    started = time.monotonic()
    assert await app.session.regenerate() is not None
    await wait_until(pilot, lambda: watch.painted is not None, timeout=120, what="the reply")
    return shown[0] - started, (watch.painted or 0) - started


async def measure_empty(base_url: str, question: str) -> tuple[float, float]:
    """The same retry in a conversation of one prompt (and its reply)."""
    from parrotchat.ui.testing import offline_demo_app, send_prompt, wait_for_reply

    workdir = Path(tempfile.mkdtemp(prefix="parrotchat-bench-"))
    app = offline_demo_app(base_url, workdir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await send_prompt(pilot, question)
        await wait_for_reply(pilot, timeout=60)
        watch = PaintWatch(app)
        return await measure_retry(pilot, watch)


async def measure(path: Path, cid: int, base_url: str) -> Run:
    from parrotchat.core.store import Store
    from parrotchat.ui.testing import offline_demo_app, wait_until

    workdir = Path(tempfile.mkdtemp(prefix="parrotchat-bench-"))
    app = offline_demo_app(base_url, workdir, history=path)
    frames = count_frames(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        stalls = StallMeter()
        stalls.start()
        started = time.monotonic()
        with Store(path) as store:
            _record, messages = await asyncio.to_thread(store.load_conversation, cid)
        app.conversation.messages = list(messages)
        await app.chat_log.show_messages(messages)
        last = messages[-1]

        def last_on_screen() -> bool:
            views = app.chat_log.message_views()
            if not views or views[-1].message is not last:
                return False
            try:
                region = app.screen.find_widget(views[-1]).visible_region
            except NoWidget:
                return False
            return region.height > 0

        await wait_until(pilot, last_on_screen, timeout=120, what="the last message")
        seen = len(frames)
        await wait_until(pilot, lambda: len(frames) > seen, timeout=60, what="a frame")
        shown = frames[seen] - started
        mounted = len(app.chat_log.message_views())
        stall = await stalls.stop()

        # Scroll to the top five times: each time older messages go in above, keeping the view.
        loads = []
        for _ in range(5):
            await pilot.pause()
            waiting = app.chat_log.waiting_messages
            if not waiting:
                break
            top_started = time.monotonic()
            app.chat_log.scroll_home(animate=False)
            await wait_until(
                pilot,
                lambda w=waiting: app.chat_log.waiting_messages < w,
                timeout=60,
                what="older messages",
            )
            seen = len(frames)
            await wait_until(pilot, lambda n=seen: len(frames) > n, timeout=60, what="a repaint")
            loads.append(frames[seen] - top_started)

        # Branches: each switch until the new branch's last message is painted.
        assert await app.session.open(cid) is not None
        await app.chat_log.show_messages(app.conversation.messages)
        last = app.conversation.messages[-1]
        await wait_until(pilot, last_on_screen, timeout=120, what="the long branch")
        watch = PaintWatch(app)

        async def switch(index: int) -> float:
            await pilot.pause()
            before = app.conversation.messages[-1]

            def switched() -> bool:
                now = app.conversation.messages[-1]
                return now is not before and now is last_view_message() and last_visible()

            watch.arm(switched)
            started = time.monotonic()
            position, count = app.session.alternatives(index)
            assert await app.session.switch(index, 1 if position < count else -1)
            await wait_until(pilot, lambda: watch.painted is not None, timeout=120, what="a switch")
            return (watch.painted or 0) - started

        def last_view_message() -> object:
            views = app.chat_log.message_views()
            return views[-1].message if views else None

        def last_visible() -> bool:
            views = app.chat_log.message_views()
            try:
                return app.screen.find_widget(views[-1]).visible_region.height > 0
            except NoWidget:
                return False

        end = statistics.median(
            [await switch(len(app.conversation.messages) - 1) for _ in range(2)]
        )
        to_short = await switch(1)
        to_long = await switch(1)
        question = app.conversation.messages[-2].content
        retry = await measure_retry(pilot, watch)
    empty = await measure_empty(base_url, question)
    return Run(
        shown * 1000,
        mounted,
        stall * 1000,
        statistics.median(loads) * 1000,
        end * 1000,
        to_short * 1000,
        to_long * 1000,
        retry[0] * 1000,
        retry[1] * 1000,
        empty[0] * 1000,
        empty[1] * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--chars", type=int, default=2_000_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="parrotchat-open-"))
    path = folder / "history.db"
    cid = make_database(path, args.messages, args.chars)
    # The demo server in a process of its own, as a provider is: the 2 MB request of a retry
    # in the long conversation is parsed there, not on this process's interpreter.
    server = subprocess.Popen(
        [sys.executable, "-m", "parrotchat.demo", "--tps", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().split(" at ", 1)[1].split()[0]
        runs = [asyncio.run(measure(path, cid, base_url)) for _ in range(args.runs)]
    finally:
        server.terminate()
        server.wait()

    def median(name: str) -> float:
        return statistics.median(getattr(run, name) for run in runs)

    print(f"open a conversation of {args.messages:,} messages ({args.chars:,} chars), 160x50,")
    print(f"medians of {args.runs} runs:")
    print(f"  last screen painted: {median('shown_ms'):8.1f} ms  (target 200 ms)")
    print(f"  messages mounted:    {median('mounted'):8.0f}")
    print(f"  longest stall:       {median('stall_ms'):8.1f} ms")
    print(f"  older batch shown:   {median('older_ms'):8.1f} ms  (scroll to the top -> repaint)")
    print("branches, to the first frame with the new branch's last message (target 200 ms):")
    print(f"  at the end, 1 reply:   {median('end_ms'):8.1f} ms  (the last reply's alternative)")
    print(f"  at message 2, short:   {median('to_short_ms'):8.1f} ms  (to a 2-message branch)")
    print(f"  at message 2, long:    {median('to_long_ms'):8.1f} ms  (back to the long branch)")
    print("retry (Ctrl+R) of the last reply, demo server at full speed in its own process:")
    print(
        f"  {args.messages:,} messages: view {median('retry_shown_ms'):7.1f} ms,"
        f" reply painted {median('retry_done_ms'):7.1f} ms"
    )
    print(
        f"  one prompt:     view {median('empty_shown_ms'):7.1f} ms,"
        f" reply painted {median('empty_done_ms'):7.1f} ms"
    )


if __name__ == "__main__":
    main()
