"""A long reopened conversation opens at its end; older messages go in above as the reader goes up.

The real app (`--continue` on a real temp database) against the demo server; nothing is sent.
"""

from __future__ import annotations

from pathlib import Path

from parrotchat.core.conversation import Message, Role, Status
from parrotchat.core.history import LAST
from parrotchat.core.store import Store
from parrotchat.demo.behaviours import Parrot
from parrotchat.ui.message_view import MessageView
from parrotchat.ui.older_messages import OlderMessages
from parrotchat.ui.testing import (
    history_demo_app,
    history_file,
    send_prompt,
    wait_for_reply,
    wait_until,
)

SIZE = (100, 30)
TURNS = 150


def store_long_conversation(tmp_path: Path, turns: int = TURNS) -> list[str]:
    """Store `turns` prompts and answers; return every message's text, oldest first."""
    texts = []
    with Store(history_file(tmp_path)) as store:
        cid = store.create_conversation(system_prompt=None, model="parrot", provider="demo")
        for number in range(turns):
            question = f"question {number}"
            answer = f"Answer {number}.\n\n" + "\n".join(f"- point {n}" for n in range(6))
            store.add_message(cid, Message(Role.USER, question))
            store.add_message(
                cid,
                Message(
                    Role.ASSISTANT, answer, model="parrot", provider="demo", status=Status.COMPLETE
                ),
            )
            texts += [question, answer]
    return texts


def shown_texts(app) -> list[str]:
    return [view.message.content for view in app.chat_log.message_views()]


def last_answer_shown(app, texts: list[str]) -> bool:
    return texts[-1].splitlines()[0] in screen_text(app)


