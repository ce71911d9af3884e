"""Which models a comparison asks: `--compare` and the sidebar's marks, as `(provider, model)`.

A model is written `provider:model` when the part before the first colon is a configured
provider's name (`demo:parrot-fast`); otherwise the whole text is a model id on the current
provider, so ids with slashes (`openai/gpt-4o-mini`) and Ollama's colons (`llama3:8b`) need no
quoting: `parrotchat --compare gpt-4o-mini,ollama:llama3:8b`.
"""

from __future__ import annotations

from collections.abc import Collection

__all__ = ["MAX_MODELS", "MIN_MODELS", "CompareError", "parse_models", "target_name"]

MIN_MODELS = 2
"""A comparison asks at least this many models."""
MAX_MODELS = 4
"""And at most this many: more columns than this do not fit a terminal."""


class CompareError(ValueError):
    """The models to compare cannot be used; `str(error)` is one sentence for the user."""


def parse_models(spec: str, providers: Collection[str], current: str) -> list[tuple[str, str]]:
    """The `(provider, model)` pairs of a comma-separated list, in the order given.

    `parse_models("parrot,demo:parrot-fast", {"demo"}, "demo")` is
    `[("demo", "parrot"), ("demo", "parrot-fast")]`.

    Raises:
        CompareError: An empty name, or fewer than `MIN_MODELS` or more than `MAX_MODELS`.
    """
    names = [name.strip() for name in spec.split(",")]
    if any(not name for name in names):
        raise CompareError(
            "A model to compare is empty; give them as a comma-separated list, e.g. "
            "--compare parrot,parrot-fast."
        )
    if not MIN_MODELS <= len(names) <= MAX_MODELS:
        raise CompareError(
            f"A comparison takes {MIN_MODELS} to {MAX_MODELS} models, not {len(names)}; "
            "give them as a comma-separated list, e.g. --compare parrot,parrot-fast."
        )
    targets: list[tuple[str, str]] = []
    for name in names:
        provider, colon, model = name.partition(":")
        if colon and provider in providers and model:
            targets.append((provider, model))
        else:
            targets.append((current, name))
    return targets


def target_name(provider: str | None, model: str | None) -> str:
    """How a compared model is named in headers: `provider:model`."""
    return f"{provider or '?'}:{model or '?'}"
