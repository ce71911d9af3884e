"""Start the Textual app, with the offline demo server running beside it."""

from __future__ import annotations

from parrotchat.config import Settings
from parrotchat.demo import DemoServer

__all__ = ["run_tui"]


def run_tui(settings: Settings) -> int:
    """Run the chat app until the user quits; returns the exit code."""
    from parrotchat.ui.app import make_app

    # The demo provider is always listed in the sidebar, so its server always runs.
    with DemoServer() as demo:
        app = make_app(settings.with_demo_url(demo.base_url))
        app.run()
    return app.return_code or 0
