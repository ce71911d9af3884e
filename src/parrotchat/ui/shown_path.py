"""A file's path as a notice shows it: the home folder as `~`, control characters inert."""

from __future__ import annotations

from pathlib import Path

from parrotchat.sanitize import neutralize

__all__ = ["shown_path"]


def shown_path(path: Path, home: Path | None = None) -> str:
    """`path` with the home folder (default: the user's) written `~`, neutralised.

    `shown_path(Path.home() / "Downloads/a.md")  # "~/Downloads/a.md"`
    """
    try:
        home = home or Path.home()
        shown = f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)
    except RuntimeError:  # no home folder to be found
        shown = str(path)
    return neutralize(shown)
