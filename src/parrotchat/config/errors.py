"""`ConfigError`, the one exception the configuration raises."""

from __future__ import annotations

import re

__all__ = ["ConfigError"]


class ConfigError(Exception):
    """The configuration cannot be used. `str(error)` is one line that names file, line, problem.

    `ConfigError("/home/u/.config/parrotchat/config.toml, line 3: render_fps must be ...")`
    """

    def __init__(self, message: str) -> None:
        super().__init__(re.sub(r"\s*[\r\n]+\s*", " ", message))
