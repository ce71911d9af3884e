"""Where each code block of a rendered answer begins: the `[N lang]` labels of a focused message.

Block `N` is the `N`th code block of `core.code_blocks` (the numbers the `1`..`9` keys copy).
Which blocks hold code comes from their Markdown source; where a code block begins inside a
rendered block (a list or a quote can hold several) is found from the lines themselves: code
is drawn on its theme's background, which nothing else uses.
"""

from __future__ import annotations

from functools import lru_cache

from rich.color import Color
from textual.strip import Strip

from parrotchat.core.code_blocks import code_blocks
from parrotchat.ui.render.line_cache import LineCache

__all__ = ["CodeLabels", "code_starts"]

_NO_CODE = frozenset(("paragraph_open", "heading_open", "table_open", "hr", "blank", "html_block"))
"""Kinds of top-level block that cannot hold a code block."""


@lru_cache(maxsize=4096)
def _languages(kind: str, source: str) -> tuple[str, ...]:
    """The languages of the code blocks in one top-level block, in order."""
    if kind in _NO_CODE:
        return ()
    return tuple(block.language for block in code_blocks(source))


def code_starts(strips: list[Strip], count: int, background: Color | None) -> list[int] | None:
    """The lines of `strips` where each of its `count` code blocks begins (its top margin);
    code is drawn on `background`.

    Code blocks side by side (two fences in one list item) draw as one run of code lines: the
    bottom margin of one and the top margin of the next make two blank code lines in a row.
    Where blank pairs inside the code make that ambiguous, None: no label beats a wrong one.
    """
    starts: list[int] = []
    pairs: list[int] = []
    inside = blank = False
    for number, strip in enumerate(strips):
        code = any(style is not None and style.bgcolor == background for _, style, _ in strip)
        if code and not inside:
            starts.append(number)
        elif code and blank and not strip.text.strip(" ▌"):
            pairs.append(number)
        inside = code
        blank = code and not strip.text.strip(" ▌")
    if len(starts) == count:
        return starts
    if len(starts) + len(pairs) == count:
        return sorted(starts + pairs)
    return None


class CodeLabels:
    """The code block numbers of one answer, by the line each block begins on."""

    def __init__(self, background: Color | None) -> None:
        self.background: Color | None = background
        """The code theme's background."""
        self._before: list[int] = [0]
        """Code blocks before each frozen block (frozen blocks never change)."""
        self._version = 0
        """The cache's `version` the counts are for (a deferred block split moves blocks)."""

    def _count_before(self, cache: LineCache, index: int) -> int:
        if cache.version != self._version:
            self._before, self._version = [0], cache.version
        before = self._before
        frozen = min(cache.frozen, index)
        while len(before) <= frozen:
            block, _spaced = cache.block(len(before) - 1)
            before.append(before[-1] + len(_languages(block.kind, block.source)))
        count = before[frozen]
        for live in range(frozen, index):
            block, _spaced = cache.block(live)
            count += len(_languages(block.kind, block.source))
        return count

    def between(self, cache: LineCache, first: int, last: int) -> dict[int, tuple[int, str]]:
        """Line -> (block number, language) of the code blocks in the blocks on lines first..last.

        Numbers count every code block before them, off screen too.
        """
        labels: dict[int, tuple[int, str]] = {}
        indices = cache.indices(first, last)
        if not indices:
            return labels
        number = self._count_before(cache, indices.start)
        for index in indices:
            block, spaced = cache.block(index)
            languages = _languages(block.kind, block.source)
            if not languages:
                continue
            # A fence of its own begins on its first line: no need to look (it may be long).
            if block.kind == "fence":
                starts: list[int] | None = [int(spaced)]
            else:
                starts = code_starts(cache.strips(index), len(languages), self.background)
            if starts is not None:
                line = cache.start(index)
                for offset, (start, language) in enumerate(zip(starts, languages, strict=True)):
                    labels[line + start] = (number + offset + 1, language)
            number += len(languages)
        return labels
