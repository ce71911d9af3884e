"""`render.code_labels`: the line each code block of a rendered answer begins on, and its number."""

from __future__ import annotations

from rich.console import Console

from parrotchat.ui.render.code_labels import CodeLabels
from parrotchat.ui.render.code_theme import code_style
from parrotchat.ui.render.line_cache import LineCache, render_markdown
from parrotchat.ui.render.markdown_blocks import BlockSplitter

CONSOLE = Console(width=200, color_system="truecolor")

SOURCE = (
    "Intro.\n\n"
    "```python\nprint(1)\n```\n\n"
    "- a list item with code:\n\n  ```sh\n  ls\n  ```\n\n"
    "  ```\n  plain\n  ```\n\n"
    "> quoted:\n>\n> ~~~rust\n> fn main() {}\n> ~~~\n\n"
    "    indented code\n\n"
    "The end, with `inline` code.\n"
)
CODE = ["print(1)", "ls", "plain", "fn main() {}", "indented code"]


def rendered(source: str, width: int = 60) -> LineCache:
    splitter = BlockSplitter()
    cache = LineCache(lambda text, w: render_markdown(CONSOLE, text, w), width)
    cache.update(splitter.append(source), splitter.live_blocks())
    cache.finish()
    return cache


def test_every_code_block_is_numbered_in_order_nested_ones_too() -> None:
    cache = rendered(SOURCE)
    lines = [strip.text for index in range(len(cache)) for strip in cache.strips(index)]
    labels = CodeLabels(code_style(dark=True).background).between(cache, 0, cache.height)
    assert [labels[line] for line in sorted(labels)] == [
        (1, "python"),
        (2, "sh"),
        (3, ""),
        (4, "rust"),
        (5, ""),
    ]
    # Each label sits on its block's top margin, right above the block's first line of code.
    for line, code in zip(sorted(labels), CODE, strict=True):
        assert not lines[line].strip(" ▌") and code in lines[line + 1]


def test_the_numbers_hold_for_a_window_of_lines() -> None:
    cache = rendered(SOURCE)
    everything = CodeLabels(code_style(dark=True).background).between(cache, 0, cache.height)
    third, fourth = sorted(everything)[2:4]
    window = CodeLabels(code_style(dark=True).background).between(cache, third, fourth)
    assert {third, fourth} <= window.keys()
    assert all(everything[line] == label for line, label in window.items())
