"""Two processes on one history, a locked database, and a process killed mid-reply."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import parrotchat
from parrotchat.core.conversation import Conversation, Message, Role, Status
from parrotchat.core.migrations import SCHEMA_VERSION
from parrotchat.core.store import BUSY_MESSAGE, Store, StoreBusy, StoreError

WORKER = Path(__file__).with_name("store_worker.py")


def start_worker(*args: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(parrotchat.__file__).parents[1])}
    return subprocess.Popen(
        [sys.executable, str(WORKER), *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "parrotchat.db"


@pytest.fixture
def conversation(path: Path) -> int:
    with Store(path) as store:
        return store.create_conversation(title="shared")


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def start_together(workers: list[subprocess.Popen[str]]) -> None:
    """Wait until every worker is ready, then tell them all to go."""
    for worker in workers:
        assert worker.stdout and worker.stdout.readline() == "ready\n", worker.stderr
    for worker in workers:
        assert worker.stdin
        worker.stdin.write("go\n")
        worker.stdin.flush()


def test_two_processes_write_side_by_side(
    path: Path, conversation: int, workers: list[subprocess.Popen[str]]
) -> None:
    workers += [start_worker("write", path, conversation, 200, tag) for tag in "ab"]
    start_together(workers)
    for worker in workers:
        _, stderr = worker.communicate(timeout=60)
        assert worker.returncode == 0, stderr
    with Store(path) as store:
        _, messages = store.load_conversation(conversation)
        texts = {m.content for m in messages}
        assert texts == {f"{tag} {n}" for tag in "ab" for n in range(200)}
        assert len(messages) == 400
        assert len(store.list_conversations()) == 3
        assert len(store.search("own")) == 2


def test_two_processes_branching_one_conversation_lose_nothing(
    path: Path, workers: list[subprocess.Popen[str]]
) -> None:
    # The two-window case: the same conversation open in two parrotchat processes, each
    # editing its first prompt and asking again for replies, at the same time.
    with Store(path) as store:
        conversation = store.create_conversation(model="parrot", provider="demo")
        store.add_message(conversation, Message(Role.USER, "first prompt"))
        store.add_message(
            conversation,
            Message(Role.ASSISTANT, "first answer", model="parrot", status=Status.COMPLETE),
        )
    workers += [start_worker("branch", path, conversation, 5, tag) for tag in "ab"]
    start_together(workers)
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0 and stdout == "done\n", stderr
    with Store(path) as store:
        _record, messages, active = store.load_tree(conversation)
    ids = {m.id for m in messages}
    assert all(m.parent_id is None or m.parent_id in ids for m in messages)
    prompts = [m for m in messages if m.role is Role.USER]
    # The first prompt and every edit, each a first message of its own branch: none lost.
    assert sorted(m.content for m in prompts) == sorted(
        ["first prompt"] + [f"{tag} edit {n}" for tag in "ab" for n in range(5)]
    )
    assert all(m.parent_id is None for m in prompts)
    for prompt in prompts[1:]:
        # Its answer and the answer asked for again, both whole.
        replies = [m for m in messages if m.parent_id == prompt.id]
        assert len(replies) == 2, prompt.content
        assert all(r.status is Status.COMPLETE and r.content for r in replies)
    # Reopened, the first message shows `‹ n/11 ›`, on the path written last.
    tree = Conversation.from_tree(None, messages, active)
    assert tree.alternatives(tree.messages[0])[1] == 11
    assert [m.id for m in tree.messages][-1] == max(ids)
    assert len(tree.messages) == 2


def test_processes_creating_the_database_at_once(
    path: Path, workers: list[subprocess.Popen[str]]
) -> None:
    workers += [start_worker("open", path) for _ in range(4)]
    start_together(workers)
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=60)
        assert worker.returncode == 0, stderr
        assert stdout.strip() == str(SCHEMA_VERSION)
    with Store(path) as store:
        assert len(store.list_conversations()) == 4
        assert len(store.search("hello")) == 4


@pytest.mark.parametrize("stop_after", [3, 0], ids=["blocked", "mid-loop"])
def test_a_killed_reply_is_recovered_from_its_last_checkpoint(
    path: Path, conversation: int, workers: list[subprocess.Popen[str]], stop_after: int
) -> None:
    worker = start_worker("stream", path, conversation, stop_after)
    workers.append(worker)
    assert worker.stdout
    last = 0
    while last < (stop_after or 50):
        line = worker.stdout.readline()
        assert line.startswith("checkpoint "), worker.stderr
        last = int(line.split()[1])
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    with Store(path) as store:
        assert store.recover_interrupted() == 1
        _, [message] = store.load_conversation(conversation)
    assert message.status is Status.INTERRUPTED
    if stop_after:
        assert message.content == "part 1 part 2 part 3 "
        assert message.tokens == 3
    else:
        # Killed while writing: every reported checkpoint is kept, maybe one more.
        assert message.tokens >= last
        assert message.content == "".join(f"part {n} " for n in range(1, message.tokens + 1))


def test_a_locked_database_raises_busy_after_the_timeout(path: Path, conversation: int) -> None:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Store(path, busy_timeout=0.05) as store:
            # Reading works while another process writes (WAL).
            assert store.get_conversation(conversation).title == "shared"
            started = time.monotonic()
            with pytest.raises(StoreBusy) as caught:
                store.add_message(conversation, Message(Role.USER, "blocked"))
            assert time.monotonic() - started < 2
            assert str(caught.value) == BUSY_MESSAGE
            assert isinstance(caught.value, StoreError)
            holder.execute("COMMIT")
            store.add_message(conversation, Message(Role.USER, "now it works"))
            assert len(store.load_conversation(conversation)[1]) == 1
    finally:
        holder.close()


def test_threads_share_one_store(path: Path, conversation: int) -> None:
    with Store(path) as store:

        def write(tag: int) -> None:
            for n in range(50):
                store.add_message(conversation, Message(Role.USER, f"{tag}-{n}"))

        threads = [threading.Thread(target=write, args=(tag,)) for tag in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(store.load_conversation(conversation)[1]) == 200
