"""Remember the last model used, across runs, in `last_model.json` in the state directory.

The file holds the provider's name and the model id, nothing else (never a key). Losing it
only costs the user a choice, so reading never raises and a failed write is logged, not raised.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

__all__ = ["FILE_NAME", "load_last_model", "save_last_model"]

FILE_NAME = "last_model.json"
"""The file's name inside the state directory."""

_log = logging.getLogger(__name__)


def load_last_model(state_dir: Path) -> tuple[str, str] | None:
    """Return the `(provider, model)` saved last, or `None` if there is none or it is unreadable.

    `load_last_model(Path(platformdirs.user_state_dir("parrotchat")))  # ('demo', 'parrot')`
    """
    try:
        data = json.loads((Path(state_dir) / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    provider, model = data.get("provider"), data.get("model")
    if not (isinstance(provider, str) and isinstance(model, str) and provider and model):
        return None
    return provider, model


def save_last_model(state_dir: Path, provider: str, model: str) -> None:
    """Save `(provider, model)` atomically: readers see the old file or the new one, never half.

    Creates `state_dir` if needed. An `OSError` (read-only disk, permissions) is logged.
    """
    state_dir = Path(state_dir)
    payload = json.dumps({"provider": provider, "model": model}, ensure_ascii=False)
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=state_dir, prefix=".last_model.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(payload + "\n")
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp_name, state_dir / FILE_NAME)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
    except (OSError, ValueError) as error:  # ValueError: text that cannot be encoded
        _log.warning("could not remember the last model in %s: %s", state_dir, error)
