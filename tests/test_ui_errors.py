"""Errors shown as one sentence with a retry, unexpected ones logged, untrusted text kept inert."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from parrotchat.api.events import Event
from parrotchat.api.models import ModelInfo
from parrotchat.config import Paths, load_settings
from parrotchat.core.conversation import Status
from parrotchat.core.error_log import LOG_NAME
from parrotchat.demo.behaviours import HTTPError, Parrot, Script, chunk, sse
from parrotchat.ui.app import ParrotChatApp, make_app
from parrotchat.ui.testing import (
    offline_app,
    offline_demo_app,
    send_prompt,
    wait_for_reply,
    wait_until,
)

REFUSED_URL = "http://127.0.0.1:9/v1"
"""Nothing listens on port 9 (discard): a server that is down."""
MARKUP_ID = "org/model[/v2]"
"""A model id that Textual markup would read as a closing tag and crash on."""


def line(app: ParrotChatApp, selector: str) -> str:
    """The text of one status line of the latest reply."""
    return str(app.chat_log.message_views()[-1].query_one(selector).render())


async def test_http_error_shows_one_sentence_and_ctrl_r_retries(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        demo_server.push(
            HTTPError(401, {"error": {"message": "bad key", "code": "invalid_api_key"}})
        )
        sent = len(demo_server.chat_requests)
        failed = await send_prompt(pilot, "are you there?")
        await wait_for_reply(pilot)
        assert failed.status is Status.ERROR
        error = line(app, ".error")
        assert "refused" in error and "Ctrl+R" in error and "\n" not in error
        assert app.is_running and app.prompt.has_focus

        await pilot.press("ctrl+r")
        reply = await wait_for_reply(pilot)
        assert reply is not failed and reply.status is Status.COMPLETE
        assert demo_server.chat_requests[sent + 1].body["messages"] == [
            {"role": "user", "content": "are you there?"}
        ]
        assert app.conversation.messages[-2:] == [app.conversation.messages[0], reply]
        assert len(app.chat_log.message_views()) == 2


async def test_dropped_stream_keeps_the_partial_answer_marked_interrupted(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        demo_server.push(Script([sse(chunk("Half of it"))], end="drop"))
        reply = await send_prompt(pilot, "tell me")
        await wait_for_reply(pilot)
        assert reply.status is Status.INTERRUPTED and reply.content == "Half of it"
        error = line(app, ".error")
        hint = "Press Ctrl+R to retry."
        assert error.endswith(hint) and len(error) > len(hint)
        view = app.chat_log.message_views()[-1]
        assert view.answer is not None and view.answer.source == "Half of it"


async def test_unreachable_server_is_one_line_and_the_app_keeps_running(tmp_path):
    app = offline_demo_app(REFUSED_URL, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        reply = await send_prompt(pilot, "hello?")
        await wait_for_reply(pilot, timeout=20)
        assert reply.status is Status.ERROR
        assert "server is running" in line(app, ".error")
        assert app.is_running


class BrokenClient:
    """A client with a bug: it raises something no one expected, with markup-like text."""

    async def list_models(self) -> list[ModelInfo]:
        return [ModelInfo(MARKUP_ID)]

    async def stream_chat(self, model: str, messages: Any, **params: Any) -> AsyncIterator[Event]:
        raise RuntimeError("boom [/oops] \x1b[2J")
        yield  # pragma: no cover


async def test_unexpected_error_is_logged_and_shown_as_one_line(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path, clients={"demo": BrokenClient()})
    async with app.run_test(size=(120, 36)) as pilot:
        reply = await send_prompt(pilot, "hi")
        await wait_for_reply(pilot)
        assert reply.status is Status.ERROR
        error = line(app, ".error")
        assert "Unexpected error" in error and "boom [/oops] ␛[2J" in error
        assert str(tmp_path / "log" / LOG_NAME) in error
        logged = (tmp_path / "log" / LOG_NAME).read_text()
        assert "Traceback" in logged and "RuntimeError: boom" in logged
        assert app.is_running


async def test_escape_sequences_in_a_reply_never_reach_the_terminal(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        hostile = "copy \x1b]52;c;aGFja2Vk\x1b\\ done \x9b2J\x07"
        demo_server.push(
            Parrot(text=hostile, reasoning="think \x1b[31mred", tool_calls=[("f\x1b[1m", "{}")])
        )
        reply = await send_prompt(pilot, "be evil")
        await wait_for_reply(pilot)
        screen = app.export_screenshot()
        for control in ("\x1b", "\x9b", "\x07"):
            assert control not in screen
        # The conversation keeps the model's words as sent: only the screen is neutralised.
        assert reply.content == hostile
        assert "␛]52;c;aGFja2Vk␛" in screen and "␛[31mred" in screen


async def test_markup_like_model_ids_and_error_texts_display_literally(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.sidebar.provider_state("demo") == "ready")
        app.sidebar.choose("demo", MARKUP_ID)
        await wait_until(pilot, lambda: app.model == MARKUP_ID)
        assert MARKUP_ID in app.sub_title

        demo_server.push(HTTPError(400, {"error": {"message": "bad [/oops] [b]input"}}))
        await send_prompt(pilot, "[bold]not markup[/]")
        await wait_for_reply(pilot)
        assert "bad [/oops] [b]input" in line(app, ".error")
        assert MARKUP_ID in line(app, ".role")
        user_view = app.chat_log.message_views()[-2]
        assert str(user_view.query_one(".user-text").render()) == "[bold]not markup[/]"

        demo_server.push(Parrot(text="a reply with [/oops] and [link=x]y[/link]"))
        await pilot.press("ctrl+r")
        reply = await wait_for_reply(pilot)
        assert reply.status is Status.COMPLETE
        assert "[/oops]" in app.export_screenshot()
        assert app.is_running


async def test_works_against_a_real_server_set_by_base_url(demo_server, tmp_path):
    env = {"PARROTCHAT_BASE_URL": demo_server.base_url, "PARROTCHAT_API_KEY": "sk-test-123456"}
    settings = load_settings(config_path=tmp_path / "none.toml", env=env)
    app = make_app(  # the real clients: ParrotRouter is the demo server here
        settings.with_demo_url(demo_server.base_url), paths=Paths.under(tmp_path)
    )
    async with app.run_test(size=(120, 36)) as pilot:
        assert app.provider == "parrotrouter"
        host = demo_server.base_url.split("/")[2]
        assert app.sub_title.startswith(f"parrotrouter @ {host} · ")  # where requests really go
        welcome = str(app.query_one("Welcome").render())
        assert "No API key" not in welcome
        sent = len(demo_server.chat_requests)
        reply = await send_prompt(pilot, "hello real server")
        await wait_for_reply(pilot)
        assert reply.status is Status.COMPLETE
        request = demo_server.chat_requests[sent]
        assert request.headers["authorization"] == "Bearer sk-test-123456"
        assert request.body["model"] == settings.model


async def test_welcome_says_how_to_set_a_key_and_that_demo_works(tmp_path):
    settings = load_settings(config_path=tmp_path / "none.toml", env={})
    app = offline_app(settings.with_demo_url(REFUSED_URL), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        welcome = str(app.query_one("Welcome").render())
        assert "PARROTCHAT_API_KEY" in welcome
        assert str(tmp_path / "none.toml") in welcome
        assert "parrotchat --demo" in welcome and "Ctrl+B" in welcome

        app.sidebar.choose("demo", "parrot")
        await wait_until(pilot, lambda: "No API key" not in str(app.query_one("Welcome").render()))


async def test_bidi_controls_in_a_reply_never_reach_the_terminal(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        trojan = "if admin \u202e} \u2066evil\u2069 {"
        demo_server.push(Parrot(text=trojan, reasoning=f"think {trojan}"))
        reply = await send_prompt(pilot, "be sneaky \u202e")
        await wait_for_reply(pilot)
        screen = app.export_screenshot()
        for control in "\u202e\u2066\u2069":
            assert control not in screen
        assert reply.content == trojan
        assert "evil" in screen
