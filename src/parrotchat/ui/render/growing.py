"""Keep the lines a widget drew when it only grows taller, or when only its scrollable size grew.

Textual forgets every line a widget drew whenever its size changes, and repaints a scrollable
container whenever its virtual size changes. While a reply streams, the answer, its message and
the chat log change size at almost every frame, so each frame drew the whole chat area again:
fifty lines to add two. Here, a widget that grew taller at the same width (nothing drawn at its
bottom edge) keeps its lines and draws only the new rows and the rows its content marked; a
container whose own size did not change keeps its lines when only its content grew.

Both hook `Widget._size_updated` (Textual 8.0-8.2; `pyproject.toml` bounds the version). Lines
kept this way pile up as a reply grows: past `KEPT_ROWS` drawn rows, a size change forgets them
as Textual would.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget

__all__ = ["KEPT_ROWS", "grew_in_place", "scrolled_content_grew"]

KEPT_ROWS = 400
"""Drawn rows a widget keeps across growth before it forgets them all (and draws anew)."""
_NO_EDGE = ("", "none", "hidden")


def _draws_bottom_edge(widget: Widget) -> bool:
    """True if the widget's last rows are drawn by its styles (border, padding, outline)."""
    styles = widget.styles
    return bool(
        styles.padding.bottom
        or styles.border_bottom[0] not in _NO_EDGE
        or styles.outline_bottom[0] not in _NO_EDGE
        or widget.border_subtitle
    )


def grew_in_place(widget: Widget, size: Size, virtual_size: Size, container_size: Size) -> bool:
    """Apply a size change that only adds rows at the bottom, keeping the lines drawn so far.

    For `_size_updated` of a widget that does not scroll: returns False (do what Textual
    does) unless the width is the same, the height grew and nothing is drawn at the bottom edge.
    The rows that were there keep their lines; whatever the content changed it marked itself.
    """
    old = widget._size
    if (
        size.width != old.width
        or size.height <= old.height
        or old.height == 0
        or len(widget._styles_cache._cache) > KEPT_ROWS
        or _draws_bottom_edge(widget)
    ):
        return False
    widget._layout_cache.clear()
    widget._size = size
    widget.set_reactive(Widget.virtual_size, virtual_size)
    widget._container_size = container_size
    if widget.is_scrollable:  # a container (it has children), as Textual does
        widget._scroll_update(virtual_size)
    return True


def scrolled_content_grew(
    widget: Widget, size: Size, virtual_size: Size, container_size: Size
) -> bool:
    """Apply a change of a scrollable container's virtual size alone, keeping its own lines.

    For `_size_updated` of a scrollable container that draws nothing of its content itself:
    returns False (do what Textual does) unless only the virtual size changed. The scrollbars
    are updated as Textual would; the caller runs its own `virtual_size` watcher.
    """
    if (
        size != widget._size
        or container_size != widget._container_size
        or virtual_size == widget.virtual_size
        or not widget.is_scrollable
    ):
        return False
    widget._layout_cache.clear()
    widget.set_reactive(Widget.virtual_size, virtual_size)
    widget._scroll_update(virtual_size)
    return True
