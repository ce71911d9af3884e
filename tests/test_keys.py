"""Keys made yours: `[keys]` in the config moves bindings, checked at start, and every hint
names the key bound now (welcome text, error sentences, prompt, footer, keys screen)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from cli_helpers import parrotchat
from textual.binding import Binding

import parrotchat.ui as ui_package
from parrotchat.config import ConfigError, load_settings, show_config
from parrotchat.config.keys import DEFAULT_KEYS
from parrotchat.core.conversation import Status
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import HTTPError, Parrot
from parrotchat.ui.app import ParrotChatApp
from parrotchat.ui.keys_help import KeysScreen
from parrotchat.ui.testing import (
    hanging,
    offline_demo_app,
    press_now,
    send_prompt,
    wait_for_reply,
    wait_until,
)
from parrotchat.ui.welcome import Welcome


def test_the_config_knows_every_binding_of_the_app_and_its_default_keys() -> None:
    bound: dict[str, str] = {}
    for module in pkgutil.iter_modules(ui_package.__path__):
        namespace = vars(importlib.import_module(f"parrotchat.ui.{module.name}"))
        for cls in namespace.values():
            if isinstance(cls, type) and cls.__module__.startswith("parrotchat.ui."):
                for binding in cls.__dict__.get("BINDINGS", []):
                    if isinstance(binding, Binding) and binding.id:
                        bound[binding.id] = binding.key
    assert bound == DEFAULT_KEYS


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        ('retyr = "f5"', '[keys] names "retyr", which is no binding (did you mean "retry"?)'),
        ('retry = "ctrl+rr"', 'keys.retry has "ctrl+rr", which is not a key'),
        ('retry = "pgpu"', '(did you mean "pageup"?)'),
        ('retry = "hyperr+x"', 'keys.retry has "hyperr+x", whose "hyperr" is not ctrl,'),
        ("retry = 5", 'keys.retry must be keys such as "ctrl+r,f9"'),
    ],
)
def test_a_bad_keys_table_is_one_sentence_with_the_line(
    tmp_path: Path, keys: str, problem: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[keys]\n{keys}\n")
    with pytest.raises(ConfigError) as error:
        load_settings(config_path=path, env={})
    assert str(error.value).startswith(f"{path}, line 2: ")
    assert problem in str(error.value)


def test_keys_are_read_in_textuals_spelling(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keys]\nretry = "Ctrl+R, F9"\nstop_reply = "esc"\nshow_keys = "?"\n')
    keys = load_settings(config_path=path, env={}).keys
    assert keys == {"retry": "ctrl+r,f9", "stop_reply": "escape", "show_keys": "?"}
    shown = show_config(load_settings(config_path=path, env={}))
    assert "keys: retry = ctrl+r,f9, stop_reply = escape, show_keys = ?  [config file]" in shown
    assert "keys: the defaults  [default]" in show_config(
        load_settings(config_path=tmp_path / "none.toml", env={})
    )


def test_a_bad_key_stops_the_tui_and_print_mode_with_exit_2(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "keys.toml"
    config.write_text('[keys]\nretry = "ctrl+banana"\n')
    for args in (("--demo",), ("--demo", "-p", "hi")):
        result = parrotchat("--config", str(config), *args, env=clean_env)
        assert result.returncode == 2
        assert result.stderr.startswith(f"parrotchat: error: {config}, line 2: keys.retry has")
        assert "Traceback" not in result.stderr


def keys_app(server: DemoServer, tmp_path: Path) -> ParrotChatApp:
    (tmp_path / "none.toml").write_text(
        '[keys]\nretry = "f5"\nstop_reply = "ctrl+s"\ntoggle_sidebar = "f4"\n'
    )
    return offline_demo_app(server.base_url, tmp_path)


def footer(app: ParrotChatApp) -> dict[str, str]:
    """What the footer shows now: description -> key as drawn (as Textual's footer draws an
    action bound to several keys: its first key)."""
    shown: dict[str, str] = {}
    for active in app.active_bindings.values():
        if active.binding.show and active.enabled:
            shown.setdefault(active.binding.description, app.get_key_display(active.binding))
    return shown


async def test_remapped_keys_work_and_every_hint_names_them(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = keys_app(demo_server, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        welcome = str(app.query_one(Welcome).render())
        assert "F5 retry" in welcome and "Ctrl+S stop the reply" in welcome
        assert "F4 models" in welcome and "Ctrl+R" not in welcome

        demo_server.push(
            HTTPError(401, {"error": {"message": "bad key", "code": "invalid_api_key"}})
        )
        failed = await send_prompt(pilot, "are you there?")
        await wait_for_reply(pilot)
        error = str(app.chat_log.message_views()[-1].query_one(".error").render())
        assert error.endswith("Press F5 to retry.")
        assert footer(app)["Ask again"] == "f5"

        await pilot.press("ctrl+r")  # moved away: nothing happens
        await pilot.press("f5")
        reply = await wait_for_reply(pilot)
        assert reply is not failed and reply.status is Status.COMPLETE

        # Stop moved to Ctrl+S; Esc still closes the sidebar (Textual would drop it).
        demo_server.push(hanging("still talking"))
        streaming = await send_prompt(pilot, "tell me")
        await wait_until(pilot, lambda: streaming.content == "still talking")
        assert app.prompt.placeholder.startswith("Ctrl+S stops the reply")
        assert footer(app)["Stop"] == "^s"
        await pilot.press("f4")
        await wait_until(pilot, lambda: app.side.has_focus_within, what="the sidebar")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.prompt.has_focus, what="the prompt")
        press_now(pilot, "escape")
        await pilot.pause()
        assert streaming.status is Status.STREAMING  # Esc no longer stops it
        press_now(pilot, "ctrl+s")
        await wait_for_reply(pilot)
        assert streaming.status is Status.CANCELLED

        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, KeysScreen), what="the keys")
        text = app.screen.text()
        assert "F5" in text and "Ctrl+S" in text and "Ctrl+R " not in text


async def test_a_moved_ask_again_key_asks_again_for_the_focused_reply(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    app = keys_app(demo_server, tmp_path)  # retry = "f5"
    async with app.run_test(size=(120, 36)) as pilot:
        for prompt, answer in (("first", "one"), ("second", "two")):
            demo_server.push(Parrot(text=answer))
            await send_prompt(pilot, prompt)
            await wait_for_reply(pilot)
        await pilot.press("alt+up", "up")
        await wait_until(pilot, lambda: app.chat_log.focused_view is not None, what="a reply")
        assert app.chat_log.focused_view.message.content == "one"
        assert footer(app)["Ask again"] == "r"
        demo_server.push(Parrot(text="one again"))
        await pilot.press("f5")
        await wait_until(
            pilot,
            lambda: [m.content for m in app.conversation.messages] == ["first", "one again"],
            what="the reply asked again",
        )
        await wait_for_reply(pilot)


async def test_send_moved_off_enter_makes_enter_a_new_line(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    (tmp_path / "none.toml").write_text('[keys]\nsend = "ctrl+s"\n')
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        assert "Ctrl+S sends" in app.prompt.placeholder
        app.prompt.focus()
        await pilot.press("h", "i", "enter", "x")
        assert app.prompt.text == "hi\nx"
        demo_server.push(hanging("ok"))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(app.conversation.messages) == 2, what="the send")
        assert app.conversation.messages[0].content == "hi\nx"
