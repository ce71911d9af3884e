"""`load_settings`: find and read the config file, then merge it with the environment and flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from parrotchat.config.keys import normalize_keys
from parrotchat.config.merge import _Merge
from parrotchat.config.settings import DEFAULT_PROVIDER, ENV_CONFIG, Settings
from parrotchat.config.toml_file import _parse, _read_file

__all__ = ["default_config_path", "load_settings"]


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
        escape_delay_ms=merge.escape_delay(),
        temperature=merge.scalar("temperature", ("--temperature", temperature)),
        max_tokens=merge.scalar("max_tokens", ("--max-tokens", max_tokens)),
        timeouts=merge.timeouts(),
        limits=merge.limits(),
        attachments=merge.attachments(),
        config_path=path,
        config_exists=text is not None,
        sources=merge.sources,
        warnings=merge.warnings,
        model_explicit=merge.sources["model"] != "default",
        discover_local=merge.scalar("discover_local", default=True),
        print_history=merge.scalar("print_history", default=True),
        theme=merge.scalar("theme"),
        code_theme=merge.scalar("code_theme"),
        keys=normalize_keys(merge.data.get("keys", {})),
        discovery_ports=tuple(merge.data.get("discovery", {}).get("ports", ())),
    )


def _config_path_source(config_path: Path | None, env: Mapping[str, str]) -> str:
    if config_path is not None:
        return "--config"
    return f"env {ENV_CONFIG}" if env.get(ENV_CONFIG) else "default"
