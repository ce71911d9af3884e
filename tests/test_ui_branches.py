"""Branching in the real app: edit and resend (`e`), ask again (Ctrl+R, `r`), alternatives
(`‹ 2/3 ›`, Left/Right), the requests carrying the active path only, and `-c` coming back to
the branch that was shown."""

from __future__ import annotations

from pathlib import Path

from parrotchat.core.conversation import Role
from parrotchat.core.history import LAST
from parrotchat.core.store import Store
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import Parrot
from parrotchat.ui.app import ParrotChatApp
from parrotchat.ui.testing import (
    history_demo_app,
    history_file,
    send_prompt,
    wait_for_reply,
    wait_until,
)

SIZE = (120, 40)


async def chat(pilot, server: DemoServer, prompt: str, answer: str) -> None:
    server.push(Parrot(text=answer))
    await send_prompt(pilot, prompt)
    await wait_for_reply(pilot)


def on_screen(app: ParrotChatApp) -> list[str]:
    return [view.message.content for view in app.chat_log.message_views()]


def alternatives(app: ParrotChatApp) -> list[tuple[int, int]]:
    return [view.alternatives for view in app.chat_log.message_views()]


async def focus_first_prompt(pilot, app: ParrotChatApp) -> None:
    await pilot.press("alt+up")
    while app.chat_log.focused_view is not app.chat_log.message_views()[0]:
        await pilot.press("shift+up")


async def three_turns(pilot, server: DemoServer) -> None:
    for prompt, answer in (("first", "one"), ("second", "two"), ("third", "three")):
        await chat(pilot, server, prompt, answer)


