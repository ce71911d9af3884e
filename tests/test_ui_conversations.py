"""The Chats view, driven through Pilot: list, search, open, rename, delete and undo, export,
continue after a restart, and two windows on one database.

The real app against the demo server (`demo_server` from `conftest.py`) and a real SQLite file
in `tmp_path`.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from textual.geometry import Region
from textual.widgets import Input
from textual.widgets._toast import Toast

from parrotchat.core.conversation import Role, Status
from parrotchat.core.history import LAST, open_history
from parrotchat.core.store import ConversationNotFound, Store
from parrotchat.demo.behaviours import Parrot, Script, chunk, sse
from parrotchat.ui.app import ParrotChatApp
from parrotchat.ui.conversation_list import MATCH_STYLE, ChatEntry
from parrotchat.ui.dialogs import ConfirmDialog, RenameDialog
from parrotchat.ui.testing import (
    history_demo_app,
    history_file,
    press_now,
    send_prompt,
    wait_for_reply,
    wait_until,
)

if TYPE_CHECKING:
    from textual.content import Content
    from textual.pilot import Pilot

    from parrotchat.demo.server import DemoServer

SIZE = (120, 36)


def titles(app: ParrotChatApp) -> list[str]:
    return [title for _id, title in app.chats.visible_conversations()]


def notices(app: ParrotChatApp) -> list[str]:
    return [notification.message for notification in app._notifications]


def exported(app: ParrotChatApp) -> list[str]:
    return [notice for notice in notices(app) if notice.startswith("Exported")]


def matches(content: Content | None) -> list[str]:
    """The pieces of `content` drawn as search matches."""
    if content is None:
        return []
    return [
        content.plain[span.start : span.end] for span in content.spans if span.style == MATCH_STYLE
    ]


async def chat(
    pilot: Pilot[None], server: DemoServer, prompt: str, answer: str, *, new: bool = True
) -> None:
    """One turn (in a new conversation unless `new` is False), stored before returning."""
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    if new and app.conversation.messages:
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.conversation.messages)
    server.push(Parrot(text=answer, reasoning=""))
    await send_prompt(pilot, prompt)
    await wait_for_reply(pilot)
    await app.history.drain()


async def show_chats(pilot: Pilot[None]) -> Input:
    """Ctrl+L, and wait for the cursor in the search box."""
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    await pilot.press("ctrl+l")
    search = app.chats.query_one("#chat-search", Input)
    await wait_until(pilot, lambda: app.focused is search, what="the search box")
    return search


async def open_by_search(pilot: Pilot[None], words: str, title: str) -> None:
    """Find a conversation by typing in the search box, then Enter on the first hit."""
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    await show_chats(pilot)
    await pilot.press(*words)
    await wait_until(pilot, lambda: titles(app)[:1] == [title], what=f"{title!r} first")
    await pilot.press("enter")
    await wait_until(pilot, lambda: app.title == title, what=f"{title!r} open")
    await wait_until(pilot, lambda: app.focused is app.prompt, what="the prompt")


def stored_conversations(tmp_path: Path) -> dict[str, list[tuple[Role, str]]]:
    """title -> (role, content) of each stored conversation not in the trash."""
    with Store(history_file(tmp_path)) as store:
        return {
            record.title: [(m.role, m.content) for m in store.load_conversation(record.id)[1]]
            for record in store.list_conversations()
        }


async def test_the_list_is_newest_first_and_marks_the_conversation_on_screen(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert app.sidebar_tabs.active == "chats-tab"
        empty = ["No conversations yet: your chats will appear here."]
        await wait_until(pilot, lambda: app.chats.notes() == empty, what="the empty list's note")
        for prompt in ("first [bold]question[/]", "second\x1b[2J question", "third question"):
            await chat(pilot, demo_server, prompt, "Squawk.")
        await wait_until(pilot, lambda: len(titles(app)) == 3)
        assert titles(app) == ["third question", "second␛[2J question", "first [bold]question[/]"]
        current = app.session.conversation_id
        assert current is not None and app.chats.current == current
        marked = [
            cid for cid, _t in app.chats.visible_conversations() if app.chats.entry(cid).current
        ]
        assert marked == [current]
        entry = app.chats.entry(current)
        assert isinstance(entry, ChatEntry)
        assert entry.detail.plain == "just now · parrot"
        assert app.title == "third question"


async def test_search_shows_the_hits_with_the_matches_highlighted(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await chat(pilot, demo_server, "tell me about parrots", "Parrots mimic cats and dogs.")
        await chat(pilot, demo_server, "and dogs?", "Dogs bark.")
        await chat(pilot, demo_server, "cats please", "Cats purr.")
        search = await show_chats(pilot)
        press_now(pilot, *"mimic ca")  # typed faster than a search runs: the last query wins
        await wait_until(pilot, lambda: app.chats.shown_query == "mimic ca")
        assert titles(app) == ["tell me about parrots"]
        ((cid, _title),) = app.chats.visible_conversations()
        entry = app.chats.entry(cid)
        assert entry is not None and entry.snippet is not None
        assert matches(entry.snippet) == ["mimic", "cats"]
        assert "Parrots mimic cats and dogs." in entry.snippet.plain

        search.value = "cats"
        await wait_until(pilot, lambda: titles(app) == ["cats please", "tell me about parrots"])
        title_hit = app.chats.entry(app.chats.visible_conversations()[0][0])
        assert title_hit is not None and matches(title_hit.title) == ["cats"]

        search.value = "zebra"
        await wait_until(pilot, lambda: app.chats.notes() == ["No conversations match."])
        assert titles(app) == []

        await pilot.press("escape")  # clears the search: the recent list is back
        await wait_until(pilot, lambda: len(titles(app)) == 3)
        assert search.value == ""


async def test_opening_restores_messages_model_and_system_prompt_and_sends_nothing(
    demo_server, tmp_path
):
    first = history_demo_app(
        demo_server.base_url, tmp_path, system="Be brief.", model="parrot-think"
    )
    async with first.run_test(size=SIZE) as pilot:
        await chat(pilot, demo_server, "what is a parrot", "A bird.")

    # A restart with other settings: the stored conversation is listed and brings its own.
    app = history_demo_app(demo_server.base_url, tmp_path, model="parrot-fast")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: titles(app) == ["what is a parrot"])
        await chat(pilot, demo_server, "something else", "Other.")
        sent = len(demo_server.chat_requests)
        await open_by_search(pilot, "parrot", "what is a parrot")
        contents = [view.message.content for view in app.chat_log.message_views()]
        assert contents == ["what is a parrot", "A bird."]
        assert (app.provider, app.model) == ("demo", "parrot-think")
        assert app.sidebar.current == ("demo", "parrot-think")
        assert app.conversation.system_prompt == "Be brief."
        assert "parrot-think" in app.sub_title
        await pilot.pause()
        assert len(demo_server.chat_requests) == sent

        await chat(pilot, demo_server, "and its colour?", "Green.", new=False)
        body = demo_server.chat_requests[sent].body
        assert body["model"] == "parrot-think"
        assert body["messages"] == [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "what is a parrot"},
            {"role": "assistant", "content": "A bird."},
            {"role": "user", "content": "and its colour?"},
        ]

        # Ctrl+N goes back to the configured system prompt and keeps the model in use.
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.conversation.messages)
        assert app.conversation.system_prompt is None
        assert app.title == "parrotchat"
        await chat(pilot, demo_server, "fresh start", "Hi.", new=False)
        body = demo_server.chat_requests[-1].body
        assert body["messages"] == [{"role": "user", "content": "fresh start"}]
        assert body["model"] == "parrot-think"
    stored = stored_conversations(tmp_path)
    assert stored["what is a parrot"] == [
        (Role.USER, "what is a parrot"),
        (Role.ASSISTANT, "A bird."),
        (Role.USER, "and its colour?"),
        (Role.ASSISTANT, "Green."),
    ]
    assert set(stored) == {"what is a parrot", "something else", "fresh start"}


async def test_opening_by_click_while_a_reply_streams_saves_it_cancelled(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await chat(pilot, demo_server, "older chat", "Done.")
        await pilot.press("ctrl+n")
        demo_server.push(Script([sse(chunk("Partial "))], end="hang"))
        reply = await send_prompt(pilot, "streaming chat")
        await wait_until(pilot, lambda: reply.content == "Partial ")
        await wait_until(pilot, lambda: titles(app) == ["streaming chat", "older chat"])
        older_id = app.chats.visible_conversations()[1][0]
        chat_list = app.chats.query_one("#chat-list")
        # The second entry: two lines per conversation, no search snippet.
        gutter = chat_list.gutter
        assert await pilot.click(chat_list, offset=(gutter.left + 2, gutter.top + 2))
        await wait_until(pilot, lambda: app.session.conversation_id == older_id)
        await wait_until(pilot, lambda: len(app.chat_log.message_views()) == 2)
        assert not app.streaming
        await app.history.drain()
    with Store(history_file(tmp_path)) as store:
        record = next(r for r in store.list_conversations() if r.title == "streaming chat")
        _record, messages = store.load_conversation(record.id)
    assert (messages[-1].status, messages[-1].content) == (Status.CANCELLED, "Partial ")


async def test_rename_refuses_an_empty_title_and_stores_a_new_one(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await chat(pilot, demo_server, "old title", "Ok.")
        await show_chats(pilot)
        await pilot.press("down", "r")
        await wait_until(pilot, lambda: isinstance(app.screen, RenameDialog))
        title_input = app.screen.query_one("#title", Input)
        assert title_input.value == "old title"
        title_input.value = "   "
        await pilot.press("enter")
        problem = app.screen.query_one("#problem")
        await wait_until(pilot, lambda: problem.display)
        assert "cannot be empty" in str(problem.render())
        assert isinstance(app.screen, RenameDialog)

        title_input.value = "A [b]better[/b] title"
        await pilot.press("enter")
        await wait_until(pilot, lambda: titles(app) == ["A [b]better[/b] title"])
        assert app.title == "A [b]better[/b] title"
    assert list(stored_conversations(tmp_path)) == ["A [b]better[/b] title"]


async def test_delete_asks_first_then_ctrl_z_brings_it_back(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await chat(pilot, demo_server, "keep me", "Ok.")
        await chat(pilot, demo_server, "delete me", "Ok.")
        await pilot.press("ctrl+n")
        await show_chats(pilot)
        await wait_until(pilot, lambda: titles(app) == ["delete me", "keep me"])
        await pilot.press("down", "delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")  # changed my mind
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        assert titles(app) == ["delete me", "keep me"]

        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")
        await wait_until(pilot, lambda: titles(app) == ["keep me"])
        assert "Deleted “delete me” · Ctrl+Z to undo" in notices(app)
        with Store(history_file(tmp_path)) as store:  # in the trash: Ctrl+Z brings it back
            assert [record.title for record in store.list_conversations()] == ["keep me"]

        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: titles(app) == ["delete me", "keep me"])
        assert "Restored “delete me”." in notices(app)
        assert app.chats.query_one("#chat-list").has_focus
    assert list(stored_conversations(tmp_path)) == ["delete me", "keep me"]


async def test_deleting_the_conversation_on_screen_starts_a_new_chat(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await chat(pilot, demo_server, "on screen", "Ok.")
        await pilot.press("ctrl+p")
        await pilot.press(*"delete conversation")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.chat_log.message_views())
        assert app.session.conversation_id is None
        assert app.title == "parrotchat"
        empty = ["No conversations yet: your chats will appear here."]
        await wait_until(pilot, lambda: app.chats.notes() == empty)

        # Undo brings it back onto the screen, since nothing replaced it.
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: app.title == "on screen")
        await wait_until(pilot, lambda: len(app.chat_log.message_views()) == 2)
        await chat(pilot, demo_server, "more", "Sure.", new=False)
    assert stored_conversations(tmp_path)["on screen"][2:] == [
        (Role.USER, "more"),
        (Role.ASSISTANT, "Sure."),
    ]


async def test_retrying_a_reply_opened_from_the_list_replaces_it_in_the_history(
    demo_server, tmp_path
):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(Script([sse(chunk("half")), sse({"error": {"message": "boom"}})]))
        await send_prompt(pilot, "flaky")
        await wait_for_reply(pilot)
        await chat(pilot, demo_server, "other", "Ok.")
        await open_by_search(pilot, "flaky", "flaky")
        demo_server.push(Parrot(text="Whole answer."))
        press_now(pilot, "ctrl+r")
        await wait_until(pilot, lambda: app.conversation.messages[-1].content == "Whole answer.")
        await wait_for_reply(pilot)
        await app.history.drain()
    assert stored_conversations(tmp_path)["flaky"] == [
        (Role.USER, "flaky"),
        (Role.ASSISTANT, "Whole answer."),
    ]


async def test_export_writes_markdown_and_json_without_overwriting(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await chat(pilot, demo_server, "Export me, please!", "Here **you** go.")
        for count, command in enumerate(("markdown", "json", "markdown"), start=1):
            await pilot.press("ctrl+p")
            await pilot.press(*f"export {command}")
            await pilot.press("enter")
            await wait_until(pilot, lambda count=count: len(exported(app)) == count)
        folder = tmp_path / "exports"
        written = exported(app)
    names = sorted(path.name for path in folder.iterdir())
    assert names == [
        "parrotchat-export-me-please-2.md",
        "parrotchat-export-me-please.json",
        "parrotchat-export-me-please.md",
    ]
    assert written[0] == f"Exported “Export me, please!” to\n{folder / names[2]}"
    markdown = (folder / names[2]).read_text()
    assert "Export me, please!" in markdown and "Here **you** go." in markdown
    assert (folder / names[0]).read_text() == markdown
    data = json.loads((folder / names[1]).read_text())
    assert data["conversation"]["title"] == "Export me, please!"
    assert [m["content"] for m in data["messages"]] == ["Export me, please!", "Here **you** go."]


async def test_the_export_notice_keeps_the_path_whole_above_the_prompt(
    demo_server, tmp_path, monkeypatch
):
    monkeypatch.setenv("HOME", str(tmp_path))  # the notice writes the home folder as ~
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await chat(pilot, demo_server, "Export me, please!", "Here you go.")
        await pilot.press("ctrl+p", *"export markdown", "enter")
        await wait_until(pilot, lambda: len(exported(app)) == 1)
        await wait_until(pilot, lambda: app.screen.query(Toast), what="the toast")
        toast = app.screen.query_one(Toast)
        await wait_until(pilot, lambda: toast.region.height >= 4, what="the toast laid out")
        whole = Region(0, 0, toast.region.width, toast.region.height)
        lines = [strip.text.strip("▌ ") for strip in toast.render_lines(whole)]
        assert "~/exports/parrotchat-export-me-please.md" in lines, lines
        assert toast.region.bottom <= app.prompt.region.y  # the prompt stays in sight


async def test_continue_after_restart_shows_the_conversation_in_the_list(demo_server, tmp_path):
    first = history_demo_app(demo_server.base_url, tmp_path)
    async with first.run_test(size=SIZE) as pilot:
        await chat(pilot, demo_server, "remember me", "I will.")
    again = history_demo_app(demo_server.base_url, tmp_path, resume=LAST)
    async with again.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: titles(again) == ["remember me"])
        ((cid, _title),) = again.chats.visible_conversations()
        assert again.chats.entry(cid).current
        assert again.title == "remember me"
        await chat(pilot, demo_server, "still there?", "Yes.", new=False)
    assert stored_conversations(tmp_path)["remember me"][2:] == [
        (Role.USER, "still there?"),
        (Role.ASSISTANT, "Yes."),
    ]


async def test_two_windows_on_one_database_both_write_and_see_each_other(demo_server, tmp_path):
    left = history_demo_app(demo_server.base_url, tmp_path)
    right = history_demo_app(demo_server.base_url, tmp_path)
    async with left.run_test(size=SIZE) as lp, right.run_test(size=SIZE) as rp:
        for turn in range(3):
            await chat(
                lp,
                demo_server,
                f"left {turn}" if turn == 0 else f"left more {turn}",
                "L.",
                new=False,
            )
            await chat(
                rp,
                demo_server,
                f"right {turn}" if turn == 0 else f"right more {turn}",
                "R.",
                new=False,
            )
        # Coming back to the Chats view reads the list again: the other window's chat is there.
        await show_chats(lp)
        await wait_until(lp, lambda: titles(left) == ["right 0", "left 0"])
        assert not notices(left) and not notices(right)
    stored = stored_conversations(tmp_path)
    assert [content for _role, content in stored["left 0"]] == [
        "left 0",
        "L.",
        "left more 1",
        "L.",
        "left more 2",
        "L.",
    ]
    assert [content for _role, content in stored["right 0"]] == [
        "right 0",
        "R.",
        "right more 1",
        "R.",
        "right more 2",
        "R.",
    ]


async def test_without_history_the_chats_view_says_so_and_chat_works(demo_server, tmp_path):
    path = history_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database at all\x00" * 64)
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert app.sidebar_tabs.active == "models-tab"
        await show_chats(pilot)
        off = ["History is off: conversations are not being saved."]
        await wait_until(pilot, lambda: app.chats.notes() == off)
        await chat(pilot, demo_server, "hi", "Still here.", new=False)
        assert app.conversation.messages[-1].content == "Still here."
        await pilot.press("ctrl+p")
        await pilot.press(*"rename conversation")
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: any(n.startswith("Nothing to rename") for n in notices(app))
        )


async def test_narrow_terminal_ctrl_l_opens_the_chats_full_width_and_opening_closes_it(
    demo_server, tmp_path
):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await chat(pilot, demo_server, "narrow one", "Ok.")
        await chat(pilot, demo_server, "narrow two", "Ok.")
        assert not app.show_sidebar
        await show_chats(pilot)
        assert app.show_sidebar and app.query_one("#sidebar").size.width == 80
        await pilot.press(*"one")
        await wait_until(pilot, lambda: titles(app) == ["narrow one"])
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.title == "narrow one" and not app.show_sidebar)
        assert app.focused is app.prompt


def test_the_trash_is_emptied_of_old_deletions_when_the_app_starts(tmp_path):
    with Store(history_file(tmp_path)) as store:
        old, recent = store.create_conversation(title="old"), store.create_conversation(title="new")
        store.delete(old)
        store.delete(recent)
    with contextlib.closing(sqlite3.connect(history_file(tmp_path))) as conn, conn:
        conn.execute(
            "UPDATE conversations SET deleted_at = deleted_at - 31 * 86400 WHERE id = ?", (old,)
        )
    history, _resumed = open_history(history_file(tmp_path))
    history.close_now()
    with Store(history_file(tmp_path)) as store:
        with pytest.raises(ConversationNotFound):
            store.get_conversation(old)
        assert store.get_conversation(recent).deleted_at is not None  # still in the trash


async def test_opening_a_conversation_another_window_deleted_says_so_and_history_stays_on(
    demo_server, tmp_path
):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await chat(pilot, demo_server, "doomed", "Ok.")
        await chat(pilot, demo_server, "survivor", "Ok.")
        await show_chats(pilot)
        await wait_until(pilot, lambda: titles(app) == ["survivor", "doomed"])
        doomed = app.chats.visible_conversations()[1][0]
        with Store(history_file(tmp_path)) as other_window:
            other_window.delete(doomed)
            other_window.purge_trash(older_than=0)
        await pilot.press("down", "down", "enter")  # the list on screen is stale
        await wait_until(pilot, lambda: "That conversation no longer exists." in notices(app))
        await wait_until(pilot, lambda: titles(app) == ["survivor"])
        assert app.history.available and app.title == "survivor"
        await chat(pilot, demo_server, "more", "Ok.", new=False)
    survivor = stored_conversations(tmp_path)["survivor"]
    assert [content for _role, content in survivor] == ["survivor", "Ok.", "more", "Ok."]
