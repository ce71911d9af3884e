"""The theme: the one chosen last comes back; `theme = "..."` in the config wins, checked. The
sidebar: open or closed, and its tab, come back as they were left."""

from __future__ import annotations

from pathlib import Path

from parrotchat.demo import DemoServer
from parrotchat.ui.sidebar import CHATS_TAB, MODELS_TAB
from parrotchat.ui.testing import offline_demo_app, wait_until


async def test_the_theme_chosen_is_remembered_and_the_config_wins(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    first = offline_demo_app(demo_server.base_url, tmp_path)
    async with first.run_test(size=(100, 30)) as pilot:
        first.theme = "gruvbox"  # as the palette's "Change theme" does
        await pilot.pause()
    again = offline_demo_app(demo_server.base_url, tmp_path)
    async with again.run_test(size=(100, 30)):
        assert again.theme == "gruvbox"

    (tmp_path / "none.toml").write_text('theme = "nord"\n')  # the config offline_demo_app reads
    configured = offline_demo_app(demo_server.base_url, tmp_path)
    async with configured.run_test(size=(100, 30)):
        assert configured.theme == "nord"

    (tmp_path / "none.toml").write_text('theme = "gruvbx"\n')
    wrong = offline_demo_app(demo_server.base_url, tmp_path)
    async with wrong.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: wrong._notifications, what="the warning")
        [notice] = [n.message for n in wrong._notifications]
        assert notice == (
            'The config names theme "gruvbx", which does not exist (did you mean "gruvbox"?);'
            " the theme used last is used."
        )
        assert wrong.theme == "nord"  # used last (the config's, in the run before)


async def test_the_sidebar_comes_back_as_it_was_left(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    history = tmp_path / "history.db"
    first = offline_demo_app(demo_server.base_url, tmp_path, history=history)
    async with first.run_test(size=(120, 36)) as pilot:
        assert first.show_sidebar and first.side.tabs.active == CHATS_TAB
        await pilot.press("ctrl+b")  # the Models tab, its filter focused
        await wait_until(pilot, lambda: first.side.models.has_focus_within, what="the models")
        await pilot.press("ctrl+b")  # again: the sidebar closes
        await wait_until(pilot, lambda: not first.show_sidebar, what="the sidebar closed")

    again = offline_demo_app(demo_server.base_url, tmp_path, history=history)
    async with again.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert not again.show_sidebar
        assert again.side.tabs.active == MODELS_TAB
        await pilot.press("ctrl+l")  # open, on the Chats tab
        await wait_until(pilot, lambda: again.show_sidebar, what="the sidebar open")

    # A narrow terminal hides it without changing what is remembered.
    narrow = offline_demo_app(demo_server.base_url, tmp_path, history=history)
    async with narrow.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not narrow.show_sidebar

    wide = offline_demo_app(demo_server.base_url, tmp_path, history=history)
    async with wide.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert wide.show_sidebar and wide.side.tabs.active == CHATS_TAB
