"""The theme: the one chosen last comes back; `theme = "..."` in the config wins, checked."""

from __future__ import annotations

from pathlib import Path

from parrotchat.demo import DemoServer
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
