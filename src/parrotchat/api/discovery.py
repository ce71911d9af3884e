"""Find OpenAI-compatible servers running on this machine, without any configuration.

Each port is asked for `GET http://127.0.0.1:PORT/v1/models`, all at once, each within a short
deadline; the ones that answer with a model list are found. Only 127.0.0.1 is ever asked, and
no key or credential header is ever sent (a local server has no business with them).

`await discover({11434: "ollama"})  # [FoundServer("ollama", 11434, ...)] if Ollama runs`
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from parrotchat import __version__
from parrotchat.api.models import ModelInfo, parse_models

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_PORTS",
    "LOOPBACK",
    "PROBE_TIMEOUT",
    "FoundServer",
    "discover",
    "local_port",
]

DEFAULT_PORTS: Mapping[int, str] = {
    11434: "ollama",
    1234: "lmstudio",
    8080: "llamacpp",
    8000: "vllm",
}
"""The ports local servers listen on by default, and the name each is listed under."""
LOOPBACK = "127.0.0.1"
"""The only host discovery ever asks."""
PROBE_TIMEOUT = 1.0
"""Seconds one port may take to answer, from connecting to the last byte. A closed port answers
at once; this bounds only a server that is busy (a laptop loading a model) or mute, and the
search runs beside everything else, so a generous bound costs nothing and misses no server."""
_OWNERS: Mapping[str, str] = {"llamacpp": "llamacpp", "vllm": "vllm"}
"""`owned_by` values that tell which server answers, and the name to list it under."""
_MAX_BODY = 4 * 1024 * 1024
"""A model list larger than this is not a local server's."""


@dataclass(frozen=True)
class FoundServer:
    """A server that answered `/v1/models` on this machine."""

    name: str
    """The name it is listed under, e.g. `ollama`."""
    port: int
    models: list[ModelInfo] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """Its OpenAI-style base URL, e.g. `http://127.0.0.1:11434/v1`."""
        return f"http://{LOOPBACK}:{self.port}/v1"


async def discover(ports: Mapping[int, str], timeout: float = PROBE_TIMEOUT) -> list[FoundServer]:
    """The servers among `ports` (port -> name) that answer, in the order of `ports`.

    Every port is asked at once, so the whole search takes at most about `timeout` seconds.
    """
    if not ports:
        return []
    import httpx  # here, so that the config can name the default ports without loading httpx

    async with httpx.AsyncClient(
        headers={"User-Agent": f"parrotchat/{__version__}", "Accept-Encoding": "identity"},
        timeout=httpx.Timeout(timeout),
        # No proxy from the environment: the question is for this machine only.
        trust_env=False,
        follow_redirects=False,
    ) as client:
        import asyncio  # not at the top: settings import this module; commands start faster

        answers = await asyncio.gather(
            *(_probe(client, port, name, timeout) for port, name in ports.items())
        )
    return [found for found in answers if found is not None]


def local_port(url: str) -> int | None:
    """The port of `url` when it points at this machine's loopback over http, else None.

    `local_port("http://localhost:11434/v1")  # 11434`
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme != "http" or not (host in ("localhost", "::1") or host.startswith("127.")):
        return None
    return port or 80


async def _probe(
    client: httpx.AsyncClient, port: int, name: str, timeout: float
) -> FoundServer | None:
    import asyncio

    import httpx

    try:
        async with asyncio.timeout(timeout):
            items = await _model_items(client, port)
    except (TimeoutError, httpx.HTTPError, OSError, ValueError, RecursionError):
        return None
    if items is None:
        return None
    return FoundServer(_server_name(items) or name, port, parse_models(items))


async def _model_items(client: httpx.AsyncClient, port: int) -> list[object] | None:
    """The port's list of models, or None when what answers is not an OpenAI-compatible server."""
    async with client.stream("GET", f"http://{LOOPBACK}:{port}/v1/models") as response:
        if response.status_code != 200:
            return None
        body = bytearray()
        async for piece in response.aiter_raw():
            body += piece
            if len(body) > _MAX_BODY:
                return None
    payload = json.loads(body)
    items = payload.get("data", payload.get("models")) if isinstance(payload, dict) else None
    return items if isinstance(items, list) else None


def _server_name(items: list[object]) -> str | None:
    """The server's own name when its models say it (`owned_by`), whatever port it is on."""
    owners = {item.get("owned_by") for item in items if isinstance(item, dict)}
    if len(owners) == 1:
        owner = owners.pop()
        return _OWNERS.get(owner) if isinstance(owner, str) else None
    return None
