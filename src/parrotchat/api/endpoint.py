"""What the client needs to know to talk to one provider."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from parrotchat.api.limits import Limits

__all__ = ["SENSITIVE_HEADER", "Endpoint"]

SENSITIVE_HEADER = re.compile(r"auth|key|token|secret|cookie|session|password", re.IGNORECASE)
"""Header names whose values are credentials: masked, withheld and redacted like keys."""


@dataclass(frozen=True)
class Endpoint:
    """One OpenAI-compatible provider, resolved from the configuration.

    `Endpoint("demo", "http://127.0.0.1:8000/v1")  # no key, default timeouts`
    """

    name: str
    """The provider's name in the configuration (e.g. `parrotrouter`)."""
    base_url: str
    """Base URL including the version path, e.g. `https://api.parrotrouter.com/v1`."""
    api_key: str | None = field(default=None, repr=False)
    key_source: str | None = None
    """Where the key was read from, for hints (e.g. `environment variable PARROTCHAT_API_KEY`)."""
    key_note: str | None = None
    """Why a key was withheld, if one was (e.g. `PARROTCHAT_API_KEY belongs to https://...`)."""
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Extra headers for every request to this provider (may hold credentials: not in repr)."""
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    idle_timeout: float = 120.0
    """Seconds without a data event (keep-alive comments do not count) before giving up."""
    max_retries: int = 2
    limits: Limits = field(default_factory=Limits)
    """How much of an answer is read at most."""

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every credential this endpoint sends: scrubbed from any text shown to the user."""
        found = [value for name, value in self.headers.items() if SENSITIVE_HEADER.search(name)]
        if self.api_key:
            found.append(self.api_key)
        return tuple(found)
