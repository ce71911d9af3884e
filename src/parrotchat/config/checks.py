"""Checks for single values (numbers, names, URLs, secrets) and how a bad value is described."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from parrotchat.config.errors import ConfigError
from parrotchat.sanitize import neutralize

__all__ = [
    "_Bad",
    "_Check",
    "_check_input",
    "_code_theme",
    "_env_name",
    "_flag",
    "_headers",
    "_name",
    "_ports",
    "_seconds",
    "_secret",
    "_show_value",
    "_temperature",
    "_text",
    "_url",
    "_whole",
]


class _Bad(ValueError):
    """A value failed a check; `problem` reads after the key's name ("must be ...")."""

    def __init__(self, problem: str, *, show_value: bool = True) -> None:
        super().__init__(problem)
        self.problem = problem
        self.show_value = show_value

    def describe(self, name: str, value: object) -> str:
        """`name must be ..., not VALUE` (without the value for secrets)."""
        shown = f", not {_show_value(value)}" if self.show_value else ""
        return f"{name} {self.problem}{shown}"


_Check = Callable[[Any], Any]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(low: int, high: int | None = None) -> _Check:
    """A check for a whole number in [low, high]."""
    problem = (
        f"must be a whole number from {low} to {high}"
        if high is not None
        else f"must be a whole number of at least {low}"
    )

    def check(value: Any) -> int:
        if not _is_number(value) or not isinstance(value, int):
            raise _Bad(problem)
        if value < low or (high is not None and value > high):
            raise _Bad(problem)
        return value

    return check


def _temperature(value: Any) -> float:
    if not _is_number(value) or not 0 <= value <= 2:
        raise _Bad("must be a number from 0 to 2")
    return float(value)


def _seconds(value: Any) -> float:
    if not _is_number(value) or value <= 0:
        raise _Bad("must be a number of seconds greater than 0")
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad("must be a string")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad("must be a non-empty string")
    return value


def _code_theme(value: Any) -> str:
    """A Pygments style's name (`code_theme`), with the nearest name if it is not one."""
    from pygments.styles import get_all_styles  # only when the config names one

    name = _name(value)
    names = sorted(get_all_styles())
    if name not in names:
        near = difflib.get_close_matches(name, names, n=1)
        hint = f'did you mean "{near[0]}"?' if near else "see https://pygments.org/styles/"
        raise _Bad(
            f"must name a Pygments style, not {_show_value(name)} ({hint})", show_value=False
        )
    return name


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad("must be true or false")
    return value


def _ports(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
        isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536 for port in value
    ):
        raise _Bad("must be a list of port numbers from 1 to 65535, like [5000, 5001]")
    return tuple(dict.fromkeys(value))


def _env_name(value: Any) -> str | None:
    if not isinstance(value, str) or not re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)?", value):
        raise _Bad("must be the name of an environment variable, like OPENAI_API_KEY")
    return value or None


_KEY_TEXT = re.compile(r"[\x21-\x7e]*")
"""What an API key may hold: it travels in an HTTP header, so printable ASCII, no spaces."""
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


def _secret(value: Any) -> str | None:
    if not isinstance(value, str):
        raise _Bad("must be a string", show_value=False)
    if not _KEY_TEXT.fullmatch(value):
        # Never echo the value: it is a key. A curly quote or a newline pasted with it is typical.
        raise _Bad(
            "holds characters an HTTP header cannot carry (a space, a newline, a curly quote "
            "or other non-ASCII text); copy the key again",
            show_value=False,
        )
    return value or None


def _headers(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _Bad(
            'must be a table of strings, like { "X-Title" = "parrotchat" }', show_value=False
        )
    for name, text in value.items():
        if not _HEADER_NAME.fullmatch(name):
            raise _Bad(f"has a header name HTTP does not allow: {name!r}", show_value=False)
        if not _HEADER_VALUE.fullmatch(text):
            raise _Bad(
                f"has a value for {name!r} that HTTP cannot carry (a newline or non-ASCII text)",
                show_value=False,
            )
    return dict(value)


def _url(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad("must be an http or https URL")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a bad port
    except ValueError:
        raise _Bad("must be an http or https URL", show_value=False) from None
    if parts.username is not None or parts.password is not None:
        raise _Bad("must not hold a user name or password (use api_key)", show_value=False)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Bad("must be an http or https URL")
    return value


def _show_value(value: object) -> str:
    """A short, one-line, TOML-like rendering of a value for an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)
    return neutralize(text if len(text) <= 60 else text[:59] + "…")


def _check_input(check: _Check, value: Any, name: str) -> Any:
    """Check a flag or environment value; errors name the flag or variable."""
    try:
        return check(value)
    except _Bad as bad:
        raise ConfigError(bad.describe(name, value)) from None
