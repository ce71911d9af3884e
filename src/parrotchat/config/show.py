"""`show_config`: the effective configuration as text, each value with its source, keys masked."""

from __future__ import annotations

from parrotchat.api.limits import megabytes
from parrotchat.config.checks import _show_value
from parrotchat.config.schema import _LIMITS_SCHEMA, _TIMEOUTS_SCHEMA
from parrotchat.config.settings import (
    _SENSITIVE_HEADER,
    DEMO_BASE_URL,
    ProviderConfig,
    Settings,
)
from parrotchat.sanitize import neutralize

__all__ = ["show_config"]


def _mask(secret: str) -> str:
    """`sk-…1234`: the first 3 and last 4 characters of a long secret, else `***`.

    Only from 20 characters on, so that what is shown is never much of the key.
    """
    return f"{secret[:3]}…{secret[-4:]}" if len(secret) >= 20 else "***"


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
    limits = ", ".join(
        f"{key.removesuffix('_mb')} {megabytes(getattr(settings.limits, key.removesuffix('_mb')))}"
        f" [{src(f'limits.{key}', 'default')}]"
        for key in _LIMITS_SCHEMA
    )
    attachments = ", ".join(
        f"{key} {getattr(settings.attachments, f'max_{key}') // 1024} KB"
        f" [{src(f'attachments.max_{key}_kb', 'default')}]"
        for key in ("file", "message")
    )
    lines = [
        _row("config file", f"{_or(path, 'none')} ({state})", src("config_path")),
        _row("provider", settings.provider, src("provider")),
        _row("model", settings.model, src("model")),
        _row("system prompt", _show_value(prompt) if prompt else "none", src("system_prompt")),
        _row("temperature", _or(settings.temperature, "provider's default"), src("temperature")),
        _row("max tokens", _or(settings.max_tokens, "provider's default"), src("max_tokens")),
        _row("render fps", str(settings.render_fps), src("render_fps")),
        _row("escape delay", f"{settings.escape_delay_ms} ms", src("escape_delay_ms")),
        _row("timeouts", timeouts),
        _row("limits", limits),
        _row("attachments", attachments),
        _row("discover local", _discovery_text(settings), src("discover_local")),
        _row("print history", "on" if settings.print_history else "off", src("print_history")),
        _row(
            "theme",
            _show_value(settings.theme) if settings.theme else "the one used last",
            src("theme"),
        ),
        _row(
            "code theme",
            _show_value(settings.code_theme) if settings.code_theme else "one for the theme",
            src("code_theme"),
        ),
        _row(
            "keys",
            ", ".join(f"{name} = {keys}" for name, keys in settings.keys.items()) or "the defaults",
            "config file" if settings.keys else "default",
        ),
        "",
        "providers:",
    ]
    for config in settings.providers.values():
        lines += _provider_lines(settings, config)
    if settings.warnings:
        lines += ["", "warnings:", *(f"  {warning}" for warning in settings.warnings)]
    return "\n".join(lines)


def _discovery_text(settings: Settings) -> str:
    if not settings.discover_local:
        return "off"
    extra = ", ".join(str(port) for port in settings.discovery_ports)
    return f"on, 127.0.0.1 only, the usual ports{f' and {extra}' if extra else ''}"


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
