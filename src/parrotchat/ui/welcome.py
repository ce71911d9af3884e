"""The text at the top of a new conversation: the keys, and what to do when there is no API key."""

from __future__ import annotations

from urllib.parse import urlsplit

from textual.content import Content
from textual.widgets import Static

from parrotchat.config import ProviderConfig, Settings
from parrotchat.sanitize import neutralize
from parrotchat.ui.key_names import key_label

__all__ = ["Welcome", "needs_key", "welcome_text"]

KEYS: tuple[tuple[str, str], ...] = (
    ("send", "send"),
    ("newline", "new line"),
    ("stop_reply", "stop the reply"),
    ("retry", "retry"),
    ("toggle_sidebar", "models"),
    ("show_chats", "chats"),
    ("new_conversation", "new chat"),
    ("quit", "quit"),
)
"""Binding ids and what they do: each shows with the key bound to it (`[keys]`)."""

KEYS_PER_LINE = 4
"""Keys on one line of the welcome text: the longest line is 70 columns, so it fits at 80."""


def needs_key(provider: ProviderConfig) -> bool:
    """True when requests to `provider` will surely fail for want of an API key.

    Local servers (Ollama, llama.cpp, vLLM on localhost) usually need none.
    """
    if provider.is_demo or provider.api_key:
        return False
    host = urlsplit(provider.base_url).hostname or ""
    return not (host in ("localhost", "::1") or host.startswith("127."))


def welcome_text(settings: Settings, provider: str | None = None) -> Content:
    """The welcome text: never markup, names from the config shown literally.

    Args:
        settings: The configuration.
        provider: The provider in use (default: the configured one).
    """
    parts: list[Content | str | tuple[str, str]] = [
        ("parrotchat", "bold $accent"),
        " · chat with language models in your terminal\n\n",
    ]
    models_key = key_label("toggle_sidebar", settings.keys)
    active = settings.providers.get(provider or settings.provider, settings.active)
    if needs_key(active):
        env = active.api_key_env or "PARROTCHAT_API_KEY"
        where = str(settings.config_path) if settings.config_path else "the config file"
        parts += [
            ("No API key for ", "$text-warning"),
            (neutralize(active.name), "bold $text-warning"),
            (" yet.", "$text-warning"),
            " Set it with ",
            (f"export {env}=sk-...", "bold"),
            " or put ",
            ('api_key = "..."', "bold"),
            f" under [providers.{neutralize(active.name)}] in ",
            (neutralize(where), "bold"),
            ", then restart.\n",
        ]
        if active.key_note:
            parts += [(f"Note: {neutralize(active.key_note)}.\n", "$text-muted")]
        parts += [
            "The offline ",
            ("demo", "bold"),
            " model works right now: pick it in the sidebar (",
            (models_key, "bold"),
            ") or run ",
            ("parrotchat --demo", "bold"),
            ".\n\n",
        ]
    elif active.is_demo:
        parts += [
            "You are talking to the offline ",
            ("demo", "bold"),
            " parrot: it answers in Markdown and needs no key. Ask for",
            (' "a long answer, 2000 tokens"', "italic"),
            " to watch it stream.\n\n",
        ]
    found = [name for name, config in settings.providers.items() if config.found]
    if found and not active.found:
        parts += [
            "Found on this machine: ",
            (neutralize(", ".join(found)), "bold"),
            ". Pick one of its models in the sidebar (",
            (models_key, "bold"),
            ").\n\n",
        ]
    keys: list[Content | str | tuple[str, str]] = []
    for index, (binding, what) in enumerate(KEYS):
        key = key_label(binding, settings.keys)
        if index % KEYS_PER_LINE:
            keys.append(("  ·  ", "$text-muted"))
        elif index:
            keys.append("\n")  # lines of their own: a wrap never starts a line with `·`
        keys += [(key, "bold"), f" {what}"]
    parts += [*keys, "\n"]
    parts += [
        (
            f"{key_label('send', settings.keys)} while a reply streams stops it (the partial"
            " answer stays) and sends the new prompt. Up in an empty prompt recalls the last one.",
            "$text-muted",
        )
    ]
    return Content.assemble(*parts)


class Welcome(Static):
    """The welcome text, shown at the top of each new conversation."""

    DEFAULT_CSS = """
    Welcome {
        height: auto;
        padding: 0 1 1 1;
        margin: 0 0 1 0;
        border-bottom: hkey $primary 30%;
    }
    """

    def __init__(
        self, settings: Settings, provider: str | None = None, *, id: str | None = None
    ) -> None:
        super().__init__(welcome_text(settings, provider), id=id)
