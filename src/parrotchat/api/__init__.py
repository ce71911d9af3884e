"""The OpenAI-compatible chat-completions client: SSE decoding, chunk parsing, HTTP, errors.

Nothing in this package imports Textual or reads files or environment variables.
"""

from parrotchat.api.client import ChatClient
from parrotchat.api.endpoint import Endpoint
from parrotchat.api.errors import *  # noqa: F403
from parrotchat.api.errors import __all__ as _errors_all
from parrotchat.api.events import *  # noqa: F403
from parrotchat.api.events import __all__ as _events_all
from parrotchat.api.models import ModelInfo

__all__ = ["ChatClient", "Endpoint", "ModelInfo", *_errors_all, *_events_all]
