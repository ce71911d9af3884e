"""Remembering the last model: round trip, and never an exception on a bad file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from parrotchat.ui.last_model import FILE_NAME, load_last_model, save_last_model


def test_round_trip_creates_missing_directories(tmp_path: Path) -> None:
    state_dir = tmp_path / "state" / "parrotchat"
    assert load_last_model(state_dir) is None
    save_last_model(state_dir, "openrouter", "org/model[/v2]:free")
    assert load_last_model(state_dir) == ("openrouter", "org/model[/v2]:free")
    save_last_model(state_dir, "demo", "pärrot")
    assert load_last_model(state_dir) == ("demo", "pärrot")
    assert sorted(p.name for p in state_dir.iterdir()) == [FILE_NAME]  # no temp file left


def test_file_holds_only_provider_and_model(tmp_path: Path) -> None:
    save_last_model(tmp_path, "demo", "parrot")
    assert json.loads((tmp_path / FILE_NAME).read_text()) == {"provider": "demo", "model": "parrot"}


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[]",
        b'"demo/parrot"',
        b'{"provider": "demo"}',
        b'{"provider": "demo", "model": 3}',
        b'{"provider": "", "model": "parrot"}',
        b'{"provider": null, "model": "parrot"}',
    ],
)
def test_corrupt_file_reads_as_none(tmp_path: Path, content: bytes) -> None:
    (tmp_path / FILE_NAME).write_bytes(content)
    assert load_last_model(tmp_path) is None


def test_unreadable_path_reads_as_none(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).mkdir()  # a directory where the file should be
    assert load_last_model(tmp_path) is None
    assert load_last_model(tmp_path / "missing") is None


def test_failed_save_is_logged_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the state directory should be")
    with caplog.at_level(logging.WARNING, logger="parrotchat.ui.last_model"):
        save_last_model(blocker, "demo", "parrot")
    assert "could not remember the last model" in caplog.text
    assert load_last_model(blocker) is None


def test_save_replaces_a_corrupt_file(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text("{oops")
    save_last_model(tmp_path, "demo", "parrot-fast")
    assert load_last_model(tmp_path) == ("demo", "parrot-fast")
