"""The Textual app: chat log, prompt, streaming replies, model sidebar.

`make_app(settings)` builds the app for the CLI, the tests and the screenshot script alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ParrotChatApp", "make_app"]

if TYPE_CHECKING:
    from parrotchat.ui.app import ParrotChatApp, make_app


def __getattr__(name: str) -> Any:
    # Importing Textual is slow; print mode imports `parrotchat.ui` submodules never, and
    # `import parrotchat.ui` alone should not pay for the app.
    if name in __all__:
        from parrotchat.ui import app

        return getattr(app, name)
    raise AttributeError(name)
