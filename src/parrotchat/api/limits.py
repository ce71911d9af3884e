"""How much parrotchat reads from a server at most: a bound on what a broken or hostile server
can make the client hold in memory.

Every limit is a config key under `[limits]` (in MB); when one is hit the request ends with one
sentence naming the key (`ResponseTooLarge`), and a streamed reply keeps its text so far.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MB", "Limits", "megabytes"]

MB = 1 << 20
"""One megabyte as the limits count it (a mebibyte)."""


@dataclass(frozen=True)
class Limits:
    """Largest sizes, in bytes. `Limits(event=1 << 20)  # 1 MB per SSE event`"""

    response: int = 8 * MB
    """A non-streamed answer's JSON body (a server that ignored `"stream": true`)."""
    models: int = 8 * MB
    """The `GET /models` body."""
    event: int = 8 * MB
    """One server-sent event, all its `data:` lines together."""
    line: int = 8 * MB
    """One line of the event stream."""
    reply: int = 16 * MB
    """The text of one reply: answer, reasoning and tool-call arguments together."""


def megabytes(size: int) -> str:
    """`size` bytes as the config writes it: `megabytes(8 << 20)  # '8 MB'`."""
    return f"{size / MB:g} MB"
