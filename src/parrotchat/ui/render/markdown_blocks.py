"""Split streaming Markdown into top-level blocks, and freeze the ones that can no longer change.

Pure logic, no Textual: `BlockSplitter.append` takes text as it arrives and returns the blocks
that became final. Only the live tail (the last block and a partial line) is parsed again.
"""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it import MarkdownIt

__all__ = ["Block", "BlockSplitter", "split_blocks"]

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

    def append(self, text: str) -> list[Block]:
        """Add `text`; return the blocks it froze (possibly none)."""
        self.tail += text
        complete = self.tail.rfind("\n") + 1
        if not complete or "\n" not in text:
            return []
        blocks = split_blocks(self.tail[:complete])
        if len(blocks) < 2:
            return []
        done = blocks[:-1]
        self.frozen.extend(done)
        self.tail = self.tail[sum(len(block.source) for block in done) :]
        return done

    def live_blocks(self) -> list[Block]:
        """The tail as blocks (they will change as text arrives)."""
        return split_blocks(self.tail)
