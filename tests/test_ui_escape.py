"""Esc closes what is open before it stops the reply; Ctrl+C stops a reply when nothing is
selected; Alt+Enter adds a line."""

from __future__ import annotations

from pathlib import Path

import pytest

from parrotchat.core.conversation import Status
from parrotchat.demo import DemoServer
from parrotchat.ui.prompt_input import PromptInput
from parrotchat.ui.testing import (
    hanging,
    offline_demo_app,
    press_now,
    send_prompt,
    wait_for_reply,
    wait_until,
)


def footer_keys(app) -> dict[str, str]:
    """The footer's Esc entry and the like: key -> description of what is shown now."""
    return {
        key: active.binding.description
        for key, active in app.active_bindings.items()
        if active.binding.show and active.enabled
    }


@pytest.mark.parametrize(
    ("size", "key"), [((120, 36), "ctrl+b"), ((120, 36), "ctrl+l"), ((80, 24), "ctrl+b")]
)
async def test_esc_closes_the_sidebar_before_it_stops_the_reply(
    demo_server: DemoServer, tmp_path: Path, size: tuple[int, int], key: str
) -> None:
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=size) as pilot:
        demo_server.push(hanging("still talking"))
        reply = await send_prompt(pilot, "tell me")
        await wait_until(pilot, lambda: reply.content == "still talking")
        assert footer_keys(app)["escape"] == "Stop"
        await pilot.press(key)
        await wait_until(pilot, lambda: app.side.has_focus_within, what="the sidebar")
        assert footer_keys(app)["escape"] == "Back"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.prompt.has_focus, what="the prompt")
        assert reply.status is Status.STREAMING, (size, key)
        assert app.show_sidebar is (size[0] >= 100)
        assert footer_keys(app)["escape"] == "Stop"
        press_now(pilot, "escape")
        await wait_for_reply(pilot)
        assert reply.status is Status.CANCELLED


async def test_esc_closes_a_covering_sidebar_even_without_its_focus(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        demo_server.push(hanging("still talking"))
        reply = await send_prompt(pilot, "tell me")
        await wait_until(pilot, lambda: reply.content == "still talking")
        app.show_sidebar = True
        app.prompt.focus()
        await pilot.pause()
        assert footer_keys(app)["escape"] == "Close sidebar"
        await pilot.press("escape")
        assert not app.show_sidebar and reply.status is Status.STREAMING
        press_now(pilot, "escape")
        await wait_for_reply(pilot)
        assert reply.status is Status.CANCELLED


async def test_ctrl_c_stops_a_streaming_reply_and_otherwise_hints(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        demo_server.push(hanging("still talking"))
        reply = await send_prompt(pilot, "tell me")
        await wait_until(pilot, lambda: reply.content == "still talking")
        press_now(pilot, "ctrl+c")
        await wait_for_reply(pilot)
        assert reply.status is Status.CANCELLED
        assert not any("quit" in n.message for n in app._notifications)
        # A selection is copied, not stopped or hinted at.
        app.prompt.load_text("copy me")
        app.prompt.select_all()
        await pilot.press("ctrl+c")
        assert app.clipboard == "copy me"
        app.prompt.clear()
        await pilot.press("ctrl+c")
        assert any("quit" in n.message for n in app._notifications)


async def test_alt_enter_adds_a_line(demo_server: DemoServer, tmp_path: Path) -> None:
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("a", "alt+enter", "b")
        assert app.prompt.text == "a\nb"
        # Keys in one burst (as a terminal's read delivers them) keep their order.
        app.prompt.clear()
        press_now(pilot, "x", "ctrl+j", "y", "alt+enter", "z")
        await wait_until(pilot, lambda: app.prompt.text.count("\n") == 2, what="two lines")
        await pilot.pause()
        assert app.prompt.text == "x\ny\nz"
        assert isinstance(app.focused, PromptInput)
        assert not demo_server.chat_requests
