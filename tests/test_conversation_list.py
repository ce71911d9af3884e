"""The Chats view's pieces without a terminal: dates, highlighted snippets, entries, exports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.content import Content

from parrotchat.core.export_file import export_file_name, write_new_file
from parrotchat.core.search import HIGHLIGHT_END, HIGHLIGHT_START
from parrotchat.ui.conversation_list import MATCH_STYLE, ChatEntry, format_when, highlighted


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


NOW = ts("2025-06-18 15:30:00")  # a Wednesday


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        ("2025-06-18 15:29:30", "just now"),
        ("2025-06-18 15:31:00", "just now"),  # another process's clock a little ahead
        ("2025-06-18 15:05:00", "25 min ago"),
        ("2025-06-18 09:07:00", "09:07"),
        ("2025-06-17 23:59:00", "yesterday"),
        ("2025-06-14 12:00:00", "Sat"),
        ("2025-03-03 12:00:00", "Mar 3"),
        ("2023-03-03 12:00:00", "2023-03-03"),
    ],
)
def test_format_when(when: str, shown: str) -> None:
    assert format_when(ts(when), NOW, UTC) == shown


def test_highlighted_marks_the_matches_and_keeps_the_rest_literal() -> None:
    marked = f"a [b]x[/b] {HIGHLIGHT_START}parrot{HIGHLIGHT_END} \x1b[2J\n{HIGHLIGHT_START}cat"
    content = highlighted(marked + HIGHLIGHT_END)
    assert content.plain == "a [b]x[/b] parrot ␛[2J cat"
    styled = [content.plain[s.start : s.end] for s in content.spans if s.style == MATCH_STYLE]
    assert styled == ["parrot", "cat"]


def test_a_chat_entry_is_one_title_line_ellipsised_and_at_most_two_snippet_lines() -> None:
    entry = ChatEntry(
        Content("A very long title that cannot fit in the sidebar at all"),
        Content("just now · parrot"),
        Content(" ".join(["word"] * 40)),
        current=True,
    )
    lines = entry._lines(24)
    assert [line.plain for line in lines[:2]] == ["A very long title tha…", "just now · parrot"]
    assert len(lines) == 4 and lines[-1].plain.endswith("…")
    assert entry.get_height(None, 24) == 4  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Explain monads, please!", "parrotchat-explain-monads-please.md"),
        ("Café ☕ naïve", "parrotchat-cafe-naive.md"),
        ("../../etc/passwd", "parrotchat-etc-passwd.md"),
        ("☕☕", "parrotchat-conversation.md"),
    ],
)
def test_export_file_names_are_portable(title: str, name: str) -> None:
    assert export_file_name(title, ".md") == name


def test_an_export_never_overwrites_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "folder"
    first = write_new_file(folder, "x.md", "one")
    second = write_new_file(folder, "x.md", "two")
    third = write_new_file(folder, "x.md", "three")
    assert [p.name for p in (first, second, third)] == ["x.md", "x-2.md", "x-3.md"]
    assert [p.read_text() for p in (first, second, third)] == ["one", "two", "three"]


def test_a_snippet_whose_match_is_far_in_starts_near_the_match() -> None:
    words = " ".join(f"w{n}" for n in range(30))
    entry = ChatEntry(Content("t"), Content("d"), highlighted(f"{words} \x02parrot\x03 end"))
    lines = [line.plain for line in entry._lines(24)[2:]]
    assert len(lines) == 2 and lines[0].startswith("…")
    assert "parrot" in " ".join(lines)
