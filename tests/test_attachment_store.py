"""Attached files in the history: stored once by sha256, reloaded on their messages, exported
whole in JSON (and back, byte for byte), named in Markdown, found by name in search."""

from __future__ import annotations

import base64
import contextlib
import copy
import sqlite3
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from attachment_files import make_files

from parrotchat.core.attachments import AttachmentLimits, read_attachment
from parrotchat.core.conversation import Message, Role
from parrotchat.core.export import InvalidExport, dump_json, export_text
from parrotchat.core.migrations import MIGRATIONS, SCHEMA_VERSION
from parrotchat.core.store import Store


@pytest.fixture(params=[True, False], ids=["fts5", "like"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "data" / "parrotchat.db", full_text=request.param) as store:
        yield store


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return make_files(tmp_path / "project")


def attached(files: dict[str, Path], *keys: str):
    base = next(iter(files.values())).parents[1]
    return [read_attachment(files[key], base, AttachmentLimits()) for key in keys]


def blob_count(store: Store) -> int:
    with contextlib.closing(sqlite3.connect(store.path)) as conn:
        return conn.execute("SELECT count(*) FROM attachment_blobs").fetchone()[0]


def converse(store: Store, prompt: str, attachments) -> int:
    cid = store.create_conversation()
    store.add_message(cid, Message(Role.USER, prompt, attachments=attachments, created=1e9))
    store.add_message(cid, Message(Role.ASSISTANT, "seen", model="parrot", created=1e9 + 1))
    return cid


def test_the_migration_is_listed_and_current(store: Store) -> None:
    assert any(m.description == "attached files" for m in MIGRATIONS)
    with contextlib.closing(sqlite3.connect(store.path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_files_are_stored_once_and_reload_on_their_messages(store: Store, files) -> None:
    notes, image = attached(files, "notes", "image")
    first = converse(store, "look", [notes, image])
    second = converse(store, "again", [image, notes])
    assert blob_count(store) == 2  # the same bytes twice: one row each
    _record, messages = store.load_conversation(second)
    assert messages[0].attachments == [image, notes]  # in order, bytes included
    assert messages[1].attachments == []
    # The trash purge forgets the bytes no message refers to any more.
    store.delete(first)
    store.purge_trash(older_than=0)
    assert blob_count(store) == 2
    store.delete(second)
    store.purge_trash(older_than=0)
    assert blob_count(store) == 0


def test_a_prompt_of_files_only_is_titled_by_their_names(store: Store, files) -> None:
    (image,) = attached(files, "image")
    cid = converse(store, "", [image])
    assert store.get_conversation(cid).title == "parrot.png"


def test_json_export_import_export_is_byte_identical(store: Store, files) -> None:
    notes, image = attached(files, "notes", "image")
    cid = converse(store, "look", [notes, image])
    exported = dump_json(store.export_json(cid))
    data = store.export_json(cid)
    (item,) = data["messages"][0]["attachments"][1:]
    assert base64.b64decode(item["content_base64"]) == image.data
    assert {k: item[k] for k in ("name", "path", "size", "kind", "mime", "sha256")} == {
        "name": "parrot.png",
        "path": "img/parrot.png",
        "size": image.size,
        "kind": "image",
        "mime": "image/png",
        "sha256": image.sha256,
    }
    imported = store.import_json(data)
    assert dump_json(store.export_json(imported)) == exported
    assert blob_count(store) == 2  # imported files are deduplicated too
    assert "attachments" not in data["messages"][1]  # no key for messages without files


def test_an_edited_attachment_is_refused_on_import(store: Store, files) -> None:
    (notes,) = attached(files, "notes")
    data = store.export_json(converse(store, "look", [notes]))
    tampered = copy.deepcopy(data)
    tampered["messages"][0]["attachments"][0]["content_base64"] = base64.b64encode(b"evil").decode()
    with pytest.raises(InvalidExport, match="does not match its sha256"):
        store.import_json(tampered)
    broken = copy.deepcopy(data)
    broken["messages"][0]["attachments"][0]["content_base64"] = "%%%"
    with pytest.raises(InvalidExport, match="not base64"):
        store.import_json(broken)
    odd = copy.deepcopy(data)
    odd["messages"][0]["attachments"][0]["kind"] = "video"
    with pytest.raises(InvalidExport, match="unknown kind"):
        store.import_json(odd)
    with pytest.raises(InvalidExport, match="is not a list"):
        store.import_json({**data, "messages": [{**data["messages"][0], "attachments": 3}]})


def test_markdown_lists_the_files_by_name(store: Store, files) -> None:
    notes, image = attached(files, "notes", "image")
    cid = converse(store, "look", [notes, image])
    record, messages = store.load_conversation(cid)
    text = export_text(record, messages, "markdown", tz=UTC)
    assert f"Attached: `docs/notes.md` ({notes.size} B), `img/parrot.png` ({image.size} B)" in text
    assert "print(1)" not in text  # contents stay out of the Markdown


def test_search_finds_a_conversation_by_a_file_name(store: Store, files) -> None:
    (notes,) = attached(files, "notes")
    (image,) = attached(files, "image")
    with_notes = converse(store, "about the meeting", [notes])
    converse(store, "about birds", [image])
    hits = store.search("notes")
    assert [hit.conversation_id for hit in hits] == [with_notes]
    _record, messages = store.load_conversation(with_notes)
    assert hits[0].message_id == messages[0].id  # the prompt that carries the file
    assert "notes.md" in hits[0].snippet.replace("\x02", "").replace("\x03", "")
    assert [h.conversation_id for h in store.search("meeting notes")] == []  # all terms, one place
    both = store.search("about")
    assert len(both) == 2  # found by words: not listed twice for a file too
