"""The code blocks of a Markdown text, as the answer view renders them: for copying and `-x`.

Parsed with markdown-it in Rich's dialect (the parser the answer view uses), so block `N` here
is the `N`th code block on screen: fenced blocks (``` or ~~~, at any depth: in lists and
quotes too) and indented ones, in document order. Pure logic, no Textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt

__all__ = ["CodeBlock", "code_blocks", "code_text"]

_PARSER = MarkdownIt().enable("strikethrough").enable("table").disable("inline")
"""Rich's Markdown dialect, block level only: code blocks do not depend on inline parsing."""


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """One code block of a Markdown text."""

    language: str
    """The first word of the fence's info string (`python`), empty if none was given."""
    text: str
    """The block's content exactly as written, indentation kept, without its last newline."""
    closed: bool = True
    """False for a fence the text ends inside (a reply still streaming, or cut off)."""

    @property
    def line_count(self) -> int:
        """Lines of `text` (an empty block counts one)."""
        return self.text.count("\n") + 1


def code_blocks(markdown: str) -> list[CodeBlock]:
    """The code blocks of `markdown`, in document order.

    `code_blocks("Run:\\n```sh\\nls -l\\n```\\n")  # [CodeBlock('sh', 'ls -l')]`
    """
    return list(_code_blocks(markdown))


@lru_cache(maxsize=64)
def _code_blocks(markdown: str) -> tuple[CodeBlock, ...]:
    # markdown-it reads `\r\n` and `\r` as line ends: split the same way to find closing fences.
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[CodeBlock] = []
    for token in _PARSER.parse(markdown):
        if token.type == "code_block":
            blocks.append(CodeBlock("", _without_last_newline(token.content)))
        elif token.type == "fence":
            language = token.info.split()[0] if token.info.strip() else ""
            closed = token.map is not None and _closes(lines, token.map, token.markup)
            blocks.append(CodeBlock(language, _without_last_newline(token.content), closed))
    return tuple(blocks)


def _without_last_newline(text: str) -> str:
    return text[:-1] if text.endswith("\n") else text


def _closes(lines: list[str], span: list[int], markup: str) -> bool:
    """True if the fence spanning source lines `span` ends with a closing fence line."""
    start, end = span
    if end - start < 2 or end > len(lines):
        return False
    # A fence inside a list or a quote: the closing line carries their indentation and `>`.
    last = lines[end - 1].lstrip(" \t>").rstrip()
    run = len(last) - len(last.lstrip(markup[0]))
    return run >= len(markup) and not last[run:].strip()


def code_text(markdown: str, *, complete: bool = True) -> str:
    """The code blocks of `markdown`, separated by a blank line, ending with a newline.

    Args:
        complete: The text is the whole answer. False leaves out a fence it ends inside:
            a command cut off mid-line must not reach a shell.

    Returns:
        The blocks' text, or "" if there is none.
    """
    blocks = [block for block in code_blocks(markdown) if complete or block.closed]
    return "\n".join(f"{block.text}\n" for block in blocks)
