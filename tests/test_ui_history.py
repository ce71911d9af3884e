"""The chat screen keeps its conversation in the history: statuses, checkpoints, reopen, failures.

The real app against the demo server (`demo_server` from `conftest.py`) and a temp database.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cli_helpers import parrotchat

from parrotchat.core.conversation import Message, Role, Status
from parrotchat.core.history import LAST
from parrotchat.core.store import Store
from parrotchat.demo.behaviours import Parrot, Script, chunk, sse
from parrotchat.ui.testing import (
    hanging,
    history_demo_app,
    history_file,
    press_now,
    send_prompt,
    wait_for_reply,
    wait_until,
)

if TYPE_CHECKING:
    pass

SIZE = (120, 36)


def stored(tmp_path: Path) -> list[list[Message]]:
    """Every stored conversation's messages, oldest conversation first."""
    with Store(history_file(tmp_path)) as store:
        records = store.list_conversations()
        return [store.load_conversation(record.id)[1] for record in reversed(records)]


async def test_a_turn_is_stored_with_model_provider_and_system_prompt(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path, system="Be brief.")
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(Parrot(text="Squawk."))
        await send_prompt(pilot, "hello parrot")
        await wait_for_reply(pilot)
        await app.history.drain()
        with Store(history_file(tmp_path)) as store:
            record, messages = store.load_conversation(store.last_conversation_id() or 0)
    assert (record.title, record.system_prompt) == ("hello parrot", "Be brief.")
    assert [(m.role, m.content, m.status) for m in messages] == [
        (Role.USER, "hello parrot", Status.COMPLETE),
        (Role.ASSISTANT, "Squawk.", Status.COMPLETE),
    ]
    assert (messages[1].model, messages[1].provider) == ("parrot", "demo")


async def test_a_streaming_reply_is_checkpointed_then_stored_cancelled_on_escape(
    demo_server, tmp_path
):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(hanging("Partial ", "answer"))
        reply = await send_prompt(pilot, "tell me everything")
        await wait_until(pilot, lambda: reply.content == "Partial answer")

        def checkpointed() -> bool:
            (messages,) = stored(tmp_path)
            return messages[-1].content == "Partial answer"

        # The user's message was stored before the request went out; the reply a second later.
        await wait_until(pilot, checkpointed, what="a checkpoint")
        assert stored(tmp_path)[0][-1].status is Status.STREAMING
        press_now(pilot, "escape")
        await wait_for_reply(pilot)
        await app.history.drain()
    (messages,) = stored(tmp_path)
    assert (messages[-1].status, messages[-1].content) == (Status.CANCELLED, "Partial answer")


async def test_quitting_mid_reply_stores_it_cancelled(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(hanging("Partial"))
        reply = await send_prompt(pilot, "x")
        await wait_until(pilot, lambda: reply.content == "Partial")
    reply = stored(tmp_path)[0][-1]
    assert (reply.status, reply.content) == (Status.CANCELLED, "Partial")


async def test_an_error_reply_is_stored_with_its_sentence(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(Script([sse(chunk("half")), sse({"error": {"message": "boom"}})]))
        await send_prompt(pilot, "hi")
        await wait_for_reply(pilot)
        await app.history.drain()
    reply = stored(tmp_path)[0][-1]
    assert (reply.status, reply.content) == (Status.ERROR, "half")
    assert reply.error is not None and "boom" in reply.error


async def test_a_retried_reply_replaces_the_failed_one_in_the_history(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(Script([sse(chunk("half")), sse({"error": {"message": "boom"}})]))
        await send_prompt(pilot, "hi")
        await wait_for_reply(pilot)
        demo_server.push(Parrot(text="Whole answer."))
        press_now(pilot, "ctrl+r")
        await wait_until(pilot, lambda: app.conversation.messages[-1].content == "Whole answer.")
        await wait_for_reply(pilot)
        await app.history.drain()
    [messages] = stored(tmp_path)
    assert [(m.role, m.status, m.content) for m in messages] == [
        (Role.USER, Status.COMPLETE, "hi"),
        (Role.ASSISTANT, Status.COMPLETE, "Whole answer."),
    ]
    with Store(history_file(tmp_path)) as store:
        _record, tree, _active = store.load_tree(store.last_conversation_id() or 0)
    half = next(m for m in tree if m.content == "half")
    assert half.status is Status.ERROR and half.parent_id == messages[0].id


async def test_continue_shows_the_conversation_restores_its_model_and_sends_nothing(
    demo_server, tmp_path
):
    first = history_demo_app(
        demo_server.base_url, tmp_path, system="Be brief.", model="parrot-think"
    )
    async with first.run_test(size=SIZE) as pilot:
        demo_server.push(Parrot(text="First answer.", reasoning=""))
        await send_prompt(pilot, "first question")
        await wait_for_reply(pilot)
    sent = len(demo_server.chat_requests)

    again = history_demo_app(demo_server.base_url, tmp_path, resume=LAST)
    async with again.run_test(size=SIZE) as pilot:
        views = again.chat_log.message_views()
        assert [view.message.content for view in views] == ["first question", "First answer."]
        assert again.model == "parrot-think"
        assert again.conversation.system_prompt == "Be brief."
        await pilot.pause()
        assert len(demo_server.chat_requests) == sent

        demo_server.push(Parrot(text="Second answer."))
        await send_prompt(pilot, "and then?")
        await wait_for_reply(pilot)
        await again.history.drain()
    body = demo_server.chat_requests[sent].body
    assert body["model"] == "parrot-think"
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "First answer."},
        {"role": "user", "content": "and then?"},
    ]
    (messages,) = stored(tmp_path)
    assert [m.content for m in messages][2:] == ["and then?", "Second answer."]


async def test_retrying_a_reopened_failed_reply_keeps_it_as_an_alternative(demo_server, tmp_path):
    first = history_demo_app(demo_server.base_url, tmp_path)
    async with first.run_test(size=SIZE) as pilot:
        demo_server.push(Script([sse(chunk("half")), sse({"error": {"message": "boom"}})]))
        await send_prompt(pilot, "hi")
        await wait_for_reply(pilot)

    again = history_demo_app(demo_server.base_url, tmp_path, resume=LAST)
    async with again.run_test(size=SIZE) as pilot:
        assert again.session.retryable_reply() is not None
        demo_server.push(Parrot(text="Whole answer."))
        press_now(pilot, "ctrl+r")
        await wait_until(pilot, lambda: again.conversation.messages[-1].content == "Whole answer.")
        await wait_for_reply(pilot)
        await again.history.drain()
    [messages] = stored(tmp_path)
    assert [(m.role, m.status, m.content) for m in messages] == [
        (Role.USER, Status.COMPLETE, "hi"),
        (Role.ASSISTANT, Status.COMPLETE, "Whole answer."),
    ]


async def test_ctrl_n_after_continue_goes_back_to_the_configured_system_prompt(
    demo_server, tmp_path
):
    first = history_demo_app(
        demo_server.base_url, tmp_path, system="Talk like a pirate.", model="parrot-think"
    )
    async with first.run_test(size=SIZE) as pilot:
        demo_server.push(Parrot(text="Arr."))
        await send_prompt(pilot, "hello")
        await wait_for_reply(pilot)

    again = history_demo_app(demo_server.base_url, tmp_path, resume=LAST)
    async with again.run_test(size=SIZE) as pilot:
        assert again.conversation.system_prompt == "Talk like a pirate."
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not again.chat_log.message_views())
        demo_server.push(Parrot(text="Hello."))
        sent = len(demo_server.chat_requests)
        await send_prompt(pilot, "a new topic")
        await wait_for_reply(pilot)
    body = demo_server.chat_requests[sent].body
    # The configured (default) system prompt is back; the resumed model stays in use.
    assert body["messages"] == [{"role": "user", "content": "a new topic"}]
    assert body["model"] == "parrot-think"


