"""Switching models from the sidebar mid-conversation, the remembered model, narrow terminals."""

from __future__ import annotations

from parrotchat.config import load_settings
from parrotchat.core.conversation import Status
from parrotchat.demo import Flood
from parrotchat.ui.app import ParrotChatApp
from parrotchat.ui.last_model import load_last_model, save_last_model
from parrotchat.ui.model_sidebar import ModelSidebar
from parrotchat.ui.testing import (
    offline_app,
    offline_demo_app,
    send_prompt,
    wait_for_reply,
    wait_until,
)


async def models_loaded(pilot, app: ParrotChatApp) -> None:
    await wait_until(pilot, lambda: app.sidebar.provider_state("demo") == "ready")


async def test_switching_model_changes_the_next_request_and_keeps_the_history(
    demo_server, tmp_path
):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await models_loaded(pilot, app)
        sent = len(demo_server.chat_requests)
        first = await send_prompt(pilot, "hello")
        await wait_for_reply(pilot)

        await pilot.press("ctrl+b")
        assert app.sidebar.query_one("#model-filter").has_focus
        await pilot.press(*"fast", "enter")
        assert (app.provider, app.model) == ("demo", "parrot-fast")
        assert "parrot-fast" in app.sub_title
        assert app.prompt.has_focus

        second = await send_prompt(pilot, "and now?")
        await wait_for_reply(pilot)
        body = demo_server.chat_requests[sent + 1].body
        assert body["model"] == "parrot-fast"
        assert body["messages"] == [
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": first.content},
            {"role": "user", "content": "and now?"},
        ]
        assert (first.model, second.model) == ("parrot", "parrot-fast")
        role_line = str(app.chat_log.message_views()[-1].query_one(".role").render())
        assert "parrot-fast" in role_line
        assert load_last_model(tmp_path / "state") == ("demo", "parrot-fast")


async def test_ctrl_b_moves_into_the_sidebar_and_back_out(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        sidebar = app.query_one("#sidebar")
        assert sidebar.display and app.prompt.has_focus
        await pilot.press("ctrl+b")
        assert sidebar.display and app.sidebar.has_focus_within
        await pilot.press("ctrl+b")
        assert not sidebar.display and app.prompt.has_focus
        await pilot.press("ctrl+b")
        assert sidebar.display and app.sidebar.has_focus_within
        await pilot.press("escape")  # an empty filter: the sidebar is done
        assert app.prompt.has_focus


async def test_narrow_terminal_hides_the_sidebar_until_asked(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        sidebar = app.query_one("#sidebar")
        chat = app.query_one("#chat-column")
        assert not sidebar.display and chat.display
        await models_loaded(pilot, app)
        await pilot.press("ctrl+b")
        assert sidebar.display and sidebar.size.width == 80
        await pilot.press(*"think", "enter")
        assert app.model == "parrot-think"
        assert not sidebar.display and chat.display and app.prompt.has_focus

        await pilot.resize_terminal(120, 30)
        assert sidebar.display
        await pilot.resize_terminal(90, 30)
        assert not sidebar.display


async def test_the_last_model_is_remembered_unless_one_is_asked_for(demo_server, tmp_path):
    state = tmp_path / "state"
    save_last_model(state, "demo", "parrot-think")
    plain = load_settings(config_path=tmp_path / "none.toml", env={}).with_demo_url(
        demo_server.base_url
    )
    remembered = offline_app(plain, tmp_path)
    assert (remembered.provider, remembered.model) == ("demo", "parrot-think")

    demo = offline_demo_app(demo_server.base_url, tmp_path)
    assert (demo.provider, demo.model) == ("demo", "parrot")
    flagged = offline_demo_app(demo_server.base_url, tmp_path, model="parrot-fast")
    assert flagged.model == "parrot-fast"


async def test_sidebar_marks_the_model_in_use(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await models_loaded(pilot, app)
        assert app.sidebar.current == ("demo", "parrot")
        app.sidebar.choose("demo", "parrot-think")
        await wait_until(pilot, lambda: app.model == "parrot-think")
        # The highlight follows the mark: they never point at two different models.
        highlighted = app.sidebar.query_one("#model-list").highlighted_option
        assert (highlighted.provider, highlighted.model) == ("demo", "parrot-think")
        reply = await send_prompt(pilot, "think about it")
        assert (await wait_for_reply(pilot)).status is Status.COMPLETE
        assert reply.reasoning
        assert isinstance(app.sidebar, ModelSidebar)


async def test_a_huge_model_list_is_one_sentence_in_the_sidebar(demo_server, tmp_path):
    demo_server.push_models(Flood("huge_json", size=256 << 20))
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.sidebar.provider_state("demo") == "error")
        error = app.sidebar.provider_error("demo") or ""
        assert "model list is larger than 8 MB (limits.models_mb)" in error


async def test_a_server_without_models_is_pickable_and_a_typed_id_usable(demo_server, tmp_path):
    from parrotchat.demo import DemoServer
    from parrotchat.demo.behaviours import HTTPError, Parrot

    with DemoServer(tokens_per_second=None) as local:
        local.push_models(HTTPError(404), HTTPError(404))
        config = tmp_path / "multi.toml"
        config.write_text(f'[providers.local]\nbase_url = "{local.base_url}"\nmodel = "my-model"\n')
        settings = load_settings(config_path=config, env={}).with_demo_url(demo_server.base_url)
        app = offline_app(settings, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            bar = app.sidebar
            await wait_until(pilot, lambda: bar.provider_state("local") == "error")
            assert ("local", "my-model") in bar.visible_models()
            bar.choose("local", "my-model")
            await wait_until(pilot, lambda: app.session.provider == "local")
            local.push(Parrot(text="from local"))
            await send_prompt(pilot, "hi")
            assert (await wait_for_reply(pilot)).content == "from local"
            assert local.chat_requests[-1].body["model"] == "my-model"

            await pilot.press("ctrl+b", *"other-id")
            await wait_until(pilot, lambda: ("local", "other-id") in bar.visible_models())
            assert ("demo", "other-id") in bar.visible_models()
            await pilot.press("enter")  # the first "Use other-id on …" line is highlighted
            await wait_until(pilot, lambda: app.session.model == "other-id", what="the choice")


async def test_demo_never_asks_a_hosted_provider_without_a_key(demo_server, tmp_path):
    from parrotchat.ui.testing import UnreachableClient

    class Watched(UnreachableClient):
        asked = 0

        async def list_models(self):
            Watched.asked += 1
            return await super().list_models()

    app = offline_demo_app(demo_server.base_url, tmp_path, clients={"parrotrouter": Watched()})
    async with app.run_test(size=(120, 36)) as pilot:
        await models_loaded(pilot, app)
        await pilot.pause()
        assert app.sidebar.provider_state("parrotrouter") == "unasked"
        assert ("parrotrouter", "openai/gpt-4o-mini") in app.sidebar.visible_models()
    assert Watched.asked == 0
