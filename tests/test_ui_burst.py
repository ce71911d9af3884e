"""A reply that arrives all at once ends up exactly as one streamed at a provider's pace.

The real app against the demo server: at full speed a long reply piles up in the socket and the
reader works through it with no frames in between; what is stored, counted and shown at the end
must not differ from a paced stream of the same text, and an error, a stall or Esc in the middle
of a burst keeps what came before it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from parrotchat.core.conversation import Message, Role, Status
from parrotchat.core.store import Store
from parrotchat.demo.behaviours import Parrot
from parrotchat.demo.parrot import reply_text
from parrotchat.ui import reply_stream
from parrotchat.ui.render.backlog import BACKLOG
from parrotchat.ui.testing import (
    history_demo_app,
    history_file,
    press_now,
    send_prompt,
    wait_for_rendered,
    wait_for_reply,
    wait_until,
)

SIZE = (120, 36)
TEXT = reply_text("Write about parsers.", 2500)
"""Markdown of 2,500 tokens: headings, lists, code, over several screens."""


def stored_replies(tmp_path: Path) -> list[Message]:
    """The assistant messages of the last stored conversation."""
    with Store(history_file(tmp_path)) as store:
        _, messages = store.load_conversation(store.last_conversation_id() or 0)
    return [message for message in messages if message.role is Role.ASSISTANT]


def last_answer_line(app) -> str:
    """The last non-blank line the answer shows on screen."""
    view = app.chat_log.message_views()[-1]
    region = app.screen.find_widget(view.answer).visible_region
    strips = app.screen._compositor.render_strips()[region.y : region.bottom]
    lines = [strip.crop(region.x, region.right).text.strip() for strip in strips]
    return [line for line in lines if line][-1]


async def test_a_burst_is_stored_counted_and_shown_as_a_paced_stream_is(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(Parrot(text=TEXT, tokens_per_second=None))
        burst = await send_prompt(pilot, "all at once")
        await wait_for_reply(pilot, timeout=60)
        await wait_for_rendered(pilot, burst, timeout=60)
        burst_end = last_answer_line(app)

        demo_server.push(Parrot(text=TEXT, tokens_per_second=5000))
        paced = await send_prompt(pilot, "at a pace")
        await wait_for_reply(pilot, timeout=60)
        await wait_for_rendered(pilot, paced, timeout=60)
        paced_end = last_answer_line(app)
        await app.history.drain()

    assert burst.content == paced.content == TEXT
    assert burst.status is paced.status is Status.COMPLETE
    assert burst.tokens == paced.tokens > 1000
    assert burst_end == paced_end and burst_end in TEXT
    assert [(m.content, m.tokens, m.status) for m in stored_replies(tmp_path)] == [
        (TEXT, burst.tokens, Status.COMPLETE),
        (TEXT, paced.tokens, Status.COMPLETE),
    ]


async def test_an_error_in_the_middle_of_a_burst_keeps_the_answer_before_it(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(Parrot(tokens=3000, tokens_per_second=None, error_after=2000))
        reply = await send_prompt(pilot, "Write 3000 tokens about parsers.")
        await wait_for_reply(pilot, timeout=60)
        view = app.chat_log.message_views()[-1]
        await wait_until(pilot, lambda: view.answer.source == reply.content, timeout=60)
        await app.history.drain()
        error_line = str(view.query_one(".error").render())

    whole = reply_text("Write 3000 tokens about parsers.", 3000)
    assert reply.status is Status.ERROR and reply.tokens == 2000
    assert len(reply.content) > 5000 and whole.startswith(reply.content)
    assert "The parrot flew away mid-sentence" in error_line
    [saved] = stored_replies(tmp_path)
    assert (saved.content, saved.status) == (reply.content, Status.ERROR)


async def test_a_burst_that_stops_is_drawn_at_once_and_esc_keeps_it(
    demo_server, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    # Frames while behind come at most once per CATCH_UP_INTERVAL: made endless here, the
    # burst's text can only reach the screen because the reader stopped (nothing new came).
    monkeypatch.setattr(reply_stream, "CATCH_UP_INTERVAL", 3600.0)
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(Parrot(tokens=3000, tokens_per_second=None, stall_after=2000))
        reply = await send_prompt(pilot, "Write 3000 tokens about parsers.")
        await wait_until(pilot, lambda: reply.tokens == 2000, timeout=60, what="the burst")
        assert app.reply_stream is not None and app.reply_stream.builder.behind
        await wait_for_rendered(pilot, reply, timeout=60)
        shown = reply.content

        press_now(pilot, "escape")
        await wait_for_reply(pilot, timeout=60)
        await app.history.drain()

    whole = reply_text("Write 3000 tokens about parsers.", 3000)
    assert reply.status is Status.CANCELLED
    assert reply.content == shown and len(shown) > 5000 and whole.startswith(shown)
    [saved] = stored_replies(tmp_path)
    assert (saved.content, saved.status) == (shown, Status.CANCELLED)
    assert not BACKLOG.held()  # the hold ran out with the burst
