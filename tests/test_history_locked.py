"""A database locked by another program for a while: saving waits, then resumes by itself.

Real SQLite in a temp folder, locked from the test with `BEGIN EXCLUSIVE` on a second
connection (as the `sqlite3` shell does); the real app through Pilot, and print mode as a
subprocess. Only a lock held longer than `LOCK_PATIENCE` turns history off.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cli_helpers import parrotchat, spawn, with_server
from test_print_history import history_path, read_until

from parrotchat.config import Paths, load_settings
from parrotchat.core.conversation import Message, Status
from parrotchat.core.history import History
from parrotchat.core.store import Store
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import Parrot
from parrotchat.ui.app import ParrotChatApp, make_app
from parrotchat.ui.testing import UnreachableClient, send_prompt, wait_for_reply, wait_until

SIZE = (120, 36)
BUSY_TIMEOUT = 0.3
"""The app's SQLite busy timeout in the Pilot tests: each blocked write gives up after it, so a
lock of a few seconds is met (and retried) several times."""


def numbered(count: int) -> str:
    """An answer of `count` tokens that shows which one is missing."""
    return "".join(f"w{n} " for n in range(count))


@contextmanager
def locked(path: Path) -> Iterator[sqlite3.Connection]:
    """Hold the database's write lock, as `sqlite3 FILE 'BEGIN EXCLUSIVE'` does."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield holder
        holder.execute("COMMIT")
    finally:
        holder.close()


def app_on(server: DemoServer, tmp_path: Path, history: History) -> ParrotChatApp:
    settings = load_settings(config_path=tmp_path / "none.toml", env={}, demo=True)
    return make_app(
        settings.with_demo_url(server.base_url),
        paths=Paths.under(tmp_path),
        clients={"parrotrouter": UnreachableClient()},  # type: ignore[dict-item]
        history=history,
    )


def stored(path: Path) -> list[list[Message]]:
    with Store(path) as store:
        records = store.list_conversations()
        return [store.load_conversation(record.id)[1] for record in reversed(records)]


async def test_a_lock_during_a_reply_delays_saving_and_keeps_history_on(demo_server, tmp_path):
    path = tmp_path / "data" / "parrotchat.db"
    history = History(Store(path, busy_timeout=BUSY_TIMEOUT))
    app = app_on(demo_server, tmp_path, history)
    answer = numbered(60)
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(Parrot(text=answer, tokens_per_second=30), Parrot(text="Next one."))
        reply = await send_prompt(pilot, "first")
        await wait_until(pilot, lambda: reply.tokens >= 3, what="the reply to stream")
        with locked(path):
            # Checkpoints and the final save meet the lock and wait; the reply streams on.
            await wait_for_reply(pilot)
            await wait_until(pilot, lambda: history.lock_retries >= 3, what="retries", timeout=20)
            assert history.available
        await app.history.drain()
        assert stored(path)[0][-1].content == answer

        await send_prompt(pilot, "second")
        await wait_for_reply(pilot)
        await app.history.drain()
        app.chats.refresh_list()
        await wait_until(pilot, lambda: len(app.chats.visible_conversations()) == 1)
        notices = [n.message for n in app._notifications]
        notes = app.chats.notes()
    assert not [n for n in notices if "History" in n], notices
    assert not notes, notes
    (messages,) = stored(path)
    assert [(m.content, m.status) for m in messages] == [
        ("first", Status.COMPLETE),
        (answer, Status.COMPLETE),
        ("second", Status.COMPLETE),
        ("Next one.", Status.COMPLETE),
    ]


async def test_a_lock_held_too_long_turns_history_off_and_says_so(demo_server, tmp_path):
    path = tmp_path / "data" / "parrotchat.db"
    history = History(Store(path, busy_timeout=BUSY_TIMEOUT))
    history.lock_patience = 1.0
    app = app_on(demo_server, tmp_path, history)
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(Parrot(text=numbered(10), tokens_per_second=None))
        await send_prompt(pilot, "first")
        with locked(path):
            demo_server.push(Parrot(text="Kept in memory."))
            reply = await send_prompt(pilot, "second")  # its prompt cannot be stored
            await wait_until(pilot, lambda: not history.available, what="history to turn off")
        await wait_for_reply(pilot)
        notices = [n.message for n in app._notifications]
    assert reply.content == "Kept in memory."
    (notice,) = notices
    assert notice.startswith("History is unavailable: ")
    assert "locked" in notice and f"{history.lock_patience:g} s" in notice
    assert "not saved" in notice


def test_print_mode_waits_out_an_8_second_lock_and_stores_the_whole_reply(demo_server, clean_env):
    env = with_server(clean_env, demo_server)
    demo_server.push(Parrot(text="Warm up."))
    assert parrotchat("-p", "warm up", env=env).returncode == 0
    path = history_path(clean_env)
    answer = numbered(100)
    demo_server.push(Parrot(text=answer, tokens_per_second=50))
    proc = spawn("-c", "-p", "tell me", env=env)
    assert proc.stdout is not None
    first = read_until(proc.stdout.fileno(), lambda chunks: bool(chunks))
    with locked(path):
        # The case: 8 s, longer than the store's 5 s busy timeout, so the checkpoints
        # and the final save each give up once and are retried.
        hold_until = time.monotonic() + 8.0
        chunks = read_until(proc.stdout.fileno(), lambda c: b"w99 " in b"".join(d for _, d in c))
        time.sleep(max(0.0, hold_until - time.monotonic()))  # the lock's length is the test
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert err == b""
    assert b"".join(d for _, d in first + chunks) + out == (answer + "\n").encode()
    demo_server.push(Parrot(text="And the next turn."))
    after = parrotchat("-c", "-p", "next", env=env)
    assert after.returncode == 0 and after.stderr == ""
    (messages,) = stored(path)
    assert [(m.content, m.status) for m in messages[2:]] == [
        ("tell me", Status.COMPLETE),
        (answer, Status.COMPLETE),
        ("next", Status.COMPLETE),
        ("And the next turn.", Status.COMPLETE),
    ]
