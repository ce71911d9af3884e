"""A conversation and its messages, and how they become the request's `messages` list.

A conversation is a tree: an edited prompt or a reply asked for again is a *sibling* of the
message it replaces, and nothing is lost. `Conversation.messages` is the *active path*, from
the first message to the leaf on screen: what the UI shows and what a request carries.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from parrotchat.api.events import ToolCall, Usage
from parrotchat.core.attachments import Attachment, join_contents, request_content

__all__ = [
    "RATE_MIN_SECONDS",
    "RATE_MIN_TOKENS",
    "Conversation",
    "Message",
    "Role",
    "Status",
    "active_path",
    "token_rate",
]

RATE_MIN_SECONDS = 0.5
"""A rate over a shorter span (a cached answer in a few ms) says nothing: none is shown."""
RATE_MIN_TOKENS = 5
"""Nor over fewer tokens than this."""


def token_rate(tokens: int, ttft: float | None, until: float | None) -> float | None:
    """Tokens a second from the first token to `until` (seconds since the request); None
    when the span or the count is too small to mean anything."""
    if ttft is None or until is None or tokens < RATE_MIN_TOKENS:
        return None
    span = until - ttft
    return (tokens - 1) / span if span >= RATE_MIN_SECONDS else None


PACK_MIN_CHARS = 8192
"""Texts shorter than this stay as they are when a message is packed: too little to save for
the time it takes (each compression costs ~0.1 ms however short the text)."""


class PackableText:
    """A text field of `Message` that can be kept packed while its message is off screen.

    A long conversation keeps every message's text in memory for the whole session; a reply
    of 10,000 tokens holding one emoji is stored by Python at 4 bytes a character (123 KB).
    `Message.pack` keeps such texts as zlib-compressed UTF-8 instead (4 KB) and every read
    unpacks a fresh copy, so whoever reads the text (a request, a copy, an export) gets it
    exactly as it was; `Message.unpack` keeps it as a plain string again.

    A plain text lives in the instance's `__dict__` under the field's own name, which hides
    this (non-data) descriptor: reading it costs a plain attribute lookup. Packing moves it
    to `_packed_<name>`; only then does a read come here.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name
        self._packed = f"_packed_{name}"

    def __get__(self, message: object, owner: type | None = None) -> str:
        if message is None:
            return ""  # the dataclass field's default
        packed: bytes = message.__dict__[self._packed]
        return zlib.decompress(packed).decode("utf-8", "surrogatepass")

    def pack(self, message: object) -> None:
        fields = message.__dict__
        value = fields.get(self._name)
        if value is not None:
            fields.pop(self._packed, None)  # left over if the text was set while packed
        if value is not None and len(value) >= PACK_MIN_CHARS:
            # Lone surrogates (from a JSON escape) survive the round trip.
            fields[self._packed] = zlib.compress(value.encode("utf-8", "surrogatepass"), 1)
            del fields[self._name]

    def unpack(self, message: object) -> None:
        fields = message.__dict__
        if self._name not in fields:
            fields[self._name] = self.__get__(message)
        fields.pop(self._packed, None)

    def packed(self, message: object) -> bool:
        return self._name not in message.__dict__


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
    content: PackableText = PackableText()
    """The answer's or prompt's text (kept packed while the message is off screen: `pack`)."""
    reasoning: PackableText = PackableText()
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
    """The message's id in the history, once stored."""
    parent_id: int | None = field(default=None, compare=False)
    """The stored id of the message it answers or follows; None for a first message."""
    attachments: list[Attachment] = field(default_factory=list)
    """Files attached to a prompt; sent with it on every later turn too."""
    compare: int | None = None
    """The comparison it belongs to (a number shared by the replies of one prompt sent to
    several models, and by the prompts that carry each of them on); None outside one."""

    @property
    def tokens_per_second(self) -> float | None:
        return token_rate(self.tokens, self.ttft, self.duration)

    def pack(self) -> None:
        """Keep the long texts compressed: the message is off screen and rarely read.

        Reading `content` or `reasoning` still gives the exact text (unpacked each time).
        """
        _CONTENT.pack(self)
        _REASONING.pack(self)

    def unpack(self) -> None:
        """Keep the texts as plain strings again: the message is shown."""
        _CONTENT.unpack(self)
        _REASONING.unpack(self)

    @property
    def packed(self) -> bool:
        """True while the content or the reasoning is kept packed."""
        return _CONTENT.packed(self) or _REASONING.packed(self)

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


