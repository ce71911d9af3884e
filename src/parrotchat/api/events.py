"""Typed events produced from an OpenAI-compatible chat-completions stream.

`stream_chat` yields these; nothing here knows about HTTP or Textual.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Event",
    "Finished",
    "ReasoningDelta",
    "Retrying",
    "TextDelta",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
]


@dataclass(slots=True, frozen=True)
class TextDelta:
    """A piece of the answer text."""

    text: str


@dataclass(slots=True, frozen=True)
class ReasoningDelta:
    """A piece of the model's reasoning ("thinking"); not part of the answer."""

    text: str


@dataclass(slots=True, frozen=True)
class ToolCallDelta:
    """A fragment of a tool call as it streams; `Finished.tool_calls` has the whole calls."""

    index: int
    """Position of the call this fragment belongs to (0-based, normalised)."""
    id: str | None
    name: str | None
    arguments: str
    """The new piece of the JSON arguments text (may be empty)."""


@dataclass(slots=True, frozen=True)
class Usage:
    """Token usage (and cost when the provider reports it)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    cost: float | None = None
    """Cost in USD, when the provider reports it (OpenRouter-style `usage.cost`)."""


@dataclass(slots=True)
class ToolCall:
    """A whole tool call, accumulated from its fragments."""

    index: int
    id: str | None = None
    type: str = "function"
    name: str = ""
    arguments: str = ""
    """The raw JSON arguments text as the model wrote it."""

    @property
    def parsed_arguments(self) -> Any | None:
        """The arguments decoded from JSON, or None if they are not valid JSON."""
        try:
            return json.loads(self.arguments) if self.arguments.strip() else {}
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            return None


@dataclass(slots=True)
class Finished:
    """The stream ended normally. Always the last event of a successful stream."""

    reason: str | None
    """The `finish_reason` (stop, length, tool_calls, content_filter, ...), None if not sent."""
    usage: Usage | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)

    @property
    def notice(self) -> str | None:
        """A sentence for the user when the reason deserves one (truncated, filtered)."""
        if self.reason == "length":
            return "The answer was cut off at the token limit (finish_reason: length)."
        if self.reason == "content_filter":
            return "The provider's content filter stopped the answer (content_filter)."
        return None


@dataclass(slots=True, frozen=True)
class Retrying:
    """The request failed before any token and will be sent again after `delay` seconds."""

    attempt: int
    """1 for the first retry, 2 for the second."""
    delay: float
    reason: str
    """The user-facing sentence of the error that caused the retry."""
    limit: int = 2
    """How many retries the endpoint allows in all (`Endpoint.max_retries`)."""


Event = TextDelta | ReasoningDelta | ToolCallDelta | Usage | Finished | Retrying
