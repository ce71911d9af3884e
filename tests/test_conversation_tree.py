"""Conversations as trees: branches in memory, in the store (and the migration to it), in
exports, and through the session: edit and resend, regenerate, switch, `-c` on the branch."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
from pathlib import Path

from cli_helpers import history_path, parrotchat, with_server

from parrotchat.config import load_settings
from parrotchat.core.conversation import Conversation, Message, Role, Status
from parrotchat.core.error_log import ErrorLog
from parrotchat.core.export import export_text
from parrotchat.core.history import open_history
from parrotchat.core.migrations import MIGRATIONS, SCHEMA_VERSION, split_script
from parrotchat.core.session import ChatSession
from parrotchat.core.store import Store
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import Parrot
from parrotchat.ui.testing import demo_settings


def texts(messages: list[Message]) -> list[str]:
    return [message.content for message in messages]


# --- in memory ---------------------------------------------------------------------------------


def test_a_branch_keeps_the_old_path_and_switch_brings_it_back() -> None:
    conversation = Conversation(None, [Message(Role.USER, "q1"), Message(Role.ASSISTANT, "a1")])
    conversation.add(Message(Role.USER, "q2"))
    conversation.add(Message(Role.ASSISTANT, "a2"))
    conversation.branch(2, Message(Role.USER, "q2 edited"))
    conversation.add(Message(Role.ASSISTANT, "a2 new"))
    assert texts(conversation.messages) == ["q1", "a1", "q2 edited", "a2 new"]
    assert texts(conversation.siblings(conversation.messages[2])) == ["q2", "q2 edited"]
    assert conversation.switch(2, -1)
    assert texts(conversation.messages) == ["q1", "a1", "q2", "a2"]
    assert not conversation.switch(2, -1)  # nothing further that way
    assert conversation.switch(2, +1)
    assert texts(conversation.messages) == ["q1", "a1", "q2 edited", "a2 new"]
    # Only the path goes into a request.
    assert [m["content"] for m in conversation.request_messages()] == texts(conversation.messages)


# --- the store ---------------------------------------------------------------------------------


def make_release_database(path: Path) -> None:
    """A history as the release before trees wrote it: schema 2, one conversation of four."""
    conn = sqlite3.connect(path)
    with contextlib.closing(conn):
        for migration in MIGRATIONS[:2]:
            for statement in split_script(migration.script):
                conn.execute(statement)
        conn.executescript(
            """
            INSERT INTO conversations (id, title, created, updated, model, provider)
                VALUES (5, 'Herons', 1.0, 4.0, 'parrot', 'demo');
            INSERT INTO messages (conversation_id, role, content, status, created, updated)
                VALUES (5, 'user', 'tell me about herons', 'complete', 1.0, 1.0),
                       (5, 'assistant', 'herons wade', 'complete', 2.0, 2.0),
                       (5, 'user', 'and egrets?', 'complete', 3.0, 3.0),
                       (5, 'assistant', 'egrets too', 'cancelled', 4.0, 4.0);
            PRAGMA user_version = 2;
            """
        )
        conn.commit()


def test_the_migration_turns_each_stored_conversation_into_one_path(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    path = history_path(clean_env)
    path.parent.mkdir(parents=True)
    make_release_database(path)
    # The read-only commands first: they upgrade the schema and lose nothing.
    listed = parrotchat("list", "--json", env=clean_env)
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert (row["id"], row["messages"]) == (5, 4)
    exported = parrotchat("export", "5", "--format", "md", env=clean_env)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.index("herons wade") < exported.stdout.index("egrets too")
    with Store(path) as store:
        record, messages = store.load_conversation(5)
        _record, tree, active = store.load_tree(5)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert record.title == "Herons" and active is None
    assert (
        texts(messages)
        == texts(tree)
        == [
            "tell me about herons",
            "herons wade",
            "and egrets?",
            "egrets too",
        ]
    )
    assert [m.parent_id for m in messages] == [None, *(m.id for m in messages[:-1])]
    assert messages[-1].status is Status.CANCELLED


def stored_tree(store: Store) -> int:
    """A conversation with an edited second prompt: q1 a1 (q2 a2 | q2' a2'), on the edit."""
    cid = store.create_conversation(title="tree")
    for role, text in (("user", "q1"), ("assistant", "a1"), ("user", "q2"), ("assistant", "a2")):
        store.add_message(cid, Message(Role(role), text, created=1_700_000_000.0))
    _record, first_path = store.load_conversation(cid)
    edited = Message(Role.USER, "q2 edited", parent_id=first_path[1].id, created=1_700_000_001.0)
    store.add_message(cid, edited)
    store.add_message(cid, Message(Role.ASSISTANT, "a2 new", created=1_700_000_002.0))
    return cid


def test_the_store_keeps_every_branch_and_the_one_shown(tmp_path: Path) -> None:
    with Store(tmp_path / "h.db") as store:
        cid = stored_tree(store)
        _record, path = store.load_conversation(cid)
        assert texts(path) == ["q1", "a1", "q2 edited", "a2 new"]
        assert store.message_counts([cid]) == {cid: 4}
        _record, tree, _active = store.load_tree(cid)
        old_leaf = next(m for m in tree if m.content == "a2")
        store.set_active_leaf(cid, old_leaf.id or 0)
        _record, path = store.load_conversation(cid)
        assert texts(path) == ["q1", "a1", "q2", "a2"]
        # A new message continues the path shown.
        store.add_message(cid, Message(Role.USER, "q3"))
        _record, path = store.load_conversation(cid)
        assert texts(path) == ["q1", "a1", "q2", "a2", "q3"]
        assert store.message_counts([cid]) == {cid: 5}


def test_a_tree_exports_and_imports_back_exactly(tmp_path: Path) -> None:
    with Store(tmp_path / "h.db") as store:
        cid = stored_tree(store)
        first = export_text(*store.load_tree(cid)[:2], "json", active=store.load_tree(cid)[2])
        again = store.import_json(json.loads(first))
        record, tree, active = store.load_tree(again)
        second = export_text(record, tree, "json", active=active)
        _record, path = store.load_conversation(again)
        markdown = export_text(record, tree, "markdown", active=active)
    assert first == second
    assert len(tree) == 6 and texts(path) == ["q1", "a1", "q2 edited", "a2 new"]
    assert "a2 new" in markdown and "\na2\n" not in markdown  # Markdown: the path shown only


# --- the session -------------------------------------------------------------------------------


async def test_edit_regenerate_and_switch_send_only_the_active_path(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    history, _resumed = open_history(tmp_path / "h.db")
    session = ChatSession(
        demo_settings(demo_server.base_url, tmp_path),
        error_log=ErrorLog(tmp_path / "log"),
        history=history,
    )
    for prompt, answer in (("first", "one"), ("second", "two"), ("third", "three")):
        demo_server.push(Parrot(text=answer))
        await session.wait(await session.send(prompt))

    demo_server.push(Parrot(text="uno"))
    edited = await session.edit(0, "first, in Spanish")
    assert edited is not None
    await session.wait(edited)
    assert texts(session.conversation.messages) == ["first, in Spanish", "uno"]
    assert demo_server.chat_requests[-1].body["messages"] == [
        {"role": "user", "content": "first, in Spanish"}
    ]
    assert session.alternatives(0) == (2, 2)

    demo_server.push(Parrot(text="eins"))
    again = await session.regenerate()
    assert again is not None
    await session.wait(again)
    assert texts(session.conversation.messages) == ["first, in Spanish", "eins"]
    assert session.alternatives(1) == (2, 2)

    assert await session.switch(0, -1)  # back to the first branch, whole
    assert texts(session.conversation.messages) == [
        "first",
        "one",
        "second",
        "two",
        "third",
        "three",
    ]
    demo_server.push(Parrot(text="four"))
    await session.wait(await session.send("fourth"))
    sent = demo_server.chat_requests[-1].body["messages"]
    assert [m["content"] for m in sent] == [
        "first",
        "one",
        "second",
        "two",
        "third",
        "three",
        "fourth",
    ]
    await session.aclose()
    with Store(tmp_path / "h.db") as store:
        _record, path = store.load_conversation(session.conversation_id or 0)
        _record, tree, _active = store.load_tree(session.conversation_id or 0)
    assert texts(path)[-2:] == ["fourth", "four"]
    assert len(tree) == 6 + 2 + 1 + 2  # every branch stays: first, edit, regenerated, fourth


async def test_continue_after_a_switch_carries_on_the_branch_shown(
    demo_server: DemoServer, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    env = with_server(clean_env, demo_server)
    demo_server.push(Parrot(text="one"))
    assert parrotchat("-p", "first", env=env).returncode == 0
    path = history_path(clean_env)
    history, resumed = open_history(path, -1)
    # The same provider as the command line's: ParrotRouter, moved to the demo server.
    settings = load_settings(config_path=tmp_path / "none.toml", env=env)
    session = ChatSession(
        settings.with_demo_url(demo_server.base_url),
        error_log=ErrorLog(None),
        history=history,
        resumed=resumed,
    )
    demo_server.push(Parrot(text="uno"))
    await session.wait(await session.edit(0, "primero") or session.latest)  # type: ignore[arg-type]
    assert await session.switch(0, -1)
    await session.aclose()

    demo_server.push(Parrot(text="two"))
    result = parrotchat("-c", "-p", "second", env=env)
    assert result.returncode == 0, result.stderr
    sent = demo_server.chat_requests[-1].body["messages"]
    assert [m["content"] for m in sent] == ["first", "one", "second"]


def test_the_markdown_export_writes_other_branches_when_asked(clean_env: dict[str, str]) -> None:
    path = history_path(clean_env)
    path.parent.mkdir(parents=True)
    with Store(path) as store:
        cid = stored_tree(store)
    shown = parrotchat("export", str(cid), "--format", "md", env=clean_env)
    every = parrotchat("export", str(cid), "--format", "md", "--all-branches", env=clean_env)
    assert shown.returncode == every.returncode == 0, every.stderr
    assert "a2 new" in shown.stdout and "\na2\n" not in shown.stdout
    assert every.stdout.startswith(shown.stdout)
    tail = every.stdout[len(shown.stdout) :]
    assert "# Branch 2 of 2 · from message 3 on" in tail
    assert tail.index("q2") < tail.index("\na2\n") and "q1" not in tail


def test_a_packed_message_reads_back_every_character_and_stays_equal():
    # An emoji (4 bytes a character in Python), a lone surrogate from a JSON escape, escapes.
    text = "Answer 🦜 with \ud800 and \x1b[31m. " * 400
    message = Message(Role.ASSISTANT, text, reasoning="why " * 3000, model="parrot")
    twin = Message(Role.ASSISTANT, text, reasoning="why " * 3000, model="parrot")
    twin.created = message.created
    message.pack()
    assert message.packed
    assert message.content == text and message.reasoning == "why " * 3000
    assert message == twin
    assert message.to_request() == {"role": "assistant", "content": text}
    copy = dataclasses.replace(message, id=None)
    assert copy.content == text and not copy.packed
    message.unpack()
    assert not message.packed and message.content == text


def test_a_short_text_stays_as_it_is_when_packed():
    message = Message(Role.USER, "hello")
    message.pack()
    assert not message.packed and message.content == "hello"
