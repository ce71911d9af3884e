"""The parrot models: what they say, and how a `Parrot` behaviour puts it on the wire.

Replies are deterministic Markdown built from the prompt, seeded with `zlib.crc32` of the last
user message, so one prompt always gives the same reply (snapshot tests rely on it). Everything
here is pure: `stream_plan` / `completion_plan` return the bytes, the server sends them.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import zip_longest
from typing import Any

from parrotchat.demo.behaviours import (
    SERVER_PACE,
    End,
    ErrorStyle,
    Parrot,
    Plan,
    ToolCallStyle,
    error_payload,
    http_chunk,
    json_text,
    tool_call,
)
from parrotchat.demo.received import describe_received, without_files

__all__ = [
    "LONG_REPLY_TOKENS",
    "MAX_REPLY_TOKENS",
    "MODELS",
    "ChatContext",
    "DemoModel",
    "completion_plan",
    "count_prompt_tokens",
    "last_user_text",
    "reasoning_tokens",
    "reply_text",
    "reply_tokens",
    "requested_length",
    "stream_plan",
    "tokenize",
]

LONG_REPLY_TOKENS = 2000
"""Reply length when the prompt says `long` without a number."""
MAX_REPLY_TOKENS = 2_000_000
"""Upper bound on a requested length, to keep the demo server's memory bounded."""


@dataclass(frozen=True)
class DemoModel:
    """One model the demo server lists and serves."""

    id: str
    name: str
    context_length: int
    prompt_price: str
    """USD per prompt token, as OpenRouter writes it (`"0"` = free)."""
    completion_price: str
    """USD per completion token."""
    description: str
    thinks: bool = False
    """Streams generated reasoning before the answer."""
    fast: bool = False
    """Streams as fast as the socket takes it, whatever the server's pace."""
    tools: bool = False
    """Answers a request that offers `tools` with a call to one of them (see `demo.tools`)."""
    voice: str = ""
    """Seeds its replies apart from the other models' (the same prompt, other words), so a
    comparison shows two answers; `""` is the parrot's own."""

    def listing(self) -> dict[str, Any]:
        """The model's entry in `GET /v1/models` (OpenAI fields plus OpenRouter's)."""
        return {
            "id": self.id,
            "object": "model",
            "created": 1_700_000_000,
            "owned_by": "parrotchat",
            "name": self.name,
            "description": self.description,
            "context_length": self.context_length,
            "pricing": {"prompt": self.prompt_price, "completion": self.completion_price},
            "supported_parameters": ["max_tokens", "stream", "stream_options"]
            + (["reasoning"] if self.thinks else [])
            + (["tools", "tool_choice"] if self.tools else []),
        }

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """USD cost of a request, as OpenRouter reports it in `usage.cost`."""
        total = prompt_tokens * float(self.prompt_price)
        return round(total + completion_tokens * float(self.completion_price), 12)


MODELS: dict[str, DemoModel] = {
    model.id: model
    for model in (
        DemoModel("parrot", "Parrot", 32_768, "0.0000005", "0.0000015",
                  "Repeats your words as Markdown, at about 60 tokens/s."),
        DemoModel("parrot-fast", "Parrot Fast", 8_192, "0", "0",
                  "A faster cousin with its own words, as fast as your terminal can take it. Free.",
                  fast=True, voice="fast:"),
        DemoModel("parrot-think", "Parrot Think", 131_072, "0.000002", "0.000008",
                  "Thinks out loud (reasoning) before it squawks.", thinks=True),
        DemoModel("parrot-tools", "Parrot Tools", 32_768, "0.0000005", "0.0000015",
                  "Calls the tools it is offered, then repeats what they said.", tools=True),
    )
}  # fmt: skip
"""The demo models by id; unknown ids are served like `parrot`."""

