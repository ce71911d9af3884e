"""Comparisons in the real app: columns streaming side by side, one stopped, one failing, one
chosen and carried on, and a comparison reopened as columns."""

from __future__ import annotations

from pathlib import Path

from parrotchat.core.conversation import Status
from parrotchat.core.history import LAST
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import HTTPError, Parrot
from parrotchat.demo.parrot import reply_text
from parrotchat.ui.app import ParrotChatApp
from parrotchat.ui.compare_view import CompareColumn
from parrotchat.ui.message_view import MessageView
from parrotchat.ui.testing import (
    hanging,
    history_demo_app,
    press_now,
    send_prompt,
    wait_for_reply,
    wait_until,
)

WIDE = (160, 50)
NARROW = (80, 24)
PAIR = [("demo", "parrot"), ("demo", "parrot-fast")]


def comparing(server: DemoServer, tmp_path: Path, resume: int | None = None) -> ParrotChatApp:
    app = history_demo_app(server.base_url, tmp_path, resume=resume)
    app.session.compare_next = list(PAIR)
    return app


async def ask(pilot, text: str) -> None:
    app = pilot.app
    app.prompt.load_text(text)
    app.prompt.focus()
    press_now(pilot, "enter")
    await wait_until(pilot, lambda: len(app.compare_view.streams) == 2, what="two columns")


async def all_shown(pilot) -> None:
    app = pilot.app
    view = app.compare_view

    def done() -> bool:
        streams = view.streams.values()
        return bool(streams) and all(s.finished.is_set() for s in streams) and not app.streaming

    await wait_until(pilot, done, what="every column to finish")


def views(column: CompareColumn) -> list[MessageView]:
    return list(column.column_log.query(MessageView))


def answer_of(column: CompareColumn) -> str:
    answer = views(column)[-1].answer
    assert answer is not None
    return answer.source