async def test_edit_resend_switch_and_continue_on_the_branch_shown(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await three_turns(pilot, demo_server)
        await focus_first_prompt(pilot, app)
        await pilot.press("e")
        assert app.prompt.text == "first" and app.prompt.has_focus
        assert "Editing message 1" in str(app.prompt.border_title)
        app.prompt.load_text("first, edited")
        demo_server.push(Parrot(text="one, again"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: on_screen(app) == ["first, edited", "one, again"])
        await wait_for_reply(pilot)
        assert demo_server.chat_requests[-1].body["messages"] == [
            {"role": "user", "content": "first, edited"}
        ]
        assert alternatives(app) == [(2, 2), (1, 1)]
        assert app.prompt.border_title is None

        # Back to the first branch, whole, with Left on the focused first prompt.
        await focus_first_prompt(pilot, app)
        await pilot.press("left")
        await wait_until(
            pilot, lambda: on_screen(app) == ["first", "one", "second", "two", "third", "three"]
        )
        assert alternatives(app)[0] == (1, 2)
        view = app.chat_log.message_views()[0]
        assert "‹ 1/2 ›" in str(view.query_one(".alternatives").render())
        # The next request carries exactly the path on screen.
        await pilot.press("escape")
        await chat(pilot, demo_server, "fourth", "four")
        sent = [m["content"] for m in demo_server.chat_requests[-1].body["messages"]]
        assert sent == ["first", "one", "second", "two", "third", "three", "fourth"]
        await app.history.drain()

    again = history_demo_app(demo_server.base_url, tmp_path, resume=LAST)
    async with again.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(on_screen(again)) == 8)
        assert on_screen(again)[-2:] == ["fourth", "four"]
        assert alternatives(again)[0] == (1, 2)
    with Store(history_file(tmp_path)) as store:
        _record, tree, _active = store.load_tree(store.last_conversation_id() or 0)
    assert len(tree) == 6 + 2 + 2


async def test_ctrl_r_asks_again_and_keeps_the_earlier_answer(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await chat(pilot, demo_server, "a question", "answer one")
        demo_server.push(Parrot(text="answer two"))
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: on_screen(app) == ["a question", "answer two"])
        await wait_for_reply(pilot)
        assert alternatives(app) == [(1, 1), (2, 2)]
        assert [m["content"] for m in demo_server.chat_requests[-1].body["messages"]] == [
            "a question"
        ]
        # `r` on the focused reply asks again too; Left and Right flip between the answers.
        await pilot.press("alt+up")
        demo_server.push(Parrot(text="answer three"))
        await pilot.press("r")
        await wait_until(pilot, lambda: on_screen(app)[-1] == "answer three")
        await wait_for_reply(pilot)
        assert alternatives(app)[-1] == (3, 3)
        await pilot.press("alt+up", "left")
        await wait_until(pilot, lambda: on_screen(app)[-1] == "answer two")
        await pilot.press("left")
        await wait_until(pilot, lambda: on_screen(app)[-1] == "answer one")
        assert alternatives(app)[-1] == (1, 3)
        await pilot.press("left")  # nothing further that way: the screen stays
        assert on_screen(app)[-1] == "answer one"
        await app.history.drain()
    with Store(history_file(tmp_path)) as store:
        _record, path = store.load_conversation(store.last_conversation_id() or 0)
        _record, tree, _active = store.load_tree(store.last_conversation_id() or 0)
    assert [m.content for m in path] == ["a question", "answer one"]
    replies = [m.content for m in tree if m.role is Role.ASSISTANT]
    assert replies == ["answer one", "answer two", "answer three"]


def footer_keys(app: ParrotChatApp, description: str) -> list[str]:
    """The keys the footer shows for `description`: as Textual's footer draws them, the first
    key of each action."""
    shown: dict[str, str] = {}
    for active in app.active_bindings.values():
        binding = active.binding
        if binding.show and active.enabled and binding.description == description:
            shown.setdefault(binding.action, app.get_key_display(binding))
    return list(shown.values())


async def test_on_a_focused_reply_ctrl_r_asks_again_for_that_reply_and_shows_once(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await chat(pilot, demo_server, "first", "one")
        await chat(pilot, demo_server, "second", "two")
        assert footer_keys(app, "Ask again") == ["^r"]  # the prompt: the last reply's
        await pilot.press("alt+up", "up")
        await wait_until(pilot, lambda: app.chat_log.focused_view is not None)
        assert app.chat_log.focused_view.message.content == "one"
        assert footer_keys(app, "Ask again") == ["r"]  # not `r` and `^r` side by side
        demo_server.push(Parrot(text="one again"))
        await pilot.press("ctrl+r")  # the focused reply's, not the last one's
        await wait_until(pilot, lambda: on_screen(app) == ["first", "one again"])
        await wait_for_reply(pilot)
        assert alternatives(app) == [(1, 1), (2, 2)]
        assert [m["content"] for m in demo_server.chat_requests[-1].body["messages"]] == ["first"]


async def test_esc_in_the_empty_prompt_abandons_an_edit(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await chat(pilot, demo_server, "keep me", "kept")
        await focus_first_prompt(pilot, app)
        await pilot.press("e")
        assert app.editing is not None
        app.prompt.clear()
        await pilot.press("escape")
        assert app.editing is None and app.prompt.border_title is None
        await chat(pilot, demo_server, "a new turn", "after")
        assert on_screen(app) == ["keep me", "kept", "a new turn", "after"]
        assert alternatives(app) == [(1, 1)] * 4


async def test_a_search_opens_the_branch_where_it_found_the_words(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await chat(pilot, demo_server, "tell me a fact", "kingfishers dive")
        demo_server.push(Parrot(text="herons wade"))
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: on_screen(app)[-1] == "herons wade")
        await wait_for_reply(pilot)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: on_screen(app) == [])
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: app.focused is app.chats.query_one("#chat-search"))
        await pilot.press(*"kingfishers")
        await wait_until(
            pilot,
            lambda: (
                app.chats.shown_query == "kingfishers"
                and len(app.chats.visible_conversations()) == 1
            ),
            what="the hit in the earlier answer",
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: on_screen(app) == ["tell me a fact", "kingfishers dive"])
        assert alternatives(app)[-1] == (1, 2)
        await app.history.drain()
    with Store(history_file(tmp_path)) as store:
        _record, path = store.load_conversation(store.last_conversation_id() or 0)
    assert path[-1].content == "kingfishers dive"  # remembered as the branch shown
