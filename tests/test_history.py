"""`resumed_settings`: which model, provider and system prompt a reopened conversation gets."""

from __future__ import annotations

from pathlib import Path

from parrotchat.config import load_settings
from parrotchat.core.history import resumed_settings
from parrotchat.core.records import ConversationRecord


def record(provider: str | None, model: str | None) -> ConversationRecord:
    return ConversationRecord(
        1, "t", 0.0, 0.0, system_prompt="Be brief.", model=model, provider=provider
    )


def test_the_conversation_s_provider_model_and_system_prompt_come_back(tmp_path: Path) -> None:
    settings = load_settings(config_path=tmp_path / "none.toml", env={})
    restored, conversation = resumed_settings(settings, record("demo", "parrot-think"))
    assert (restored.provider, restored.model) == ("demo", "parrot-think")
    assert conversation.system_prompt == restored.system_prompt == "Be brief."


def test_a_provider_no_longer_configured_keeps_the_current_model(tmp_path: Path) -> None:
    settings = load_settings(config_path=tmp_path / "none.toml", env={})
    restored, _conversation = resumed_settings(settings, record("gone", "someone/model"))
    assert (restored.provider, restored.model) == (settings.provider, settings.model)
    assert restored.system_prompt == "Be brief."


def test_flags_beat_the_stored_choices(tmp_path: Path) -> None:
    settings = load_settings(
        config_path=tmp_path / "none.toml", env={}, demo=True, system="Be long."
    )
    restored, _conversation = resumed_settings(settings, record("parrotrouter", "x/y"))
    assert (restored.provider, restored.model) == ("demo", settings.model)
    assert restored.system_prompt == "Be long."
