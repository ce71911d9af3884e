"""Start the Textual app, with the offline demo server running beside it."""

from __future__ import annotations

import sys
from pathlib import Path

from parrotchat.config import Settings
from parrotchat.core.history import NoConversation
from parrotchat.demo import DemoServer

__all__ = ["run_tui"]


def run_tui(settings: Settings, history_path: Path | None = None, resume: int | None = None) -> int:
    """Run the chat app until the user quits; returns the exit code.

    Args:
        history_path: The history database; None keeps the chat in memory only.
        resume: The conversation to reopen (an id, or `LAST`); None starts a new one.
    """
    from parrotchat.ui.app import make_app
    from parrotchat.ui.history import open_history

    try:
        history, resumed = open_history(history_path, resume)
    except NoConversation as error:
        print(f"parrotchat: error: {error}", file=sys.stderr)
        return 2
    # The demo provider is always listed in the sidebar, so its server always runs.
    with DemoServer() as demo:
        settings = settings.with_demo_url(demo.base_url)
        app = make_app(
            settings, history=history, resumed=resumed, local_ports=settings.local_ports()
        )
        app.run()
    return app.return_code or 0