_TOKEN = re.compile(r"\n|[^\S\n]*(?:\w+|[^\w\s])|[^\S\n]+")
_LENGTH = re.compile(r"(\d{1,3}(?:[,_]\d{3})+|\d+)\s*(k)?\s*tokens?\b", re.IGNORECASE)
_LONG = re.compile(r"\blong\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{3,}")
_STOP_WORDS = frozenset(
    ("the", "and", "for", "with", "that", "this", "what", "from", "into", "about", "your", "you",
     "are", "was", "were", "have", "has", "had", "not", "but", "can", "could", "would", "should",
     "will", "how", "why", "who", "when", "where", "which", "write", "tell", "give", "make",
     "please", "some", "tokens", "token", "long")
)  # fmt: skip
_FALLBACK_WORDS = ("parrot", "cracker", "feather", "perch", "squawk", "macaw", "mirror", "seed")
_ADJECTIVES = (
    "bright", "noisy", "clever", "green", "curious", "tropical", "patient", "feathered",
    "loud", "tiny", "naïve", "grand", "sleepy", "scarlet",
)  # fmt: skip
_VERBS = (
    "repeats", "whistles", "mimics", "remembers", "cracks", "preens", "echoes", "collects",
    "sings", "parses",
)  # fmt: skip
_MOODS = ("chirpy", "smug", "hungry", "puzzled", "delighted", "grumpy", "proud")


def tokenize(text: str) -> list[str]:
    """Split text into demo tokens: a word or a punctuation mark with its leading spaces, or `\\n`.

    `"".join(tokenize(text)) == text` always holds.
    """
    return _TOKEN.findall(text)


def requested_length(prompt: str) -> int | None:
    """The reply length a prompt asks for: `2000 tokens`, `2k tokens`, or `long`; else None."""
    if match := _LENGTH.search(prompt):
        count = int(match.group(1).replace(",", "").replace("_", ""))
        if match.group(2):
            count *= 1000
        return min(count, MAX_REPLY_TOKENS)
    return LONG_REPLY_TOKENS if _LONG.search(prompt) else None


def last_user_text(messages: Any) -> str:
    """The text of the last user message of a chat request (`""` if there is none)."""
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return _message_text(message)
    return ""


def _received(messages: Any) -> str | None:
    """What the last user message had attached, as the parrot says it; None if nothing."""
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return describe_received(message)
    return None


def count_prompt_tokens(messages: Any) -> int:
    """A plausible prompt token count: demo tokens of every message plus 4 per message."""
    if not isinstance(messages, list):
        return 0
    return sum(len(tokenize(_message_text(m))) + 4 for m in messages if isinstance(m, Mapping))


def reply_tokens(prompt: str, length: int | None = None, voice: str = "") -> tuple[str, ...]:
    """The parrot's Markdown reply to `prompt` as tokens.

    Args:
        prompt: The last user message.
        length: Exact number of tokens, or None for one complete section set.
        voice: The model's `DemoModel.voice`: the same words of the prompt, put otherwise.

    Returns:
        The tokens; their concatenation is the Markdown reply.
    """
    return _reply_tokens(prompt, None if length is None else max(0, length), voice)


def reply_text(prompt: str, length: int | None = None, voice: str = "") -> str:
    """The parrot's Markdown reply to `prompt` as one string (in the model's `voice`)."""
    return "".join(reply_tokens(prompt, length, voice))


def reasoning_tokens(prompt: str) -> tuple[str, ...]:
    """What `parrot-think` thinks before answering, as tokens."""
    rng = _rng("think:" + prompt)
    words = _topic_words(prompt)
    first, second = rng.choice(words), rng.choice(words)
    text = (
        f"The human mentioned {first}. Parrots do not understand {first}, but they can repeat it "
        f"with confidence. Maybe {second} is the key word here. I will answer with a heading, "
        "a list or two, some code and a table, because humans like those. Squawk."
    )
    return tuple(tokenize(text))


@lru_cache(maxsize=32)
def _reply_tokens(prompt: str, length: int | None, voice: str = "") -> tuple[str, ...]:
    rng = _rng(voice + prompt)
    words = _topic_words(prompt)
    sections = _sections(rng, words)
    if length is None:
        return tuple(t for _ in range(_FIRST_SET_SIZE) for t in next(sections))
    tokens: list[str] = []
    while True:
        section = next(sections)
        if len(tokens) + len(section) > length:
            break
        tokens += section
    if not tokens:
        return tuple(section[:length])
    return tuple(tokens + _filler(rng, words, length - len(tokens)))


def _rng(seed_text: str) -> random.Random:
    return random.Random(zlib.crc32(seed_text.encode("utf-8", "surrogatepass")))


def _message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return ""


def _topic_words(prompt: str) -> list[str]:
    seen: dict[str, None] = {}
    for word in _WORD.findall(prompt):
        if word.lower() not in _STOP_WORDS:
            seen.setdefault(word.lower())
    return list(seen)[:24] or list(_FALLBACK_WORDS)


