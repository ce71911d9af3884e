"""Comparisons without a terminal: one prompt to several models at once, against the real demo
server and a real history; the choice, the next prompt, reopening, export and import; the
`--compare` names; print mode's `-p --compare`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from cli_helpers import parrotchat, with_server
from test_session import Recorder, demo

from parrotchat.config.settings import Timeouts
from parrotchat.core.compare import CompareError, parse_models
from parrotchat.core.conversation import Role, Status
from parrotchat.core.error_log import ErrorLog
from parrotchat.core.export import export_text
from parrotchat.core.history import open_history
from parrotchat.core.session import ChatSession
from parrotchat.core.store import Store
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import HTTPError, Parrot, Script, chunk, sse
from parrotchat.demo.parrot import reply_text

PAIR = [("demo", "parrot"), ("demo", "parrot-fast")]


def test_names_are_models_on_the_current_provider_unless_a_provider_comes_first() -> None:
    providers = {"demo", "ollama"}
    assert parse_models("openai/gpt-4o-mini, ollama:llama3:8b", providers, "demo") == [
        ("demo", "openai/gpt-4o-mini"),
        ("ollama", "llama3:8b"),
    ]
    # A colon after a name that is no provider is part of the model id (Ollama's tags).
    assert parse_models("llama3:8b,qwen2:7b", providers, "ollama") == [
        ("ollama", "llama3:8b"),
        ("ollama", "qwen2:7b"),
    ]
    with pytest.raises(CompareError, match="2 to 4 models, not 1"):
        parse_models("parrot", providers, "demo")
    with pytest.raises(CompareError, match="empty"):
        parse_models("parrot,,parrot-fast", providers, "demo")


def test_the_demo_models_answer_the_same_prompt_differently() -> None:
    fast = reply_text("hello there", voice="fast:")
    assert fast != reply_text("hello there")
    assert "fast" not in fast.casefold()  # other words, about the same topic


async def session_with_history(server: DemoServer, tmp_path: Path) -> tuple[ChatSession, Recorder]:
    history, _resumed = open_history(tmp_path / "h.db")
    session = ChatSession(demo(server, tmp_path), error_log=ErrorLog(None), history=history)
    view = Recorder()
    session.attach(view)
    return session, view


async def test_each_model_streams_its_own_reply_to_the_same_history(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    session, _view = await session_with_history(demo_server, tmp_path)
    demo_server.push(Parrot(text="Earlier answer."))
    await session.wait(await session.send("earlier"))
    replies = await session.compare("which bird?", PAIR)
    messages = [await session.wait(reply) for reply in replies]
    await session.aclose()
    assert [m.content for m in messages] == [
        reply_text("which bird?"),
        reply_text("which bird?", voice="fast:"),
    ]
    assert [(m.model, m.status) for m in messages] == [
        ("parrot", Status.COMPLETE),
        ("parrot-fast", Status.COMPLETE),
    ]
    bodies = sorted((r.body for r in demo_server.chat_requests[1:]), key=lambda b: b["model"])
    assert [b["model"] for b in bodies] == ["parrot", "parrot-fast"]
    assert bodies[0]["messages"] == bodies[1]["messages"]
    assert [m["content"] for m in bodies[0]["messages"]] == [
        "earlier",
        "Earlier answer.",
        "which bird?",
    ]
    assert [reply.column for reply in replies] == [0, 1]


async def test_an_error_in_one_column_leaves_the_other(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    session, _view = await session_with_history(demo_server, tmp_path)
    demo_server.push_for(
        "parrot-fast", HTTPError(400, {"error": {"message": "The bird fell off its perch."}})
    )
    replies = await session.compare("hi", PAIR)
    good, bad = [await session.wait(reply) for reply in replies]
    await session.aclose()
    assert (good.status, good.content) == (Status.COMPLETE, reply_text("hi"))
    assert bad.status is Status.ERROR and "perch" in (bad.error or "")


async def test_a_stall_in_one_column_leaves_the_other(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    history, _resumed = open_history(tmp_path / "h.db")
    settings = dataclasses.replace(demo(demo_server, tmp_path), timeouts=Timeouts(idle=0.5))
    session = ChatSession(settings, error_log=ErrorLog(None), history=history)
    demo_server.push_for(
        "parrot", Parrot(text="one two three", stall_after=1, stall_keepalive=0.05)
    )
    replies = await session.compare("hi", PAIR)
    stalled, good = [await session.wait(reply) for reply in replies]
    await session.aclose()
    assert (stalled.status, stalled.content) == (Status.ERROR, "one")
    assert "0.5 s" in (stalled.error or "")
    assert (good.status, good.content) == (Status.COMPLETE, reply_text("hi", voice="fast:"))


async def test_stopping_one_reply_leaves_the_other_streaming(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    session, view = await session_with_history(demo_server, tmp_path)
    hang = Script([sse(chunk("Half "))], end="hang")
    demo_server.push_for("parrot", hang)
    demo_server.push_for("parrot-fast", Script([sse(chunk("Still "))], end="hang"))
    first, second = await session.compare("go", PAIR)
    await view.until(lambda: first.message.tokens == 1 and second.message.tokens == 1)
    session.stop_reply(first)
    await session.wait(first)
    await demo_server.await_disconnect()
    assert first.message.status is Status.CANCELLED and first.message.content == "Half "
    assert not second.ended and session.replies == [second]
    session.stop()
    assert (await session.wait(second)).status is Status.CANCELLED
    await session.aclose()


async def test_until_one_is_chosen_each_column_carries_on_with_its_own_branch(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    session, _view = await session_with_history(demo_server, tmp_path)
    demo_server.push_for("parrot", Parrot(text="Answer A."))
    demo_server.push_for("parrot-fast", Parrot(text="Answer B."))
    for reply in await session.compare("first", PAIR):
        await session.wait(reply)
    assert [m.content for m in session.conversation.messages] == ["first"]
    assert [m.model for m in session.comparison] == ["parrot", "parrot-fast"]
    replies = await session.continue_comparison("second")
    for reply in replies:
        await session.wait(reply)
    sent = {r.body["model"]: r.body["messages"] for r in demo_server.chat_requests[2:]}
    assert [m["content"] for m in sent["parrot"]] == ["first", "Answer A.", "second"]
    assert [m["content"] for m in sent["parrot-fast"]] == ["first", "Answer B.", "second"]
    assert [[m.content for m in column] for column in session.columns()] == [
        ["Answer A.", "second", reply_text("second")],
        ["Answer B.", "second", reply_text("second", voice="fast:")],
    ]
    # Chosen: its branch is the path, and the next prompt sends it and only it.
    assert await session.choose(1)
    assert not session.comparison
    assert (session.provider, session.model) == ("demo", "parrot-fast")
    assert [m.content for m in session.conversation.messages] == [
        "first",
        "Answer B.",
        "second",
        reply_text("second", voice="fast:"),
    ]
    await session.wait(await session.send("third"))
    await session.aclose()
    last = demo_server.chat_requests[-1].body
    assert last["model"] == "parrot-fast"  # the chosen column's model goes on
    assert [m["content"] for m in last["messages"]] == [
        "first",
        "Answer B.",
        "second",
        reply_text("second", voice="fast:"),
        "third",
    ]


async def test_a_comparison_is_stored_reopened_exported_and_imported_exactly(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    session, _view = await session_with_history(demo_server, tmp_path)
    demo_server.push_for("parrot", Parrot(text="Answer A."))
    demo_server.push_for("parrot-fast", Parrot(text="Answer B."))
    for reply in await session.compare("first", PAIR):
        await session.wait(reply)
    conversation_id = session.conversation_id or 0
    await session.aclose()

    reopened, _view = await session_with_history(demo_server, tmp_path)
    await reopened.open(conversation_id)
    assert [m.content for m in reopened.comparison] == ["Answer A.", "Answer B."]
    await reopened.aclose()
    with Store(tmp_path / "h.db") as store:
        record, tree, active = store.load_tree(conversation_id)
        first = export_text(record, tree, "json", active=active)
        again = store.import_json(json.loads(first))
        record2, tree2, active2 = store.load_tree(again)
        second = export_text(record2, tree2, "json", active=active2)
        markdown = export_text(record2, tree2, "markdown", active=active2)
    assert first == second
    assert [m["compare"] for m in json.loads(first)["messages"][1:]] == [1, 1]
    assert "Answer A." in markdown and "Answer B." in markdown
    assert "parrot-fast" in markdown
    assert [m.role for m in tree2] == [Role.USER, Role.ASSISTANT, Role.ASSISTANT]


def test_print_mode_prints_each_answer_under_its_header_in_order(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    demo_server.push_for("parrot", Parrot(text="I am the parrot."))
    demo_server.push_for("parrot-fast", Parrot(text="I am the fast one."))
    env = with_server(clean_env, demo_server)
    result = parrotchat("-p", "who?", "--compare", "parrot,parrot-fast", "--stats", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "==> parrotrouter:parrot <==\nI am the parrot.\n\n"
        "==> parrotrouter:parrot-fast <==\nI am the fast one.\n"
    )
    stats = [line for line in result.stderr.splitlines() if "stats" in line]
    assert (
        len(stats) == 2
        and "parrotrouter:parrot:" in stats[0]
        and "parrotrouter:parrot-fast:" in stats[1]
    )


def test_print_mode_exits_1_when_one_model_fails(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    demo_server.push_for(
        "parrot-fast", HTTPError(400, {"error": {"message": "The bird fell off its perch."}})
    )
    env = with_server(clean_env, demo_server)
    result = parrotchat("-p", "hi", "--compare", "parrot,parrot-fast", env=env)
    assert result.returncode == 1
    assert result.stdout.startswith("==> parrotrouter:parrot <==\n" + reply_text("hi"))
    assert "==> parrotrouter:parrot-fast <==" in result.stdout
    assert "parrotrouter:parrot-fast: " in result.stderr and "perch" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_compare_list_is_a_usage_error(clean_env: dict[str, str]) -> None:
    result = parrotchat("--demo", "-p", "hi", "--compare", "parrot", env=clean_env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "parrotchat: error: A comparison takes 2 to 4 models, not 1; give them as a "
        "comma-separated list, e.g. --compare parrot,parrot-fast."
    )


def test_print_mode_carries_an_open_comparison_on_with_c(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    env = with_server(clean_env, demo_server)
    first = parrotchat("-p", "first", "--compare", "parrot,parrot-fast", env=env)
    assert first.returncode == 0, first.stderr
    again = parrotchat("-c", "-p", "second", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("==> parrotrouter:parrot <==\n" + reply_text("second"))
    sent = {r.body["model"]: r.body["messages"] for r in demo_server.chat_requests[2:]}
    assert [m["content"] for m in sent["parrot-fast"]] == [
        "first",
        reply_text("first", voice="fast:"),
        "second",
    ]
    refused = parrotchat("-c", "-p", "third", "--compare", "parrot,parrot-think", env=env)
    assert refused.returncode == 2
    assert "no reply chosen" in refused.stderr and not refused.stdout
