"""Servers found on this machine at start-up, listed in the model sidebar once they answer.

The search starts after the first screen is painted and runs beside everything else, so it
never delays the app; each server found becomes a provider (no key, no headers) that the next
request can go to, and the app goes back to the model used last if it was one of theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from parrotchat.api.discovery import discover
from parrotchat.core.conversation import Role
from parrotchat.ui.last_model import load_last_model
from parrotchat.ui.welcome import Welcome, welcome_text

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
        listed: dict[str, set[str]] = {}
        for server in await discover(ports):
            name = app.settings.add_found(server)
            client = app.session.client_for(name)
            if client is not None:
                app.sidebar.add_provider(name, client, models=server.models, note=FOUND_NOTE)
                listed[name] = {model.id for model in server.models}
        if listed:
            app.show_model()  # a reopened conversation's provider may be back
            _back_to_last_model(app, listed)
            _tell_in_welcome(app)
    except Exception as error:
        # Looking for local servers is a convenience: a failure must never bother the user.
        app.error_log.record(error, "looking for local servers")


def _tell_in_welcome(app: ParrotChatApp) -> None:
    """Name the servers found in the welcome text of a new conversation."""
    if not app.conversation.messages:
        for welcome in app.chat_log.query_children(Welcome):
            welcome.update(welcome_text(app.settings, app.provider))


def _back_to_last_model(app: ParrotChatApp, listed: dict[str, set[str]]) -> None:
    """Go back to the model used last when it was a found server's, as for configured ones:
    the model of the conversation's last reply, or for a new one the model remembered.

    Only while the app is where it started (nothing chosen yet) and no flag or setting named a
    model: the app could not know that model before the server was found.
    """
    settings = app.settings
    replies = [m for m in app.conversation.messages if m.role is Role.ASSISTANT]
    last = (
        (replies[-1].provider, replies[-1].model)
        if replies
        else load_last_model(app.paths.state_dir)
    )
    if (
        last is None
        or last[1] not in listed.get(last[0] or "", ())
        or settings.model_explicit
        or settings.set_for_this_run("provider")
        or (app.provider, app.model) != (settings.provider, settings.model)
    ):
        return
    app.sidebar.choose(last[0], last[1])
