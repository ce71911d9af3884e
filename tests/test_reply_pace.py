"""The reader knows when it is behind the network: a burst's events were waiting in the socket.

The real client against the demo server: at full speed the events of a long reply pile up in
the socket faster than any provider sends them; at a provider's pace they do not.
"""

from __future__ import annotations

from parrotchat.api import ChatClient, Endpoint
from parrotchat.core.conversation import Message, Role
from parrotchat.core.reply import YIELD_EVERY, ReplyBuilder, ReplyRequest, stream_reply
from parrotchat.demo.behaviours import Parrot


async def read_reply(base_url: str) -> list[bool]:
    """Stream one reply; the builder's `behind` each time the reader let other tasks in."""
    seen: list[bool] = []

    class Listener:
        def on_text(self, text: str) -> None:
            seen.append(builder.behind)

        def on_reasoning(self, text: str) -> None: ...
        def on_tool_call(self, call: object) -> None: ...
        def on_notice(self, text: str | None) -> None: ...
        def on_end(self, message: Message) -> None: ...

    builder = ReplyBuilder(Message(Role.ASSISTANT), listener=Listener())  # type: ignore[arg-type]
    request = ReplyRequest("parrot", [{"role": "user", "content": "talk"}])
    async with ChatClient(Endpoint("demo", base_url)) as client:
        await stream_reply(client, request, builder)
    return seen[YIELD_EVERY::YIELD_EVERY]


async def test_a_burst_is_behind_and_a_providers_pace_is_not(demo_server, slow_demo_server):
    demo_server.push(Parrot(tokens=3000))
    assert any(await read_reply(demo_server.base_url))
    slow_demo_server.push(Parrot(tokens=3 * YIELD_EVERY, tokens_per_second=200))
    seen = await read_reply(slow_demo_server.base_url)
    assert len(seen) >= 2 and not any(seen)
