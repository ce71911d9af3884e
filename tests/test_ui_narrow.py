"""At 80 columns: the welcome text never starts a line with `·`, the footer shows only whole keys,
a focused message's first."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widgets._footer import FooterKey

from parrotchat.core.conversation import Status
from parrotchat.demo import DemoServer
from parrotchat.ui.footer import ChatFooter
from parrotchat.ui.testing import (
    hanging,
    offline_demo_app,
    send_prompt,
    wait_for_reply,
    wait_until,
)
from parrotchat.ui.welcome import Welcome


async def test_the_welcome_text_never_starts_a_line_with_a_dot(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    for size in ((80, 24), (120, 40), (100, 30)):
        app = offline_demo_app(demo_server.base_url, tmp_path)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            welcome = app.query_one(Welcome)
            whole = Region(0, 0, welcome.region.width, welcome.region.height)
            lines = [strip.text.strip() for strip in welcome.render_lines(whole)]
            assert any("Ctrl+Q" in line for line in lines)
            assert not [line for line in lines if line.startswith("·")], (size, lines)


async def test_the_footer_shows_every_key_whole_at_80_columns(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        demo_server.push(hanging("still talking"))
        reply = await send_prompt(pilot, "tell me")
        await wait_until(pilot, lambda: reply.content == "still talking")
        await pilot.pause()
        keys = list(app.query(FooterKey))
        assert {"Stop", "Follow"} <= {key.description for key in keys}
        # The palette's hint is docked on the right, over whatever reaches it.
        docked = [key for key in keys if "command_palette" in key.action]
        room = min((key.region.x for key in docked), default=80)
        assert all(key.region.right <= room for key in keys if key not in docked), [
            (key.description, key.region) for key in keys
        ]
        app.session.stop()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_focused_message_keeps_its_keys_whole_in_the_footer(
    demo_server: DemoServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=size) as pilot:
        reply = await send_prompt(pilot, "tell me")
        await wait_for_reply(pilot)
        await pilot.press("alt+up")
        await wait_until(pilot, lambda: app.chat_log.focused_view is not None, what="focus")
        await pilot.pause()
        await pilot.pause()
        shown = [key for key in app.query(FooterKey) if key.region.width]
        assert all(key.region.right <= size[0] for key in shown), [
            (key.description, key.region) for key in shown
        ]
        words = " ".join(f"{key.key_display} {key.description}".strip() for key in shown)
        # The focused reply's own keys come first and all of them fit.
        for wanted in ("c Copy", "1-9 Copy code", "r Ask again", "esc Prompt"):
            assert wanted in words, (size, words)
        assert app.query_one(ChatFooter).query("KeyGroup"), "↑↓ Move is one group"
        assert reply.status is Status.COMPLETE