class _Words:
    """Random picks for one section, echoing the prompt's words."""

    def __init__(self, rng: random.Random, words: list[str]) -> None:
        self.rng = rng
        self.words = words

    def word(self) -> str:
        return self.rng.choice(self.words)

    def adjective(self) -> str:
        return self.rng.choice(_ADJECTIVES)

    def verb(self) -> str:
        return self.rng.choice(_VERBS)

    def number(self) -> int:
        return self.rng.randint(2, 99)

    def sentence(self) -> str:
        return self.rng.choice(_SENTENCES)(self)


_SENTENCES: tuple[Callable[[_Words], str], ...] = (
    lambda w: f"The parrot {w.verb()} *{w.word()}* and asks for a cracker.",
    lambda w: f"Every {w.adjective()} bird knows that **{w.word()}** comes before {w.word()}.",
    lambda w: f"You said `{w.word()}`, so the parrot says `{w.word()}` — twice, to be sure.",
    lambda w: f"Squawk! {w.word().capitalize()} is {w.adjective()} and the perch is warm.",
    lambda w: f"A {w.adjective()} macaw once filed a report about {w.word()}; it was mostly seeds.",
    lambda w: f"Repeat after me: {w.word()}, {w.word()}, {w.word()}.",
    lambda w: f"Polly's notes on {w.word()} fill {w.number()} pages of the café menu.",
    lambda w: f"Nobody {w.verb()} {w.word()} quite like a {w.adjective()} cockatoo.",
)


def _heading(w: _Words, level: int) -> str:
    title = w.rng.choice(
        (
            f"🦜 {w.word().capitalize()}, {w.word()} and crackers",
            f"Notes on {w.word()}",
            f"Why {w.word()} matters to parrots",
            f"{w.word().capitalize()}: a field report",
            f"The {w.adjective()} truth about {w.word()}",
        )
    )
    return f"{'#' * level} {title}\n"


def _paragraph(w: _Words) -> str:
    return " ".join(w.sentence() for _ in range(w.rng.randint(2, 4))) + "\n"


def _link_paragraph(w: _Words) -> str:
    word = w.word()
    return (
        f"{w.sentence()} See [the {word} field guide](https://example.com/parrots/{word}) "
        f"for more, or ask `{w.word()}` again.\n"
    )


def _bullets(w: _Words) -> str:
    items = (f"- **{w.word().capitalize()}**: {w.sentence()}" for _ in range(w.rng.randint(3, 5)))
    return "\n".join(items) + "\n"


def _numbered(w: _Words) -> str:
    steps = (
        f"{n}. {w.verb().capitalize()} the {w.adjective()} `{w.word()}`."
        for n in range(1, w.rng.randint(3, 5) + 1)
    )
    return "\n".join(steps) + "\n"


def _quote(w: _Words) -> str:
    return f"> {w.sentence()}\n> — a {w.adjective()} parrot\n"


def _table(w: _Words) -> str:
    rows = (
        f"| `{w.word()}` | {w.number()} | {w.rng.choice(_MOODS)} |"
        for _ in range(w.rng.randint(3, 4))
    )
    return "| Word | Squawks | Mood |\n|------|--------:|------|\n" + "\n".join(rows) + "\n"


def _code(w: _Words) -> str:
    a, b, c = w.word(), w.word(), w.word()
    language, body = w.rng.choice(
        (
            (
                "python",
                f'def squawk(words: list[str]) -> str:\n    """Repeat {a} like a parrot."""\n'
                f'    return " ".join(word.upper() for word in words if word != "{b}")\n\n\n'
                f'print(squawk(["{a}", "{b}", "{c}"]))',
            ),
            (
                "javascript",
                f'const words = ["{a}", "{b}", "{c}"];\n'
                f"for (const word of words) {{\n  console.log(`Squawk! ${{word}}`);\n}}",
            ),
            (
                "rust",
                f'fn main() {{\n    let words = ["{a}", "{b}", "{c}"];\n'
                "    for word in words.iter().rev() {\n"
                '        println!("{}!", word);\n    }\n}',
            ),
            ("bash", f'for word in {a} {b} {c}; do\n  echo "squawk: $word"\ndone | sort -u'),
            ("json", f'{{\n  "parrot": "{a}",\n  "seeds": {w.number()},\n  "likes": ["{b}"]\n}}'),
        )
    )
    return f"```{language}\n{body}\n```\n"


