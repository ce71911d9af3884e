"""Where parrotchat keeps its files: resolved once, by the CLI, and handed down as `Paths`.

`Paths.default()` asks platformdirs (which honours the XDG variables); tests build `Paths`
under a temporary directory with `Paths.under(tmp_path)`. Nothing below the CLI resolves a
directory itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["HISTORY_NAME", "Paths"]

APP_NAME = "parrotchat"
HISTORY_NAME = "parrotchat.db"
"""The history database's file name inside the data directory."""


@dataclass(frozen=True)
class Paths:
    """The directories and files of one run. `Paths.default().history  # …/parrotchat.db`"""

    data_dir: Path
    """The history database lives here (and exports, when there is no downloads folder)."""
    state_dir: Path
    """Small state kept between runs: the last model used."""
    log_dir: Path
    """`parrotchat.log`, written only when something unexpected happens."""
    export_dir: Path
    """Where the TUI's exports go."""

    @property
    def history(self) -> Path:
        """The history database."""
        return self.data_dir / HISTORY_NAME

    @classmethod
    def default(cls) -> Paths:
        """The platform's directories for parrotchat (the downloads folder for exports)."""
        import platformdirs

        data_dir = Path(platformdirs.user_data_dir(APP_NAME))
        downloads = Path(platformdirs.user_downloads_dir())
        return cls(
            data_dir=data_dir,
            state_dir=Path(platformdirs.user_state_dir(APP_NAME)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME)),
            export_dir=downloads if downloads.is_dir() else data_dir / "exports",
        )

    @classmethod
    def under(cls, root: Path) -> Paths:
        """Every directory inside `root` (tests, screenshots, benchmarks)."""
        return cls(
            data_dir=root / "data",
            state_dir=root / "state",
            log_dir=root / "log",
            export_dir=root / "exports",
        )