async def test_each_column_gets_its_own_model_s_text(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = comparing(demo_server, tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await ask(pilot, "which bird talks best?")
        await all_shown(pilot)
        first, second = app.compare_view.columns
        assert answer_of(first) == reply_text("which bird talks best?")
        assert answer_of(second) == reply_text("which bird talks best?", voice="fast:")
        assert (first.model, second.model) == ("parrot", "parrot-fast")
        # Side by side on a wide terminal, each headed by its model, with its own stats.
        assert first.region.y == second.region.y and first.region.x < second.region.x
        assert "demo:parrot-fast" in str(second.query_one(".name").render())
        assert "tokens" in str(views(second)[-1].query_one(".stats").render())
        # The prompt stays in the chat above the columns.
        assert [v.message.content for v in app.chat_log.message_views()] == [
            "which bird talks best?"
        ]


async def test_stopping_one_column_leaves_the_other_streaming(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    demo_server.push_for("parrot", hanging("Half ", "an answer"))
    demo_server.push_for("parrot-fast", hanging("Still ", "going"))
    app = comparing(demo_server, tmp_path)
    async with app.run_test(size=NARROW) as pilot:
        await ask(pilot, "go")
        first, second = (s.builder for s in app.compare_view.streams.values())
        await wait_until(pilot, lambda: first.message.tokens == 2 and second.message.tokens == 2)
        press_now(pilot, "f5")
        await wait_until(pilot, lambda: first.ended, what="the first column to stop")
        await demo_server.await_disconnect()
        assert first.message.status is Status.CANCELLED
        assert first.message.content == "Half an answer"
        assert not second.ended and app.streaming
        columns = app.compare_view.columns
        await wait_until(pilot, lambda: not columns[0].has_class("-streaming"))
        assert columns[1].has_class("-streaming")
        # Stacked on a narrow terminal.
        assert columns[0].region.x == columns[1].region.x
        press_now(pilot, "escape")  # Esc stops every reply still streaming
        await wait_until(pilot, lambda: second.ended and not app.streaming)
        assert second.message.status is Status.CANCELLED
        assert second.message.content == "Still going"


async def test_an_error_in_one_column_stays_in_that_column(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    error = {"error": {"message": "The bird fell off its perch."}}
    demo_server.push_for("parrot-fast", HTTPError(400, error))
    app = comparing(demo_server, tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await ask(pilot, "hello")
        await all_shown(pilot)
        first, second = app.compare_view.columns
        assert answer_of(first) == reply_text("hello")
        assert views(first)[-1].message.status is Status.COMPLETE
        assert not views(first)[-1].query_one(".error").display
        failed = views(second)[-1]
        assert failed.message.status is Status.ERROR
        assert "perch" in str(failed.query_one(".error").render())


async def test_choosing_a_reply_carries_on_with_it_and_only_it(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    demo_server.push_for("parrot", Parrot(text="Answer A."))
    demo_server.push_for("parrot-fast", Parrot(text="Answer B."))
    app = comparing(demo_server, tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await ask(pilot, "first")
        await all_shown(pilot)
        await pilot.press("shift+f6")
        await wait_until(pilot, lambda: not app.compare_view.is_open, what="the columns to go")
        assert [v.message.content for v in app.chat_log.message_views()] == [
            "first",
            "Answer B.",
        ]
        shown = app.chat_log.message_views()[-1]
        assert shown.alternatives == (2, 2)  # the other reply stays, as an alternative
        # The chosen reply's model goes on: the header and the next request say so.
        assert app.sub_title.endswith("demo · parrot-fast")
        demo_server.push(Parrot(text="Answer C."))
        await send_prompt(pilot, "second")
        await wait_for_reply(pilot)
    body = demo_server.chat_requests[-1].body
    assert [m["content"] for m in body["messages"]] == ["first", "Answer B.", "second"]
    assert body["model"] == "parrot-fast"


async def test_the_next_prompt_goes_to_every_column_and_a_reopened_comparison_shows_them(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    demo_server.push_for("parrot", Parrot(text="Answer A."))
    demo_server.push_for("parrot-fast", Parrot(text="Answer B."))
    app = comparing(demo_server, tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await ask(pilot, "first")
        await all_shown(pilot)
        app.prompt.load_text("second")
        press_now(pilot, "enter")
        await wait_until(pilot, lambda: len(views(app.compare_view.columns[0])) == 3)
        await all_shown(pilot)
        assert [v.message.content for v in views(app.compare_view.columns[1])][:2] == [
            "Answer B.",
            "second",
        ]
    sent = {r.body["model"]: r.body["messages"] for r in demo_server.chat_requests[2:]}
    assert [m["content"] for m in sent["parrot-fast"]] == ["first", "Answer B.", "second"]
    again = history_demo_app(demo_server.base_url, tmp_path, resume=LAST)
    async with again.run_test(size=WIDE) as pilot:
        await wait_until(pilot, lambda: again.compare_view.is_open, what="the columns")
        columns = again.compare_view.columns
        assert [c.model for c in columns] == ["parrot", "parrot-fast"]
        assert [v.message.content for v in views(columns[0])] == [
            "Answer A.",
            "second",
            reply_text("second"),
        ]


async def test_models_marked_in_the_sidebar_get_the_next_prompt(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        app.action_compare_models()
        await wait_until(pilot, lambda: app.sidebar.option_list().has_focus)
        app.sidebar.filter_text = "parrot"
        await wait_until(pilot, lambda: len(app.sidebar.visible_models()) == 4)
        app.sidebar.option_list().focus()
        await pilot.press("space", "down", "space")
        assert app.sidebar.marked == PAIR
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session.compare_next == PAIR)
        assert app.prompt.has_focus
        await ask(pilot, "two at once")
        await all_shown(pilot)
        assert [c.model for c in app.compare_view.columns] == ["parrot", "parrot-fast"]


async def test_page_up_scrolls_the_column_focused_last(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = comparing(demo_server, tmp_path)
    async with app.run_test(size=NARROW) as pilot:
        await ask(pilot, "parrots, 600 tokens")
        await all_shown(pilot)
        first, second = (column.column_log for column in app.compare_view.columns)

        def drawn_at_bottom(log) -> bool:
            # Idle time draws what a burst left waiting, which corrects heights: then it rests.
            answers = [view.answer for view in log.query(MessageView)]
            settled = all(a is None or (not a.pending and a.laid_out) for a in answers)
            return settled and log.scroll_y == log.max_scroll_y > 0

        await wait_until(pilot, lambda: drawn_at_bottom(first), what="the first column drawn")
        await wait_until(pilot, lambda: drawn_at_bottom(second), what="the second column drawn")
        second.focus()
        app.prompt.focus()
        before = (first.scroll_y, second.scroll_y)
        await pilot.press("pageup")
        await wait_until(pilot, lambda: second.scroll_y < before[1], what="the second to scroll")
        assert first.scroll_y == before[0]  # the other column stays where it was
        await pilot.press("ctrl+end")
        await wait_until(pilot, lambda: second.scroll_y == second.max_scroll_y)


FOUR = [
    ("demo", "parrot"),
    ("demo", "parrot-fast"),
    ("demo", "parrot-think"),
    ("demo", "parrot-tools"),
]


async def test_escape_stops_every_column_and_closes_every_connection(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    words_of = {"parrot": "One", "parrot-fast": "Two", "parrot-think": "Three"}
    words_of["parrot-tools"] = "Four"
    for model, words in words_of.items():
        demo_server.push_for(model, hanging(f"{words} ", "so far"))
    app = history_demo_app(demo_server.base_url, tmp_path)
    app.session.compare_next = list(FOUR)
    async with app.run_test(size=WIDE) as pilot:
        sent = len(demo_server.chat_requests)
        app.prompt.load_text("talk until stopped")
        app.prompt.focus()
        press_now(pilot, "enter")
        await wait_until(pilot, lambda: len(app.session.replies) == 4, what="four replies")
        builders = [stream.builder for stream in app.compare_view.streams.values()]
        await wait_until(pilot, lambda: all(b.message.tokens == 2 for b in builders))
        assert "comparing 4 models" in app.sub_title
        press_now(pilot, "escape")
        # The server saw each of the four connections close.
        requests = demo_server.chat_requests[sent:]
        assert len(requests) == 4
        while not all(r.disconnected_at is not None for r in demo_server.chat_requests[sent:]):
            await demo_server.await_disconnect()
        await all_shown(pilot)
        assert not app.streaming
        for builder, words in zip(builders, ["One", "Two", "Three", "Four"], strict=True):
            assert builder.message.status is Status.CANCELLED
            assert builder.message.content == f"{words} so far"  # each keeps its partial answer
        for column in app.compare_view.columns:
            reply = views(column)[-1]
            assert "cancelled" in str(reply.query_one(".stats").render())
            assert not column.has_class("-streaming")
        # The columns stay, and so does the header's word for them, until one is chosen.
        assert "comparing 4 models" in app.sub_title
        await pilot.press("shift+f5")
        await wait_until(pilot, lambda: not app.compare_view.is_open, what="the columns to go")
        assert "comparing" not in app.sub_title