_FIRST_SET_SIZE = 9
"""Sections in the first set: heading, paragraph, then the seven kinds below, in a varied order."""
_BODY_SECTIONS: tuple[Callable[[_Words], str], ...] = (
    _bullets,
    _numbered,
    _code,
    _table,
    _link_paragraph,
    _paragraph,
    _quote,
)


def _sections(rng: random.Random, words: list[str]) -> Iterator[list[str]]:
    """Endless Markdown sections as token lists: a full first set, then varied smaller sets."""
    w = _Words(rng, words)
    yield tokenize(_heading(w, 1))
    yield tokenize("\n" + _paragraph(w))
    kinds = list(_BODY_SECTIONS)
    rng.shuffle(kinds)
    while True:
        for kind in kinds:
            yield tokenize("\n" + kind(w))
        yield tokenize("\n" + _heading(w, rng.choice((2, 2, 3))))
        yield tokenize("\n" + _paragraph(w))
        kinds = rng.sample(_BODY_SECTIONS, rng.randint(3, 5))


def _filler(rng: random.Random, words: list[str], count: int) -> list[str]:
    """A closing paragraph of exactly `count` tokens."""
    if count <= 0:
        return []
    picks = [rng.choice(words) for _ in range(max(count - 2, 1))]
    tokens = ["\n", picks[0].capitalize(), *(" " + p for p in picks[1:]), "."]
    return tokens[:count]


@dataclass(frozen=True)
class ChatContext:
    """What the parrot needs to know about the chat request it answers."""

    body: Mapping[str, Any]
    """The request's JSON body."""
    model: DemoModel
    tokens_per_second: float | None
    """The server's pace for this model (None = unlimited)."""
    default_tokens: int | None
    """Reply length when neither the behaviour nor the prompt sets one."""
    completion_id: str
    created: int

    @property
    def model_id(self) -> str:
        """The model id echoed in chunks: the requested one, even if unknown."""
        requested = self.body.get("model")
        return requested if isinstance(requested, str) and requested else self.model.id

    @property
    def max_tokens(self) -> int | None:
        """`max_completion_tokens` or `max_tokens` of the request."""
        for key in ("max_completion_tokens", "max_tokens"):
            value = self.body.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return value
        return None

    @property
    def include_usage(self) -> bool:
        """The request asked for a usage chunk."""
        options = self.body.get("stream_options")
        return isinstance(options, Mapping) and options.get("include_usage") is True


@dataclass(frozen=True)
class _Answer:
    """What one reply contains, before it is put on the wire."""

    reasoning: tuple[str, ...]
    content: tuple[str, ...]
    tool_calls: tuple[tuple[str, str], ...]
    """(name, JSON arguments) of each call."""
    finish_reason: str


def stream_plan(parrot: Parrot, ctx: ChatContext) -> Plan:
    """The SSE response of `parrot` to a streaming request."""
    answer = _answer(parrot, ctx)
    sse = _SseFormat(parrot, ctx)
    units = sse.token_units(parrot.reasoning_field, answer.reasoning)
    plan = Plan(
        status=200,
        headers={
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
            "x-request-id": ctx.completion_id,
        },
        head=sse.head(),
        tokens_per_second=_pace(parrot, ctx),
        first_delay=parrot.first_delay,
        stall_keepalive=parrot.stall_keepalive,
        keepalive=sse.keepalive,
    )
    if parrot.cut is None:
        units += sse.token_units("content", answer.content)
        units += sse.tool_call_units(_tool_fragments(answer.tool_calls, parrot.tool_call_style))
        completion_tokens = len(answer.reasoning) + len(answer.content) + len(answer.tool_calls)
        plan.tail = sse.tail(answer.finish_reason, _usage(ctx, completion_tokens))
    else:
        kind, after = parrot.cut
        units += sse.token_units("content", answer.content[:after])
        if kind == "error":
            plan.tail = sse.error(parrot.error_message, parrot.error_style)
        plan.end = _CUT_ENDS[kind]
    if parrot.keepalive_every > 0:
        for i in range(parrot.keepalive_every - 1, len(units), parrot.keepalive_every):
            units[i] += sse.keepalive
    plan.units = units
    return plan


