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
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

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
    switch_ms: float
    """Switching the second message to its alternative and back to the long branch."""


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
        # An alternative second message (an answer asked for again at the start), not shown.
        _record, path = store.load_conversation(cid)
        store.add_message(
            cid,
            Message(Role.ASSISTANT, "Another answer.", model="parrot", parent_id=path[0].id),
        )
        store.set_active_leaf(cid, path[-1].id or 0)
        return cid


async def measure(path: Path, cid: int) -> Run:
    from parrotchat.core.store import Store
    from parrotchat.ui.testing import offline_demo_app, wait_until

    workdir = Path(tempfile.mkdtemp(prefix="parrotchat-bench-"))
    app = offline_demo_app("http://127.0.0.1:9/v1", workdir, history=path)
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

        # Branches: to the short alternative of message 2, and back to the long branch, painted.
        assert await app.session.open(cid) is not None
        await app.chat_log.show_messages(app.conversation.messages)
        last = app.conversation.messages[-1]
        await wait_until(pilot, last_on_screen, timeout=120, what="the long branch")
        switched = time.monotonic()
        assert await app.session.switch(1, 1)
        await wait_until(pilot, lambda: len(app.chat_log.message_views()) == 2, timeout=60)
        assert await app.session.switch(1, -1)
        last = app.conversation.messages[-1]
        await wait_until(pilot, last_on_screen, timeout=120, what="the long branch again")
        seen = len(frames)
        await wait_until(pilot, lambda: len(frames) > seen, timeout=60, what="a frame")
        switch = frames[seen] - switched
    return Run(shown * 1000, mounted, stall * 1000, statistics.median(loads) * 1000, switch * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--chars", type=int, default=2_000_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="parrotchat-open-"))
    path = folder / "history.db"
    cid = make_database(path, args.messages, args.chars)
    runs = [asyncio.run(measure(path, cid)) for _ in range(args.runs)]

    def median(name: str) -> float:
        return statistics.median(getattr(run, name) for run in runs)

    print(f"open a conversation of {args.messages:,} messages ({args.chars:,} chars), 160x50,")
    print(f"medians of {args.runs} runs:")
    print(f"  last screen painted: {median('shown_ms'):8.1f} ms  (target 200 ms)")
    print(f"  messages mounted:    {median('mounted'):8.0f}")
    print(f"  longest stall:       {median('stall_ms'):8.1f} ms")
    print(f"  older batch shown:   {median('older_ms'):8.1f} ms  (scroll to the top -> repaint)")
    print(
        f"  branch switch:       {median('switch_ms'):8.1f} ms  (to an alternative of message 2"
        " and back, painted; target 200 ms each way)"
    )


if __name__ == "__main__":
    main()
