"""The precedence merge, one step at a time: built-ins < config file < environment < flags."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from parrotchat.api.limits import MB, Limits
from parrotchat.config.checks import _Bad, _check_input, _env_name, _secret, _show_value, _url
from parrotchat.config.errors import ConfigError
from parrotchat.config.schema import (
    _ATTACHMENTS_SCHEMA,
    _FILE_SCHEMA,
    _LIMITS_SCHEMA,
    _TIMEOUTS_SCHEMA,
)
from parrotchat.config.settings import (
    _BUILTIN_PROVIDERS,
    _SENSITIVE_HEADER,
    DEMO_PROVIDER,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_ESCDELAY,
    ENV_MODEL,
    ProviderConfig,
    Timeouts,
    _unknown_provider,
)
from parrotchat.core.attachments import AttachmentLimits

__all__ = ["_Merge"]


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
        if env_key and config.api_key_env:
            env_key = _check_input(_secret, env_key, config.api_key_env)
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
        if key:
            key = _check_input(_secret, key, ENV_API_KEY)
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

    def escape_delay(self) -> int:
        """`escape_delay_ms`: the file's, else `ESCDELAY` (read by curses programs and Textual),
        else 10. An `ESCDELAY` out of range or not a number is ignored, with a warning."""
        if "escape_delay_ms" in self.data:
            return int(self.scalar("escape_delay_ms"))
        raw = self.env_value(ENV_ESCDELAY)
        if raw is not None:
            try:
                delay = int(_FILE_SCHEMA["escape_delay_ms"](int(raw.strip())))
            except (ValueError, _Bad):
                self.warnings.append(
                    f"{ENV_ESCDELAY}={_show_value(raw)} is ignored: it must be a whole number"
                    " of milliseconds from 1 to 1000."
                )
            else:
                self.sources["escape_delay_ms"] = f"env {ENV_ESCDELAY}"
                return delay
        return int(self.scalar("escape_delay_ms", default=10))

    def timeouts(self) -> Timeouts:
        """The [timeouts] table over the defaults."""
        table = self.data.get("timeouts", {})
        for key in _TIMEOUTS_SCHEMA:
            self.sources[f"timeouts.{key}"] = "config file" if key in table else "default"
        return Timeouts(**{key: float(value) for key, value in table.items()})

    def limits(self) -> Limits:
        """The [limits] table (in MB) over the defaults."""
        table = self.data.get("limits", {})
        for key in _LIMITS_SCHEMA:
            self.sources[f"limits.{key}"] = "config file" if key in table else "default"
        return Limits(**{key.removesuffix("_mb"): value * MB for key, value in table.items()})

    def attachments(self) -> AttachmentLimits:
        """The [attachments] table (in KB) over the defaults."""
        table = self.data.get("attachments", {})
        for key in _ATTACHMENTS_SCHEMA:
            self.sources[f"attachments.{key}"] = "config file" if key in table else "default"
        return AttachmentLimits(**{key.removesuffix("_kb"): kb * 1024 for key, kb in table.items()})

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
