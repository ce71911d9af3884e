"""Shared fixtures: the demo server, running in its own thread, as the fake provider."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from parrotchat.demo import DemoServer


@pytest.fixture
def demo_server() -> Iterator[DemoServer]:
    """A demo server at full speed (no pacing), in a thread; stopped after the test.

    Queue misbehaviour with `demo_server.push(...)`, point clients at `demo_server.base_url`.
    """
    with DemoServer(tokens_per_second=None) as server:
        yield server


@pytest.fixture
def slow_demo_server() -> Iterator[DemoServer]:
    """A demo server at the parrot's real pace (60 tokens/s), for cancel and pacing tests."""
    with DemoServer(tokens_per_second=60.0) as server:
        yield server


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """An environment with no config file, no keys and a throwaway home (and history)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARROTCHAT_", "OPENAI"))}
    env.update(
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        PARROTCHAT_CONFIG=str(tmp_path / "no-config.toml"),
    )
    return env
