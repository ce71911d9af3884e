"""The effective configuration: `Settings`, its providers and timeouts, and the built-ins."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from parrotchat.api.discovery import DEFAULT_PORTS, FoundServer, local_port
from parrotchat.api.endpoint import SENSITIVE_HEADER, Endpoint
from parrotchat.api.limits import Limits
from parrotchat.config.checks import _check_input, _url
from parrotchat.config.errors import ConfigError
from parrotchat.core.attachments import AttachmentLimits

__all__ = [
    "DEFAULT_PROVIDER",
    "DEMO_BASE_URL",
    "DEMO_PROVIDER",
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "ENV_CONFIG",
    "ENV_MODEL",
    "_BUILTIN_PROVIDERS",
    "_SENSITIVE_HEADER",
    "ProviderConfig",
    "Settings",
    "Timeouts",
    "_unknown_provider",
]

DEMO_BASE_URL = "builtin:demo"
"""Stands for the offline demo server until the CLI starts it and calls `with_demo_url`."""
DEMO_PROVIDER = "demo"
DEFAULT_PROVIDER = "parrotrouter"

ENV_CONFIG = "PARROTCHAT_CONFIG"
ENV_BASE_URL = "PARROTCHAT_BASE_URL"
ENV_API_KEY = "PARROTCHAT_API_KEY"
ENV_MODEL = "PARROTCHAT_MODEL"
ENV_ESCDELAY = "ESCDELAY"
"""The curses variable Textual reads for its Esc delay; `escape_delay_ms` if the file has none."""

_BUILTIN_PROVIDERS: dict[str, dict[str, str]] = {
    DEFAULT_PROVIDER: {
        "base_url": "https://api.parrotrouter.com/v1",
        "api_key_env": ENV_API_KEY,
        "model": "openai/gpt-4o-mini",
    },
    DEMO_PROVIDER: {"base_url": DEMO_BASE_URL, "model": "parrot"},
}

# Header values that authenticate: masked in show_config, withheld like keys on a new origin.
_SENSITIVE_HEADER = SENSITIVE_HEADER


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
    found: bool = False
    """Not configured: a server found on this machine at start-up (see `Settings.add_found`)."""

    @property
    def is_demo(self) -> bool:
        """True for the built-in offline demo server."""
        return self.name == DEMO_PROVIDER


@dataclass
class Settings:
    """The effective configuration, with the source of every value in `sources`.

    `sources` keys: `config_path`, `provider`, `model`, `base_url` (of the active provider),
    `system_prompt`, `temperature`, `max_tokens`, `render_fps`, `escape_delay_ms`,
    `timeouts.connect`, `timeouts.read`, `timeouts.idle`, `limits.response_mb` (each `[limits]`
    key), and `providers.NAME.base_url` / `.model` / `.headers`.
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
    escape_delay_ms: int = 10
    """How long a lone Esc byte waits for the rest of an escape sequence before it is Esc (10 ms,
    as tmux's `escape-time` since tmux 3.5; Textual's own default is 100 ms)."""
    temperature: float | None = None
    max_tokens: int | None = None
    timeouts: Timeouts = Timeouts()
    limits: Limits = field(default_factory=Limits)
    """How much of a server's answer is read at most (`[limits]`, in MB in the file)."""
    attachments: AttachmentLimits = field(default_factory=AttachmentLimits)
    """How much can be attached to a prompt (`[attachments]`, in KB in the file)."""
    config_path: Path | None = None
    config_exists: bool = False
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """Sentences to show the user once (e.g. a config file with a key readable by others)."""
    model_explicit: bool = False
    """True if the model was chosen by a flag, env or the file: the UI then ignores the
    remembered last model."""
    discover_local: bool = True
    """Look for servers running on this machine at start-up (config `discover_local`)."""
    discovery_ports: tuple[int, ...] = ()
    """Ports to look on besides the usual ones (config `[discovery] ports`)."""
    theme: str | None = None
    """The TUI's theme (config `theme`, any Textual theme name); None: the one chosen last."""
    code_theme: str | None = None
    keys: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys, from the config's `[keys]` (in Textual's spelling); the rest keep
    their default keys (`config.keys.DEFAULT_KEYS`)."""
    """The Pygments style of code (config `code_theme`); None: one that suits the theme."""
    print_history: bool = True
    """Keep print mode's turns in the history (config `print_history`; `--no-history`)."""

    def set_by_flag(self, key: str) -> bool:
        """True if a command-line flag chose `key` (`--model`, `--demo`...) for this run."""
        return self.sources.get(key, "default").startswith("--")

    def set_for_this_run(self, key: str) -> bool:
        """True if a flag or an environment variable chose `key`, not a default or the file."""
        return self.sources.get(key, "default") not in ("default", "config file")

    def base_url_moved(self, provider: str) -> bool:
        """True if a flag or an environment variable moved `provider`'s base URL."""
        config = self.providers.get(provider)
        if config is None or config.is_demo:
            return False
        return self.set_for_this_run(f"providers.{provider}.base_url")

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
            key_note=None if config.api_key else config.key_note,
            headers=dict(config.headers),
            connect_timeout=self.timeouts.connect,
            read_timeout=self.timeouts.read,
            idle_timeout=self.timeouts.idle,
            limits=self.limits,
        )

    def local_ports(self, defaults: Mapping[int, str] = DEFAULT_PORTS) -> dict[int, str]:
        """The ports to look for local servers on (port -> name to list one under).

        Empty when discovery is off or the demo was asked for (it is offline); a port that a
        configured provider already points at on this machine is not asked again.

        Args:
            defaults: The usual ports of local servers (tests pass their own).
        """
        if not self.discover_local or self.sources.get("provider") == "--demo":
            return {}
        taken = {local_port(config.base_url) for config in self.providers.values()}
        ports = dict(defaults)
        for port in self.discovery_ports:
            ports.setdefault(port, f"local-{port}")
        return {port: name for port, name in ports.items() if port not in taken}

    def add_found(self, server: FoundServer) -> str:
        """List a server found on this machine as a provider (no key, no headers); its name.

        The name is the server's, or with its port added when a configured provider has it.
        """
        for config in self.providers.values():
            if config.found and config.base_url == server.base_url:
                return config.name
        name = server.name
        if name in self.providers:
            name = f"{server.name}-{server.port}"
        while name in self.providers:
            name += "-local"
        first = server.models[0].id if server.models else None
        self.providers[name] = ProviderConfig(name, server.base_url, model=first, found=True)
        self.sources[f"providers.{name}.base_url"] = "found on this machine"
        return name

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


def _unknown_provider(name: str, known: Mapping[str, object] | list[str], what: str) -> str:
    return f'{what} "{name}" is not a provider (known: {", ".join(known)})'
