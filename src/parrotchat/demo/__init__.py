"""The offline demo: an OpenAI-compatible server whose models parrot your prompt as Markdown.

It is also the project's test fixture and benchmark source: push behaviours to make it
misbehave in every way `docs/protocol.md` lists.

```python
with DemoServer(tokens_per_second=None) as server:
    server.push(Parrot(framing="crlf", keepalives_first=3), HTTPError(429))
    client = httpx.Client(base_url=server.base_url)
```
"""

from __future__ import annotations

from parrotchat.demo.behaviours import (
    DONE,
    SERVER_PACE,
    Behaviour,
    HTTPError,
    Parrot,
    Script,
    chunk,
    error_event,
    keepalive,
    sse,
    tool_call,
    usage_chunk,
)
from parrotchat.demo.hostile import Flood
from parrotchat.demo.parrot import MODELS, DemoModel, reply_text, reply_tokens
from parrotchat.demo.server import DemoServer, RecordedRequest

__all__ = [
    "DONE",
    "MODELS",
    "SERVER_PACE",
    "Behaviour",
    "DemoModel",
    "DemoServer",
    "Flood",
    "HTTPError",
    "Parrot",
    "RecordedRequest",
    "Script",
    "chunk",
    "error_event",
    "keepalive",
    "reply_text",
    "reply_tokens",
    "sse",
    "tool_call",
    "usage_chunk",
]
