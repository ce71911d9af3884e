"""The log file for unexpected errors: the traceback goes to a file, the user sees one line."""

from __future__ import annotations

import datetime
import traceback
from pathlib import Path

from parrotchat.sanitize import neutralize

__all__ = ["LOG_NAME", "ErrorLog"]

LOG_NAME = "parrotchat.log"


class ErrorLog:
    """Appends tracebacks of unexpected errors to `parrotchat.log` in a log directory.

    `ErrorLog(tmp_path).record(exc, "streaming a reply")  # one line for the user`
    """

    def __init__(self, log_dir: Path | None) -> None:
        """
        Args:
            log_dir: The log's directory (`Paths.log_dir`); None keeps no log file.
        """
        self.path: Path | None = log_dir / LOG_NAME if log_dir is not None else None
        """The log file, created on the first error only; None if none is kept."""

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
        path = self.path
        if path is None:
            where = "please report it"
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("a", encoding="utf-8") as log:
                    log.write(f"--- {stamp} unexpected error while {context}\n{text}\n")
                where = f"details in {path}"
            except OSError:
                where = "the log file could not be written"
        summary = neutralize(str(error)).replace("\n", " ").strip()
        name = type(error).__name__
        detail = f"{name}: {summary}" if summary else name
        return f"Unexpected error while {context} ({detail}); {where}."
