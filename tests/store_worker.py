"""A second parrotchat process for the store concurrency tests (run as a script).

python store_worker.py write DB CONVERSATION COUNT TAG   # waits for "go" on stdin
python store_worker.py stream DB CONVERSATION STOP_AFTER  # then blocks, or loops if 0
python store_worker.py branch DB CONVERSATION COUNT TAG  # a chat session editing and asking
                                                        # again against its own demo server
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
import tempfile
from pathlib import Path

from parrotchat.core.conversation import Message, Role, Status
from parrotchat.core.store import Store


def write(store: Store, conversation_id: int, count: int, tag: str) -> None:
    own = store.create_conversation(title=f"worker {tag}")
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    for n in range(count):
        store.add_message(conversation_id, Message(Role.USER, f"{tag} {n}"))
        if n % 10 == 0:
            store.add_message(own, Message(Role.USER, f"{tag} own {n}"))
    print("done", flush=True)


def stream(store: Store, conversation_id: int, stop_after: int) -> None:
    mid = store.add_message(conversation_id, Message(Role.ASSISTANT, status=Status.STREAMING))
    content, n = "", 0
    while True:
        n += 1
        content += f"part {n} "
        store.checkpoint(mid, content, tokens=n)
        print(f"checkpoint {n}", flush=True)
        if n == stop_after:
            sys.stdin.readline()  # wait here until killed
            return


class QuietView:
    """The session's view in a process with no screen."""

    async def show_message(self, message: Message) -> None:
        pass

    async def reply_started(self, reply: object) -> None:
        return None

    async def message_removed(self, message: Message) -> None:
        pass

    async def path_changed(self, removed: list[Message], shown: list[Message]) -> None:
        pass

    def reply_ended(self, reply: object) -> None:
        pass


async def branch(path: str, conversation_id: int, count: int, tag: str) -> None:
    """Reopen the conversation in a real chat session and, `count` times in turn, edit its
    first prompt (a new branch from the root) and ask again for the last reply, each answer
    streamed from a demo server of this process's own."""
    from parrotchat.config import load_settings
    from parrotchat.core.error_log import ErrorLog
    from parrotchat.core.history import open_history
    from parrotchat.core.session import ChatSession
    from parrotchat.demo import DemoServer

    server = DemoServer(tokens_per_second=None)
    await server.start()
    folder = Path(tempfile.mkdtemp(prefix="parrotchat-worker-"))
    settings = load_settings(config_path=folder / "none.toml", env={}, demo=True)
    settings = settings.with_demo_url(server.base_url)
    history, resumed = open_history(Path(path), conversation_id)
    session = ChatSession(settings, error_log=ErrorLog(None), history=history, resumed=resumed)
    session.attach(QuietView())
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    for n in range(count):
        reply = await session.edit(0, f"{tag} edit {n}")
        assert reply is not None
        await session.wait(reply)
        again = await session.regenerate()
        assert again is not None
        await session.wait(again)
    await session.aclose()
    await server.stop()
    print("done", flush=True)


def open_fresh(path: str) -> None:
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    with Store(path) as store:
        store.add_message(store.create_conversation(), Message(Role.USER, "hello"))
    with contextlib.closing(sqlite3.connect(path)) as conn:
        print(conn.execute("PRAGMA user_version").fetchone()[0], flush=True)


def main() -> None:
    if sys.argv[1] == "open":
        open_fresh(sys.argv[2])
        return
    command, path, conversation_id, number = sys.argv[1:5]
    if command == "branch":
        asyncio.run(branch(path, int(conversation_id), int(number), sys.argv[5]))
        return
    with Store(path) as store:
        if command == "write":
            write(store, int(conversation_id), int(number), sys.argv[5])
        else:
            stream(store, int(conversation_id), int(number))


if __name__ == "__main__":
    main()
