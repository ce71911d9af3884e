"""Rendered lines of Markdown blocks, cached per block, indexed by line number.

Frozen blocks are rendered once per width; the live blocks at the end are replaced as text
arrives. Blocks not rendered yet (a burst, a width change) count with an estimated height until
someone asks for their lines or `render_pending` reaches them.

Frozen blocks keep their lines packed (`packed_lines`), out of the garbage collector's sight,
and a `LineBudget` shared by all caches bounds how many are kept: the least recently used
blocks' lines are dropped, their heights stay exact, and they are rendered again when someone
asks for them.
"""

from __future__ import annotations

import copy
import time
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from rich.console import Console
from textual.strip import Strip

from parrotchat.ui.render.code_theme import DARK_CODE_THEME, CodeStyle, code_style
from parrotchat.ui.render.live_fence import split_live_fence
from parrotchat.ui.render.markdown_blocks import DEFERRED, Block, split_blocks
from parrotchat.ui.render.packed_lines import PackedLine, pack, unpack
from parrotchat.ui.render.tables import TableMarkdown

__all__ = ["LineBudget", "LineCache", "render_markdown"]

CODE_THEME = DARK_CODE_THEME

Renderer = Callable[[str, int], list[Strip]]
"""Markdown source and width -> its lines."""


_PARSER = MarkdownIt().enable("strikethrough").enable("table")
"""One parser for every block: building a `MarkdownIt` costs as much as parsing a block, and
blocks are parsed one at a time, every frame for the live one."""
_TEMPLATE = TableMarkdown("", code_theme=CODE_THEME)
"""Rich's `Markdown` as Rich sets it up (its tables drawn by `tables.TableElement`); each block is
a copy with its own text and parse, so whatever attributes a Rich version adds are there too."""


def _markdown(markup: str, code_theme: str) -> TableMarkdown:
    """Rich's `Markdown` of `markup`, parsed with the shared parser."""
    document = copy.copy(_TEMPLATE)
    document.markup = markup
    document.parsed = _PARSER.parse(markup)
    document.code_theme = code_theme
    return document


def render_markdown(
    console: Console, source: str, width: int, code: CodeStyle | None = None
) -> list[Strip]:
    """Render Markdown `source` at `width` as Rich does in one go, one strip per line, its code
    in the `code` style (default: the dark one)."""
    code = code or code_style(dark=True)
    options = console.options.update_width(max(width, 1)).update(height=None)
    document = _markdown(source, code.name)
    if code.console_theme is None:
        lines = console.render_lines(document, options, pad=False, new_lines=False)
    else:
        with console.use_theme(code.console_theme):
            lines = console.render_lines(document, options, pad=False, new_lines=False)
    return [Strip(line) for line in lines]


MIN_ESTIMATE_WIDTH = 10
"""Narrower than this, a width is not the view's yet: estimates count source lines only."""


