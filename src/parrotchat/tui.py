"""Start the Textual app, with the offline demo server running beside it."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from parrotchat.config import Paths, Settings
from parrotchat.core.history import NoConversation, open_history
from parrotchat.demo import DemoServer

__all__ = ["run_tui"]


def run_tui(
    settings: Settings,
    paths: Paths,
    resume: int | None = None,
    *,
    compare: Sequence[tuple[str, str]] = (),
) -> int:
    """Run the chat app until the user quits; returns the exit code.

    Args:
        paths: Where the history, the log, the last model and exports go.
        resume: The conversation to reopen (an id, or `LAST`); None starts a new one.
        compare: `(provider, model)` pairs the first prompt goes to at once (`--compare`).
    """
    from parrotchat.ui.app import make_app
    from parrotchat.ui.clipboard import SystemClipboard
    from parrotchat.ui.quick_escape import quicken_escape

    try:
        history, resumed = open_history(paths.history, resume)
    except NoConversation as error:
        # One rule with `parrotchat export`: a conversation that is not there is exit 1.
        print(f"parrotchat: error: {error}", file=sys.stderr)
        return 1
    # The demo provider is always listed in the sidebar, so its server always runs.
    with DemoServer() as demo:
        settings = settings.with_demo_url(demo.base_url)
        app = make_app(
            settings,
            paths=paths,
            history=history,
            resumed=resumed,
            local_ports=settings.local_ports(),
            clipboard=SystemClipboard.from_environment(),
            compare=compare,
        )
        quicken_escape(app, settings.escape_delay_ms)
        app.run()
    return app.return_code or 0
