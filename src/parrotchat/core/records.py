"""What the history store hands back besides messages: conversation rows and search hits."""

from __future__ import annotations

import re
from dataclasses import dataclass

from parrotchat.sanitize import neutralize

LAST = -1
"""Stands for "the last conversation" (`--continue`) where a conversation id is expected."""

__all__ = [
    "MAX_TITLE",
    "TITLE_LENGTH",
    "ConversationRecord",
    "SearchHit",
    "clip_title",
    "make_title",
]

TITLE_LENGTH = 60
"""The longest automatic title, in characters (the ellipsis included)."""
MAX_TITLE = 200
"""The longest title stored or listed, in characters (the ellipsis included)."""


def clip_title(title: str, length: int = MAX_TITLE) -> str:
    """`title` cut to `length` characters, an ellipsis marking the cut.

    `clip_title("x" * 300)  # 199 x and '…'`
    """
    return title if len(title) <= length else title[: length - 1] + "…"


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """One stored conversation, without its messages."""

    id: int
    title: str
    created: float
    updated: float
    """Unix time of the last message added or finished (checkpoints do not count)."""
    system_prompt: str | None = None
    model: str | None = None
    """The model of the last assistant message, or the one the conversation was started with."""
    provider: str | None = None
    deleted_at: float | None = None
    """When the conversation was moved to the trash; None while it is not in the trash."""
    active_leaf: int | None = None
    """The id of the message the conversation is shown at (None: its newest), when loaded
    with every branch (`Store.load_tree`)."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A conversation that matches a search.

    `title_highlighted` and `snippet` mark each matching span with `HIGHLIGHT_START` and
    `HIGHLIGHT_END` (see `parrotchat.core.search`); split them with `split_highlights`.
    """

    conversation_id: int
    title: str
    title_highlighted: str
    """The title with matches marked (unmarked when only the messages match)."""
    snippet: str
    """A few words around the best match in the messages, or "" when only the title matches."""
    updated: float
    message_id: int | None = None
    """The message the snippet comes from (on any branch), if the messages match."""


_SPACE = re.compile(r"\s+")


def make_title(prompt: str, length: int = TITLE_LENGTH) -> str:
    """A short one-line title from a prompt: whitespace collapsed, controls made inert.

    `make_title("Explain\\nmonads  please")  # 'Explain monads please'`
    """
    text = neutralize(_SPACE.sub(" ", prompt).strip())
    if len(text) <= length:
        return text
    cut = text[: length - 1]
    space = cut.rfind(" ")
    if space >= length // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"
