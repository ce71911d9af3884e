"""The `/models` listing: ids plus whatever name, context length and prices a server adds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parrotchat.api.chunks import _SURROGATE, fix_surrogates

__all__ = ["ModelInfo", "parse_models"]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model a provider offers."""

    id: str
    name: str | None = None
    context_length: int | None = None
    prompt_price: float | None = None
    """USD per 1M prompt tokens; 0.0 means free, None unknown."""
    completion_price: float | None = None
    """USD per 1M completion tokens; 0.0 means free, None unknown."""


def parse_models(payload: Any) -> list[ModelInfo]:
    """Models from any server's `/models` body: OpenAI, OpenRouter, Ollama, vLLM, llama.cpp..."""
    items = payload.get("data", payload.get("models")) if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        return []
    models = [_model(item) for item in items if isinstance(item, dict)]
    return sorted((m for m in models if m is not None), key=lambda m: m.id.lower())


def _model(item: dict[str, Any]) -> ModelInfo | None:
    model_id = item.get("id") or item.get("model") or item.get("name")
    if not isinstance(model_id, str) or not model_id or _SURROGATE.search(model_id):
        return None  # an id that cannot be encoded could never be requested
    name = item.get("name")
    if isinstance(name, str):
        name = fix_surrogates(name)
    pricing = item.get("pricing") if isinstance(item.get("pricing"), dict) else {}
    top = item.get("top_provider") if isinstance(item.get("top_provider"), dict) else {}
    # llama.cpp: `meta.n_ctx` is the context it serves, `n_ctx_train` what the model was made for.
    meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
    context = (
        item.get("context_length")
        or item.get("max_model_len")
        or item.get("context_window")
        or top.get("context_length")
        or meta.get("n_ctx")
        or meta.get("n_ctx_train")
    )
    return ModelInfo(
        id=model_id,
        name=name if isinstance(name, str) and name and name != model_id else None,
        context_length=(
            context
            if isinstance(context, int) and not isinstance(context, bool) and context > 0
            else None
        ),
        prompt_price=_per_million(pricing.get("prompt")),
        completion_price=_per_million(pricing.get("completion")),
    )


def _per_million(value: object) -> float | None:
    try:
        per_token = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return per_token * 1_000_000 if 0 <= per_token < 1 else None  # 1 USD a token is not a price
