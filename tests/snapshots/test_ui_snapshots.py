"""Snapshots of the chat screen: fixed size, a clock that stands still, scripted demo replies.

Update after an intended change with `pytest tests/snapshots --snapshot-update`, then look at
the SVGs (`__snapshots__/`) before committing them.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

from textual.pilot import Pilot

from parrotchat.demo.behaviours import HTTPError
from parrotchat.ui.app import ParrotChatApp
from parrotchat.ui.testing import (
    STORED_NOW,
    FixedClock,
    hanging,
    offline_demo_app,
    press_now,
    send_prompt,
    store_sample_conversations,
    wait_for_rendered,
    wait_for_reply,
    wait_until,
)

if TYPE_CHECKING:
    from parrotchat.demo.server import DemoServer

SIZE = (120, 36)
PARTIAL = [
    "# Parrots\n\n",
    "Parrots are **clever** birds that ",
    "repeat what they hear.\n\n",
    "- they live long\n",
    "- they like `crackers`\n\n",
    "```python\nprint('squawk')\n```\n\n",
    "And then",
]
"""A reply that stops mid-sentence and hangs, so the screen holds still while it streams."""


def build(server: DemoServer, tmp_path: Path) -> ParrotChatApp:
    app = offline_demo_app(server.base_url, tmp_path)
    app.clock = FixedClock()
    return app


async def settle(pilot: Pilot[None]) -> None:
    """Wait until the sidebar has heard from every provider; stop the cursor blinking."""
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    app.prompt.cursor_blink = False
    sidebar = app.sidebar
    await wait_until(
        pilot,
        lambda: all(sidebar.provider_state(name) != "loading" for name in ("demo", "parrotrouter")),
    )


async def stream_partial(pilot: Pilot[None], server: DemoServer) -> None:
    """Send a prompt whose reply shows `PARTIAL` and then hangs."""
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    server.push(hanging(*PARTIAL))
    reply = await send_prompt(pilot, "Tell me about parrots")
    await wait_until(pilot, lambda: reply.content == "".join(PARTIAL))
    await wait_for_rendered(pilot, reply)


def test_main_screen(snap_compare, demo_server, tmp_path):
    assert snap_compare(build(demo_server, tmp_path), terminal_size=SIZE, run_before=settle)


def test_main_screen_80x24(snap_compare, demo_server, tmp_path):
    assert snap_compare(build(demo_server, tmp_path), terminal_size=(80, 24), run_before=settle)


def test_reply_streaming(snap_compare, demo_server, tmp_path):
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await stream_partial(pilot, demo_server)

    assert snap_compare(build(demo_server, tmp_path), terminal_size=SIZE, run_before=run_before)


def test_cancelled_reply(snap_compare, demo_server, tmp_path):
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await stream_partial(pilot, demo_server)
        press_now(pilot, "escape")
        await wait_for_reply(pilot)

    assert snap_compare(build(demo_server, tmp_path), terminal_size=SIZE, run_before=run_before)


def test_error(snap_compare, demo_server, tmp_path):
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        demo_server.push(HTTPError(401, {"error": {"message": "bad key [/oops]"}}))
        await send_prompt(pilot, "Hello?")
        await wait_for_reply(pilot)

    assert snap_compare(build(demo_server, tmp_path), terminal_size=SIZE, run_before=run_before)


def test_sidebar_filtered(snap_compare, demo_server, tmp_path):
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, ParrotChatApp)
        await pilot.press("ctrl+b", *"think")
        await wait_until(pilot, lambda: app.sidebar.visible_models() == [("demo", "parrot-think")])

    assert snap_compare(build(demo_server, tmp_path), terminal_size=SIZE, run_before=run_before)


NOW = STORED_NOW
"""The wall clock of the Chats snapshots."""


def build_with_history(server: DemoServer, tmp_path: Path) -> ParrotChatApp:
    """The demo app on a history holding the sample conversations, dated against `NOW`."""
    path = tmp_path / "parrotchat.db"
    store_sample_conversations(path, NOW)
    app = offline_demo_app(server.base_url, tmp_path, history=path)
    app.clock = FixedClock()
    return app


async def settle_chats(pilot: Pilot[None]) -> None:
    """Stop the Chats view's clock and wait for its list."""
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    app.chats.now = lambda: NOW
    app.chats.tz = UTC
    await settle(pilot)
    app.chats.refresh_list()

    def dated() -> bool:
        shown = [app.chats.entry(cid) for cid, _title in app.chats.visible_conversations()]
        return [entry.detail.plain for entry in shown if entry] == [
            "yesterday · parrot",
            "Sun · parrot",
            "Feb 18 · parrot",
        ]

    await wait_until(pilot, dated, what="the list, dated by the stopped clock")


def test_chats(snap_compare, demo_server, tmp_path):
    app = build_with_history(demo_server, tmp_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=settle_chats)


def test_chats_search(snap_compare, demo_server, tmp_path):
    async def run_before(pilot: Pilot[None]) -> None:
        await settle_chats(pilot)
        app = pilot.app
        assert isinstance(app, ParrotChatApp)
        await pilot.press("ctrl+l", *"parrot")
        await wait_until(pilot, lambda: app.chats.shown_query == "parrot")

    app = build_with_history(demo_server, tmp_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
