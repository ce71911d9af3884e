"""A conversation and its messages, and how they become the request's `messages` list."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from parrotchat.api.events import ToolCall, Usage
from parrotchat.core.attachments import Attachment, join_contents, request_content

__all__ = ["Conversation", "Message", "Role", "Status"]


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


class Status(StrEnum):
    STREAMING = "streaming"
    COMPLETE = "complete"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    ERROR = "error"


@dataclass
class Message:
    """One message of a conversation."""

    role: Role
    content: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    model: str | None = None
    provider: str | None = None
    status: Status = Status.COMPLETE
    error: str | None = None
    """The user-facing error sentence when `status` is ERROR or INTERRUPTED."""
    notice: str | None = None
    """A notice such as "cut off at the token limit"."""
    usage: Usage | None = None
    ttft: float | None = None
    """Seconds from sending the request to the first token."""
    duration: float | None = None
    """Seconds from sending the request to the end of the reply."""
    tokens: int = 0
    """Completion tokens: from usage when reported, else the count of streamed chunks."""
    created: float = field(default_factory=time.time)
    id: int | None = field(default=None, compare=False)
    """The message's id in the history, once stored (a retry replaces that stored message)."""
    attachments: list[Attachment] = field(default_factory=list)
    """Files attached to a prompt; sent with it on every later turn too."""

    @property
    def tokens_per_second(self) -> float | None:
        if self.ttft is None or self.duration is None or self.tokens <= 1:
            return None
        span = self.duration - self.ttft
        return (self.tokens - 1) / span if span > 0 else None

    def to_request(self) -> dict[str, Any] | None:
        """The message as the server expects it, or None if it adds nothing to the history."""
        if self.role is Role.ASSISTANT and not self.content:
            # parrotchat runs no tools, so tool calls are not sent back: servers reject an
            # assistant `tool_calls` message that no `tool` result follows.
            return None
        if self.attachments:
            return {
                "role": str(self.role),
                "content": request_content(self.content, self.attachments),
            }
        return {"role": str(self.role), "content": self.content}


@dataclass
class Conversation:
    """The messages of one chat, and the system prompt that goes first in every request."""

    system_prompt: str | None = None
    messages: list[Message] = field(default_factory=list)

    def add(self, message: Message) -> Message:
        self.messages.append(message)
        return message

    def request_messages(self) -> list[dict[str, Any]]:
        """The whole history for the next request: system prompt first, then every turn.

        Partial answers (cancelled, interrupted, failed) go along: the model should see what the
        user saw. Empty assistant turns are left out, and so is a user turn whose reply is missing
        entirely, unless it is the last message.
        """
        out: list[dict[str, Any]] = []
        if self.system_prompt:
            out.append({"role": "system", "content": self.system_prompt})
        for message in self.messages:
            item = message.to_request()
            if item is None:
                continue
            if out and out[-1]["role"] == item["role"] == "user":
                # The previous user turn got no answer at all: keep both, as one turn.
                content = join_contents(out[-1]["content"], item["content"])
                out[-1] = {"role": "user", "content": content}
                continue
            out.append(item)
        return out
