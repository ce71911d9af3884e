"""Whether the sidebar was open, and on which tab: remembered between runs.

Kept in `sidebar.json` in the state directory, beside `theme.json` (`theme_memory`). Only a
choice counts: a narrow terminal hiding the sidebar is not one, so it changes nothing. Losing
the file only costs the user a click, so reading never raises and a failed write is logged.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

__all__ = ["FILE_NAME", "SidebarMemory"]

FILE_NAME = "sidebar.json"
"""The file's name inside the state directory."""

_log = logging.getLogger(__name__)


class SidebarMemory:
    """The sidebar as the user left it: `open`, and `tab` (None: the default tab)."""

    def __init__(self, state_dir: Path) -> None:
        self._path = Path(state_dir) / FILE_NAME
        self.open: bool = True
        """Open on a wide enough screen (it starts open when nothing is remembered)."""
        self.tab: str | None = None
        """The tab shown last (a `TabPane` id)."""
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict):
            if isinstance(data.get("open"), bool):
                self.open = data["open"]
            if isinstance(data.get("tab"), str):
                self.tab = data["tab"]

    def remember_open(self, open: bool) -> None:
        """The user opened or closed the sidebar."""
        if open != self.open:
            self.open = open
            self._save()

    def remember_tab(self, tab: str) -> None:
        """The user went to `tab`."""
        if tab != self.tab:
            self.tab = tab
            self._save()

    def _save(self) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._path.write_text(
                json.dumps({"open": self.open, "tab": self.tab}) + "\n", encoding="utf-8"
            )
        except OSError as error:
            _log.warning("could not remember the sidebar in %s: %s", self._path, error)
