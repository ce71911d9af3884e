"""The OpenAI-compatible chat-completions client: SSE decoding, chunk parsing, HTTP, errors.

Nothing in this package imports Textual or reads files or environment variables. `ChatClient`
(and with it httpx) is imported on first use, so commands that never talk HTTP start faster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parrotchat.api.endpoint import Endpoint
from parrotchat.api.errors import *  # noqa: F403
from parrotchat.api.errors import __all__ as _errors_all
from parrotchat.api.events import *  # noqa: F403
from parrotchat.api.events import __all__ as _events_all
from parrotchat.api.limits import Limits
from parrotchat.api.models import ModelInfo

if TYPE_CHECKING:
    from parrotchat.api.client import ChatClient

__all__ = ["ChatClient", "Endpoint", "Limits", "ModelInfo", *_errors_all, *_events_all]


def __getattr__(name: str) -> Any:
    if name == "ChatClient":
        from parrotchat.api.client import ChatClient

        return ChatClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
