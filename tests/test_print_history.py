"""Print mode keeps its turns in the history: kill -9 mid-stream, continue, resume, bad files."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Callable

from cli_helpers import history_path, parrotchat, spawn, with_server

from parrotchat.core.conversation import Role, Status
from parrotchat.core.history import CHECKPOINT_SECONDS
from parrotchat.core.store import Store
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import HTTPError, Parrot, Script, chunk, sse


def test_a_turn_is_stored_with_its_model_and_status(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    demo_server.push(Parrot(text="Hello there."))
    result = parrotchat("-p", "hi", "--system", "Be kind.", env=with_server(clean_env, demo_server))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    with Store(history_path(clean_env)) as store:
        record, messages = store.load_conversation(store.last_conversation_id() or 0)
    assert (record.title, record.system_prompt) == ("hi", "Be kind.")
    user, reply = messages
    assert (user.role, user.content, user.status) == (Role.USER, "hi", Status.COMPLETE)
    assert (reply.content, reply.status) == ("Hello there.", Status.COMPLETE)
    assert (reply.model, reply.provider) == ("openai/gpt-4o-mini", "parrotrouter")


def read_until(
    stream: int, done: Callable[[list[tuple[float, bytes]]], bool]
) -> list[tuple[float, bytes]]:
    """Read a pipe until `done(chunks)`; each chunk with the moment it arrived."""
    chunks: list[tuple[float, bytes]] = []
    while not done(chunks):
        data = os.read(stream, 65536)
        assert data, "the answer ended early"
        chunks.append((time.monotonic(), data))
    return chunks


def test_kill_9_mid_stream_keeps_the_reply_up_to_the_last_checkpoint(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    env = with_server(clean_env, demo_server)
    demo_server.push(Parrot(tokens=2000, tokens_per_second=50))
    proc = spawn("-p", "tell me a long story", env=env)
    assert proc.stdout is not None
    # Stream for well over two checkpoint intervals, measured by the output itself.
    streamed_for = 2.5 * CHECKPOINT_SECONDS
    chunks = read_until(
        proc.stdout.fileno(), lambda c: bool(c) and c[-1][0] - c[0][0] > streamed_for
    )
    proc.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    proc.communicate(timeout=10)
    printed = b"".join(data for _, data in chunks).decode()
    # Everything on screen more than a checkpoint interval (plus slack) before the kill.
    old_enough = killed_at - CHECKPOINT_SECONDS - 0.25
    must_have = b"".join(data for at, data in chunks if at < old_enough).decode()
    assert must_have, "no output was old enough to have been checkpointed"

    demo_server.push(Parrot(text="fine"))
    after = parrotchat("-p", "are you there?", env=env)  # its start recovers the orphan
    assert after.returncode == 0, after.stderr

    with Store(history_path(clean_env)) as store:
        first = store.list_conversations()[-1]
        _record, messages = store.load_conversation(first.id)
    user, reply = messages
    assert user.content == "tell me a long story"
    assert reply.status is Status.INTERRUPTED
    assert printed.startswith(reply.content)
    assert reply.content.startswith(must_have)


def test_continue_sends_the_history_system_prompt_and_model(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    env = with_server(clean_env, demo_server)
    demo_server.push(Parrot(text="First answer."), Parrot(text="Second answer."))
    first = parrotchat("-p", "first", "--system", "Be brief.", "--model", "m-1", env=env)
    assert first.returncode == 0, first.stderr
    second = parrotchat("-c", "-p", "and then?", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "Second answer.\n"
    body = demo_server.chat_requests[1].body
    assert body["model"] == "m-1"
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "First answer."},
        {"role": "user", "content": "and then?"},
    ]
    with Store(history_path(clean_env)) as store:
        assert len(store.list_conversations()) == 1
        _record, messages = store.load_conversation(store.last_conversation_id() or 0)
    contents = [m.content for m in messages]
    assert contents == ["first", "First answer.", "and then?", "Second answer."]


def test_resume_continues_the_given_conversation(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    env = with_server(clean_env, demo_server)
    demo_server.push(Parrot(text="one"), Parrot(text="two"), Parrot(text="three"))
    assert parrotchat("-p", "alpha", env=env).returncode == 0
    assert parrotchat("-p", "beta", env=env).returncode == 0
    result = parrotchat("--resume", "1", "-p", "more", env=env)
    assert result.returncode == 0, result.stderr
    sent = [m["content"] for m in demo_server.chat_requests[2].body["messages"]]
    assert sent == ["alpha", "one", "more"]


def test_an_unknown_conversation_is_one_line_and_exit_1_as_export_says(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    env = with_server(clean_env, demo_server)
    exported = parrotchat("export", env=env)  # no history yet: one rule for both
    assert exported.returncode == 1, exported.stderr
    for args in (["--resume", "42"], ["-c"]):
        result = parrotchat(*args, "-p", "hi", env=env)
        assert result.returncode == exported.returncode
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("parrotchat: error: "), lines
    assert demo_server.chat_requests == []


def test_a_corrupt_database_warns_answers_and_is_left_alone(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    path = history_path(clean_env)
    path.parent.mkdir(parents=True)
    garbage = b"this is not a database\x00" * 100
    path.write_bytes(garbage)
    demo_server.push(Parrot(text="Still here."))
    result = parrotchat("-c", "-p", "hi", env=with_server(clean_env, demo_server))
    assert result.returncode == 0
    assert result.stdout == "Still here.\n"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("parrotchat: warning: history unavailable: ")
    assert "damaged" in lines[0]
    assert path.read_bytes() == garbage


def test_a_newer_database_is_refused_and_not_altered(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    path = history_path(clean_env)
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = path.read_bytes()
    demo_server.push(Parrot(text="ok"))
    result = parrotchat("-p", "hi", env=with_server(clean_env, demo_server))
    assert result.returncode == 0
    assert result.stdout == "ok\n"
    assert "history unavailable: " in result.stderr and "newer parrotchat" in result.stderr
    assert path.read_bytes() == before


def test_an_error_reply_is_stored_with_its_sentence(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    demo_server.push(Script([sse(chunk(content="partial")), sse({"error": {"message": "boom"}})]))
    result = parrotchat("-p", "hi", env=with_server(clean_env, demo_server))
    assert result.returncode == 1
    with Store(history_path(clean_env)) as store:
        _record, messages = store.load_conversation(store.last_conversation_id() or 0)
    reply = messages[-1]
    assert (reply.status, reply.content) == (Status.ERROR, "partial")
    assert reply.error is not None and "boom" in reply.error


def test_ctrl_c_stores_the_partial_reply_as_cancelled(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    demo_server.push(Parrot(tokens=100_000, tokens_per_second=50))
    proc = spawn("-p", "hi", env=with_server(clean_env, demo_server))
    assert proc.stdout is not None
    chunks = read_until(proc.stdout.fileno(), lambda c: sum(len(d) for _, d in c) >= 20)
    first = b"".join(data for _, data in chunks)
    proc.send_signal(signal.SIGINT)
    rest, _err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    with Store(history_path(clean_env)) as store:
        _record, messages = store.load_conversation(store.last_conversation_id() or 0)
    reply = messages[-1]
    assert reply.status is Status.CANCELLED
    printed = (first + rest).decode()
    assert len(reply.content) >= 20 and printed.startswith(reply.content)


def test_a_reader_that_leaves_stores_the_reply_cancelled(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    demo_server.push(Parrot(tokens=100_000, tokens_per_second=200))
    proc = spawn("-p", "hi", env=with_server(clean_env, demo_server))
    assert proc.stdout is not None and proc.stderr is not None
    read_until(proc.stdout.fileno(), lambda c: sum(len(d) for _, d in c) >= 20)
    proc.stdout.close()  # like `| head -c 20`
    assert proc.wait(timeout=10) == 0
    with proc.stderr:
        assert proc.stderr.read() == b""
    with Store(history_path(clean_env)) as store:
        _record, messages = store.load_conversation(store.last_conversation_id() or 0)
    assert messages[-1].status is Status.CANCELLED and messages[-1].content


def test_continue_a_demo_conversation_starts_the_demo_again(clean_env: dict[str, str]) -> None:
    first = parrotchat("--demo", "-p", "hello", env=clean_env)
    assert first.returncode == 0, first.stderr
    again = parrotchat("-c", "-p", "and again", env=clean_env)  # no --demo: the stored provider
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip()
    with Store(history_path(clean_env)) as store:
        _record, messages = store.load_conversation(store.last_conversation_id() or 0)
    assert [(m.role, m.provider) for m in messages[2:]] == [
        (Role.USER, None),
        (Role.ASSISTANT, "demo"),
    ]


def conversations(env: dict[str, str]) -> list[list[tuple[Role, str]]]:
    """Every stored conversation (trash included), oldest first: its messages' roles and texts."""
    path = history_path(env)
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM conversations ORDER BY id")]
    with Store(path) as store:
        return [[(m.role, m.content) for m in store.load_conversation(i)[1]] for i in ids]


