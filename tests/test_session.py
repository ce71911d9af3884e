"""The chat session without a terminal: replies against the real demo server, kept in a real
SQLite history; `resumed_settings`; and print mode and the TUI storing the same stream alike."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

from cli_helpers import parrotchat, with_server

from parrotchat.config import Settings, load_settings
from parrotchat.core.conversation import Message, Role, Status
from parrotchat.core.error_log import ErrorLog
from parrotchat.core.history import History, open_history
from parrotchat.core.records import ConversationRecord
from parrotchat.core.reply import ReplyListener
from parrotchat.core.session import ChatSession, Reply, resumed_settings
from parrotchat.core.store import Store
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import DONE, HTTPError, Parrot, Script, chunk, sse, tool_call
from parrotchat.ui.stats import format_stats
from parrotchat.ui.testing import offline_demo_app, send_prompt, wait_for_reply


def record(provider: str | None, model: str | None) -> ConversationRecord:
    return ConversationRecord(
        1, "t", 0.0, 0.0, system_prompt="Be brief.", model=model, provider=provider
    )


def test_the_conversation_s_provider_model_and_system_prompt_come_back(tmp_path: Path) -> None:
    settings = load_settings(config_path=tmp_path / "none.toml", env={})
    restored = resumed_settings(settings, record("demo", "parrot-think"))
    assert (restored.provider, restored.model) == ("demo", "parrot-think")
    assert restored.system_prompt == "Be brief."
    session = ChatSession(settings, error_log=ErrorLog(None), resumed=(record("demo", "p"), []))
    assert session.conversation.system_prompt == "Be brief."


def test_a_provider_no_longer_configured_keeps_the_current_model(tmp_path: Path) -> None:
    settings = load_settings(config_path=tmp_path / "none.toml", env={})
    restored = resumed_settings(settings, record("gone", "someone/model"))
    assert (restored.provider, restored.model) == (settings.provider, settings.model)
    assert restored.system_prompt == "Be brief."


def test_flags_beat_the_stored_choices(tmp_path: Path) -> None:
    settings = load_settings(
        config_path=tmp_path / "none.toml", env={}, demo=True, system="Be long."
    )
    restored = resumed_settings(settings, record("parrotrouter", "x/y"))
    assert (restored.provider, restored.model) == ("demo", settings.model)
    assert restored.system_prompt == "Be long."


# --- the session on its own ------------------------------------------------------------------


class Recorder:
    """A `SessionView` and `ReplyListener` that writes down what it is told."""

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []
        self.changed = asyncio.Event()
        """Set at every event written down (cleared by `until`)."""

    def _note(self, *event: object) -> None:
        self.events.append(event)
        self.changed.set()

    async def until(self, condition: Callable[[], object], timeout: float = 10) -> None:
        """Wait for the events that make `condition()` true."""
        async with asyncio.timeout(timeout):
            while not condition():
                self.changed.clear()
                await self.changed.wait()

    async def show_message(self, message: Message) -> None:
        self._note("message", message.content)

    async def reply_started(self, reply: Reply) -> ReplyListener:
        self._note("started", reply.model)
        return self

    async def message_removed(self, message: Message) -> None:
        self._note("removed", message.content)

    async def path_changed(self, removed: list[Message], shown: list[Message]) -> None:
        self._note("path", [m.content for m in removed], [m.content for m in shown])

    def reply_ended(self, reply: Reply) -> None:
        self._note("ended", reply.message.status)

    def on_text(self, text: str) -> None:
        self._note("text", text)

    def on_reasoning(self, text: str) -> None:
        self._note("reasoning", text)

    def on_tool_call(self, call: object) -> None:
        self._note("tool", call)

    def on_notice(self, text: str | None) -> None:
        self._note("notice", text)

    def on_end(self, message: Message) -> None:
        self._note("end", message.status)


def demo(server: DemoServer, tmp_path: Path) -> Settings:
    settings = load_settings(config_path=tmp_path / "none.toml", env={}, demo=True)
    return settings.with_demo_url(server.base_url)


def session_on(server: DemoServer, tmp_path: Path) -> tuple[ChatSession, Recorder, Path]:
    path = tmp_path / "parrotchat.db"
    history, _resumed = open_history(path)
    session = ChatSession(
        demo(server, tmp_path), error_log=ErrorLog(tmp_path / "log"), history=history
    )
    view = Recorder()
    session.attach(view)
    return session, view, path


async def test_send_streams_a_reply_and_stores_the_turn(demo_server, tmp_path):
    session, view, path = session_on(demo_server, tmp_path)
    demo_server.push(Parrot(text="Hello there."))
    reply = await session.send("hi")
    message = await session.wait(reply)
    await session.aclose()
    assert (message.content, message.status) == ("Hello there.", Status.COMPLETE)
    texts = "".join(str(value) for kind, value in view.events if kind == "text")
    assert texts == "Hello there."
    assert view.events[0] == ("message", "hi") and view.events[1] == ("started", "parrot")
    assert view.events[-1] == ("ended", Status.COMPLETE)
    with Store(path) as store:
        record, messages = store.load_conversation(store.last_conversation_id() or 0)
    assert record.title == "hi"
    assert [(m.role, m.content, m.status) for m in messages] == [
        (Role.USER, "hi", Status.COMPLETE),
        (Role.ASSISTANT, "Hello there.", Status.COMPLETE),
    ]


async def test_stop_closes_the_connection_and_keeps_the_partial_answer(demo_server, tmp_path):
    session, view, path = session_on(demo_server, tmp_path)
    demo_server.push(Script([sse(chunk("Half an ")), sse(chunk("answer"))], end="hang"))
    reply = await session.send("go")
    await view.until(lambda: reply.message.tokens == 2)  # both pieces: the server now hangs
    session.stop()
    message = await session.wait(reply)
    request = await demo_server.await_disconnect()
    assert request is demo_server.chat_requests[-1]
    assert (message.content, message.status) == ("Half an answer", Status.CANCELLED)
    assert not session.streaming
    await session.aclose()
    with Store(path) as store:
        _record, messages = store.load_conversation(store.last_conversation_id() or 0)
    assert (messages[-1].content, messages[-1].status) == ("Half an answer", Status.CANCELLED)


async def test_retry_asks_again_and_keeps_the_failed_reply_as_an_alternative(demo_server, tmp_path):
    session, view, path = session_on(demo_server, tmp_path)
    demo_server.push(Parrot(text="Not this.", drop_after=3))
    failed = await session.wait(await session.send("again?"))
    assert failed.status is Status.INTERRUPTED and failed.error and failed.content
    demo_server.push(Parrot(text="Yes, this."))
    retried = await session.retry()
    assert retried is not None
    assert ("path", [failed.content], []) in view.events
    message = await session.wait(retried)
    assert session.alternatives(1) == (2, 2)
    assert message.content == "Yes, this."
    assert [m.content for m in session.conversation.messages] == ["again?", "Yes, this."]
    # The request carried the prompt once, without the failed reply.
    assert demo_server.chat_requests[-1].body["messages"] == [{"role": "user", "content": "again?"}]
    await session.aclose()
    with Store(path) as store:
        _record, messages = store.load_conversation(store.last_conversation_id() or 0)
        _record, tree, _active = store.load_tree(store.last_conversation_id() or 0)
    assert [m.content for m in messages] == ["again?", "Yes, this."]
    assert [m.content for m in tree] == ["again?", failed.content, "Yes, this."]


async def test_a_provider_that_cannot_be_reached_ends_the_reply_with_a_sentence(tmp_path):
    settings = load_settings(config_path=tmp_path / "none.toml", env={}, demo=True)
    session = ChatSession(settings, error_log=ErrorLog(None), history=History())
    view = Recorder()
    session.attach(view)
    message = await session.wait(await session.send("hello"))  # the demo was never started
    assert message.status is Status.ERROR
    assert message.error == "The provider demo cannot be reached."
    assert view.events[-1] == ("ended", Status.ERROR)


# --- print mode and the TUI build the same reply -----------------------------------------------


def mixed_stream() -> Script:
    """Reasoning, text, two tool calls in fragments, no usage, cut at the token limit."""
    return Script(
        [
            sse(chunk(reasoning="Let me think.")),
            sse(chunk(reasoning=" Done.")),
            sse(chunk("Calling ")),
            sse(chunk("tools.")),
            sse(chunk(tool_calls=[tool_call(0, "call_1", "get_weather", '{"city"')])),
            sse(chunk(tool_calls=[tool_call(0, arguments=': "Lima"}')])),
            sse(chunk(tool_calls=[tool_call(1, "call_2", "get_time", "{}")])),
            sse(chunk(finish_reason="length")),
            DONE,
        ]
    )


def stored_reply(path: Path) -> Message:
    with Store(path) as store:
        _record, messages = store.load_conversation(store.last_conversation_id() or 0)
    return messages[-1]


def comparable(message: Message) -> tuple[object, ...]:
    calls = [(call.id, call.name, call.arguments) for call in message.tool_calls]
    return (
        message.content,
        message.reasoning,
        calls,
        message.notice,
        message.status,
        message.tokens,
    )


async def test_print_mode_and_the_tui_store_and_count_the_same_stream(
    demo_server: DemoServer, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    demo_server.push(mixed_stream())
    result = parrotchat("-p", "same", "--stats", env=with_server(clean_env, demo_server))
    assert result.returncode == 0, result.stderr
    printed = stored_reply(Path(clean_env["XDG_DATA_HOME"]) / "parrotchat" / "parrotchat.db")
    print_tokens = re.search(r"stats: .*?(\d+) tokens", result.stderr)
    assert print_tokens is not None, result.stderr

    demo_server.push(mixed_stream())
    tui_history = tmp_path / "tui" / "parrotchat.db"
    app = offline_demo_app(demo_server.base_url, tmp_path / "tui", history=tui_history)
    async with app.run_test(size=(120, 36)) as pilot:
        await send_prompt(pilot, "same")
        shown = await wait_for_reply(pilot)
        await app.history.drain()
        tui_stats = format_stats(shown)
    shown_by_tui = stored_reply(tui_history)

    assert comparable(printed) == comparable(shown_by_tui) == comparable(shown)
    assert printed.content == "Calling tools." and printed.reasoning == "Let me think. Done."
    assert [call.name for call in printed.tool_calls] == ["get_weather", "get_time"]
    assert printed.notice is not None and "token limit" in printed.notice
    # Every reasoning, text and tool-call fragment is a token, on both faces.
    assert printed.tokens == 7
    assert f"{print_tokens.group(1)} tokens" in tui_stats


async def test_a_retry_is_one_sentence_that_counts_down_and_esc_cancels_the_wait(
    demo_server, tmp_path
):
    session, view, _path = session_on(demo_server, tmp_path)
    demo_server.push(HTTPError(429, headers={"Retry-After": "3"}))
    demo_server.push(Parrot(text="at last"))
    reply = await session.send("hi")
    message = await session.wait(reply)
    assert (message.status, message.content) == (Status.COMPLETE, "at last")
    notices = [text for kind, text in view.events if kind == "notice"]
    assert notices[0] == (
        "Rate limited (429 Too Many Requests: Too Many Requests); retrying in 3 s (attempt 1 of 2)."
    ), notices
    countdown = [text for text in notices if text and "retrying in" in text]
    assert [re.search(r"in (\d) s", text).group(1) for text in countdown] == ["3", "2", "1"]
    assert notices[-1] is None  # gone at the first token

    demo_server.push(HTTPError(429, headers={"Retry-After": "30"}))
    waiting = await session.send("again")
    await view.until(lambda: waiting.builder.notice is not None)
    session.stop()  # Esc while it waits: no 30 s wait, no second request
    stopped = await asyncio.wait_for(session.wait(waiting), 5)
    assert stopped.status is Status.CANCELLED
    assert len(demo_server.chat_requests) == 3
    await session.aclose()
