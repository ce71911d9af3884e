"""A second parrotchat process for the store concurrency tests (run as a script).

python store_worker.py write DB CONVERSATION COUNT TAG   # waits for "go" on stdin
python store_worker.py stream DB CONVERSATION STOP_AFTER  # then blocks, or loops if 0
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys

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
    with Store(path) as store:
        if command == "write":
            write(store, int(conversation_id), int(number), sys.argv[5])
        else:
            stream(store, int(conversation_id), int(number))


if __name__ == "__main__":
    main()