def test_no_history_and_the_config_key_keep_print_runs_out(
    demo_server: DemoServer, clean_env: dict[str, str], tmp_path
) -> None:
    env = with_server(clean_env, demo_server)
    demo_server.push(Parrot(text="kept"))
    assert parrotchat("-p", "keep me", env=env).returncode == 0
    demo_server.push(Parrot(text="not kept"))
    result = parrotchat("--no-history", "-p", "forget me", env=env)
    assert (result.returncode, result.stdout) == (0, "not kept\n"), result.stderr
    demo_server.push(Parrot(text="continued"))
    result = parrotchat("--no-history", "-c", "-p", "and?", env=env)  # reads, does not write
    assert result.returncode == 0, result.stderr
    assert demo_server.chat_requests[-1].body["messages"][0]["content"] == "keep me"
    config = tmp_path / "quiet.toml"
    config.write_text("print_history = false\n")
    demo_server.push(Parrot(text="not kept either"))
    result = parrotchat("-p", "forget me too", env={**env, "PARROTCHAT_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    assert conversations(env) == [[(Role.USER, "keep me"), (Role.ASSISTANT, "kept")]]
    refused = parrotchat("--no-history", env=env)
    assert refused.returncode == 2 and "--no-history" in refused.stderr


def test_a_failure_with_no_output_is_not_stored(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    env = with_server(clean_env, demo_server)
    demo_server.push(HTTPError(400, {"error": {"message": "bad request"}}))
    failed = parrotchat("-p", "doomed", env=env)
    assert failed.returncode == 1 and failed.stdout == ""
    assert conversations(env) == []
    demo_server.push(Parrot(text="fine"))
    assert parrotchat("-p", "first", env=env).returncode == 0
    demo_server.push(HTTPError(400, {"error": {"message": "bad request"}}))
    assert parrotchat("-c", "-p", "doomed again", env=env).returncode == 1
    demo_server.push(Script([sse(chunk("half"))], end="drop"))
    assert parrotchat("-c", "-p", "half way", env=env).returncode == 1
    [kept] = conversations(env)
    assert kept == [
        (Role.USER, "first"),
        (Role.ASSISTANT, "fine"),
        (Role.USER, "half way"),
        (Role.ASSISTANT, "half"),
    ]