def screen_text(app) -> str:
    """The text on the app's screen, line by line, as the terminal shows it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_a_long_conversation_opens_at_its_end_with_older_messages_waiting(
    demo_server, tmp_path
):
    texts = store_long_conversation(tmp_path)
    app = history_demo_app(demo_server.base_url, tmp_path, resume=LAST)
    async with app.run_test(size=SIZE) as pilot:
        chat_log = app.chat_log
        await wait_until(pilot, lambda: last_answer_shown(app, texts), what="the last answer")
        shown = shown_texts(app)
        # Only the end is mounted, in order, and the rest waits above it.
        assert 0 < len(shown) < 40
        assert shown == texts[-len(shown) :]
        assert chat_log.waiting_messages == len(texts) - len(shown)
        older = chat_log.query_one(OlderMessages)
        assert f"{chat_log.waiting_messages:,} earlier messages" in str(older.render())
        # The whole conversation is there for the next request, and nothing was sent.
        assert [m.content for m in app.conversation.messages] == texts
        assert not [r for r in demo_server.requests if r.is_chat]


async def test_scrolling_up_mounts_older_messages_without_moving_what_the_reader_sees(
    demo_server, tmp_path
):
    texts = store_long_conversation(tmp_path, turns=60)
    app = history_demo_app(demo_server.base_url, tmp_path, resume=LAST)
    async with app.run_test(size=SIZE) as pilot:
        chat_log = app.chat_log
        await wait_until(pilot, lambda: last_answer_shown(app, texts), what="the last answer")
        waiting = chat_log.waiting_messages
        # Scroll up until the second mounted prompt is 3 lines below the top of the log: that
        # is close enough to the top for older messages to go in above.
        prompt = chat_log.message_views()[2]
        assert prompt.message.role is Role.USER and prompt.virtual_region.y > 3
        chat_log.scroll_to(y=prompt.virtual_region.y - 3, animate=False)
        await wait_until(pilot, lambda: chat_log.waiting_messages < waiting, what="older ones")
        await pilot.pause()
        assert not chat_log.following
        assert chat_log.message_views().index(prompt) > 2
        # The message the reader looked at has not moved on screen.
        row = chat_log.region.y + chat_log.styles.padding.top + 3
        assert app.screen.find_widget(prompt).region.y == row
        lines = screen_text(app).splitlines()
        assert "You" in lines[row] and prompt.message.content in lines[row + 1]

        # Going on up reaches the first message; every message is then there, in order.
        while chat_log.waiting_messages:
            chat_log.scroll_home(animate=False)
            await pilot.pause()
        await wait_until(pilot, lambda: len(chat_log.message_views()) == len(texts))
        assert shown_texts(app) == texts
        assert not chat_log.query(OlderMessages)


async def test_a_prompt_after_reopening_a_long_conversation_carries_all_of_it(
    demo_server, tmp_path
):
    texts = store_long_conversation(tmp_path, turns=60)
    app = history_demo_app(demo_server.base_url, tmp_path, resume=LAST)
    async with app.run_test(size=SIZE) as pilot:
        await send_prompt(pilot, "and then?")
        await wait_for_reply(pilot)
        sent = demo_server.requests[-1].body["messages"]
        assert [m["content"] for m in sent[: len(texts)]] == texts
        assert sent[len(texts)]["content"] == "and then?"
        # The new turn is at the bottom, after the mounted end of the old conversation.
        views = app.chat_log.message_views()
        assert isinstance(views[-1], MessageView)
        assert views[-2].message.content == "and then?"
        assert views[-3].message.content == texts[-1]


async def test_a_conversation_growing_on_screen_sets_its_oldest_messages_aside(
    demo_server, tmp_path
):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        chat_log = app.chat_log
        prompts = [f"Tell me about perch {n}, 300 tokens" for n in range(5)]
        for prompt in prompts:
            await send_prompt(pilot, prompt)
            await wait_for_reply(pilot)
        # The oldest turns wait above; the newest are on screen and the view follows.
        await wait_until(pilot, lambda: chat_log.waiting_messages > 0, what="messages set aside")
        texts = [message.content for message in app.conversation.messages]
        shown = shown_texts(app)
        assert shown == texts[-len(shown) :]
        assert chat_log.waiting_messages == len(texts) - len(shown)
        assert chat_log.following
        assert chat_log.scroll_y == chat_log.max_scroll_y > 0

        # Scrolling up brings every message back, in order; the next request carries them all.
        while chat_log.waiting_messages:
            chat_log.scroll_home(animate=False)
            await pilot.pause()
        await wait_until(pilot, lambda: len(chat_log.message_views()) == len(texts))
        assert shown_texts(app) == texts
        await send_prompt(pilot, "and then?")
        await wait_for_reply(pilot)
        sent = [m["content"] for m in demo_server.requests[-1].body["messages"]]
        assert sent == [*texts, "and then?"]


async def test_a_reopened_conversation_never_sends_stored_escape_sequences_to_the_terminal(
    demo_server, tmp_path
):
    # The history keeps the model's raw words (an imported file can hold anything too).
    hostile = "copy \x1b]52;c;aGFja2Vk\x1b\\ done \x9b2J\x07"
    with Store(history_file(tmp_path)) as store:
        cid = store.create_conversation(system_prompt=None, model="parrot", provider="demo")
        store.add_message(cid, Message(Role.USER, "ask \x1b[2J"))
        store.add_message(
            cid,
            Message(
                Role.ASSISTANT,
                hostile,
                reasoning="think \x1b[31mred",
                model="parrot",
                provider="demo",
                status=Status.ERROR,
                error="failed \x1b]0;title\x07",
            ),
        )
    app = history_demo_app(demo_server.base_url, tmp_path, resume=LAST)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "copy" in screen_text(app), what="the reply")
        screen = app.export_screenshot()
        for control in ("\x1b", "\x9b", "\x07"):
            assert control not in screen
        text = screen_text(app)
        for shown in ("ask ␛[2J", "␛]52;c;aGFja2Vk␛", "think ␛[31mred", "failed ␛]0;title"):
            assert shown in text
        # The conversation still holds the words as they were.
        assert app.conversation.messages[-1].content == hostile


async def test_asking_again_for_a_long_last_answer_brings_its_prompt_back_on_screen(
    demo_server, tmp_path
):
    texts = store_long_conversation(tmp_path, turns=60)
    long_answer = "Long answer.\n\n" + "\n".join(f"- line {n}" for n in range(150))
    with Store(history_file(tmp_path)) as store:
        cid = store.last_conversation_id() or 0
        store.add_message(cid, Message(Role.USER, "the long one"))
        store.add_message(
            cid,
            Message(
                Role.ASSISTANT, long_answer, model="parrot", provider="demo", status=Status.COMPLETE
            ),
        )
    texts += ["the long one", long_answer]
    app = history_demo_app(demo_server.base_url, tmp_path, resume=LAST)
    async with app.run_test(size=SIZE) as pilot:
        chat_log = app.chat_log
        await wait_until(pilot, lambda: "line 149" in screen_text(app), what="the answer")
        assert shown_texts(app) == [long_answer]  # it fills the last screens on its own
        demo_server.push(Parrot(text="A short answer."))
        await pilot.press("ctrl+r")
        await wait_for_reply(pilot)
        await wait_until(pilot, lambda: "A short answer." in screen_text(app), what="the reply")
        await pilot.pause()
        # The prompt asked again is back on screen above the new answer, with the messages
        # that fill the screens above it, in order, the rest still waiting.
        shown = shown_texts(app)
        assert shown[-2:] == ["the long one", "A short answer."]
        assert "the long one" in screen_text(app)
        assert shown[:-1] == texts[-len(shown) : -1]
        assert chat_log.waiting_messages == len(texts) - len(shown)
