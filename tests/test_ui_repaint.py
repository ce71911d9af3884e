"""While a reply streams, each frame draws only what changed, and the screen stays exact.

The real app against the demo server: the reply hangs after its first words, and the test feeds
the reply's builder as the client would, waiting for each piece to be on screen. After each
piece, the screen as drawn (lines kept from earlier frames included) must equal the screen
drawn again from scratch.
"""

from __future__ import annotations

from parrotchat.api.events import TextDelta
from parrotchat.demo.parrot import reply_text
from parrotchat.ui.render.line_cache import render_markdown
from parrotchat.ui.testing import (
    FixedClock,
    hanging,
    offline_demo_app,
    send_prompt,
    wait_for_rendered,
    wait_until,
)

SIZE = (90, 24)

PIECES = [
    "Title line\n",
    "===\n\n",  # the line above becomes a heading: a line drawn earlier changes
    "A paragraph that **starts bold" + " and goes on" * 12,
    "** and closes late.\n\n",  # the bold lands on lines drawn earlier, which wrap anew
    "".join(f"- item {n}\n" for n in range(12)),  # the reply grows past the screen
    "\n```python\n" + "".join(f"x{n} = {n}\n" for n in range(10)),
    "```\n\nA last paragraph, which " + "keeps growing " * 5,
    "word by word.",
]


def screen(app) -> list[str]:
    """The chat log as the compositor draws it now (each widget's kept lines included)."""
    region = app.chat_log.region
    strips = app.screen._compositor.render_strips()[region.y : region.bottom]
    return [repr(list(strip.crop(region.x, region.right).simplify())) for strip in strips]


async def test_lines_kept_between_frames_are_what_a_full_repaint_draws(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    app.clock = FixedClock()  # the live stats line stands still between the two looks
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(hanging("Here: "))
        reply = await send_prompt(pilot, "write")
        await wait_until(pilot, lambda: reply.content == "Here: ", what="the first words")
        assert app.reply_stream is not None
        builder = app.reply_stream.builder
        for piece in PIECES:
            builder.feed(TextDelta(piece))
            await wait_for_rendered(pilot, reply)
            await pilot.pause()
            drawn = screen(app)
            for widget in app.screen.walk_children(with_self=True):
                widget.refresh()
            await pilot.pause()
            again = screen(app)
            assert drawn == again, f"stale lines after {piece!r}"
        assert "word by word." in "".join(screen(app))


def answer_lines(app, view) -> list[str]:
    """The answer's lines on screen, as text, top to bottom."""
    region = app.screen.find_widget(view.answer).visible_region
    strips = app.screen._compositor.render_strips()[region.y : region.bottom]
    return [strip.crop(region.x, region.right).text.rstrip() for strip in strips]


async def test_a_burst_shows_its_end_first_and_the_text_above_as_a_one_shot_render(
    demo_server, tmp_path
):
    text = reply_text("Write 12000 tokens about parsers.", 12_000)  # ~40k characters at once
    app = offline_demo_app(demo_server.base_url, tmp_path)
    app.clock = FixedClock()
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(hanging(text))
        reply = await send_prompt(pilot, "write")
        await wait_for_rendered(pilot, reply, timeout=60)
        await pilot.pause()
        view = app.chat_log.message_views()[-1]
        width = view.answer.content_size.width
        whole = [strip.text.rstrip() for strip in render_markdown(app.console, text, width)]
        # The last screen: the end of the text, exactly, and nothing stale on it.
        shown = answer_lines(app, view)
        assert len(shown) > 5 and shown == whole[-len(shown) :]
        drawn = screen(app)
        for widget in app.screen.walk_children(with_self=True):
            widget.refresh()
        await pilot.pause()
        assert screen(app) == drawn
        # Scrolled up to, the text that went by is what a one-shot render draws.
        app.chat_log.scroll_to(y=view.virtual_region.y, animate=False, immediate=True)
        await wait_until(
            pilot,
            lambda: answer_lines(app, view)[:1] == whole[:1],
            timeout=60,
            what="the top of the answer",
        )
        await pilot.pause()
        top = answer_lines(app, view)
        assert len(top) > 5 and top == whole[: len(top)]
