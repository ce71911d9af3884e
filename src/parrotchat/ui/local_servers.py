"""Servers found on this machine at start-up, listed in the model sidebar once they answer.

The search starts after the first screen is painted and runs beside everything else, so it
never delays the app; each server found becomes a provider (no key, no headers) that the next
request can go to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from parrotchat.api.discovery import discover

if TYPE_CHECKING:
    from parrotchat.ui.app import ParrotChatApp

__all__ = ["FOUND_NOTE", "find_local_servers"]

FOUND_NOTE = "found on this machine"
"""The line under a found server's name in the sidebar."""


def find_local_servers(app: ParrotChatApp, ports: Mapping[int, str]) -> None:
    """Look for servers on `ports` of 127.0.0.1 in a worker; list each one that answers."""
    if ports:
        app.run_worker(_find(app, dict(ports)), group="local-servers", exit_on_error=False)


async def _find(app: ParrotChatApp, ports: dict[int, str]) -> None:
    try:
        found = await discover(ports)
        for server in found:
            name = app.settings.add_found(server)
            client = app.client_for(name)
            if client is not None:
                app.sidebar.add_provider(name, client, models=server.models, note=FOUND_NOTE)
    except Exception as error:
        # Looking for local servers is a convenience: a failure must never bother the user.
        app.error_log.record(error, "looking for local servers")
