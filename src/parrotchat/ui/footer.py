"""The key bar at the bottom: Textual's `Footer`, without the watchers of its old keys.

`Footer` builds its keys again whenever the bindings change (a reply starts or ends), and each
key watches the footer's `compact` (`data_bind`). Textual drops a watcher of a removed widget
only when the watched value changes, which `compact` never does here: every reply left about
twenty removed keys alive, with their styles and drawn lines, for the rest of the session.
"""

from __future__ import annotations

from textual.widgets import Footer

__all__ = ["ChatFooter"]


class ChatFooter(Footer):
    """`Footer` that forgets the watchers of the keys it removed each time it rebuilds."""

    async def recompose(self) -> None:
        await super().recompose()
        forget_closed_watchers(self)


def forget_closed_watchers(node: object) -> None:
    """Remove from `node`'s reactive watchers those registered by nodes now closed."""
    watchers: dict[str, list[tuple[object, object]]] = getattr(node, "__watchers", {})
    for name, registered in watchers.items():
        watchers[name] = [
            (watcher, callback)
            for watcher, callback in registered
            if not (getattr(watcher, "_closing", False) or getattr(watcher, "_closed", False))
        ]
