"""A reply's answer as Markdown, drawn with the Line API from per-block cached lines.

Per frame, only the live last block is rendered again; finished blocks are rendered once per
width, and only the lines on screen are asked for. A burst renders what is visible first and
the rest over the next frames, within `FRAME_RENDER_BUDGET`.
"""

from __future__ import annotations

from textual.dom import NoScreen
from textual.errors import NoWidget
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from parrotchat.ui.line_cache import LineCache, render_markdown
from parrotchat.ui.markdown_blocks import BlockSplitter

__all__ = ["FRAME_RENDER_BUDGET", "MarkdownView"]

FRAME_RENDER_BUDGET = 0.008
"""Seconds per frame spent rendering blocks off screen (a burst, after a width change)."""


class MarkdownView(Widget):
    """Markdown text that grows at its end; `source` is everything appended."""

    DEFAULT_CSS = """
    MarkdownView {
        height: auto;
    }
    """

    def __init__(self, source: str = "", *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self._source: list[str] = []
        self._splitter = BlockSplitter()
        self._cache = LineCache(self._render_source)
        self._scheduled = False
        if source:
            self._add(source)

    @property
    def source(self) -> str:
        """The Markdown source shown."""
        if len(self._source) > 1:
            self._source[:] = ["".join(self._source)]
        return self._source[0] if self._source else ""

    @property
    def pending(self) -> int:
        """Blocks not rendered at the current width yet."""
        return self._cache.pending

    def _render_source(self, source: str, width: int) -> list[Strip]:
        return render_markdown(self.app.console, source, width)

    def _add(self, text: str) -> None:
        self._source.append(text)
        frozen = self._splitter.append(text)
        self._cache.update(frozen, self._splitter.live_blocks())

    def append(self, text: str) -> None:
        """Append Markdown text and show it at the next repaint."""
        if not text:
            return
        height = self._cache.height
        self._add(text)
        changed = self._cache.render_pending(FRAME_RENDER_BUDGET, *self._visible_lines())
        self.refresh(layout=changed or self._cache.height != height)
        self._schedule()

    def _visible_lines(self) -> tuple[int, int]:
        """The lines of this widget on screen (the last ones before the first layout)."""
        try:
            geometry = self.screen.find_widget(self)
        except (NoScreen, NoWidget):
            height = self._cache.height
            return max(height - 200, 0), height
        top = geometry.visible_region.y - geometry.region.y
        return top, top + geometry.visible_region.height

    def _schedule(self) -> None:
        if self._cache.pending and not self._scheduled and self.is_mounted:
            self._scheduled = True
            self.set_timer(1 / 60, self._render_some, name="markdown-pending")

    def _render_some(self) -> None:
        self._scheduled = False
        if self._cache.render_pending(FRAME_RENDER_BUDGET, *self._visible_lines()):
            self.refresh(layout=True)
        self._schedule()

    def on_mount(self) -> None:
        self._schedule()

    def on_resize(self) -> None:
        self._schedule()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._cache.set_width(width)
        return self._cache.height

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        self._cache.set_width(width)
        height = self._cache.height
        line = self._cache.line(y)
        if self._cache.height != height:
            # A block estimated until now came into view with its true height.
            self.refresh(layout=True)
            self._schedule()
        return line.crop_extend(0, width, self.rich_style).apply_style(self.rich_style)
