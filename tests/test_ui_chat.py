"""The chat screen driven through Pilot against the real demo server: send, stream, cancel, scroll.

The demo server runs in its own thread (`demo_server` from `conftest.py`, full speed). Scripted
behaviours make a reply hang or run long where a test needs time to act mid-stream.
"""

from __future__ import annotations

import gc
import time
import weakref
from typing import TYPE_CHECKING

from textual import events
from textual.geometry import Region

from parrotchat.core.conversation import Role, Status
from parrotchat.demo.behaviours import Parrot
from parrotchat.ui.chat_log import NewContentMarker
from parrotchat.ui.message_view import MessageView
from parrotchat.ui.render.line_cache import LineBudget, render_markdown
from parrotchat.ui.render.markdown_view import MarkdownView
from parrotchat.ui.testing import (
    hanging,
    offline_demo_app,
    press_now,
    send_prompt,
    wait_for_reply,
    wait_until,
)

if TYPE_CHECKING:
    from parrotchat.demo.server import DemoServer, RecordedRequest


async def disconnect_of(server: DemoServer, index: int) -> RecordedRequest:
    """Wait until the client left the `index`-th chat request (earlier tests' leavings skipped)."""
    while True:
        request = await server.await_disconnect()
        if request is server.chat_requests[index]:
            return request


