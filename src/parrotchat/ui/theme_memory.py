"""The theme: from the config (`theme = "..."`), else the one used last (the palette's
"Change theme" choice is remembered).

The chosen theme is kept in `theme.json` in the state directory (its name, nothing else).
Losing it only costs the user a choice, so reading never raises and a failed write is logged.
"""

from __future__ import annotations

import difflib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

__all__ = ["FILE_NAME", "apply_theme", "load_theme", "save_theme"]

FILE_NAME = "theme.json"
"""The file's name inside the state directory."""

_log = logging.getLogger(__name__)


def load_theme(state_dir: Path) -> str | None:
    """The theme chosen last, or None if there is none or the file is unreadable."""
    try:
        data = json.loads((Path(state_dir) / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    theme = data.get("theme") if isinstance(data, dict) else None
    return theme if isinstance(theme, str) and theme else None


def save_theme(state_dir: Path, theme: str) -> None:
    """Remember `theme` (an `OSError` is logged, not raised)."""
    try:
        Path(state_dir).mkdir(parents=True, exist_ok=True)
        (Path(state_dir) / FILE_NAME).write_text(
            json.dumps({"theme": theme}) + "\n", encoding="utf-8"
        )
    except OSError as error:
        _log.warning("could not remember the theme in %s: %s", state_dir, error)


def apply_theme(app: App[object], configured: str | None, state_dir: Path) -> str | None:
    """Put `app` in the configured theme, else the one chosen last, and remember every theme
    chosen from now on. Returns a sentence if the configured theme is not a theme."""
    themes = app.available_themes
    problem = None
    if configured is not None and configured not in themes:
        near = difflib.get_close_matches(configured, list(themes), n=1)
        hint = f' (did you mean "{near[0]}"?)' if near else ""
        problem = (
            f'The config names theme "{configured}", which does not exist{hint}; the theme'
            " used last is used."
        )
        configured = None
    wanted = configured or load_theme(state_dir)
    if wanted in themes:
        app.theme = wanted
    app.theme_changed_signal.subscribe(app, lambda theme: save_theme(state_dir, theme.name))
    return problem
