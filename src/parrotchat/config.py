"""Configuration: built-in providers, `config.toml`, environment variables and flags, merged.

`load_settings(model="gpt-4o")` returns the effective `Settings` and remembers where each value
came from; `show_config(settings)` prints them. Only `cli.py` calls this module; everything
below it gets `Settings` or an `Endpoint` handed down.

Precedence, lowest to highest: built-ins < config file < environment < flags. An API key is
bound to the origin (scheme://host:port) of the base URL it was configured with and is withheld
when the final base URL points elsewhere.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
import shlex
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from parrotchat.api.endpoint import Endpoint
from parrotchat.sanitize import neutralize

__all__ = [
    "DEMO_BASE_URL",
    "DEMO_PROVIDER",
    "EXAMPLE_CONFIG",
    "ConfigError",
    "ProviderConfig",
    "Settings",
    "Timeouts",
    "default_config_path",
    "load_settings",
    "show_config",
]

DEMO_BASE_URL = "builtin:demo"
"""Stands for the offline demo server until the CLI starts it and calls `with_demo_url`."""
DEMO_PROVIDER = "demo"
DEFAULT_PROVIDER = "parrotrouter"

ENV_CONFIG = "PARROTCHAT_CONFIG"
ENV_BASE_URL = "PARROTCHAT_BASE_URL"
ENV_API_KEY = "PARROTCHAT_API_KEY"
ENV_MODEL = "PARROTCHAT_MODEL"

_BUILTIN_PROVIDERS: dict[str, dict[str, str]] = {
    DEFAULT_PROVIDER: {
        "base_url": "https://api.parrotrouter.com/v1",
        "api_key_env": ENV_API_KEY,
        "model": "openai/gpt-4o-mini",
    },
    DEMO_PROVIDER: {"base_url": DEMO_BASE_URL, "model": "parrot"},
}

# Header values that authenticate: masked in show_config, withheld like keys on a new origin.
_SENSITIVE_HEADER = re.compile(r"auth|key|token|secret|cookie|session|password", re.IGNORECASE)


class ConfigError(Exception):
    """The configuration cannot be used. `str(error)` is one line that names file, line, problem.

    `ConfigError("/home/u/.config/parrotchat/config.toml, line 3: render_fps must be ...")`
    """

    def __init__(self, message: str) -> None:
        super().__init__(re.sub(r"\s*[\r\n]+\s*", " ", message))


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait, per request. `Timeouts(connect=5)  # 5s to connect, defaults otherwise`"""

    connect: float = 10.0
    """To open the connection."""
    read: float = 120.0
    """For the next bytes from the server (also before the answer starts)."""
    idle: float = 120.0
    """For the next data event of a stream (keep-alive comments do not count)."""


@dataclass
class ProviderConfig:
    """One OpenAI-compatible provider after all layers were merged."""

    name: str
    base_url: str
    """Final base URL, or `DEMO_BASE_URL` for the demo server before it is started."""
    api_key_env: str | None = None
    """The environment variable that holds this provider's key."""
    api_key: str | None = field(default=None, repr=False)
    """The effective key; None if there is none or it was withheld."""
    key_source: str | None = None
    """Where the key was found, e.g. `environment variable PARROTCHAT_API_KEY`."""
    key_note: str | None = None
    """Why a key (or a secret header) was not sent, if one was not."""
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    """Extra headers for every request (repr hidden: they may authenticate)."""
    model: str | None = None
    """This provider's default model."""

    @property
    def is_demo(self) -> bool:
        """True for the built-in offline demo server."""
        return self.name == DEMO_PROVIDER