async def test_send_streams_the_reply_as_markdown(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        sent = len(demo_server.chat_requests)
        await send_prompt(pilot, "hello parrot")
        reply = await wait_for_reply(pilot)

        request = demo_server.chat_requests[sent]
        assert request.body["model"] == "parrot"
        assert request.body["stream"] is True
        assert request.body["messages"] == [{"role": "user", "content": "hello parrot"}]
        assert reply.status is Status.COMPLETE
        assert "parrot" in reply.content.lower()
        view = app.chat_log.message_views()[-1]
        assert view.answer is not None and view.answer.source == reply.content
        stats = str(view.query_one(".stats").render())
        assert f"{reply.tokens} tokens" in stats and "TTFT" in stats and "$" in stats
        assert app.prompt.has_focus


async def test_each_request_carries_system_prompt_and_whole_history(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path, system="Answer like a parrot.")
    async with app.run_test(size=(120, 36)) as pilot:
        sent = len(demo_server.chat_requests)
        await send_prompt(pilot, "first question")
        first = await wait_for_reply(pilot)
        await send_prompt(pilot, "second question")
        await wait_for_reply(pilot)

        assert demo_server.chat_requests[sent + 1].body["messages"] == [
            {"role": "system", "content": "Answer like a parrot."},
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": first.content},
            {"role": "user", "content": "second question"},
        ]


async def test_ctrl_n_starts_a_new_conversation_even_mid_stream(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await send_prompt(pilot, "old topic")
        await wait_for_reply(pilot)
        demo_server.push(hanging("still talking"))
        sent = len(demo_server.chat_requests)
        reply = await send_prompt(pilot, "more of the old topic")
        await wait_until(pilot, lambda: reply.content == "still talking")

        await pilot.press("ctrl+n")
        await disconnect_of(demo_server, sent)
        assert app.chat_log.message_views() == []
        assert app.query_one("Welcome") is not None
        await send_prompt(pilot, "new topic")
        await wait_for_reply(pilot)
        assert demo_server.chat_requests[sent + 1].body["messages"] == [
            {"role": "user", "content": "new topic"}
        ]
        assert not (tmp_path / "log").exists()  # nothing unexpected happened


async def test_prompt_keys_newline_paste_and_recall(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        prompt = app.prompt
        await pilot.press("a", "ctrl+j", "b")
        assert prompt.text == "a\nb"
        app.post_message(events.Paste("c\nd"))  # as a terminal paste arrives
        await wait_until(pilot, lambda: prompt.text == "a\nbc\nd")
        assert app.conversation.messages == []  # a pasted newline does not send

        sent = len(demo_server.chat_requests)
        await pilot.press("enter")
        await wait_for_reply(pilot)
        assert demo_server.chat_requests[sent].body["messages"][-1]["content"] == "a\nbc\nd"
        assert prompt.text == ""

        await pilot.press("up")
        assert prompt.text == "a\nbc\nd"
        await pilot.press("down")
        assert prompt.text == ""


async def test_keys_typed_ahead_of_enter_are_all_sent(demo_server, tmp_path):
    # A burst (typing ahead while the app starts, a fast typist, a paste without bracketed
    # paste) delivers all keys at once: Enter must send what was typed before it.
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        sent = len(demo_server.chat_requests)
        press_now(pilot, *"hello-there", "enter")
        await wait_for_reply(pilot)
        assert demo_server.chat_requests[sent].body["messages"][-1]["content"] == "hello-there"
        assert app.prompt.text == ""


async def test_escape_cancels_closes_the_connection_and_keeps_the_partial_answer(
    demo_server, tmp_path
):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        demo_server.push(hanging("Partial ", "answer"))
        sent = len(demo_server.chat_requests)
        reply = await send_prompt(pilot, "tell me everything")
        view = app.chat_log.message_views()[-1]
        await wait_until(pilot, lambda: view.answer and view.answer.source == "Partial answer")
        assert app.streaming

        pressed = time.monotonic()
        press_now(pilot, "escape")
        request = await disconnect_of(demo_server, sent)
        assert request.disconnected_at is not None
        assert request.disconnected_at - pressed < 1.0  # at once; benchmarks/cancel.py times it

        await wait_for_reply(pilot)
        assert reply.status is Status.CANCELLED
        assert reply.content == "Partial answer"
        assert "cancelled" in str(view.query_one(".stats").render())
        assert view.has_class("-cancelled")
        assert not app.streaming and app.prompt.has_focus

        await send_prompt(pilot, "go on")
        await wait_for_reply(pilot)
        assert demo_server.chat_requests[sent + 1].body["messages"] == [
            {"role": "user", "content": "tell me everything"},
            {"role": "assistant", "content": "Partial answer"},
            {"role": "user", "content": "go on"},
        ]


async def test_escape_in_the_sidebar_goes_back_first_then_stops_the_reply(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        demo_server.push(hanging("Half"))
        sent = len(demo_server.chat_requests)
        reply = await send_prompt(pilot, "long story")
        await wait_until(pilot, lambda: reply.content == "Half")
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: app.sidebar.has_focus_within)

        # Esc first closes what is open (issue 15): the sidebar hands focus back ...
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.sidebar.has_focus_within)
        assert reply.status is Status.STREAMING
        # ... and the next Esc stops the reply.
        press_now(pilot, "escape")
        await disconnect_of(demo_server, sent)
        await wait_for_reply(pilot)
        assert reply.status is Status.CANCELLED


async def test_escape_with_nothing_streaming_does_nothing(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("escape", "escape")
        assert app.is_running and app.conversation.messages == []
        await send_prompt(pilot, "still here?")
        assert (await wait_for_reply(pilot)).status is Status.COMPLETE
        await pilot.press("escape")
        assert app.conversation.messages[-1].status is Status.COMPLETE


async def test_sending_while_a_reply_streams_stops_it_and_sends_the_new_prompt(
    demo_server, tmp_path
):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        demo_server.push(hanging("Half a thought"))
        sent = len(demo_server.chat_requests)
        first = await send_prompt(pilot, "first")
        await wait_until(pilot, lambda: first.content == "Half a thought")
        assert "Enter stops it" in str(app.prompt.placeholder)

        second = await send_prompt(pilot, "never mind, second")
        await disconnect_of(demo_server, sent)
        await wait_for_reply(pilot)

        assert first.status is Status.CANCELLED and second.status is Status.COMPLETE
        assert demo_server.chat_requests[sent + 1].body["messages"] == [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "Half a thought"},
            {"role": "user", "content": "never mind, second"},
        ]
        roles = [view.message.role for view in app.chat_log.message_views()]
        assert roles == [Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT]


async def test_view_follows_until_scrolled_up_then_marks_new_content(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.chat_log
        marker = app.query_one("#new-below", NewContentMarker)
        demo_server.push(Parrot(tokens=20_000, tokens_per_second=300))
        await send_prompt(pilot, "a long answer please")
        await wait_until(pilot, lambda: log.max_scroll_y > 10, what="the log to overflow")
        await wait_until(pilot, lambda: log.scroll_y == log.max_scroll_y)
        assert log.following and not marker.display

        # Page Down at the bottom moves nothing and must not stop the following.
        press_now(pilot, "pagedown")
        height = log.virtual_size.height
        await wait_until(pilot, lambda: log.virtual_size.height > height + 5)
        await wait_until(pilot, lambda: log.scroll_y == log.max_scroll_y)
        assert log.following and not marker.display

        log.post_message(events.MouseScrollUp(log, 1, 1, 0, -1, 0, False, False, False))
        await wait_until(pilot, lambda: not log.following)
        held = log.scroll_y
        height = log.virtual_size.height
        await wait_until(pilot, lambda: log.virtual_size.height > height + 5)
        await wait_until(pilot, lambda: marker.display, what="the new-content marker")
        assert log.scroll_y == held < log.max_scroll_y

        press_now(pilot, "ctrl+end")
        await wait_until(pilot, lambda: log.following and not marker.display)
        height = log.virtual_size.height
        await wait_until(pilot, lambda: log.virtual_size.height > height + 5)
        await wait_until(pilot, lambda: log.scroll_y == log.max_scroll_y)
        press_now(pilot, "pageup")
        await wait_until(pilot, lambda: not log.following and log.scroll_y < log.max_scroll_y)
        press_now(pilot, "escape")
        await wait_for_reply(pilot)


async def test_reasoning_and_tool_calls_show_as_blocks(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        demo_server.push(
            Parrot(
                text="Checking the weather.",
                reasoning="The user wants weather; call the tool.",
                tool_calls=[("get_weather", {"city": "Lima", "days": 2})],
            )
        )
        await send_prompt(pilot, "weather?")
        reply = await wait_for_reply(pilot)
        view = app.chat_log.message_views()[-1]
        assert isinstance(view, MessageView) and view.has_reasoning
        reasoning = view.query_one(".reasoning-text")
        assert "call the tool" in str(reasoning.render())
        tool = str(view.query_one("ToolCallView").render())
        assert "get_weather" in tool and '"city": "Lima",\n  "days": 2' in tool
        assert reply.tool_calls[0].name == "get_weather"

        await pilot.press("ctrl+t")
        assert view.reasoning_collapsed
        await pilot.press("ctrl+t")
        assert not view.reasoning_collapsed


async def test_ctrl_o_copies_the_last_reply_as_markdown_source(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        demo_server.push(Parrot(text="# Title\n\n**bold** and `code`"))
        await send_prompt(pilot, "copy me")
        reply = await wait_for_reply(pilot)
        await pilot.press("ctrl+o")
        assert app.clipboard == reply.content == "# Title\n\n**bold** and `code`"


async def test_a_tiny_terminal_never_closes_the_app(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await send_prompt(pilot, "keep this")
        await wait_for_reply(pilot)
        for width in (6, 4, 2, 1, 80):
            await pilot.resize_terminal(width, 10)
            await pilot.pause()
        assert app.is_running
        assert app.conversation.messages[0].content == "keep this"


async def test_a_long_answer_scrolled_back_shows_its_dropped_lines_again(
    demo_server, tmp_path, monkeypatch
):
    # Keep few rendered lines, so the top of the answer is dropped while it streams.
    monkeypatch.setattr(MarkdownView, "line_budget", LineBudget(60))
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await send_prompt(pilot, "Write 3000 tokens about parsers.")
        reply = await wait_for_reply(pilot, timeout=30)
        answer = app.chat_log.message_views()[-1].answer
        assert answer is not None and answer.source == reply.content
        await wait_until(pilot, lambda: answer.size.height > 200, what="the answer laid out")
        assert MarkdownView.line_budget.lines <= 60 + 40
        app.chat_log.scroll_to(y=answer.virtual_region.y, animate=False, immediate=True)
        await pilot.pause()
        width = answer.content_size.width
        shown = answer.render_lines(Region(0, 0, width, 20))
        expected = render_markdown(app.console, reply.content, width)[:20]
        assert [strip.text.rstrip() for strip in shown] == [
            strip.text.rstrip() for strip in expected
        ]
        assert shown[0].text.strip()


async def test_a_cleared_log_lets_go_of_its_replies(demo_server, tmp_path, monkeypatch):
    budget = LineBudget(1000)
    monkeypatch.setattr(MarkdownView, "line_budget", budget)
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await send_prompt(pilot, "Write 600 tokens about parsers.")
        await wait_for_reply(pilot)
        await wait_until(pilot, lambda: gc.get_freeze_count() > 0, what="the reply set aside")
        await wait_until(pilot, lambda: budget.lines > 0, what="lines kept")
        await app.action_new_conversation()
        await wait_until(pilot, lambda: budget.lines == 0, what="the lines let go")
        # Old replies sit in reference cycles, set aside from the collector: however many
        # conversations come and go, only a few stay alive (no growth with every chat).
        views = []
        for _ in range(14):
            await send_prompt(pilot, "Write 100 tokens about parsers.")
            await wait_for_reply(pilot)
            views += [weakref.ref(view) for view in app.chat_log.message_views()]
            await app.action_new_conversation()
        await send_prompt(pilot, "Write 20 tokens.")
        await wait_for_reply(pilot)
        gc.collect()  # what the app did not set aside
        assert sum(view() is not None for view in views) <= 10  # of 28
