"""The key bar at the bottom: Textual's `Footer`, showing only keys that fit whole, without the
watchers of its old keys.

Keys come in order, the focused widget's first; those that would be cut at the right edge (or
under the palette's hint) are hidden, from the first that does not fit: `^en` for `^end Follow`
helps no one, and F1 lists every key.

`Footer` builds its keys again whenever the bindings change (a reply starts or ends), and each
key watches the footer's `compact` (`data_bind`). Textual drops a watcher of a removed widget
only when the watched value changes, which `compact` never does here: every reply left about
twenty removed keys alive, with their styles and drawn lines, for the rest of the session.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

__all__ = ["ChatFooter"]


class ChatFooter(Footer):
    """`Footer` that forgets the watchers of the keys it removed each time it rebuilds."""

    async def recompose(self) -> None:
        await super().recompose()
        forget_closed_watchers(self)
        self.call_after_refresh(self._fit)

    def on_resize(self, event: events.Resize) -> None:
        for item in self.children:
            item.display = True
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """Hide the keys from the first one that is not whole on screen."""
        palette = [item for item in self.children if item.has_class("-command-palette")]
        room = min((item.region.x for item in palette), default=self.region.right)
        cut = False
        for item in self.children:
            if item in palette:
                continue
            cut = cut or item.region.right > room
            if item.display == cut:
                item.display = not cut


def forget_closed_watchers(node: object) -> None:
    """Remove from `node`'s reactive watchers those registered by nodes now closed."""
    watchers: dict[str, list[tuple[object, object]]] = getattr(node, "__watchers", {})
    for name, registered in watchers.items():
        watchers[name] = [
            (watcher, callback)
            for watcher, callback in registered
            if not (getattr(watcher, "_closing", False) or getattr(watcher, "_closed", False))
        ]
