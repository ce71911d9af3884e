"""A reopened conversation whose provider is not configured is never sent elsewhere without a
word: the session refuses until a model is chosen (TUI: a notice; print mode: exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import history_path, parrotchat

from parrotchat.api.discovery import FoundServer
from parrotchat.config import load_settings
from parrotchat.core.conversation import Message, Role
from parrotchat.core.error_log import ErrorLog
from parrotchat.core.export import conversation_to_json
from parrotchat.core.history import LAST, History, open_history
from parrotchat.core.records import ConversationRecord
from parrotchat.core.session import ChatSession, ProviderMissing
from parrotchat.core.store import Store
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import Parrot
from parrotchat.ui.testing import history_file, offline_app, wait_for_reply, wait_until


def store_local_conversation(path: Path) -> int:
    """A conversation held with `local` (a provider from a config file no longer given)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    record = ConversationRecord(0, "local chat", 1.0, 1.0, model="my-model", provider="local")
    messages = [
        Message(Role.USER, "private question", created=1.0),
        Message(Role.ASSISTANT, "local answer", model="my-model", provider="local", created=1.0),
    ]
    with Store(path) as store:
        store.import_json(conversation_to_json(record, messages))
        return store.last_conversation_id() or 0


async def test_the_session_refuses_to_send_until_a_model_is_chosen(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    store_local_conversation(db)
    history, resumed = open_history(db, LAST)
    settings = load_settings(config_path=tmp_path / "none.toml", env={})
    session = ChatSession(settings, error_log=ErrorLog(None), history=history, resumed=resumed)
    try:
        assert (session.provider, session.model) == ("local", "my-model")
        assert session.missing_provider == "local"
        with pytest.raises(ProviderMissing) as refused:
            await session.send("hi again")
        assert "local" in refused.value.sentence("choose one")
        assert len(session.conversation.messages) == 2  # nothing added, nothing stored
        session.select("demo", "parrot")
        assert session.missing_provider is None
    finally:
        await session.aclose()
    with Store(db) as store:
        assert len(store.load_conversation(store.last_conversation_id() or 0)[1]) == 2


async def test_a_provider_found_on_this_machine_later_is_used_again(tmp_path: Path) -> None:
    settings = load_settings(config_path=tmp_path / "none.toml", env={})
    record = ConversationRecord(1, "t", 0.0, 0.0, model="m", provider="ollama")
    session = ChatSession(
        settings, error_log=ErrorLog(None), history=History(), resumed=(record, [])
    )
    assert session.missing_provider == "ollama"
    settings.add_found(FoundServer("ollama", 11434))  # issue 16's discovery, after start-up
    assert session.missing_provider is None
    assert (session.provider, session.model) == ("ollama", "m")
    await session.aclose()


async def test_the_tui_says_which_provider_is_missing_and_keeps_the_prompt(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    store_local_conversation(history_file(tmp_path))
    # No --demo: that would be a choice of provider for this run.
    settings = load_settings(config_path=tmp_path / "none.toml", env={})
    settings = settings.with_demo_url(demo_server.base_url)
    app = offline_app(settings, tmp_path, history=history_file(tmp_path), resume=LAST)
    async with app.run_test(size=(120, 36)) as pilot:
        assert "local (not configured) · my-model" in app.sub_title
        notes = [n.message for n in app._notifications]
        assert any("held with the provider local" in n for n in notes), notes
        app.prompt.load_text("hi again")
        app.prompt.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app._notifications) == 2, what="the refusal")
        refusal = list(app._notifications)[-1].message
        assert "nothing was sent" in refusal and "sidebar (Ctrl+B)" in refusal, refusal
        assert app.prompt.text == "hi again"
        assert not demo_server.chat_requests
        assert len(app.conversation.messages) == 2

        app.sidebar.choose("demo", "parrot")
        await wait_until(pilot, lambda: app.session.missing_provider is None, what="the choice")
        assert "not configured" not in app.sub_title
        demo_server.push(Parrot(text="Now on demo."))
        app.prompt.focus()
        await pilot.press("enter")
        reply = await wait_for_reply(pilot)
        assert reply.content == "Now on demo." and reply.provider == "demo"


def test_print_mode_exits_2_naming_provider(clean_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "quiet.toml"
    config.write_text("discover_local = false\n")  # no server of this machine is asked
    env = {**clean_env, "PARROTCHAT_CONFIG": str(config)}
    conversation_id = store_local_conversation(history_path(env))
    for how in (["--resume", str(conversation_id)], ["-c"]):
        result = parrotchat(*how, "-p", "hi again", env=env)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert "held with the provider local" in result.stderr
        assert "--provider" in result.stderr
        assert result.stderr.count("\n") == 1
    with Store(history_path(env)) as store:
        assert len(store.load_conversation(conversation_id)[1]) == 2