async def test_resume_reopens_the_given_conversation_and_ctrl_n_starts_another(
    demo_server, tmp_path
):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(Parrot(text="one"), Parrot(text="two"))
        await send_prompt(pilot, "alpha")
        await wait_for_reply(pilot)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.chat_log.message_views())
        await send_prompt(pilot, "beta")
        await wait_for_reply(pilot)
        await app.history.drain()
    assert [[m.content for m in messages] for messages in stored(tmp_path)] == [
        ["alpha", "one"],
        ["beta", "two"],
    ]
    with Store(history_file(tmp_path)) as store:
        first_id = store.list_conversations()[-1].id

    again = history_demo_app(demo_server.base_url, tmp_path, resume=first_id)
    async with again.run_test(size=SIZE):
        contents = [view.message.content for view in again.chat_log.message_views()]
    assert contents == ["alpha", "one"]


async def test_a_corrupt_history_shows_a_notice_and_the_chat_still_works(demo_server, tmp_path):
    path = history_file(tmp_path)
    path.parent.mkdir(parents=True)
    garbage = b"not a database at all\x00" * 64
    path.write_bytes(garbage)
    app = history_demo_app(demo_server.base_url, tmp_path, resume=LAST)
    async with app.run_test(size=SIZE) as pilot:

        def notices() -> list[str]:
            return [n.message for n in app._notifications]

        await wait_until(pilot, notices, what="the notice")
        (notice,) = notices()
        assert notice.startswith("History is unavailable: ") and "damaged" in notice
        demo_server.push(Parrot(text="Still here."))
        reply = await send_prompt(pilot, "hi")
        await wait_for_reply(pilot)
        assert (reply.content, reply.status) == ("Still here.", Status.COMPLETE)
        assert len(app.conversation.messages) == 2
        assert len(notices()) == 1
    assert path.read_bytes() == garbage


def test_resuming_an_unknown_conversation_is_one_line_and_exit_1(clean_env):
    result = parrotchat("--resume", "42", env=clean_env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0] == "parrotchat: error: there is no conversation 42"


async def test_absurd_usage_numbers_neither_lose_the_reply_nor_show_nan(demo_server, tmp_path):
    usage = (
        '{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":100000000000000000000,'
        '"total_tokens":100000000000000000001,"cost":NaN}}'
    )
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(
            Script([sse(chunk("Squawk.")), sse(chunk(finish_reason="stop")), sse(usage)])
        )
        shown = await send_prompt(pilot, "hi")
        await wait_for_reply(pilot)
        await app.history.drain()
    assert shown.usage is not None and shown.usage.cost is None
    reply = stored(tmp_path)[0][-1]
    assert (reply.status, reply.content, reply.tokens) == (Status.COMPLETE, "Squawk.", 2**63 - 1)