def completion_plan(parrot: Parrot, ctx: ChatContext) -> Plan:
    """The plain JSON response of `parrot` to a non-streaming request (streaming knobs ignored)."""
    answer = _answer(parrot, ctx)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(answer.content) if answer.content or not answer.tool_calls else None,
    }
    if answer.reasoning:
        message[parrot.reasoning_field] = "".join(answer.reasoning)
    if answer.tool_calls:
        message["tool_calls"] = [
            {"id": f"call_parrot_{i}", "type": "function",
             "function": {"name": name, "arguments": arguments}}
            for i, (name, arguments) in enumerate(answer.tool_calls)
        ]  # fmt: skip
    completion_tokens = len(answer.reasoning) + len(answer.content) + len(answer.tool_calls)
    body = {
        "id": ctx.completion_id,
        "object": "chat.completion",
        "created": ctx.created,
        "model": ctx.model_id,
        "choices": [{"index": 0, "message": message, "finish_reason": answer.finish_reason}],
        "usage": _usage(ctx, completion_tokens),
    }
    plan = Plan.for_json(200, body)
    plan.first_delay = parrot.first_delay
    return plan


Fragment = dict[str, Any]
"""One `delta.tool_calls[]` element."""
_CUT_ENDS: dict[str, End] = {"error": "close", "drop": "drop", "reset": "reset", "stall": "hang"}
_EOLS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}


def _answer(parrot: Parrot, ctx: ChatContext) -> _Answer:
    prompt = last_user_text(ctx.body.get("messages"))
    received = _received(ctx.body.get("messages"))
    if received is not None:
        prompt = without_files(prompt)
    if parrot.text is not None:
        content = tuple(tokenize(parrot.text))
    elif parrot.tool_calls and parrot.tokens is None:
        content = ()
    else:
        length = parrot.tokens
        if length is None:
            length = requested_length(prompt)
        content = reply_tokens(
            prompt, ctx.default_tokens if length is None else length, ctx.model.voice
        )
    if received is not None and parrot.text is None:
        content = (*tokenize(received + "\n\n"), *content)
    if parrot.reasoning is not None:
        reasoning = tuple(tokenize(parrot.reasoning))
    else:
        reasoning = reasoning_tokens(prompt) if ctx.model.thinks else ()
    calls = tuple(
        (name, arguments if isinstance(arguments, str) else json_text(arguments))
        for name, arguments in parrot.tool_calls or ()
    )
    limit = ctx.max_tokens
    if limit is not None and len(content) > limit:
        return _Answer(reasoning, content[:limit], (), parrot.finish_reason or "length")
    finish = parrot.finish_reason or ("tool_calls" if calls else "stop")
    return _Answer(reasoning, content, calls, finish)


def _pace(parrot: Parrot, ctx: ChatContext) -> float | None:
    pace = parrot.tokens_per_second
    if pace is SERVER_PACE:
        return ctx.tokens_per_second
    return pace or None


def _usage(ctx: ChatContext, completion_tokens: int) -> dict[str, Any]:
    prompt_tokens = count_prompt_tokens(ctx.body.get("messages"))
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "cost": ctx.model.cost(prompt_tokens, completion_tokens),
    }


def _tool_fragments(calls: tuple[tuple[str, str], ...], style: ToolCallStyle) -> list[Fragment]:
    """Tool-call delta fragments, arguments in 8-character pieces, calls interleaved or not."""
    if style == "one_per_chunk":
        return [
            {"id": "", "type": "function", "function": {"name": name, "arguments": arguments}}
            for name, arguments in calls
        ]
    per_call = []
    for i, (name, arguments) in enumerate(calls):
        index = None if style == "no_index" else i + (style == "one_based")
        call_id = f"call_parrot_{i}"
        repeated_id = call_id if style == "repeat_ids" else None
        pieces = [arguments[j : j + 8] for j in range(0, len(arguments), 8)]
        per_call.append(
            [tool_call(index, call_id, name, "")]
            + [tool_call(index, repeated_id, arguments=piece) for piece in pieces]
        )
    if style == "sequential":
        return [f for group in per_call for f in group]
    return [f for group in zip_longest(*per_call) for f in group if f is not None]