def _estimate(entry: _Entry, width: int) -> int:
    """The height of a block not rendered yet: its source lines, each wrapped at `width`.

    Counting lines alone made a burst's deferred text (long paragraphs) a third of its height
    or less, so the scrollbar and the view's length jumped when it was drawn.
    """
    lines = entry.block.source.split("\n")
    wrapped = 0
    if width >= MIN_ESTIMATE_WIDTH:  # not before a layout gave the view its width (0 then)
        wrapped = sum(len(line) // width for line in lines)
    return wrapped + len(lines) + int(entry.spaced)


@dataclass(eq=False)
class _Entry:
    block: Block
    spaced: bool
    """A blank line goes before it (the block before it asks for one)."""
    lines: list[Strip] | list[PackedLine] | None = None
    """None until rendered at the current width, or once dropped by the `LineBudget`."""
    packed: bool = False
    """`lines` are packed (a frozen block's), else strips (a live block's)."""
    height: int = 0
    """Lines it takes, the blank included: exact once rendered, an estimate before."""
    chunked: bool = False
    """A live fence drawn chunk by chunk: not yet exactly as a whole render."""


class LineBudget:
    """Keeps the rendered lines of the most recently used frozen blocks, up to `max_lines`."""

    def __init__(self, max_lines: int) -> None:
        self.max_lines: int = max_lines
        """Lines kept across every cache sharing this budget."""
        self.lines: int = 0
        """Lines kept now."""
        self._entries: OrderedDict[_Entry, int] = OrderedDict()

    def keep(self, entry: _Entry) -> None:
        """Count `entry`'s lines as the most recently used; drop the oldest over budget."""
        lines = len(entry.lines or ())
        self.lines += lines - self._entries.pop(entry, 0)
        self._entries[entry] = lines
        while self.lines > self.max_lines and len(self._entries) > 1:
            oldest, count = self._entries.popitem(last=False)
            oldest.lines = None
            self.lines -= count

    def touch(self, entry: _Entry) -> None:
        """Mark `entry` as just used."""
        if entry in self._entries:
            self._entries.move_to_end(entry)

    def forget(self, entry: _Entry) -> None:
        """Stop counting `entry` (it was replaced)."""
        self.lines -= self._entries.pop(entry, 0)


class LineCache:
    """The lines of a sequence of Markdown blocks at one width."""

    def __init__(
        self, renderer: Renderer, width: int = 80, budget: LineBudget | None = None
    ) -> None:
        self.renderer: Renderer = renderer
        self.width: int = width
        self.budget: LineBudget | None = budget
        """Where frozen blocks' lines are counted (None: keep them all)."""
        self._entries: list[_Entry] = []
        self._frozen = 0
        """How many leading entries are frozen blocks (the rest are live)."""
        self._starts: list[int] = []
        """First line of each entry; valid up to `_valid`."""
        self._valid = 0
        self._pending: set[int] = set()
        """Entries whose height is an estimate."""
        self.moved: bool = False
        """Set when a block's height changed as it was rendered (lines below it moved)."""
        self._chunks: dict[str, list[Strip]] = {}
        """Rendered chunks of the live code fence, by source (at the current width)."""
        self.version: int = 0
        """Counts the times a `DEFERRED` block was split in place (block indices moved)."""

    @property
    def height(self) -> int:
        """Lines of all blocks (estimates for those not rendered)."""
        self._index()
        if not self._entries:
            return 0
        return self._starts[-1] + self._entries[-1].height

    @property
    def pending(self) -> int:
        """Blocks waiting to be rendered at the current width."""
        return len(self._pending)

    def set_width(self, width: int) -> None:
        """Re-render lazily at `width`: heights so far stay as estimates, so positions hold."""
        if width == self.width:
            return
        self.width = width
        self._chunks.clear()
        for index, entry in enumerate(self._entries):
            self._drop(entry)
            self._pending.add(index)

    def restyle(self) -> None:
        """The code theme changed: every line is drawn anew when next asked for. Heights and
        positions stay (colours never change how text wraps), so nothing moves."""
        self._chunks.clear()
        for entry in self._entries:
            self._drop(entry)

    def update(self, frozen: Sequence[Block], live: Iterable[Block]) -> int:
        """Append newly frozen blocks and replace the live ones (they are rendered at once).

        Newly frozen blocks that were live until now (drawn at the end of the last frame) are
        rendered at once, so their height stays exact; any others (a burst) wait, with an
        estimated height, until someone asks for their lines or `render_pending` reaches them.

        Returns:
            The first line that changed (the lines above it are as they were): the lines of
            the blocks live until now are compared with what replaced them.
        """
        self._index()
        start = self._frozen
        first = self._starts[start] if start < len(self._entries) else self.height
        was_live = self._entries[start:]
        before: list[Strip] = []
        for entry in was_live:
            before.extend(entry.lines or ())  # type: ignore[arg-type]
            self._drop(entry)
        del self._entries[start:]
        for index in [index for index in self._pending if index >= start]:
            self._pending.discard(index)
        self._valid = min(self._valid, start)
        if frozen:
            self._chunks.clear()
        for block in frozen:
            entry = self._add(block)
            self._pending.add(len(self._entries) - 1)
            entry.height = _estimate(entry, self.width)
        self._frozen = len(self._entries)
        for index in range(start, min(start + len(was_live), self._frozen)):
            if self._entries[index].block.kind != DEFERRED:
                self._lines_of(index)
        for block in live:
            self._render_live(self._add(block))
        return first + self._unchanged(before, start)

    def _unchanged(self, before: list[Strip], start: int) -> int:
        """How many of the lines from block `start` on are still `before` (the first ones)."""
        same = 0
        for entry in self._entries[start:]:
            lines = entry.lines
            if lines is None or same >= len(before):
                break
            for line in lines:
                strip = unpack(line) if entry.packed else line  # type: ignore[arg-type]
                if same >= len(before) or strip != before[same]:
                    return same
                same += 1
        return same

    def finish(self) -> None:
        """The text is complete: render the live blocks whole, exactly as Rich does."""
        self._chunks.clear()
        for entry in self._entries[self._frozen :]:
            if entry.chunked:
                height = entry.height
                self._render(entry)
                self.moved = self.moved or entry.height != height
        self._valid = min(self._valid, self._frozen)

    def release(self) -> None:
        """Stop counting this cache's lines in the budget (its view is gone)."""
        for entry in self._entries:
            self._drop(entry)

    def _render_live(self, entry: _Entry) -> None:
        """Render a live block; a long open fence chunk by chunk, reusing finished chunks."""
        fence = split_live_fence(entry.block.source) if entry.block.kind == "fence" else None
        if fence is None:
            self._render(entry)
            return
        chunks = {source: self._chunk(source) for source in fence.chunks}
        self._chunks = chunks
        # Each piece is a whole fence: drop the padding lines Rich adds inside the fence.
        strips = [Strip([])] if entry.spaced else []
        for number, source in enumerate(fence.chunks):
            lines = chunks[source]
            strips.extend(lines[1 if number else 0 : -1])
        strips.extend(self.renderer(fence.tail, self.width)[1:])
        entry.lines, entry.packed = strips, False
        entry.height = len(strips)
        entry.chunked = True

    def _chunk(self, source: str) -> list[Strip]:
        lines = self._chunks.get(source)
        return self.renderer(source, self.width) if lines is None else lines

    def _add(self, block: Block) -> _Entry:
        spaced = (
            bool(self._entries) and self._entries[-1].block.spaced_after and not block.spaced_alone
        )
        entry = _Entry(block, spaced)
        self._entries.append(entry)
        return entry

    def _drop(self, entry: _Entry) -> None:
        entry.lines = None
        if self.budget is not None:
            self.budget.forget(entry)

    def _render(self, entry: _Entry, packed: bool = False) -> list[Strip] | list[PackedLine]:
        """Render one entry and return its lines; its height is exact from now on."""
        strips = self.renderer(entry.block.source, self.width)
        if entry.spaced:
            strips.insert(0, Strip([]))
        lines = [pack(strip) for strip in strips] if packed else strips
        entry.lines, entry.packed = lines, packed
        entry.height = len(lines)
        entry.chunked = False
        return lines

    def _index(self) -> None:
        entries, starts = self._entries, self._starts
        del starts[self._valid :]
        line = starts[-1] + entries[len(starts) - 1].height if starts else 0
        for entry in entries[len(starts) :]:
            starts.append(line)
            line += entry.height
        self._valid = len(entries)

    def _expand(self, index: int) -> None:
        """Split the `DEFERRED` block `index` into its blocks, in its place (all waiting)."""
        deferred = self._entries[index]
        self._drop(deferred)
        entries: list[_Entry] = []
        previous = self._entries[index - 1] if index else None
        for block in split_blocks(deferred.block.source):
            spaced = previous is not None and previous.block.spaced_after and not block.spaced_alone
            entry = _Entry(block, spaced)
            entry.height = _estimate(entry, self.width)
            entries.append(entry)
            previous = entry
        shift = len(entries) - 1
        self._entries[index : index + 1] = entries
        self._pending = {i + shift if i > index else i for i in self._pending}
        self._pending.update(range(index, index + len(entries)))
        self._frozen += shift
        self._valid = min(self._valid, index)
        self.version += 1
        if sum(entry.height for entry in entries) != deferred.height:
            self.moved = True

    def _lines_of(self, index: int) -> list[Strip] | list[PackedLine]:
        """Entry `index`'s lines, rendered now if needed (`moved` is set if its height changed).

        A `DEFERRED` block is split first: `index` is then its first block.
        """
        if self._entries[index].block.kind == DEFERRED:
            self._expand(index)
        entry = self._entries[index]
        lines = entry.lines
        if lines is not None:
            if self.budget is not None and index < self._frozen:
                self.budget.touch(entry)
            return lines
        height = entry.height
        self._pending.discard(index)
        lines = self._render(entry, packed=index < self._frozen)
        if entry.height != height:
            self._valid = min(self._valid, index + 1)
            self.moved = True
        if self.budget is not None and index < self._frozen:
            self.budget.keep(entry)
        return lines

    def render_pending(self, budget: float, first: int = 0, last: int | None = None) -> bool:
        """Render waiting blocks, those touching lines `first`..`last` first, for `budget` s.

        Returns:
            True if a height changed (the layout must be refreshed).
        """
        self.moved = False
        deadline = time.perf_counter() + budget
        for index in self._indices(first, self.height if last is None else last):
            if index in self._pending:
                self._lines_of(index)
        # Then from the end up (splitting deferred blocks changes the indices as it goes).
        while self._pending and time.perf_counter() <= deadline:
            self._lines_of(max(self._pending))
        return self.moved

    def _indices(self, first: int, last: int) -> range:
        """The blocks touching lines `first`..`last` (deferred blocks among them split first)."""
        while True:
            self._index()
            if not self._entries:
                return range(0)
            begin = max(bisect_right(self._starts, first) - 1, 0)
            end = bisect_right(self._starts, max(first, last))
            deferred = [i for i in range(begin, end) if self._entries[i].block.kind == DEFERRED]
            if not deferred:
                return range(begin, end)
            self._expand(deferred[0])

    def line(self, y: int) -> Strip:
        """Line `y` (rendering its block now if it was waiting or dropped)."""
        indices = self._indices(y, y)
        if not indices:
            return Strip([])
        index = indices[0]
        lines = self._lines_of(index)
        self._index()
        offset = y - self._starts[index]
        if offset >= len(lines):
            return Strip([])
        line = lines[offset]
        return unpack(line) if self._entries[index].packed else line  # type: ignore[arg-type]

    @property
    def frozen(self) -> int:
        """How many leading blocks are frozen (the rest are live and may still change)."""
        return self._frozen

    def indices(self, first: int, last: int) -> range:
        """The blocks touching lines `first`..`last`."""
        return self._indices(first, last)

    def __len__(self) -> int:
        """The number of blocks."""
        return len(self._entries)

    def block(self, index: int) -> tuple[Block, bool]:
        """Block `index` and whether a blank line goes before it (its first line)."""
        entry = self._entries[index]
        return entry.block, entry.spaced

    def start(self, index: int) -> int:
        """The first line of block `index` (the blank line before it included)."""
        self._index()
        return self._starts[index]

    def strips(self, index: int) -> list[Strip]:
        """Block `index`'s lines, rendered now if needed (`moved` is set if its height changed)."""
        lines = self._lines_of(index)
        if self._entries[index].packed:
            return [unpack(line) for line in lines]  # type: ignore[arg-type]
        return list(lines)  # type: ignore[arg-type]

    def spans(self, first: int, last: int) -> Iterator[tuple[int, int, list[Strip]]]:
        """The blocks touching lines `first`..`last`: index, first line and lines of each.

        Each is rendered before its first line is taken, so the lines stay where a render
        puts them even where heights were estimates.
        """
        indices = self._indices(first, last)
        index = indices.start if indices else len(self._entries)
        while index < len(self._entries):
            strips = self.strips(index)
            start = self.start(index)
            if start > last:
                return
            yield index, start, strips
            index += 1

    def lines(self) -> list[Strip]:
        """Every line, all rendered (for tests and copies)."""
        strips: list[Strip] = []
        index = 0
        while index < len(self._entries):
            lines = self._lines_of(index)
            packed = self._entries[index].packed
            strips.extend(unpack(line) if packed else line for line in lines)  # type: ignore[arg-type]
            index += 1
        return strips
