"""The body of a reply's worker: read the client's events into a `ReplyStream`, record the end.

It awaits only the network; widgets are the flusher's business.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from parrotchat.api.client import ChatClient
from parrotchat.api.errors import APIError, StreamInterrupted
from parrotchat.core.conversation import Status
from parrotchat.sanitize import neutralize
from parrotchat.ui.error_log import ErrorLog
from parrotchat.ui.reply_stream import ReplyStream

__all__ = ["ReplyRequest", "stream_reply"]


@dataclass(frozen=True)
class ReplyRequest:
    """What one request sends: the model, the whole history, and sampling parameters."""

    model: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    temperature: float | None = None
    max_tokens: int | None = None


YIELD_EVERY = 64
"""Events parsed between chances for the frame timer (and keys) to run."""


async def stream_reply(
    client: ChatClient, request: ReplyRequest, stream: ReplyStream, error_log: ErrorLog
) -> None:
    """Stream one reply into `stream`, ending it as complete, cancelled, interrupted or failed.

    Cancelling the task leaves the client's generator at once, which closes the connection.
    Nothing but `CancelledError` escapes.
    """
    stream.begin()
    try:
        events = client.stream_chat(
            request.model,
            request.messages,
            temperature=request.temperature,
            max_tokens=request.max_tokens,
        )
        async with contextlib.aclosing(events):
            count = 0
            async for event in events:
                stream.feed(event)
                count += 1
                if not count % YIELD_EVERY:
                    # A fast stream arrives in big reads parsed without a pause: let a due frame in.
                    await asyncio.sleep(0)
    except asyncio.CancelledError:
        stream.end(Status.CANCELLED)
        raise
    except StreamInterrupted as error:
        stream.end(Status.INTERRUPTED, neutralize(error.message))
    except APIError as error:
        stream.end(Status.ERROR, neutralize(error.message))
    except Exception as error:
        stream.end(Status.ERROR, error_log.record(error, "streaming a reply"))
    else:
        stream.end(Status.COMPLETE)
