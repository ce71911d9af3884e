"""What the history commands print, in-process: the table, its JSON, search hits."""

from __future__ import annotations

import json
from datetime import UTC

from parrotchat.core.records import ConversationRecord, SearchHit
from parrotchat.core.search import HIGHLIGHT_END as E
from parrotchat.core.search import HIGHLIGHT_START as S
from parrotchat.history_output import (
    BOLD,
    BRACKETS,
    conversation_table,
    conversations_json,
    one_line,
    search_results,
)

NOON = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


def record(id: int, title: str, model: str | None = "m") -> ConversationRecord:
    return ConversationRecord(id=id, title=title, created=NOON, updated=NOON, model=model)


def test_one_line_collapses_whitespace_and_neutralises() -> None:
    assert one_line("  a\n\tb\r\n\x1b[2Jc \x9b ") == "a b ␛[2Jc \ufffd"


def test_the_table_aligns_columns_and_fills_gaps() -> None:
    rows = [
        (record(1234, "first\nline", model="org/long-model-name"), 12),
        (record(7, "", model=None), 0),
    ]
    assert conversation_table(rows, tz=UTC).splitlines() == [
        "  ID  UPDATED           MSGS  MODEL                TITLE",
        "1234  2023-11-14 22:13    12  org/long-model-name  first line",
        "   7  2023-11-14 22:13     0  -                    (untitled)",
    ]


def test_the_json_list_keeps_raw_text_escaped() -> None:
    text = conversations_json([(record(3, "a\x1b[31m\x85b"), 2)])
    assert "\x1b" not in text and "\x85" not in text
    [item] = json.loads(text)
    assert item == {
        "id": 3,
        "title": "a\x1b[31m\x85b",
        "created": "2023-11-14T22:13:20Z",
        "updated": "2023-11-14T22:13:20Z",
        "messages": 2,
        "model": "m",
        "provider": None,
    }


def test_search_results_mark_matches_and_indent_snippets() -> None:
    hits = [
        SearchHit(12, "Monads\nfor you", f"{S}Monads{E}\nfor you", "", NOON),
        SearchHit(3, "Other", "Other", f"…a {S}monad{E} is\n a \x1b]0;x\x07 thing…", NOON),
    ]
    assert search_results(hits, BRACKETS, tz=UTC).splitlines() == [
        "12  2023-11-14 22:13  [Monads] for you",
        " 3  2023-11-14 22:13  Other",
        "    …a [monad] is a ␛]0;x␇ thing…",
    ]
    bold = search_results(hits[:1], BOLD, tz=UTC)
    assert bold == "12  2023-11-14 22:13  \x1b[1mMonads\x1b[22m for you\n"
    assert search_results([], BRACKETS) == ""
