"""A reply's answer as Markdown, drawn with the Line API from per-block cached lines.

Per frame, only the live last block is rendered again and only its lines are repainted;
finished blocks are rendered once per width (kept packed, within the shared `line_budget`), and
only the lines on screen are asked for. A burst renders what is visible first and the rest over
the next frames, within `FRAME_RENDER_BUDGET`.
"""

from __future__ import annotations

from rich.style import Style
from textual.dom import NoScreen
from textual.errors import NoWidget
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from parrotchat.ui.render.line_cache import LineBudget, LineCache, render_markdown
from parrotchat.ui.render.markdown_blocks import BlockSplitter

__all__ = ["FRAME_RENDER_BUDGET", "KEPT_LINES", "MarkdownView"]

FRAME_RENDER_BUDGET = 0.008
"""Seconds per frame spent rendering blocks off screen (a burst, after a width change)."""
REPAINT_ALL_AFTER = 300
"""Lines grown between full repaints (the others repaint only the live block's lines)."""
KEPT_LINES = 20_000
"""Rendered lines kept across all answers (about 1 KB each, packed); the least recently shown
blocks are dropped beyond that."""


class MarkdownView(Widget):
    """Markdown text that grows at its end; `source` is everything appended."""

    DEFAULT_CSS = """
    MarkdownView {
        height: auto;
    }
    """

    line_budget: LineBudget = LineBudget(KEPT_LINES)
    """Shared by every answer: bounds the rendered lines (and objects) the app keeps."""

    def __init__(self, source: str = "", *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self._source: list[str] = []
        self._splitter = BlockSplitter()
        self._cache = LineCache(self._render_source, budget=self.line_budget)
        self._scheduled = False
        self._grown = 0
        """Lines added since the last full repaint."""
        self._line_style: Style = Style()
        """The widget's style, looked up once per repaint rather than once per line."""
        if source:
            self._add(source)
            self._cache.finish()

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

    def _add(self, text: str) -> int:
        self._source.append(text)
        frozen = self._splitter.append(text)
        return self._cache.update(frozen, self._splitter.live_blocks())

    def append(self, text: str) -> None:
        """Append Markdown text and show it at the next repaint."""
        if not text:
            return
        cache = self._cache
        height = cache.height
        first = self._add(text)
        moved = cache.render_pending(FRAME_RENDER_BUDGET, *self._visible_lines())
        self._grown += max(cache.height - height, 0)
        if moved or self._grown > REPAINT_ALL_AFTER:
            # Textual keeps every line it painted: a full repaint now and then lets them go.
            self._grown = 0
            self.refresh(layout=True)
        else:
            # Only the lines from the live block down changed: the rest stay cached on screen.
            width = self.size.width
            self.refresh(Region(0, first, width, max(cache.height, height) - first))
            if cache.height != height:
                self.refresh(layout=True, repaint=False)
        self._schedule()

    def finish(self) -> None:
        """The text is complete: draw its last block exactly as a render of the whole would."""
        self._cache.finish()
        self.refresh(layout=True)

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

    def on_unmount(self) -> None:
        self._cache.release()

    def on_resize(self) -> None:
        self._schedule()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._cache.set_width(width)
        return self._cache.height

    def render_lines(self, crop: Region) -> list[Strip]:
        self._line_style = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        cache = self._cache
        cache.set_width(width)
        cache.moved = False
        line = cache.line(y)
        if cache.moved:
            # A block estimated until now came into view with its true height.
            self.refresh(layout=True)
            self._schedule()
        style = self._line_style
        return line.crop_extend(0, width, style).apply_style(style)
