"""The one-line summary under a reply: time to first token, tokens, tokens/s, cost."""

from __future__ import annotations

from parrotchat.core.conversation import Message, Status, token_rate

__all__ = ["format_stats"]

_STATUS_WORDS: dict[Status, str] = {
    Status.STREAMING: "streaming…",
    Status.CANCELLED: "cancelled",
    Status.INTERRUPTED: "interrupted",
    Status.ERROR: "failed",
}


def format_stats(message: Message, *, elapsed: float | None = None) -> str:
    """Summarise a reply in one line, e.g. `TTFT 0.21 s · 312 tokens · 58.1 tok/s · $0.0012`.

    Args:
        message: The assistant message.
        elapsed: Seconds since the request was sent, for a reply still streaming.

    Returns:
        Plain text (no markup); empty when there is nothing to say yet.
    """
    parts: list[str] = []
    status_word = _STATUS_WORDS.get(message.status)
    if status_word:
        parts.append(status_word)
    if message.ttft is not None:
        parts.append(f"TTFT {message.ttft:.2f} s")
    if message.tokens:
        parts.append(f"{message.tokens} token{'s' if message.tokens != 1 else ''}")
    rate = _rate(message, elapsed)
    if rate is not None:
        parts.append(f"{rate:.1f} tok/s")
    cost = message.usage.cost if message.usage is not None else None
    if cost is not None:
        parts.append(_format_cost(cost))
    return " · ".join(parts)


def _rate(message: Message, elapsed: float | None) -> float | None:
    if message.status is not Status.STREAMING or elapsed is None:
        return message.tokens_per_second
    return token_rate(message.tokens, message.ttft, elapsed)


def _format_cost(cost: float) -> str:
    if cost == 0:
        return "free"
    if cost < 0.0001:
        return "<$0.0001"  # `$0.0000` reads as free
    if cost < 0.01:
        return f"${cost:.4f}"
    return f"${cost:.2f}"
