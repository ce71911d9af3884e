"""What the history commands print: the conversation table, its JSON, and search hits.

Pure functions from store records to text. Everything taken from the database is untrusted:
made one line and neutralised here before it can reach a terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from parrotchat.core.export import dump_json
from parrotchat.core.records import MAX_TITLE, ConversationRecord, SearchHit, clip_title
from parrotchat.core.search import split_highlights
from parrotchat.sanitize import neutralize, one_line

__all__ = [
    "BOLD",
    "BRACKETS",
    "Highlight",
    "conversation_table",
    "conversations_json",
    "local_time",
    "one_line",
    "search_results",
]

UNTITLED = "(untitled)"


@dataclass(frozen=True, slots=True)
class Highlight:
    """How a search match is marked: `start` before it, `end` after it."""

    start: str
    end: str


BOLD = Highlight("\x1b[1m", "\x1b[22m")
"""Bold on a terminal (22 ends bold without resetting colours)."""
BRACKETS = Highlight("[", "]")
"""Plain brackets, for pipes, files and `NO_COLOR`."""


def local_time(timestamp: float, tz: tzinfo | None = None) -> str:
    """`timestamp` as `YYYY-MM-DD HH:MM` in `tz` (the local time zone when None)."""
    return datetime.fromtimestamp(timestamp, tz).strftime("%Y-%m-%d %H:%M")


def conversation_table(
    rows: Sequence[tuple[ConversationRecord, int]], tz: tzinfo | None = None
) -> str:
    """Aligned columns, one conversation a line under a header: id, last activity, message
    count, model and title.

    Args:
        rows: Each conversation with its message count, in the order to print.
        tz: The time zone for times; the local one when None.
    """
    table = [("ID", "UPDATED", "MSGS", "MODEL", "TITLE")]
    for record, count in rows:
        table.append(
            (
                str(record.id),
                local_time(record.updated, tz),
                str(count),
                one_line(record.model or "") or "-",
                clip_title(one_line(record.title[: MAX_TITLE * 4])) or UNTITLED,
            )
        )
    widths = [max(len(row[column]) for row in table) for column in range(4)]
    lines = []
    for ident, updated, count, model, title in table:
        lines.append(
            f"{ident:>{widths[0]}}  {updated:<{widths[1]}}  {count:>{widths[2]}}"
            f"  {model:<{widths[3]}}  {title}"
        )
    return "\n".join(lines) + "\n"


def _utc(timestamp: float) -> str:
    """ISO 8601 in UTC to the second, the form `jq`'s `fromdate` reads."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def conversations_json(rows: Sequence[tuple[ConversationRecord, int]]) -> str:
    """The conversations as a JSON list for scripts: raw titles, escaped, times in UTC."""
    items: list[dict[str, Any]] = [
        {
            "id": record.id,
            "title": record.title,
            "created": _utc(record.created),
            "updated": _utc(record.updated),
            "messages": count,
            "model": record.model,
            "provider": record.provider,
        }
        for record, count in rows
    ]
    return dump_json(items)


def _marked(text: str, highlight: Highlight) -> str:
    """Store-marked text (see `parrotchat.core.search`) on one line, inert, matches marked."""
    return "".join(
        highlight.start + neutralize(piece) + highlight.end if is_match else neutralize(piece)
        for piece, is_match in split_highlights(" ".join(text.split()))
    )


def search_results(
    hits: Sequence[SearchHit], highlight: Highlight, tz: tzinfo | None = None
) -> str:
    """Each hit as `ID  UPDATED  TITLE`, then its snippet indented on the next line."""
    width = max((len(str(hit.conversation_id)) for hit in hits), default=0)
    lines = []
    for hit in hits:
        title = _marked(hit.title_highlighted, highlight) if hit.title else UNTITLED
        lines.append(f"{hit.conversation_id:>{width}}  {local_time(hit.updated, tz)}  {title}")
        if hit.snippet:
            lines.append(f"{'':>{width}}  {_marked(hit.snippet, highlight)}")
    return "\n".join(lines) + "\n" if lines else ""