@dataclass
class Settings:
    """The effective configuration, with the source of every value in `sources`.

    `sources` keys: `config_path`, `provider`, `model`, `base_url` (of the active provider),
    `system_prompt`, `temperature`, `max_tokens`, `render_fps`, `timeouts.connect`,
    `timeouts.read`, `timeouts.idle`, and `providers.NAME.base_url` / `.model` / `.headers`.
    Labels are `default`, `config file`, `env PARROTCHAT_MODEL`, `--model`, ...
    """

    providers: dict[str, ProviderConfig]
    """Built-ins first (parrotrouter, demo), then the file's providers in file order."""
    provider: str
    """The active provider's name."""
    model: str
    """The active model id: flag > env > file `model` > the provider's default."""
    system_prompt: str | None = None
    render_fps: int = 30
    temperature: float | None = None
    max_tokens: int | None = None
    timeouts: Timeouts = Timeouts()
    config_path: Path | None = None
    config_exists: bool = False
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """Sentences to show the user once (e.g. a config file with a key readable by others)."""
    model_explicit: bool = False
    """True if the model was chosen by a flag, env or the file: the UI then ignores the
    remembered last model."""

    @property
    def active(self) -> ProviderConfig:
        """The provider replies go to."""
        return self.providers[self.provider]

    def endpoint(self, provider: str | None = None) -> Endpoint:
        """What the client needs to reach `provider` (default: the active one).

        Raises:
            ConfigError: no such provider.
            RuntimeError: the demo server was not started (`with_demo_url` not called).
        """
        config = self.providers.get(provider or self.provider)
        if config is None:
            raise ConfigError(_unknown_provider(provider or "", self.providers, "provider"))
        if config.base_url == DEMO_BASE_URL:
            raise RuntimeError("the demo server is not running: call Settings.with_demo_url()")
        return Endpoint(
            name=config.name,
            base_url=config.base_url,
            api_key=config.api_key,
            key_source=config.key_source if config.api_key else None,
            headers=dict(config.headers),
            connect_timeout=self.timeouts.connect,
            read_timeout=self.timeouts.read,
            idle_timeout=self.timeouts.idle,
        )

    def with_demo_url(self, url: str) -> Settings:
        """A copy whose demo provider points at the started demo server at `url`."""
        _check_input(_url, url, "the demo server's URL")
        providers = {
            name: dataclasses.replace(config, base_url=url) if config.is_demo else config
            for name, config in self.providers.items()
        }
        return dataclasses.replace(
            self, providers=providers, sources=dict(self.sources), warnings=list(self.warnings)
        )


# --- Checking values ------------------------------------------------------------------------


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


def _env_name(value: Any) -> str | None:
    if not isinstance(value, str) or not re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)?", value):
        raise _Bad("must be the name of an environment variable, like OPENAI_API_KEY")
    return value or None


def _secret(value: Any) -> str | None:
    if not isinstance(value, str):
        raise _Bad("must be a string", show_value=False)
    return value or None


