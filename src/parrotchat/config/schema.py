"""The config file's schema: known keys, the check for each, and rules that span keys."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from parrotchat.config.checks import (
    _Bad,
    _code_theme,
    _env_name,
    _flag,
    _headers,
    _name,
    _ports,
    _seconds,
    _secret,
    _show_value,
    _temperature,
    _text,
    _url,
    _whole,
)
from parrotchat.config.keys import DEFAULT_KEYS, KeyProblem, check_keys, unknown_id
from parrotchat.config.settings import (
    _BUILTIN_PROVIDERS,
    DEFAULT_PROVIDER,
    DEMO_PROVIDER,
    _unknown_provider,
)

__all__ = [
    "_ATTACHMENTS_SCHEMA",
    "_FILE_SCHEMA",
    "_LIMITS_SCHEMA",
    "_TIMEOUTS_SCHEMA",
    "_Invalid",
    "_check_providers",
    "_check_table",
]


@dataclass(frozen=True)
class _TableOf:
    """A table of named sub-tables that all follow `schema` (like `[providers.NAME]`)."""

    schema: dict[str, Any]


@dataclass(frozen=True)
class _KeyTable:
    """The `[keys]` table: binding ids to keys (`retry = "ctrl+r,f9"`)."""


_PROVIDER_SCHEMA: dict[str, Any] = {
    "base_url": _url,
    "api_key_env": _env_name,
    "api_key": _secret,
    "headers": _headers,
    "model": _name,
}
_TIMEOUTS_SCHEMA: dict[str, Any] = {"connect": _seconds, "read": _seconds, "idle": _seconds}
_LIMITS_SCHEMA: dict[str, Any] = {
    f"{name}_mb": _whole(1, 1024) for name in ("response", "models", "event", "line", "reply")
}
_ATTACHMENTS_SCHEMA: dict[str, Any] = {
    "max_file_kb": _whole(1, 100 * 1024),
    "max_message_kb": _whole(1, 100 * 1024),
}
_DISCOVERY_SCHEMA: dict[str, Any] = {"ports": _ports}
_FILE_SCHEMA: dict[str, Any] = {
    "default_provider": _name,
    "model": _name,
    "system_prompt": _text,
    "render_fps": _whole(1, 240),
    "escape_delay_ms": _whole(1, 1000),
    "temperature": _temperature,
    "max_tokens": _whole(1),
    "timeouts": _TIMEOUTS_SCHEMA,
    "limits": _LIMITS_SCHEMA,
    "attachments": _ATTACHMENTS_SCHEMA,
    "discover_local": _flag,
    "print_history": _flag,
    "theme": _name,
    "code_theme": _code_theme,
    "discovery": _DISCOVERY_SCHEMA,
    "keys": _KeyTable(),
    "providers": _TableOf(_PROVIDER_SCHEMA),
}


class _Invalid(Exception):
    """A problem at `keypath` in the file; turned into a ConfigError with the line number."""

    def __init__(self, keypath: tuple[str, ...], problem: str) -> None:
        super().__init__(problem)
        self.keypath = keypath
        self.problem = problem


def _check_table(data: dict[str, Any], schema: dict[str, Any], where: tuple[str, ...]) -> None:
    _reject_unknown(data, schema, where)
    for key, value in data.items():
        _check_value(value, schema[key], (*where, key))


def _check_value(value: Any, rule: Any, keypath: tuple[str, ...]) -> None:
    name = ".".join(keypath)
    if isinstance(rule, dict | _TableOf | _KeyTable) and not isinstance(value, dict):
        raise _Invalid(keypath, f"{name} must be a table, not {_show_value(value)}")
    if isinstance(rule, dict):
        _check_table(value, rule, keypath)
    elif isinstance(rule, _TableOf):
        for sub_name, sub in value.items():
            if not re.fullmatch(r"[A-Za-z0-9_-]+", sub_name):
                problem = "names may only use letters, digits, - and _"
                raise _Invalid((*keypath, sub_name), f"{name}.{sub_name}: {problem}")
            _check_value(sub, rule.schema, (*keypath, sub_name))
    elif isinstance(rule, _KeyTable):
        for binding, keys in value.items():
            if binding not in DEFAULT_KEYS:
                raise _Invalid((*keypath, binding), unknown_id(binding))
            try:
                check_keys(keys)
            except KeyProblem as problem:
                raise _Invalid((*keypath, binding), f"{name}.{binding} {problem}") from None
    else:
        try:
            rule(value)
        except _Bad as bad:
            raise _Invalid(keypath, bad.describe(name, value)) from None


def _reject_unknown(data: dict[str, Any], schema: dict[str, Any], where: tuple[str, ...]) -> None:
    unknown = [key for key in data if key not in schema]
    if not unknown:
        return
    names = ", ".join(json.dumps(key, ensure_ascii=False) for key in unknown)
    place = f" in [{'.'.join(where)}]" if where else ""
    close = difflib.get_close_matches(unknown[0], list(schema), n=1)
    hint = f'did you mean "{close[0]}"?' if close else f"known keys: {', '.join(schema)}"
    plural = "s" if len(unknown) > 1 else ""
    raise _Invalid((*where, unknown[0]), f"unknown key{plural} {names}{place} ({hint})")


def _check_providers(data: dict[str, Any]) -> None:
    """Rules that span keys: new providers need a base_url; the demo keeps its own."""
    for name, table in data.get("providers", {}).items():
        keypath = ("providers", name)
        if name == DEMO_PROVIDER:
            for key in ("base_url", "api_key", "api_key_env"):
                if key in table:
                    raise _Invalid((*keypath, key), f"the demo provider's {key} cannot be set")
        elif name not in _BUILTIN_PROVIDERS and "base_url" not in table:
            raise _Invalid(keypath, f'provider "{name}" needs a base_url')
    known = [*_BUILTIN_PROVIDERS, *data.get("providers", {})]
    default = data.get("default_provider", DEFAULT_PROVIDER)
    if default not in known:
        raise _Invalid(("default_provider",), _unknown_provider(default, known, "default_provider"))
