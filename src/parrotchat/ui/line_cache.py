"""Rendered lines of Markdown blocks, cached per block, indexed by line number.

Frozen blocks are rendered once per width; the live blocks at the end are replaced as text
arrives. Blocks not rendered yet (a burst, a width change) count with an estimated height until
someone asks for their lines or `render_pending` reaches them.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rich.console import Console
from rich.markdown import Markdown
from textual.strip import Strip

from parrotchat.ui.markdown_blocks import Block

__all__ = ["LineCache", "render_markdown"]

CODE_THEME = "monokai"

Renderer = Callable[[str, int], list[Strip]]
"""Markdown source and width -> its lines."""


def render_markdown(console: Console, source: str, width: int) -> list[Strip]:
    """Render Markdown `source` at `width` as Rich does in one go, one strip per line."""
    options = console.options.update_width(max(width, 1)).update(height=None)
    lines = console.render_lines(
        Markdown(source, code_theme=CODE_THEME), options, pad=False, new_lines=False
    )
    return [Strip(line) for line in lines]


@dataclass
class _Entry:
    block: Block
    spaced: bool
    """A blank line goes before it (the block before it asks for one)."""
    lines: list[Strip] | None = None
    """None until rendered at the current width."""
    height: int = 0
    """Lines it takes, the blank included: exact once rendered, an estimate before."""


class LineCache:
    """The lines of a sequence of Markdown blocks at one width."""

    def __init__(self, renderer: Renderer, width: int = 80) -> None:
        self.renderer: Renderer = renderer
        self.width: int = width
        self._entries: list[_Entry] = []
        self._frozen = 0
        """How many leading entries are frozen blocks (the rest are live)."""
        self._starts: list[int] = []
        """First line of each entry; valid up to `_valid`."""
        self._valid = 0
        self._pending: set[int] = set()

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
        for index, entry in enumerate(self._entries):
            entry.lines = None
            self._pending.add(index)

    def update(self, frozen: Iterable[Block], live: Iterable[Block]) -> None:
        """Append newly frozen blocks and replace the live ones (they are rendered at once)."""
        del self._entries[self._frozen :]
        for index in [index for index in self._pending if index >= self._frozen]:
            self._pending.discard(index)
        self._valid = min(self._valid, self._frozen)
        for block in frozen:
            entry = self._add(block)
            self._pending.add(len(self._entries) - 1)
            entry.height = entry.block.source.count("\n") + int(entry.spaced) + 1
        self._frozen = len(self._entries)
        for block in live:
            self._render(self._add(block))

    def _add(self, block: Block) -> _Entry:
        spaced = (
            bool(self._entries) and self._entries[-1].block.spaced_after and not block.spaced_alone
        )
        entry = _Entry(block, spaced)
        self._entries.append(entry)
        return entry

    def _render(self, entry: _Entry) -> bool:
        """Render one entry; True if its height changed."""
        lines = self.renderer(entry.block.source, self.width)
        if entry.spaced:
            lines.insert(0, Strip([]))
        entry.lines = lines
        changed = entry.height != len(lines)
        entry.height = len(lines)
        return changed

    def _index(self) -> None:
        entries, starts = self._entries, self._starts
        del starts[self._valid :]
        line = starts[-1] + entries[len(starts) - 1].height if starts else 0
        for entry in entries[len(starts) :]:
            starts.append(line)
            line += entry.height
        self._valid = len(entries)

    def _render_index(self, index: int) -> bool:
        self._pending.discard(index)
        changed = self._render(self._entries[index])
        if changed:
            self._valid = min(self._valid, index + 1)
        return changed

    def render_pending(self, budget: float, first: int = 0, last: int | None = None) -> bool:
        """Render waiting blocks, those touching lines `first`..`last` first, for `budget` s.

        Returns:
            True if a height changed (the layout must be refreshed).
        """
        changed = False
        deadline = time.perf_counter() + budget
        for index in self._indices(first, self.height if last is None else last):
            if index in self._pending:
                changed = self._render_index(index) or changed
        for index in sorted(self._pending, reverse=True):
            if time.perf_counter() > deadline:
                break
            changed = self._render_index(index) or changed
        return changed

    def _indices(self, first: int, last: int) -> range:
        self._index()
        if not self._entries:
            return range(0)
        begin = max(bisect_right(self._starts, first) - 1, 0)
        end = bisect_right(self._starts, max(first, last))
        return range(begin, end)

    def line(self, y: int) -> Strip:
        """Line `y` (rendering its block now if it was waiting)."""
        indices = self._indices(y, y)
        if not indices:
            return Strip([])
        index = indices[0]
        entry = self._entries[index]
        if entry.lines is None:
            self._render_index(index)
            self._index()
        assert entry.lines is not None
        offset = y - self._starts[index]
        return entry.lines[offset] if offset < len(entry.lines) else Strip([])

    def lines(self) -> list[Strip]:
        """Every line, all rendered (for tests and copies)."""
        self.render_pending(float("inf"))
        return [line for entry in self._entries for line in entry.lines or ()]
