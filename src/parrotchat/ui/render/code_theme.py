"""Which code theme (a Pygments style) draws code blocks and inline code.

Dark app themes use `DARK_CODE_THEME`, light ones `LIGHT_CODE_THEME` (never blue on black on a
light screen); the config's `code_theme` overrides both. A `CodeStyle` carries what a render
needs: the style's name for Rich's code blocks, the Rich theme that gives inline code its look,
and the code background (which tells code lines from the rest, for the `[N lang]` labels).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pygments.token import String
from rich.color import Color
from rich.style import Style
from rich.syntax import Syntax
from rich.theme import Theme
from textual.app import App

__all__ = [
    "DARK_CODE_THEME",
    "LIGHT_CODE_THEME",
    "CodeStyle",
    "code_style",
    "code_style_of",
]

DARK_CODE_THEME = "monokai"
"""Code in dark app themes."""
LIGHT_CODE_THEME = "default"
"""Code in light app themes: Pygments' own style, dark text on a near-white background."""


@dataclass(frozen=True)
class CodeStyle:
    """How code is drawn: `name` is the Pygments style."""

    name: str
    background: Color | None
    """The code blocks' background (code lines are found by it)."""
    console_theme: Theme | None
    """Pushed on the console while a block renders (inline code's style); None: Rich's own."""


@lru_cache(maxsize=16)
def code_style(dark: bool, configured: str | None = None) -> CodeStyle:
    """The code style for an app theme (`dark` or light), or the configured one."""
    name = configured or (DARK_CODE_THEME if dark else LIGHT_CODE_THEME)
    background = Syntax.get_theme(name).get_background_style().bgcolor
    if configured is None and dark:
        return CodeStyle(name, background, None)  # inline code as Rich draws it: cyan on black
    return CodeStyle(name, background, Theme({"markdown.code": _inline_code(name)}))


def _inline_code(name: str) -> Style:
    """Inline code in the colours of code theme `name`, on a shade of its background that no
    code block uses (a line with inline code is not a code line)."""
    theme = Syntax.get_theme(name)
    background = theme.get_background_style().bgcolor
    text = theme.get_style_for_token(String)
    if background is None or background.triplet is None:
        return Style(bold=True) + text
    base = background.triplet
    ink = (text.color.get_truecolor() if text.color else None) or base
    shade = tuple(round(b + (i - b) * 0.12) for b, i in zip(base, ink, strict=True))
    if shade == tuple(base):
        shade = (base[0] ^ 1, base[1], base[2])
    return Style(bold=True, color=text.color, bgcolor=Color.from_rgb(*shade))


def code_style_of(app: App[object]) -> CodeStyle:
    """The code style for `app`'s theme now; an app with a `code_theme` attribute that is not
    None (the config's) always gets that one."""
    return code_style(app.current_theme.dark, getattr(app, "code_theme", None))
