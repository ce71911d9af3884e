"""`parrotchat --list-models`: every provider's models on stdout, one per line, for scripts.

Each line is `provider<TAB>model`, with `<TAB>context` added when the server says how many
tokens fit. Providers are asked at once, configured ones first, then the servers found on this
machine; a provider that cannot be asked gets one line on stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Mapping
from typing import TextIO

from parrotchat.api.client import ChatClient
from parrotchat.api.discovery import DEFAULT_PORTS, discover
from parrotchat.api.errors import APIError
from parrotchat.api.models import ModelInfo
from parrotchat.config import ConfigError, Settings
from parrotchat.sanitize import one_line

__all__ = ["list_models_text", "run_list_models"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


def run_list_models(
    settings: Settings,
    *,
    only_active: bool = False,
    local_ports: Mapping[int, str] = DEFAULT_PORTS,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print the models; return the exit code.

    Args:
        settings: The configuration.
        only_active: List the active provider alone (`--provider`, `--demo`): then its failure
            is exit code 1. Otherwise 1 means that no provider answered at all.
        local_ports: The usual ports of local servers (tests pass their own).
        out: Where the lines go (default stdout).
        err: Where failures go (default stderr).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        lines, failures, answered = asyncio.run(
            list_models_text(settings, only_active, local_ports)
        )
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    try:
        for line in lines:
            print(line, file=out)
        out.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other Unix tools do, and keep the
        # interpreter's final flush from complaining about the closed pipe.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
        return EXIT_OK
    for provider, problem in failures:
        print(f"parrotchat: {one_line(provider)}: {one_line(problem)}", file=err)
    if only_active:
        return EXIT_ERROR if failures else EXIT_OK
    return EXIT_OK if answered else EXIT_ERROR


async def list_models_text(
    settings: Settings, only_active: bool, local_ports: Mapping[int, str] = DEFAULT_PORTS
) -> tuple[list[str], list[tuple[str, str]], int]:
    """The output lines, the `(provider, problem)` of each provider that failed, and how many
    providers answered."""
    names = [settings.provider] if only_active else list(settings.providers)
    demo = None
    if any(settings.providers[name].is_demo for name in names):
        from parrotchat.demo import DemoServer

        demo = await DemoServer(tokens_per_second=None).start()
        settings = settings.with_demo_url(demo.base_url)
    try:
        if not only_active:
            for server in await discover(settings.local_ports(local_ports)):
                names.append(settings.add_found(server))
        results = await asyncio.gather(*(_models_of(settings, name) for name in names))
    finally:
        if demo is not None:
            await demo.stop()
    lines: list[str] = []
    failures: list[tuple[str, str]] = []
    for name, result in zip(names, results, strict=True):
        if isinstance(result, str):
            failures.append((name, result))
        else:
            lines += [_line(name, info) for info in result]
    return lines, failures, len(names) - len(failures)


async def _models_of(settings: Settings, name: str) -> list[ModelInfo] | str:
    """The provider's models, or one sentence of why they could not be listed."""
    try:
        endpoint = settings.endpoint(name)
    except ConfigError as error:
        return str(error)
    async with ChatClient(endpoint) as client:
        try:
            return await client.list_models()
        except APIError as error:
            return error.message


def _line(provider: str, info: ModelInfo) -> str:
    # Ids come from the network: one_line drops tabs and controls, so columns stay columns.
    fields = [one_line(provider), one_line(info.id)]
    if info.context_length:
        fields.append(str(info.context_length))
    return "\t".join(fields)
