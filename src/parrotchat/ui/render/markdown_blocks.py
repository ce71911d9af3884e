"""Split streaming Markdown into top-level blocks, and freeze the ones that can no longer change.

Pure logic, no Textual: `BlockSplitter.append` takes text as it arrives and returns the blocks
that became final. Only the live tail (the last block and a partial line) is parsed again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

__all__ = ["DEFERRED", "Block", "BlockSplitter", "safe_cut", "split_blocks"]

DEFERRED = "deferred"
"""The kind of a `Block` holding many top-level blocks not split yet (the start of a burst)."""

_PARSER = MarkdownIt().enable("strikethrough").enable("table").disable("inline")
"""Rich's Markdown dialect, block level only: inline parsing cannot move block boundaries."""


_CONTAINERS = frozenset(("bullet_list_open", "ordered_list_open", "blockquote_open", "table_open"))


@dataclass(frozen=True)
class Block:
    """One top-level Markdown block and the blank lines after it."""

    source: str
    kind: str
    """The markdown-it token type that opens it (`paragraph_open`, `fence`, `hr`...)."""
    empty: bool = False
    """A heading without text (Rich renders it like a container)."""

    @property
    def spaced_after(self) -> bool:
        """Rich puts a blank line after every top-level element except a horizontal rule."""
        return self.kind != "hr"

    @property
    def spaced_alone(self) -> bool:
        """Rendered alone, it already starts with its blank line (Rich's lists, quotes, tables).

        Rich decides the blank line before an element from the last element closed before it,
        which for a container is its own last child.
        """
        return self.kind in _CONTAINERS or self.empty


_FENCE = re.compile(r"(`{3,}|~{3,})(.*)")
_INDENTED_FENCE = re.compile(r"[ \t]{1,3}(`{3,}|~{3,})")
_RULE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*")


def safe_cut(text: str, before: int) -> int:
    """The last place at most `before` where `text` (beginning at a block) can be cut in two
    that are split into the same top-level blocks as the whole: 0 if there is none.

    Cheap (no Markdown parse): a line that begins with a letter after a blank line, outside a
    code fence, begins a top-level block (nothing carries on past a blank line without an
    indent or a `>`). Text with what this scan does not follow (HTML blocks, fences indented
    or in a list) is not cut; nor is a cut taken right after a horizontal rule (the block
    after a rule has no blank line above it).
    """
    cut = 0
    fence = ""
    blank = False
    last = ""
    position = 0
    for line in text.splitlines(keepends=True):
        if position > before:
            break
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = ""
        elif (opening := _FENCE.match(line)) is not None:
            marker = opening.group(1)
            if marker[0] == "`" and "`" in opening.group(2):
                pass  # not a fence: an inline code span
            else:
                fence = marker
        elif line.lstrip(" ").startswith("<") or _INDENTED_FENCE.match(line):
            return cut if position else 0
        elif blank and line[:1].isalpha() and not _RULE.fullmatch(last):
            cut = position
        if stripped:
            last = line.rstrip("\n")
        blank = not stripped
        position += len(line)
    return cut


def split_blocks(text: str) -> list[Block]:
    """Split `text` into its top-level blocks; leading blank lines go with the first."""
    tokens = _PARSER.parse(text)
    starts: list[tuple[int, str, bool]] = []
    for index, token in enumerate(tokens):
        if token.level == 0 and token.nesting >= 0 and token.map is not None:
            empty = token.type == "heading_open" and not tokens[index + 1].content
            starts.append((token.map[0], token.type, empty))
    if not starts:
        return [Block(text, "blank")] if text else []
    lines = text.splitlines(keepends=True)
    blocks: list[Block] = []
    for index, (start, kind, empty) in enumerate(starts):
        begin = 0 if index == 0 else start
        end = starts[index + 1][0] if index + 1 < len(starts) else len(lines)
        blocks.append(Block("".join(lines[begin:end]), kind, empty))
    return blocks


class BlockSplitter:
    """The frozen blocks of a growing Markdown text, and its live tail.

    A block is frozen once the next block has begun on a complete line: a partial line (`#x`
    after a paragraph, `===` under one) can still change what the blocks before it are.
    """

    def __init__(self) -> None:
        self.frozen: list[Block] = []
        """Blocks that no later text can change, in order."""
        self.tail: str = ""
        """The text after the frozen blocks: the live block, still growing."""

    def append(self, text: str, keep: int | None = None) -> list[Block]:
        """Add `text`; return the blocks it froze (possibly none).

        Args:
            keep: In a burst (more than twice `keep` characters waiting), leave only about
                `keep` characters to split now: what comes before a safe cut is frozen as one
                `DEFERRED` block, split (`split_blocks`) only when someone needs its lines.
        """
        self.tail += text
        complete = self.tail.rfind("\n") + 1
        if not complete or "\n" not in text:
            return []
        done: list[Block] = []
        if keep is not None and complete > 2 * keep:
            cut = safe_cut(self.tail, complete - keep)
            if cut:
                done.append(Block(self.tail[:cut], DEFERRED))
                self.tail = self.tail[cut:]
                complete -= cut
        blocks = split_blocks(self.tail[:complete])
        if len(blocks) >= 2:
            done += blocks[:-1]
            self.tail = self.tail[sum(len(block.source) for block in blocks[:-1]) :]
        self.frozen.extend(done)
        return done

    def live_blocks(self) -> list[Block]:
        """The tail as blocks (they will change as text arrives)."""
        return split_blocks(self.tail)
