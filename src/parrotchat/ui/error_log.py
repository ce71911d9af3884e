"""The log file for unexpected errors: the traceback goes to a file, the user sees one line."""

from __future__ import annotations

import datetime
import traceback
from pathlib import Path

import platformdirs

from parrotchat.sanitize import neutralize

__all__ = ["ErrorLog", "default_log_dir"]

LOG_NAME = "parrotchat.log"


def default_log_dir() -> Path:
    """`platformdirs.user_log_dir("parrotchat")`."""
    return Path(platformdirs.user_log_dir("parrotchat"))


class ErrorLog:
    """Appends tracebacks of unexpected errors to `parrotchat.log` in a log directory.

    `ErrorLog(tmp_path).record(exc, "streaming a reply")  # one line for the user`
    """

    def __init__(self, log_dir: Path | None = None) -> None:
        self.path: Path = (log_dir or default_log_dir()) / LOG_NAME
        """The log file; created on the first error only."""

    def record(self, error: BaseException, context: str) -> str:
        """Write `error` with its traceback to the log file.

        Args:
            error: The unexpected exception.
            context: What the app was doing, e.g. "streaming a reply".

        Returns:
            One plain line for the user naming the error and the log file.
        """
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        text = "".join(traceback.format_exception(error))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as log:
                log.write(f"--- {stamp} unexpected error while {context}\n{text}\n")
            where = f"details in {self.path}"
        except OSError:
            where = "the log file could not be written"
        summary = neutralize(str(error)).replace("\n", " ").strip()
        name = type(error).__name__
        detail = f"{name}: {summary}" if summary else name
        return f"Unexpected error while {context} ({detail}); {where}."
