"""The history store on real temporary databases: CRUD, titles, trash, search, export."""

from __future__ import annotations

import contextlib
import inspect
import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest

from parrotchat.api import ChatClient, Endpoint, Finished, TextDelta, ToolCall, Usage
from parrotchat.api.errors import APIError
from parrotchat.core.conversation import Message, Role, Status
from parrotchat.core.export import EXPORT_VERSION, InvalidExport, export_text
from parrotchat.core.migrations import SCHEMA_VERSION
from parrotchat.core.records import make_title
from parrotchat.core.search import fts_query, split_highlights
from parrotchat.core.store import (
    ConversationNotFound,
    Store,
    StoreError,
    StoreMissing,
    StoreUnavailable,
)
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import HTTPError, Parrot


@pytest.fixture(params=[True, False], ids=["fts5", "like"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store, once with FTS5 search and once with the LIKE fallback."""
    with Store(tmp_path / "data" / "parrotchat.db", full_text=request.param) as store:
        assert store.full_text is request.param
        yield store


@pytest.fixture
def fts_store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "parrotchat.db") as store:
        assert store.full_text
        yield store


def chat(store: Store, prompt: str, answer: str, **conversation: object) -> int:
    """A conversation with one prompt and one complete answer; returns its id."""
    cid = store.create_conversation(**conversation)  # type: ignore[arg-type]
    store.add_message(cid, Message(Role.USER, prompt))
    store.add_message(cid, Message(Role.ASSISTANT, answer, model="parrot", provider="demo"))
    return cid


def full_message() -> Message:
    return Message(
        role=Role.ASSISTANT,
        content="The answer",
        reasoning="Thinking hard",
        tool_calls=[ToolCall(0, "call_1", "function", "lookup", '{"q": "x"}')],
        model="gpt-x",
        provider="openai",
        status=Status.ERROR,
        error="The connection dropped.",
        notice="The answer was cut off at the token limit (finish_reason: length).",
        usage=Usage(10, 20, 30, 0.0012),
        ttft=0.25,
        duration=2.5,
        tokens=20,
        created=1_700_000_000.5,
    )


def assert_index_matches(store: Store) -> None:
    """The words in the FTS5 indexes are exactly those of the titles and finished messages."""
    conn = sqlite3.connect(store.path)
    try:
        for table, source in [
            ("messages_fts", "SELECT content FROM messages WHERE status != 'streaming'"),
            ("conversations_fts", "SELECT title FROM conversations"),
        ]:
            conn.execute(f"CREATE VIRTUAL TABLE temp.v_{table} USING fts5vocab(main, {table}, row)")
            indexed = {row[0] for row in conn.execute(f"SELECT term FROM temp.v_{table}")}
            words = {
                w for (text,) in conn.execute(source) for w in re.findall(r"\w+", text.lower())
            }
            assert indexed == words, table
    finally:
        conn.close()


# -- conversations and messages --------------------------------------------------------------


def test_a_new_store_is_empty_and_at_the_current_schema(store: Store) -> None:
    assert store.list_conversations() == []
    assert store.last_conversation_id() is None
    with contextlib.closing(sqlite3.connect(store.path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    journal = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert journal == "wal"


def test_messages_round_trip_every_field(store: Store) -> None:
    cid = store.create_conversation(system_prompt="Be brief.", model="gpt-x", provider="openai")
    store.add_message(cid, Message(Role.USER, "Hi", created=1_700_000_000.0))
    store.add_message(cid, full_message())
    record, messages = store.load_conversation(cid)
    assert record.system_prompt == "Be brief."
    assert (record.model, record.provider) == ("gpt-x", "openai")
    assert messages == [Message(Role.USER, "Hi", created=1_700_000_000.0), full_message()]
    assert len(store.message_ids(cid)) == 2


def test_stored_messages_carry_their_ids(store: Store) -> None:
    cid = store.create_conversation()
    prompt, reply = Message(Role.USER, "q"), Message(Role.ASSISTANT, "a")
    ids = [store.add_message(cid, prompt), store.add_message(cid, reply)]
    assert [prompt.id, reply.id] == ids
    _record, loaded = store.load_conversation(cid)
    assert [m.id for m in loaded] == ids == store.message_ids(cid)


def test_the_model_last_used_is_remembered(store: Store) -> None:
    cid = store.create_conversation(model="a", provider="p")
    store.add_message(cid, Message(Role.USER, "hi"))
    assert store.get_conversation(cid).model == "a"
    store.add_message(cid, Message(Role.ASSISTANT, "yo", model="b", provider="q"))
    assert (store.get_conversation(cid).model, store.get_conversation(cid).provider) == ("b", "q")


def test_conversations_are_listed_newest_activity_first(store: Store) -> None:
    first = chat(store, "one", "1")
    second = chat(store, "two", "2")
    third = chat(store, "three", "3")
    assert [c.id for c in store.list_conversations()] == [third, second, first]
    store.add_message(first, Message(Role.USER, "again"))
    assert [c.id for c in store.list_conversations()] == [first, third, second]
    assert [c.id for c in store.list_conversations(limit=2, offset=1)] == [third, second]
    assert store.last_conversation_id() == first


def test_unknown_conversations_raise_not_found(store: Store) -> None:
    with pytest.raises(ConversationNotFound):
        store.load_conversation(42)
    with pytest.raises(ConversationNotFound):
        store.add_message(42, Message(Role.USER, "hi"))
    with pytest.raises(LookupError):
        store.rename(42, "x")


def test_the_first_prompt_titles_the_conversation(store: Store) -> None:
    cid = store.create_conversation()
    store.add_message(cid, Message(Role.USER, "  Explain\n\tmonads \x1b[2J please  "))
    store.add_message(cid, Message(Role.USER, "Second prompt"))
    assert store.get_conversation(cid).title == "Explain monads ␛[2J please"


def test_a_given_title_is_kept_and_rename_changes_it(store: Store) -> None:
    cid = store.create_conversation(title="Mine")
    store.add_message(cid, Message(Role.USER, "prompt"))
    assert store.get_conversation(cid).title == "Mine"
    store.rename(cid, "New\nname")
    assert store.get_conversation(cid).title == "New name"


@pytest.mark.parametrize(
    ("prompt", "title"),
    [
        ("short", "short"),
        ("word " * 30, "word word word word word word word word word word word…"),
        ("x" * 100, "x" * 59 + "…"),
        ("a\r\nb\x07", "a b␇"),
    ],
)
def test_make_title(prompt: str, title: str) -> None:
    assert make_title(prompt) == title
    assert len(make_title(prompt)) <= 60


# -- streaming and recovery ------------------------------------------------------------------


def test_checkpoint_then_finish(store: Store) -> None:
    cid = store.create_conversation()
    mid = store.add_message(cid, Message(Role.ASSISTANT, status=Status.STREAMING, model="m"))
    store.checkpoint(mid, "Hel", "think", tokens=1)
    store.checkpoint(mid, "Hello", "thinking", tokens=2)
    _, [message] = store.load_conversation(cid)
    assert (message.content, message.reasoning, message.tokens) == ("Hello", "thinking", 2)
    assert message.status is Status.STREAMING
    store.finish_message(mid, Message(Role.ASSISTANT, "Hello!", status=Status.CANCELLED))
    store.checkpoint(mid, "late checkpoint is ignored")
    _, [message] = store.load_conversation(cid)
    assert (message.content, message.status) == ("Hello!", Status.CANCELLED)
    assert store.recover_interrupted() == 0
    dropped = store.add_message(cid, Message(Role.ASSISTANT, status=Status.STREAMING))
    store.finish_message(dropped, Message(Role.ASSISTANT, "cut", status=Status.INTERRUPTED))
    store.checkpoint(dropped, "late")
    assert store.load_conversation(cid)[1][1].content == "cut"


def test_recover_interrupted_marks_orphaned_streams(store: Store) -> None:
    cid = store.create_conversation()
    mid = store.add_message(cid, Message(Role.ASSISTANT, status=Status.STREAMING))
    store.checkpoint(mid, "partial")
    assert store.recover_interrupted(idle_for=3600) == 0
    assert store.recover_interrupted() == 1
    _, [message] = store.load_conversation(cid)
    assert (message.content, message.status) == ("partial", Status.INTERRUPTED)
    assert message.error
    # A live writer's next checkpoint undoes a wrong guess by another process.
    store.checkpoint(mid, "partial and more")
    _, [message] = store.load_conversation(cid)
    assert message.status is Status.STREAMING


def test_finish_message_needs_a_final_status(store: Store) -> None:
    cid = store.create_conversation()
    mid = store.add_message(cid, Message(Role.ASSISTANT, status=Status.STREAMING))
    with pytest.raises(ValueError):
        store.finish_message(mid, Message(Role.ASSISTANT, "x", status=Status.STREAMING))


# -- trash -----------------------------------------------------------------------------------


def test_delete_restore_and_purge(store: Store) -> None:
    keep = chat(store, "keep me", "ok")
    gone = chat(store, "delete me", "ok")
    store.delete(gone)
    assert [c.id for c in store.list_conversations()] == [keep]
    assert store.get_conversation(gone).deleted_at is not None  # in the trash, not gone
    assert store.search("delete") == []
    store.restore(gone)
    assert {c.id for c in store.list_conversations()} == {keep, gone}
    assert [h.conversation_id for h in store.search("delete")] == [gone]
    store.delete(gone)
    assert store.purge_trash(older_than=3600) == 0
    assert store.purge_trash(older_than=0) == 1
    with pytest.raises(ConversationNotFound):
        store.load_conversation(gone)
    with pytest.raises(ConversationNotFound):
        store.restore(gone)
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 2
    conn.close()
    if store.full_text:
        assert_index_matches(store)


# -- search ----------------------------------------------------------------------------------


def plain(marked: str) -> str:
    return "".join(piece for piece, _ in split_highlights(marked))


def matches(marked: str) -> list[str]:
    return [piece for piece, hit in split_highlights(marked) if hit]


def test_search_finds_titles_and_messages_with_highlights(store: Store) -> None:
    titled = chat(store, "Rust lifetimes", "Borrowing rules explained")
    body = chat(store, "Something else", "We talk about lifetimes here\nand more")
    chat(store, "Unrelated", "Nothing to see")
    hits = store.search("lifetimes")
    assert [h.conversation_id for h in hits] == [titled, body]
    assert matches(hits[0].title_highlighted) == ["lifetimes"]
    assert plain(hits[0].title_highlighted) == "Rust lifetimes"
    assert matches(hits[1].snippet) == ["lifetimes"]
    assert "\n" not in hits[1].snippet
    assert hits[1].title_highlighted == "Something else"


def test_search_needs_every_term_and_prefixes_the_last(store: Store) -> None:
    both = chat(store, "alpha beta", "x")
    chat(store, "alpha only", "x")
    assert [h.conversation_id for h in store.search("beta alpha")] == [both]
    assert [h.conversation_id for h in store.search("alpha bet")] == [both]


def test_search_ignores_streaming_replies_until_they_end(store: Store) -> None:
    cid = store.create_conversation(title="t")
    mid = store.add_message(cid, Message(Role.ASSISTANT, status=Status.STREAMING))
    store.checkpoint(mid, "zebra crossing")
    assert store.search("zebra") == []
    store.finish_message(mid, Message(Role.ASSISTANT, "zebra crossing done"))
    assert [h.conversation_id for h in store.search("zebra")] == [cid]
    store.finish_message(mid, Message(Role.ASSISTANT, "giraffe"))
    assert store.search("zebra") == []
    mid = store.add_message(cid, Message(Role.ASSISTANT, status=Status.STREAMING))
    store.checkpoint(mid, "okapi")
    store.recover_interrupted()
    store.checkpoint(mid, "okapi again")
    store.rename(cid, "renamed title")
    if store.full_text:
        assert_index_matches(store)


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        "*",
        "-",
        "-foo",
        "foo -bar",
        "NEAR",
        "NEAR(a b)",
        "a AND",
        "OR",
        "(",
        ")",
        "^",
        "col:umn",
        'a"b',
        "'",
        "%",
        "_",
        "\\",
        "\x00",
        "🦜",
        "   ",
        "",
    ],
)
def test_any_typed_text_is_a_valid_query(store: Store, query: str) -> None:
    chat(store, "Some prompt", "Some answer")
    assert isinstance(store.search(query), list)


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ('he said "hello"', '"hello"'),
        ("use NEAR(a b) here", "NEAR"),
        ("minus -flag", "-flag"),
        ("cost 100% sure", "100%"),
        ("snake_case name", "snake_case"),
        ("Grüße aus Köln", "köln"),
        ("a parrot 🦜 talks", "parrot"),
    ],
)
def test_tricky_queries_find_their_text(store: Store, text: str, query: str) -> None:
    cid = chat(store, "x", text)
    chat(store, "y", "nothing here")
    assert [h.conversation_id for h in store.search(query)] == [cid]


def test_fts_folds_diacritics(fts_store: Store) -> None:
    cid = chat(fts_store, "x", "un café crème")
    assert [h.conversation_id for h in fts_store.search("cafe creme")] == [cid]
    assert fts_query("a NEAR") == '"a" "NEAR"*'
    assert fts_query("say x") == '"say" "x"'


def test_title_matches_come_first_then_the_most_recent(store: Store) -> None:
    old = chat(store, "first", "a mention of otters")
    titled = chat(store, "a prompt", "nothing", title="Otters in the title")
    new = chat(store, "second", "more otters")
    hits = store.search("otters")
    assert [h.conversation_id for h in hits] == [titled, new, old]
    assert hits[0].snippet == ""


def test_title_matches_get_a_snippet_from_their_messages(store: Store) -> None:
    cid = chat(store, "About otters", "otters swim")
    for n in range(5):
        chat(store, f"other {n}", "otters everywhere")
    [hit] = store.search("otters", limit=1)
    assert hit.conversation_id == cid
    assert matches(hit.snippet) == ["otters"]


def test_split_highlights() -> None:
    assert split_highlights("a \x02b\x03 c\x02d\x03") == [
        ("a ", False),
        ("b", True),
        (" c", False),
        ("d", True),
    ]
    assert split_highlights("") == []
    assert split_highlights("plain") == [("plain", False)]


def test_search_limit(store: Store) -> None:
    for n in range(5):
        chat(store, f"topic {n}", "shared words")
    assert len(store.search("shared", limit=3)) == 3


# -- export and import -----------------------------------------------------------------------


def test_export_json_import_round_trip(store: Store, tmp_path: Path) -> None:
    cid = store.create_conversation(system_prompt="Be kind.", title="Round trip")
    store.add_message(cid, Message(Role.USER, "question", created=1_700_000_000.0))
    store.add_message(cid, full_message())
    data = store.export_json(cid)
    assert data["format"] == "parrotchat-conversation" and data["version"] == EXPORT_VERSION == 2
    data = json.loads(json.dumps(data))
    with Store(tmp_path / "other.db") as other:
        new = other.import_json(data)
        assert other.export_json(new) == data
        record, messages = other.load_conversation(new)
        assert messages == store.load_conversation(cid)[1]
        assert record.title == "Round trip"
        assert [h.conversation_id for h in other.search("answer")] == [new]


def test_absurd_numbers_are_clamped_and_the_export_stays_valid_json(
    store: Store, tmp_path: Path
) -> None:
    cid = store.create_conversation()
    huge = 10**20
    message = Message(
        Role.ASSISTANT,
        "answer",
        usage=Usage(huge, huge, -huge, float("nan")),
        ttft=float("inf"),
        duration=float("nan"),
        tokens=huge,
    )
    store.add_message(cid, message)
    store.finish_message(message.id or 0, message)
    store.checkpoint(message.id or 0, "answer", tokens=huge)
    stored = store.load_conversation(cid)[1][0]
    assert stored.tokens == 2**63 - 1
    assert stored.usage == Usage(2**63 - 1, 2**63 - 1, None, None)
    assert (stored.ttft, stored.duration) == (None, None)
    text = json.dumps(store.export_json(cid), allow_nan=False)
    with Store(tmp_path / "other.db") as other:
        new = other.import_json(json.loads(text))
        assert other.load_conversation(new)[1][0].tokens == 2**63 - 1


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"format": "other"},
        {"format": "parrotchat-conversation", "version": 99, "conversation": {}, "messages": []},
        {"format": "parrotchat-conversation", "version": 1, "conversation": {}, "messages": []},
        {
            "format": "parrotchat-conversation",
            "version": 1,
            "conversation": {"created": 1.0},
            "messages": [{"role": "robot", "created": 1.0}],
        },
    ],
)
def test_import_rejects_what_is_not_an_export(store: Store, data: object) -> None:
    with pytest.raises(InvalidExport):
        store.import_json(data)
    assert store.list_conversations() == []


def test_an_exported_live_reply_imports_as_interrupted(store: Store) -> None:
    cid = store.create_conversation()
    store.add_message(cid, Message(Role.ASSISTANT, "half", status=Status.STREAMING))
    new = store.import_json(store.export_json(cid))
    assert store.load_conversation(new)[1][0].status is Status.INTERRUPTED
    assert store.recover_interrupted(idle_for=3600) == 0


def test_export_markdown_is_readable(store: Store) -> None:
    cid = store.create_conversation(system_prompt="Be kind.")
    store.add_message(cid, Message(Role.USER, "What is 2+2?", created=1_700_000_000.0))
    store.add_message(cid, full_message())
    text = export_text(*store.load_conversation(cid), "markdown", tz=UTC)
    assert text.startswith("# What is 2+2?\n")
    assert "- Models: gpt-x (openai)" in text
    assert "## System prompt\n\nBe kind." in text
    assert "## You · 2023-11-14 22:13:20 UTC\n\nWhat is 2+2?" in text
    assert "## Assistant · gpt-x · 2023-11-14 22:13:20 UTC · error" in text
    assert "> Thinking hard" in text
    assert "**Error:** The connection dropped." in text
    assert "cut off at the token limit" in text
    assert '{"q": "x"}' in text


# -- files -----------------------------------------------------------------------------------


def test_a_foreign_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreUnavailable, match="not a parrotchat history"):
        Store(path)
    assert path.read_bytes() == before


def test_a_folder_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="folder"):
        Store(tmp_path)


# -- secrets ---------------------------------------------------------------------------------

KEY = "sk-test-SECRET-0123456789abcdef"
HEADER_SECRET = "hdr-SECRET-fedcba9876543210"


def test_the_store_api_has_no_place_for_credentials() -> None:
    forbidden = {"api_key", "key", "headers", "authorization", "endpoint", "secret"}
    for name, method in inspect.getmembers(Store, inspect.isfunction):
        assert not forbidden & set(inspect.signature(method).parameters), name
    assert not forbidden & set(inspect.signature(Message).parameters)


async def test_no_key_or_header_reaches_the_database_or_exports(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    endpoint = Endpoint(
        "demo", demo_server.base_url, api_key=KEY, headers={"X-Custom-Auth": HEADER_SECRET}
    )
    body = {"error": {"message": f"Incorrect API key provided: {KEY}", "code": "invalid_api_key"}}
    demo_server.push(Parrot(text="Hello there"), HTTPError(401, body))
    path = tmp_path / "parrotchat.db"
    with Store(path) as store:
        cid = store.create_conversation(model="parrot", provider=endpoint.name)
        async with ChatClient(endpoint) as client:
            for _ in range(2):
                store.add_message(cid, Message(Role.USER, "hi"))
                reply = Message(Role.ASSISTANT, status=Status.STREAMING, model="parrot")
                mid = store.add_message(cid, reply)
                try:
                    async for event in client.stream_chat(
                        "parrot", [{"role": "user", "content": "hi"}]
                    ):
                        if isinstance(event, TextDelta):
                            reply.content += event.text
                            store.checkpoint(mid, reply.content)
                        elif isinstance(event, Finished):
                            reply.status, reply.usage = Status.COMPLETE, event.usage
                except APIError as error:
                    reply.status, reply.error = Status.ERROR, error.message
                store.finish_message(mid, reply)
        _, messages = store.load_conversation(cid)
        assert [m.status for m in messages[1::2]] == [Status.COMPLETE, Status.ERROR]
        exports = "".join(
            export_text(*store.load_conversation(cid), kind) for kind in ("markdown", "json")
        )
    assert demo_server.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for secret in (KEY, HEADER_SECRET, "Bearer", "Authorization", "X-Custom-Auth"):
        assert secret not in exports
        assert secret.encode() not in stored


# -- opening without creating ----------------------------------------------------------------


def test_create_false_never_creates_the_database(tmp_path: Path) -> None:
    path = tmp_path / "data" / "parrotchat.db"
    with pytest.raises(StoreMissing, match="no history yet") as caught:
        Store(path, create=False)
    assert isinstance(caught.value, StoreError)
    assert not path.parent.exists()
    with Store(path) as store:
        cid = chat(store, "kept", "yes")
    with Store(path, create=False) as store:
        assert [c.id for c in store.list_conversations()] == [cid]


def test_message_counts(store: Store) -> None:
    first = chat(store, "one", "two")
    empty = store.create_conversation()
    assert store.message_counts([first, empty, 999]) == {first: 2, empty: 0, 999: 0}
    assert store.message_counts([]) == {}
    many = list(range(1, 1200))
    assert store.message_counts(many)[first] == 2


def test_an_imported_title_over_lines_is_one_markdown_heading(store: Store) -> None:
    data = {
        "format": "parrotchat-conversation",
        "version": 1,
        "conversation": {"title": "two\nlines\n# not a heading", "created": 1.0},
        "messages": [],
    }
    cid = store.import_json(data)
    assert store.get_conversation(cid).title == "two\nlines\n# not a heading"
    text = export_text(*store.load_conversation(cid), "markdown", tz=UTC)
    assert text.splitlines()[0] == "# two lines # not a heading"


def test_the_markdown_export_keeps_a_reply_s_headings_under_its_own(store: Store) -> None:
    answer = "# Plan\n\nSteps:\n\n```sh\n# not a heading\n```\n\n## Details\n\nSetext\n===\n"
    cid = chat(store, "plan it", answer)
    text = export_text(*store.load_conversation(cid), "markdown", tz=UTC)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# plan it",
        headings[1],  # ## You · time
        headings[2],  # ## Assistant · parrot · time
        "### Plan",
        "# not a heading",  # inside the fence: untouched
        "#### Details",
        "### Setext",
    ]
    assert headings[1].startswith("## You") and headings[2].startswith("## Assistant")
    assert "```sh\n# not a heading\n```" in text