_CONTENT: PackableText = Message.__dict__["content"]
_REASONING: PackableText = Message.__dict__["reasoning"]


def active_path(nodes: list[Message], active: int | None) -> list[Message]:
    """The path from the first message to the one whose id is `active` (or, if there is no
    such message, to the newest one), given messages with `id` and `parent_id` set."""
    if not nodes:
        return []
    by_id = {message.id: message for message in nodes}
    node: Message | None = by_id.get(active, nodes[-1]) if active is not None else nodes[-1]
    path: list[Message] = []
    while node is not None:
        path.append(node)
        node = by_id.get(node.parent_id) if node.parent_id is not None else None
    path.reverse()
    return path


class Conversation:
    """The messages of one chat as a tree, the active path through it, and the system prompt
    that goes first in every request.

    `Conversation("Be brief.", [prompt, reply])` starts with one path; `add` extends it,
    `branch` puts a sibling in place of a message on the path, `switch` shows another sibling.
    """

    def __init__(
        self, system_prompt: str | None = None, messages: list[Message] | None = None
    ) -> None:
        self.system_prompt: str | None = system_prompt
        self.messages: list[Message] = []
        """The active path, first message first."""
        self._parent: dict[int, Message | None] = {}
        """id(message) -> the message it follows (None for a first message)."""
        self._children: dict[int | None, list[Message]] = {}
        """id(parent) (None: the first messages) -> its children, oldest first."""
        self._order: dict[int, int] = {}
        """id(message) -> when it joined the tree (the latest leaf of a branch is shown)."""
        for message in messages or ():
            self.add(message)

    @classmethod
    def from_tree(
        cls, system_prompt: str | None, nodes: list[Message], active: int | None = None
    ) -> Conversation:
        """A conversation from stored messages (oldest first, `id` and `parent_id` set), on the
        path to the message whose id is `active` (default: the newest leaf)."""
        conversation = cls(system_prompt)
        by_id = {message.id: message for message in nodes if message.id is not None}
        for message in nodes:
            parent = by_id.get(message.parent_id) if message.parent_id is not None else None
            conversation._join(message, parent)
        leaf = by_id.get(active) if active is not None else None
        if leaf is None and nodes:
            leaf = nodes[-1]
            while conversation._children.get(id(leaf)):
                leaf = conversation._children[id(leaf)][-1]
        conversation.messages = conversation._path_to(leaf) if leaf is not None else []
        return conversation

    def _join(self, message: Message, parent: Message | None) -> None:
        self._parent[id(message)] = parent
        self._children.setdefault(id(parent) if parent is not None else None, []).append(message)
        self._order[id(message)] = len(self._order)

    def _newest_leaf(self, node: Message) -> Message:
        """The message below `node` (or `node` itself) that joined the tree last: a leaf, since
        its children would have joined later."""
        leaf, newest = node, self._order.get(id(node), 0)
        stack = list(self._children.get(id(node), []))
        while stack:
            child = stack.pop()
            if self._order.get(id(child), 0) > newest:
                leaf, newest = child, self._order[id(child)]
            stack.extend(self._children.get(id(child), []))
        return leaf

    def path_to(self, leaf: Message) -> list[Message]:
        """The messages from the first one to `leaf`."""
        return self._path_to(leaf)

    def _path_to(self, leaf: Message) -> list[Message]:
        path: list[Message] = []
        node: Message | None = leaf
        while node is not None:
            path.append(node)
            node = self._parent.get(id(node))
        path.reverse()
        return path

    def add(self, message: Message) -> Message:
        """Append `message` to the active path."""
        parent = self.messages[-1] if self.messages else None
        message.parent_id = parent.id if parent is not None else None
        self._join(message, parent)
        self.messages.append(message)
        return message

    def branch(self, index: int, message: Message) -> Message:
        """Make `message` a sibling of the path's message at `index`, and the path end there.

        The old message and everything after it stay in the tree, as an alternative.
        """
        parent = self.messages[index - 1] if index > 0 else None
        message.parent_id = parent.id if parent is not None else None
        self._join(message, parent)
        self.messages[index:] = [message]
        return message

    def siblings(self, message: Message) -> list[Message]:
        """`message` and its alternatives (same parent), oldest first."""
        parent = self._parent.get(id(message))
        return list(self._children.get(id(parent) if parent is not None else None, [message]))

    def alternatives(self, message: Message) -> tuple[int, int]:
        """Which of its alternatives `message` is, and how many there are (1-based: `(2, 3)`
        reads "2/3")."""
        siblings = self.siblings(message)
        position = next((n for n, sibling in enumerate(siblings) if sibling is message), 0)
        return position + 1, len(siblings)

    def switch(self, index: int, step: int) -> bool:
        """Show the sibling `step` places away from the path's message at `index`, with the
        newest branch below it; False if there is none that way."""
        message = self.messages[index]
        siblings = self.siblings(message)
        position = siblings.index(message) + step
        if not 0 <= position < len(siblings):
            return False
        chosen = siblings[position]
        self.messages[index:] = self._path_to(self._newest_leaf(chosen))[index:]
        return True

    def show_branch_of(self, message_id: int) -> bool:
        """Make the path go through the stored message `message_id` (to the newest leaf below
        it); False if there is no such message. Nothing changes if it is on the path already."""
        target = next(
            (m for kids in self._children.values() for m in kids if m.id == message_id), None
        )
        if target is None:
            return False
        if any(message is target for message in self.messages):
            return True
        self.messages = self._path_to(self._newest_leaf(target))
        return True

    def add_under(self, parent: Message, message: Message) -> Message:
        """Put `message` below `parent` (anywhere in the tree); the active path stays."""
        message.parent_id = parent.id
        self._join(message, parent)
        return message

    def parent(self, message: Message) -> Message | None:
        """The message `message` follows; None for a first message."""
        return self._parent.get(id(message))

    def children(self, message: Message) -> list[Message]:
        """The messages that follow `message` (its alternatives), oldest first."""
        return list(self._children.get(id(message), []))

    def branch_below(self, message: Message) -> list[Message]:
        """`message` and the newest branch below it, down to its leaf."""
        start = len(self._path_to(message)) - 1
        return self._path_to(self._newest_leaf(message))[start:]

    def show(self, message: Message) -> list[Message]:
        """Make the path go through `message` to the newest leaf below it; what was added to
        the path's end (the path up to `message` must be the path shown, or a part of it)."""
        before = len(self.messages)
        self.messages = self._path_to(self._newest_leaf(message))
        return self.messages[before:]

    def comparison(self) -> list[Message]:
        """The open comparison's replies, one per model in the order asked: the newest
        comparison below the path's last message, when the path ends at its prompt (no reply
        chosen yet). Empty if there is none."""
        if not self.messages:
            return []
        below = [m for m in self._children.get(id(self.messages[-1]), []) if m.compare is not None]
        if not below:
            return []
        group = max(m.compare or 0 for m in below)
        return [m for m in below if m.compare == group]

    def next_comparison(self) -> int:
        """A number no comparison in the tree uses yet."""
        groups = [m.compare or 0 for kids in self._children.values() for m in kids]
        return max(groups, default=0) + 1

    def remove_last(self) -> Message:
        """Take the path's last message out of the tree (a failed reply with nothing in it)."""
        message = self.messages.pop()
        parent = self._parent.pop(id(message), None)
        kids = self._children.get(id(parent) if parent is not None else None, [])
        if message in kids:
            kids.remove(message)
        return message

    def request_messages(self, path: list[Message] | None = None) -> list[dict[str, Any]]:
        """The active path (or `path`) for the next request: system prompt first, then every
        turn.

        Partial answers (cancelled, interrupted, failed) go along: the model should see what the
        user saw. Empty assistant turns are left out, and so is a user turn whose reply is missing
        entirely, unless it is the last message.
        """
        out: list[dict[str, Any]] = []
        if self.system_prompt:
            out.append({"role": "system", "content": self.system_prompt})
        for message in self.messages if path is None else path:
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