class _SseFormat:
    """Builds the wire bytes of one Parrot stream, bent by its framing knobs."""

    def __init__(self, parrot: Parrot, ctx: ChatContext) -> None:
        self.parrot = parrot
        self.ctx = ctx
        self.eol = _EOLS[parrot.framing]
        self.data = "data:" if parrot.no_space else "data: "
        self.id_field = f'{{"id":{json_text(ctx.completion_id)},'
        self.common = (
            f'"object":"chat.completion.chunk","created":{ctx.created},'
            f'"model":{json_text(ctx.model_id)},'
        )
        self.keepalive = self.wire(f": OPENROUTER PROCESSING{self.eol}{self.eol}".encode())

    def head(self) -> bytes:
        """Keep-alives, the role chunk, and the no-op events of `noise`."""
        content = "null" if self.parrot.null_content else '""'
        parts = [self.keepalive] * self.parrot.keepalives_first
        parts.append(self.chunk_event(_choice(f'{{"role":"assistant","content":{content}}}')))
        if self.parrot.noise:
            eol = self.eol
            for line in (self.data.rstrip(), "event: ping", "retry: 3000", ": keep-alive"):
                parts.append(self.wire(f"{line}{eol}{eol}".encode()))
        return b"".join(parts)

    def token_units(self, field: str, tokens: tuple[str, ...]) -> list[bytes]:
        """One wire unit per token: a chunk with `delta[field]`, built once per distinct token."""
        cache: dict[str, bytes] = {}
        units = []
        for token in tokens:
            unit = cache.get(token)
            if unit is None:
                unit = self.chunk_event(_choice(f'{{"{field}":{json_text(token)}}}'))
                cache[token] = unit
            units.append(unit)
        return units

    def tool_call_units(self, fragments: list[Fragment]) -> list[bytes]:
        """One wire unit per tool-call fragment."""
        return [self.chunk_event(_choice(f'{{"tool_calls":[{json_text(f)}]}}')) for f in fragments]

    def tail(self, finish_reason: str, usage: dict[str, Any]) -> bytes:
        """The finish chunk, the usage chunk, `[DONE]` and trailing bytes, as configured."""
        parrot = self.parrot
        parts = []
        if parrot.finish:
            parts.append(self.chunk_event(_choice("{}", json_text(finish_reason))))
        if parrot.usage or (parrot.usage is None and self.ctx.include_usage):
            choices = '"choices":[],' if parrot.usage_choices else ""
            parts.append(self.chunk_event(f'{choices}"usage":{json_text(usage)}'))
        if parrot.done:
            ending = self.eol * 2 if parrot.done_newline else ""
            parts.append(self.wire(f"{self.data}[DONE]{ending}".encode()))
        if parrot.trailing:
            parts.append(http_chunk(parrot.trailing))
        return b"".join(parts)

    def error(self, message: str, style: ErrorStyle) -> bytes:
        """An in-stream error event."""
        event, data = error_payload(message, style)
        if style == "openrouter":
            data = {**data, "id": self.ctx.completion_id, "model": self.ctx.model_id}
        lines = ([f"event: {event}"] if event else []) + [f"{self.data}{json_text(data)}"]
        return self.wire((self.eol.join(lines) + self.eol * 2).encode())

    def chunk_event(self, fields: str) -> bytes:
        """A chunk event whose JSON ends with `fields` (split after the id with `split_json`)."""
        eol, data = self.eol, self.data
        rest = f"{self.common}{fields}}}"
        if self.parrot.split_json:
            text = f"{data}{self.id_field}{eol}{data}{rest}{eol}{eol}"
        else:
            text = f"{data}{self.id_field}{rest}{eol}{eol}"
        return self.wire(text.encode())

    def wire(self, event: bytes) -> bytes:
        """`event` as HTTP chunks: one, one per byte, or two split inside a UTF-8 character."""
        if self.parrot.one_byte_writes:
            return b"".join(b"1\r\n%c\r\n" % byte for byte in event)
        if self.parrot.split_utf8:
            split = next((i + 1 for i, byte in enumerate(event) if byte >= 0xC0), None)
            if split is not None:
                return http_chunk(event[:split]) + http_chunk(event[split:])
        return http_chunk(event)


def _choice(delta: str, finish_reason: str = "null") -> str:
    return f'"choices":[{{"index":0,"delta":{delta},"finish_reason":{finish_reason}}}]'