def _headers(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _Bad(
            'must be a table of strings, like { "X-Title" = "parrotchat" }', show_value=False
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


# --- The file's schema ----------------------------------------------------------------------


@dataclass(frozen=True)
class _TableOf:
    """A table of named sub-tables that all follow `schema` (like `[providers.NAME]`)."""

    schema: dict[str, Any]


_PROVIDER_SCHEMA: dict[str, Any] = {
    "base_url": _url,
    "api_key_env": _env_name,
    "api_key": _secret,
    "headers": _headers,
    "model": _name,
}
_TIMEOUTS_SCHEMA: dict[str, Any] = {"connect": _seconds, "read": _seconds, "idle": _seconds}
_FILE_SCHEMA: dict[str, Any] = {
    "default_provider": _name,
    "model": _name,
    "system_prompt": _text,
    "render_fps": _whole(1, 240),
    "temperature": _temperature,
    "max_tokens": _whole(1),
    "timeouts": _TIMEOUTS_SCHEMA,
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
    if isinstance(rule, dict | _TableOf) and not isinstance(value, dict):
        raise _Invalid(keypath, f"{name} must be a table, not {_show_value(value)}")
    if isinstance(rule, dict):
        _check_table(value, rule, keypath)
    elif isinstance(rule, _TableOf):
        for sub_name, sub in value.items():
            if not re.fullmatch(r"[A-Za-z0-9_-]+", sub_name):
                problem = "names may only use letters, digits, - and _"
                raise _Invalid((*keypath, sub_name), f"{name}.{sub_name}: {problem}")
            _check_value(sub, rule.schema, (*keypath, sub_name))
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


def _unknown_provider(name: str, known: Mapping[str, object] | list[str], what: str) -> str:
    return f'{what} "{name}" is not a provider (known: {", ".join(known)})'


# --- Reading the file -----------------------------------------------------------------------


_TABLE_LINE = re.compile(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY_LINE = re.compile(
    r"""\s*((?:[\w-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[\w-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_KEY_PART = re.compile(r"""[\w-]+|"([^"]*)"|'([^']*)'""")


def _split_key(text: str) -> tuple[str, ...]:
    parts = []
    for match in _KEY_PART.finditer(text):
        quoted = match[1] if match[1] is not None else match[2]
        parts.append(quoted if quoted is not None else match[0])
    return tuple(parts)


def _find_line(text: str, keypath: tuple[str, ...]) -> int | None:
    """The line that defines `keypath`, or else the nearest enclosing table or key."""
    table: tuple[str, ...] = ()
    best, best_len = None, 0
    in_multiline = False
    for number, line in enumerate(text.splitlines(), 1):
        starts_in_multiline = in_multiline
        in_multiline ^= (line.count('"""') + line.count("'''")) % 2 == 1
        if starts_in_multiline:
            continue
        if match := _TABLE_LINE.match(line):
            table = here = _split_key(match[1])
        elif match := _KEY_LINE.match(line):
            here = (*table, *_split_key(match[1]))
        else:
            continue
        if here == keypath:
            return number
        if len(here) > best_len and keypath[: len(here)] == here:
            best, best_len = number, len(here)
    return best


def _file_error(path: Path, line: int | None, problem: str) -> ConfigError:
    where = f"{path}, line {line}" if line else str(path)
    return ConfigError(f"{where}: {problem}")


def _read_file(path: Path) -> str | None:
    """The file's text, or None if there is no file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _file_error(path, None, f"cannot read the file ({error.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _file_error(path, line, "the file is not UTF-8 text") from None


def _parse(path: Path, text: str) -> dict[str, Any]:
    """The checked contents of the file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if match:
            detail = f"{message[: match.start()]} (column {match[2]})"
            raise _file_error(path, int(match[1]), f"TOML syntax error: {detail}") from None
        detail = message.replace("(at end of document)", "at the end of the file")
        raise _file_error(path, None, f"TOML syntax error: {detail}") from None
    try:
        _check_table(data, _FILE_SCHEMA, ())
        _check_providers(data)
    except _Invalid as invalid:
        raise _file_error(path, _find_line(text, invalid.keypath), invalid.problem) from None
    return data


# --- Merging the layers ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    """A key and the origin of the base URL it was configured with."""

    value: str = field(repr=False)
    source: str
    """For `ProviderConfig.key_source`."""
    label: str
    """For a note when withheld: `PARROTCHAT_API_KEY belongs to https://...`."""
    origin: str | None


def _origin(url: str) -> str | None:
    """`scheme://host[:port]`, normalized (default ports dropped), or None if not http(s)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default_port = 443 if parts.scheme == "https" else 80
    suffix = f":{port}" if port not in (None, default_port) else ""
    return f"{parts.scheme}://{host}{suffix}"


@dataclass
class _Merge:
    """The layers being merged; one method per step of `load_settings`."""

    path: Path
    data: dict[str, Any]
    env: Mapping[str, str]
    providers: dict[str, ProviderConfig] = field(default_factory=dict)
    keys: dict[str, _Key] = field(default_factory=dict)
    secret_origin: dict[str, str | None] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def env_value(self, name: str) -> str | None:
        """An environment variable; set-but-empty counts as unset."""
        return self.env.get(name) or None

    def merge_providers(self) -> None:
        """Built-ins, with the file's tables merged over them key by key."""
        tables = {name: dict(table) for name, table in _BUILTIN_PROVIDERS.items()}
        for name in tables:
            for key in ("base_url", "model"):
                self.sources[f"providers.{name}.{key}"] = "default"
        for name, table in self.data.get("providers", {}).items():
            tables.setdefault(name, {}).update(table)
            for key in ("base_url", "model", "headers"):
                if key in table:
                    self.sources[f"providers.{name}.{key}"] = "config file"
        for name, table in tables.items():
            self.add_provider(name, table)

    def add_provider(self, name: str, table: dict[str, Any]) -> None:
        """One merged provider and the key configured for it."""
        config = ProviderConfig(
            name=name,
            base_url=table["base_url"],
            api_key_env=_env_name(table.get("api_key_env", "")),
            headers=dict(table.get("headers", {})),
            model=table.get("model"),
        )
        self.providers[name] = config
        origin = _origin(config.base_url)
        self.secret_origin[name] = origin
        env_key = self.env_value(config.api_key_env) if config.api_key_env else None
        file_key = _secret(table.get("api_key", ""))
        if env_key and config.api_key_env:
            var = config.api_key_env
            self.keys[name] = _Key(env_key, f"environment variable {var}", var, origin)
        elif file_key:
            source = f"config file {self.path}"
            self.keys[name] = _Key(file_key, source, "the api_key in the config file", origin)

    def apply_file_model(self, default: str) -> None:
        """The file's top-level `model` is the default provider's model."""
        if "model" in self.data:
            self.providers[default].model = self.data["model"]
            self.sources[f"providers.{default}.model"] = "config file"

    def apply_env(self, default: str) -> None:
        """PARROTCHAT_BASE_URL / _API_KEY / _MODEL override the default provider."""
        config = self.providers[default]
        if model := self.env_value(ENV_MODEL):
            config.model = model
            self.sources[f"providers.{default}.model"] = f"env {ENV_MODEL}"
        base_url = self.env_value(ENV_BASE_URL)
        if config.is_demo:
            if base_url:
                self.warnings.append(f"{ENV_BASE_URL} is ignored: the default provider is demo.")
            return
        if base_url:
            config.base_url = _check_input(_url, base_url, ENV_BASE_URL)
            self.sources[f"providers.{default}.base_url"] = f"env {ENV_BASE_URL}"
        self.apply_env_key(config, bool(base_url))

    def apply_env_key(self, config: ProviderConfig, with_base_url: bool) -> None:
        """PARROTCHAT_API_KEY for the default provider, unless another provider owns it."""
        key = self.env_value(ENV_API_KEY)
        owners = [p.name for p in self.providers.values() if p.api_key_env == ENV_API_KEY]
        if not key or (config.name in owners and not with_base_url):
            return
        if owners and not with_base_url:
            # Exported for its owner (parrotrouter by default): sending it elsewhere would leak it.
            if config.name not in self.keys:
                self.note(config.name, f"{ENV_API_KEY} belongs to {', '.join(owners)}")
            return
        source = f"environment variable {ENV_API_KEY}"
        self.keys[config.name] = _Key(key, source, ENV_API_KEY, _origin(config.base_url))

    def note(self, name: str, text: str) -> None:
        """Record why a secret was not sent to provider `name`."""
        self.notes.setdefault(name, []).append(text)

    def bind_secrets(self) -> None:
        """Keep each key and secret header only where its origin matches the final base URL."""
        for name, config in self.providers.items():
            origin = _origin(config.base_url)
            key = self.keys.get(name)
            if key is not None:
                config.key_source = key.source
                if key.origin == origin:
                    config.api_key = key.value
                else:
                    self.note(name, f"{key.label} belongs to {key.origin}")
            if self.secret_origin[name] != origin:
                self.withhold_headers(config)
            if name in self.notes:
                config.key_note = "; ".join(self.notes[name])

    def withhold_headers(self, config: ProviderConfig) -> None:
        """Drop headers that look like credentials: they were meant for another origin."""
        secret = [h for h in config.headers if _SENSITIVE_HEADER.search(h)]
        for header in secret:
            del config.headers[header]
            self.note(config.name, f"header {header} belongs to {self.secret_origin[config.name]}")

    def choose_provider(self, default: str, flag: str | None, demo: bool) -> str:
        """The active provider: --demo, else --provider, else default_provider."""
        if demo:
            if flag not in (None, DEMO_PROVIDER):
                raise ConfigError(f'--demo cannot be combined with --provider "{flag}"')
            self.sources["provider"] = "--demo"
            return DEMO_PROVIDER
        if flag is not None:
            if flag not in self.providers:
                raise ConfigError(_unknown_provider(flag, self.providers, "--provider"))
            self.sources["provider"] = "--provider"
            return flag
        self.sources["provider"] = "config file" if "default_provider" in self.data else "default"
        return default

    def apply_base_url_flag(self, active: str, base_url: str | None) -> None:
        """--base-url replaces the active provider's base URL."""
        if base_url is None:
            return
        if self.providers[active].is_demo:
            raise ConfigError("--base-url cannot be used with the demo provider")
        self.providers[active].base_url = _check_input(_url, base_url, "--base-url")
        self.sources[f"providers.{active}.base_url"] = "--base-url"

    def choose_model(self, active: str, flag: str | None) -> str:
        """--model, else the active provider's model (already overridden by file and env)."""
        if flag:
            self.sources["model"] = "--model"
            return flag
        model = self.providers[active].model
        if not model:
            hint = f"set model in [providers.{active}] or pass --model"
            raise ConfigError(f'provider "{active}" has no model: {hint}')
        self.sources["model"] = self.sources[f"providers.{active}.model"]
        return model

    def scalar(self, key: str, flag: tuple[str, Any] | None = None, default: Any = None) -> Any:
        """A top-level value: flag > file > default, with its source recorded."""
        check = _FILE_SCHEMA[key]
        if flag is not None and flag[1] is not None:
            self.sources[key] = flag[0]
            return _check_input(check, flag[1], flag[0])
        if key in self.data:
            self.sources[key] = "config file"
            return check(self.data[key])
        self.sources[key] = "default"
        return default

    def timeouts(self) -> Timeouts:
        """The [timeouts] table over the defaults."""
        table = self.data.get("timeouts", {})
        for key in _TIMEOUTS_SCHEMA:
            self.sources[f"timeouts.{key}"] = "config file" if key in table else "default"
        return Timeouts(**{key: float(value) for key, value in table.items()})

    def permission_warning(self) -> None:
        """Warn when a file holding a key can be read by other users."""
        holds_key = any("api_key" in t for t in self.data.get("providers", {}).values())
        if os.name != "posix" or not holds_key:
            return
        try:
            mode = self.path.stat().st_mode
        except OSError:
            return
        if mode & 0o077:
            self.warnings.append(
                f"{self.path.name} holds an API key and is readable by other users; "
                f"run: chmod 600 {shlex.quote(str(self.path))}"
            )


def _check_input(check: _Check, value: Any, name: str) -> Any:
    """Check a flag or environment value; errors name the flag or variable."""
    try:
        return check(value)
    except _Bad as bad:
        raise ConfigError(bad.describe(name, value)) from None


def default_config_path(env: Mapping[str, str]) -> Path:
    """`$PARROTCHAT_CONFIG`, else `config.toml` in the platform's config dir for parrotchat."""
    if override := env.get(ENV_CONFIG):
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("parrotchat")) / "config.toml"


def load_settings(
    *,
    config_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    provider: str | None = None,
    base_url: str | None = None,
    model: str | None = None,
    system: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    demo: bool = False,
) -> Settings:
    """Merge built-ins, the config file, `env` (default `os.environ`) and the flags.

    `load_settings(env={}, demo=True)  # the offline demo, ignoring the real environment`

    Raises:
        ConfigError: a broken config file, a bad flag or environment value, an unknown provider.
    """
    env = os.environ if env is None else env
    path = default_config_path(env) if config_path is None else config_path
    text = _read_file(path)
    merge = _Merge(path=path, data=_parse(path, text) if text is not None else {}, env=env)
    merge.sources["config_path"] = _config_path_source(config_path, env)
    merge.merge_providers()
    default = merge.data.get("default_provider", DEFAULT_PROVIDER)
    merge.apply_file_model(default)
    merge.apply_env(default)
    active = merge.choose_provider(default, provider, demo)
    merge.apply_base_url_flag(active, base_url)
    chosen_model = merge.choose_model(active, model)
    merge.bind_secrets()
    merge.sources["base_url"] = merge.sources[f"providers.{active}.base_url"]
    merge.permission_warning()
    return Settings(
        providers=merge.providers,
        provider=active,
        model=chosen_model,
        system_prompt=merge.scalar("system_prompt", ("--system", system)),
        render_fps=merge.scalar("render_fps", default=30),
        temperature=merge.scalar("temperature", ("--temperature", temperature)),
        max_tokens=merge.scalar("max_tokens", ("--max-tokens", max_tokens)),
        timeouts=merge.timeouts(),
        config_path=path,
        config_exists=text is not None,
        sources=merge.sources,
        warnings=merge.warnings,
        model_explicit=merge.sources["model"] != "default",
    )


def _config_path_source(config_path: Path | None, env: Mapping[str, str]) -> str:
    if config_path is not None:
        return "--config"
    return f"env {ENV_CONFIG}" if env.get(ENV_CONFIG) else "default"


# --- Showing the configuration --------------------------------------------------------------


def _mask(secret: str) -> str:
    """`sk-…1234`: the first 3 and last 4 characters of a long secret, else `***`."""
    return f"{secret[:3]}…{secret[-4:]}" if len(secret) >= 12 else "***"


def _row(label: str, value: str, source: str | None = None) -> str:
    suffix = f"  [{source}]" if source else ""
    return f"{label}: {neutralize(value)}{suffix}"


def _or(value: object, absent: str) -> str:
    return absent if value is None else str(value)


def show_config(settings: Settings) -> str:
    """The effective configuration as text, each value with its source; keys masked."""
    src = settings.sources.get
    path = settings.config_path
    state = "exists" if settings.config_exists else "not found, using defaults"
    prompt = settings.system_prompt
    timeouts = ", ".join(
        f"{key} {getattr(settings.timeouts, key):g}s [{src(f'timeouts.{key}', 'default')}]"
        for key in _TIMEOUTS_SCHEMA
    )
    lines = [
        _row("config file", f"{_or(path, 'none')} ({state})", src("config_path")),
        _row("provider", settings.provider, src("provider")),
        _row("model", settings.model, src("model")),
        _row("system prompt", _show_value(prompt) if prompt else "none", src("system_prompt")),
        _row("temperature", _or(settings.temperature, "provider's default"), src("temperature")),
        _row("max tokens", _or(settings.max_tokens, "provider's default"), src("max_tokens")),
        _row("render fps", str(settings.render_fps), src("render_fps")),
        _row("timeouts", timeouts),
        "",
        "providers:",
    ]
    for config in settings.providers.values():
        lines += _provider_lines(settings, config)
    if settings.warnings:
        lines += ["", "warnings:", *(f"  {warning}" for warning in settings.warnings)]
    return "\n".join(lines)


def _provider_lines(settings: Settings, config: ProviderConfig) -> list[str]:
    src = settings.sources.get
    prefix = f"providers.{config.name}"
    active = " (active)" if config.name == settings.provider else ""
    base_url = config.base_url
    if base_url == DEMO_BASE_URL:
        base_url = "built-in demo server, started on demand"
    rows = [
        _row("base_url", base_url, src(f"{prefix}.base_url")),
        _row("model", _or(config.model, "none"), src(f"{prefix}.model")),
        _row("key", *_key_text(config)),
    ]
    if config.headers:
        headers = ", ".join(
            f"{name}: {_mask(value) if _SENSITIVE_HEADER.search(name) else value}"
            for name, value in config.headers.items()
        )
        rows.append(_row("headers", headers, src(f"{prefix}.headers")))
    return [f"  {config.name}{active}", *(f"    {row}" for row in rows)]


def _key_text(config: ProviderConfig) -> tuple[str, str | None]:
    """The key row's value and source."""
    if config.api_key:
        return _mask(config.api_key), config.key_source
    if config.key_note:
        return f"not sent ({config.key_note})", None
    if config.is_demo:
        return "none needed", None
    if config.api_key_env:
        return f"none (set {config.api_key_env})", None
    return "none", None


EXAMPLE_CONFIG = """\
# parrotchat configuration. Save as config.toml in parrotchat's config directory
# (`parrotchat --show-config` prints the path) or pass --config PATH.
# Environment variables override this file, and command-line flags override both.

# The provider to use when --provider is not given: a name from [providers.*] below.
default_provider = "parrotrouter"
# The default provider's model (overrides its own `model`); --model overrides this.
model = "openai/gpt-4o-mini"
# Sent as the first message of every new conversation.
system_prompt = "You are a helpful assistant. Answer concisely."
# How often a streaming reply is redrawn, in frames per second (1 to 240).
render_fps = 30
# Sampling temperature from 0 to 2; leave it out to use the provider's default.
# temperature = 0.7
# The longest reply, in tokens; leave it out to let the provider decide.
# max_tokens = 4096

[timeouts]
# Seconds to wait for the connection to open.
connect = 10
# Seconds to wait for the next bytes from the server, also before the reply starts.
read = 120
# Seconds a streaming reply may go without new text (keep-alive pings do not count).
idle = 120

# Each [providers.NAME] table is an OpenAI-compatible API; pick one with --provider NAME.
# A key is only ever sent to the base_url it is configured with.

# Built in: only the keys you set here change.
[providers.parrotrouter]
# The API's base URL, including the version path.
base_url = "https://api.parrotrouter.com/v1"
# The environment variable that holds the key (keeps the key out of this file).
api_key_env = "PARROTCHAT_API_KEY"
# The model to use when this provider is chosen with --provider.
model = "openai/gpt-4o-mini"

[providers.openrouter]
base_url = "https://openrouter.ai/api/v1"  # OpenRouter's API
api_key_env = "OPENROUTER_API_KEY"         # export OPENROUTER_API_KEY=sk-or-...
model = "anthropic/claude-3.5-sonnet"      # any id from its model list
headers = { "X-Title" = "parrotchat" }     # extra HTTP headers for every request

[providers.openai]
base_url = "https://api.openai.com/v1"     # OpenAI's API
api_key_env = "OPENAI_API_KEY"             # export OPENAI_API_KEY=sk-...
# api_key = "sk-..."                       # a key in the file also works: then chmod 600 it
model = "gpt-4o-mini"                      # OpenAI's model id

[providers.ollama]
base_url = "http://localhost:11434/v1"     # a local Ollama server: no key needed
model = "llama3.2"                         # a model you pulled with `ollama pull`
"""
"""A complete, commented config.toml (shown in the README)."""
