"""Configuration: built-in providers, `config.toml`, environment variables and flags, merged.

`load_settings(model="gpt-4o")` returns the effective `Settings` and remembers where each value
came from; `show_config(settings)` prints them. Only `cli.py` calls this package; everything
below it gets `Settings` or an `Endpoint` handed down.

Precedence, lowest to highest: built-ins < config file < environment < flags. An API key is
bound to the origin (scheme://host:port) of the base URL it was configured with and is withheld
when the final base URL points elsewhere.

Modules, each importing only those before it: `errors` (`ConfigError`), `checks` (single
values), `settings` (`Settings` and the built-ins), `schema` (the file's keys), `toml_file`
(reading the file), `merge` (the layers), `loader` (`load_settings`), `show` (`show_config`),
`example` (`EXAMPLE_CONFIG`), `paths` (`Paths`, where files go).
"""

from parrotchat.config.errors import ConfigError
from parrotchat.config.example import EXAMPLE_CONFIG
from parrotchat.config.loader import default_config_path, load_settings
from parrotchat.config.paths import Paths
from parrotchat.config.settings import (
    DEMO_BASE_URL,
    DEMO_PROVIDER,
    ProviderConfig,
    Settings,
    Timeouts,
)
from parrotchat.config.show import show_config

__all__ = [
    "DEMO_BASE_URL",
    "DEMO_PROVIDER",
    "EXAMPLE_CONFIG",
    "ConfigError",
    "Paths",
    "ProviderConfig",
    "Settings",
    "Timeouts",
    "default_config_path",
    "load_settings",
    "show_config",
]
