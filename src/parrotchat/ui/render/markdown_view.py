"""A reply's answer as Markdown, drawn with the Line API from per-block cached lines.

Per frame, only the live last block is rendered again and only its lines are repainted;
finished blocks are rendered once per width (kept packed, within the shared `line_budget`), and
only the lines on screen are asked for. A burst renders what is visible first and the rest over
the next frames, within `FRAME_RENDER_BUDGET`.

It takes part in Textual's text selection as its own Line API widget must: lines carry their
`offset` only when the screen asks where the pointer is (not when painted), a selection is drawn
over the lines it covers, and the copy is the text shown (`shown_text`). While its message is
focused, each code block shows its `[N lang]` label (`code_labels`); a click on one copies the
block. With no selection and no labels, a line costs what it did before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.dom import NoScreen
from textual.errors import NoWidget
from textual.geometry import Region, Size
from textual.message import Message
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget

from parrotchat.ui.render.backlog import BACKLOG
from parrotchat.ui.render.code_labels import CodeLabels
from parrotchat.ui.render.code_theme import CodeStyle, code_style_of
from parrotchat.ui.render.growing import grew_in_place
from parrotchat.ui.render.line_cache import LineBudget, LineCache, render_markdown
from parrotchat.ui.render.markdown_blocks import BlockSplitter
from parrotchat.ui.render.shown_text import ShownLine, selected_text, shown_lines
from parrotchat.ui.render.word_select import WordSelect

__all__ = ["FRAME_RENDER_BUDGET", "KEPT_LINES", "MarkdownView"]

FRAME_RENDER_BUDGET = 0.008
"""Seconds per frame spent rendering blocks off screen (a burst, after a width change)."""
BURST_KEEP = 12_000
"""Characters of a burst split and drawn at once (a screen's worth: 160x50 holds 8,000); the
text before them waits as one deferred block until the reader scrolls to it or idle time
reaches it (`BlockSplitter.append`)."""
IDLE_RENDER_BUDGET = 0.02
"""Seconds of rendering blocks off screen per idle tick (after a burst, a reopened reply): each
tick that changes a height costs a layout of the screen, several times 8 ms of rendering, so
fewer, longer ticks cost less; 20 ms still answers a key within a frame."""
REPAINT_ALL_AFTER = 300
"""Lines grown between full repaints (the others repaint only the live block's lines)."""
KEPT_LINES = 20_000
"""Rendered lines kept across all answers (about 1 KB each, packed); the least recently shown
blocks are dropped beyond that."""
WIDE = 4096
"""The widest render used to find where lines wrapped (for copies; longer lines stay wrapped)."""


class MarkdownView(WordSelect, Widget):
    """Markdown text that grows at its end; `source` is everything appended."""

    DEFAULT_CSS = """
    MarkdownView {
        height: auto;
        & > .markdown-view--code-label {
            background: $accent;
            color: $text;
            text-style: bold;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"markdown-view--code-label"}

    @dataclass
    class CodeLabelClicked(Message):
        """The reader clicked the `[N lang]` label of code block `number`."""

        markdown_view: MarkdownView
        number: int

        @property
        def control(self) -> MarkdownView:
            return self.markdown_view

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
        self._painting = False
        """True while lines are drawn for the screen (they need no `offset` meta then)."""
        self._selection: Selection | None = None
        """The part of the text selected, in (character, line) offsets."""
        self._selected_width = 0
        """The width the selection was made at."""
        self._code_labels: CodeLabels | None = None
        """Set while the code blocks show their labels (the message is focused)."""
        self._marked = False
        """A selection or labels are drawn over the lines."""
        self._selection_style = Style()
        self._label_style = Style()
        self._labels: dict[int, tuple[int, str]] = {}
        """Line -> code block number and language, for the lines being drawn."""
        self._code_style: CodeStyle | None = None
        """The code style the cached lines were drawn in (None before the first render)."""
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

    @property
    def laid_out(self) -> bool:
        """The widget's height on screen is its lines' (no layout pass is still to come)."""
        return self.size.height == self._cache.height

    def _render_source(self, source: str, width: int) -> list[Strip]:
        if self._code_style is None:
            self._code_style = code_style_of(self.app)
        return render_markdown(self.app.console, source, width, self._code_style)

    def _check_code_style(self) -> None:
        """A theme switch changed the code style: draw the lines anew (no layout change)."""
        style = code_style_of(self.app)
        if style is not self._code_style:
            if self._code_style is not None:
                self._cache.restyle()
                if self._code_labels is not None:
                    self._code_labels = CodeLabels(style.background)
            self._code_style = style

    def _add(self, text: str, keep: int | None = None) -> int:
        self._source.append(text)
        frozen = self._splitter.append(text, keep)
        return self._cache.update(frozen, self._splitter.live_blocks())

    def append(self, text: str) -> None:
        """Append Markdown text and show it at the next repaint."""
        if not text:
            return
        cache = self._cache
        height = cache.height
        # A burst: what scrolls away before the next frame is split and drawn only when needed.
        first = self._add(text, BURST_KEEP)
        # While a reader works through a burst, only what is on screen (`backlog`).
        budget = 0.0 if BACKLOG.held() else FRAME_RENDER_BUDGET
        moved = cache.render_pending(budget, *self._visible_lines())
        if moved:
            # Blocks drawn with their true heights moved what is on screen: once more, so the
            # next frame finds its lines drawn rather than drawing them and moving again.
            cache.render_pending(budget, *self._visible_lines())
        self._grown += max(cache.height - height, 0)
        if moved or self._grown > REPAINT_ALL_AFTER:
            # Textual keeps every line it painted: a full repaint now and then lets them go.
            self._grown = 0
            self.refresh(layout=True)
        else:
            # Only the lines that changed are drawn again: the rest stay cached on screen.
            changed = max(cache.height, height) - first
            if changed > 0:
                self.refresh(Region(0, first, self.size.width, changed))
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
        visible, region = geometry.visible_region, geometry.region
        if visible.bottom >= region.bottom and (visible.height or not region.height):
            # Its end is on screen (the log follows it): after growing, the end is what shows.
            height = self._cache.height
            return max(height - max(visible.height, self.screen.size.height), 0), height
        top = visible.y - region.y
        return top, top + visible.height

    def _schedule(self) -> None:
        # Never once removed (set aside): a timer would keep the view and its text alive, and
        # while a burst holds idle work it would renew itself every tick (`is_mounted` stays
        # True after removal).
        if self._cache.pending and not self._scheduled and self.is_mounted and self.is_attached:
            self._scheduled = True
            self.set_timer(1 / 60, self._render_some, name="markdown-pending")

    def _render_some(self) -> None:
        self._scheduled = False
        if BACKLOG.held():
            # A reply's reader is working through a burst: the end first, then these.
            self._schedule()
            return
        if self._cache.render_pending(IDLE_RENDER_BUDGET, *self._visible_lines()):
            self.refresh(layout=True)
        self._schedule()

    def on_mount(self) -> None:
        self._schedule()

    def on_unmount(self) -> None:
        self._cache.release()

    def on_resize(self, event: events.Resize) -> None:
        if self._selection is not None and event.size.width != self._selected_width:
            # The lines wrap anew: the selection's (character, line) offsets mean other text now.
            self.screen.clear_selection()
        self._schedule()

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        # Taller at the same width: the lines above stay drawn (`append` marked what changed).
        if grew_in_place(self, size, virtual_size, container_size):
            return True
        return super()._size_updated(size, virtual_size, container_size, layout)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._cache.set_width(width)
        return self._cache.height

    def render_lines(self, crop: Region) -> list[Strip]:
        self._check_code_style()
        self._line_style = self.rich_style
        if self._marked:
            self._prepare_marks(crop)
        self._painting = True
        try:
            return super().render_lines(crop)
        finally:
            self._painting = False

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
        strip = line.crop_extend(0, width, style).apply_style(style)
        if self._marked:
            strip = self._mark(strip, y, width)
        if not self._painting:
            # The screen asks where the pointer is (a selection starts or grows).
            strip = strip.apply_offsets(0, y)
        return strip

    # --- selection and code labels ----------------------------------------------------------

    def show_code_labels(self, show: bool) -> None:
        """Show or hide the `[N lang]` label in the top-right corner of each code block."""
        if show == (self._code_labels is not None):
            return
        self._check_code_style()
        self._code_labels = (
            CodeLabels(self._code_style.background if self._code_style else None) if show else None
        )
        self._labels = {}
        self._update_marked()

    def selection_updated(self, selection: Selection | None) -> None:
        self._selection = selection
        self._selected_width = self.content_size.width
        self._update_marked()

    def _update_marked(self) -> None:
        self._marked = self._selection is not None or self._code_labels is not None
        self.refresh()

    def _prepare_marks(self, crop: Region) -> None:
        """Look up what a repaint of the lines in `crop` draws over them."""
        if self._selection is not None:
            screen = self.screen
            style = screen.get_component_rich_style("screen--selection")
            if screen.get_component_rich_style("screen--selection", partial=True).color is None:
                # A transparent foreground (the default): the text keeps its colours.
                style = Style(bgcolor=style.bgcolor)
            self._selection_style = style
        if self._code_labels is not None:
            self._label_style = self.get_component_rich_style("markdown-view--code-label")
            self._cache.set_width(self.content_size.width)
            self._labels = self._code_labels.between(self._cache, crop.y, crop.bottom)

    def _mark(self, strip: Strip, y: int, width: int) -> Strip:
        """Line `y` with the selection and a code label drawn over it."""
        selection = self._selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            text = strip.text
            start, end = span
            end = len(text.rstrip()) if end == -1 else min(end, len(text))
            if start < end:
                strip = _restyle(
                    strip, cell_len(text[:start]), cell_len(text[:end]), self._selection_style
                )
        label = self._labels.get(y) if self._code_labels is not None else None
        if label is not None:
            number, language = label
            tag = f"[{number} {language[:20]}]" if language else f"[{number}]"
            cells = cell_len(tag)
            if width >= cells + 8:
                style = self._label_style + Style.from_meta({"@click": f"copy_code({number})"})
                strip = Strip.join([strip.crop(0, width - cells), Strip([Segment(tag, style)])])
        return strip

    def action_copy_code(self, number: int) -> None:
        """A click on a code block's label: ask for that block to be copied."""
        self.post_message(self.CodeLabelClicked(self, number))

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text as shown: padding left out, wrapped lines joined again."""
        cache = self._cache
        start, end = selection
        first = start.y if start is not None else 0
        last = end.y if end is not None else max(cache.height - 1, 0)
        shown: list[ShownLine] = []
        top: int | None = None
        for index, line, strips in cache.spans(first, last):
            top = line if top is None else top
            shown.extend(self._shown_lines(index, strips))
        if top is None:
            return None
        begin = (start.x, start.y - top) if start is not None else None
        finish = (end.x, end.y - top) if end is not None else None
        return selected_text(shown, begin, finish), "\n"

    def _shown_lines(self, index: int, strips: list[Strip]) -> list[ShownLine]:
        block, spaced = self._cache.block(index)
        narrow = [strip.text for strip in strips]
        before = [ShownLine(narrow.pop(0))] if spaced and narrow else []
        if block.kind == "table_open":
            # Laid out anew when it does not fit (`tables`): each line is its own, the cells
            # continued below keep their column, as code keeps its indentation.
            return before + shown_lines(narrow, [], code=True)
        longest = max(map(len, block.source.splitlines()), default=0)
        width = max(min(len(block.source) if block.kind != "fence" else longest, WIDE), 1) + 8
        wide = [strip.text for strip in self._render_source(block.source, width)]
        return before + shown_lines(narrow, wide, code=block.kind == "fence")

    def selection_line(self, y: int) -> str:
        """Line `y` as drawn (the selection's offsets count its characters)."""
        self._cache.set_width(self.content_size.width)
        return self._cache.line(y).text


def _restyle(strip: Strip, start: int, end: int, style: Style) -> Strip:
    """`strip` with `style` over its cells `start`..`end`."""
    before, middle, after = strip.divide([start, end, strip.cell_length])
    marked = Strip(Segment.apply_style(middle, post_style=style), middle.cell_length)
    return Strip.join([before, marked, after])
