"""What `parrot-tools` does with the tools a request offers: it calls them, then repeats them.

Offered `tools`, it calls the ones the last user message names (the first tool when it names
none), with arguments made up from each tool's JSON schema and the prompt's words, streamed one
call after another in small pieces as OpenAI streams them. Given the tools' results (`tool`
messages after its calls), it answers in words. Everything is deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from parrotchat.demo.behaviours import Parrot, json_text
from parrotchat.demo.parrot import last_user_text

__all__ = ["tool_arguments", "tool_behaviour"]

_WORD = re.compile(r"[^\W\d_]{3,}")
_SKIP = frozenset(("the", "and", "what", "whats", "call", "use", "with", "for", "please", "tool"))


def tool_behaviour(body: Mapping[str, Any]) -> Parrot | None:
    """How `parrot-tools` answers `body`, or None when no tool is offered (a plain parrot)."""
    tools = [_function(tool) for tool in body.get("tools") or ()]
    functions = [f for f in tools if f is not None]
    if not functions:
        return None
    messages = body.get("messages")
    results = _tool_results(messages if isinstance(messages, list) else [])
    if results:
        return Parrot(text=f"Squawk! The tools said: {'; '.join(results)}")
    prompt = last_user_text(messages)
    named = [f for f in functions if f["name"].lower() in prompt.lower()] or functions[:1]
    calls: list[tuple[str, str | dict[str, Any]]] = [
        (f["name"], tool_arguments(f.get("parameters"), prompt)) for f in named[:4]
    ]
    return Parrot(tool_calls=calls, tool_call_style="sequential")


def tool_arguments(schema: object, prompt: str) -> str:
    """JSON arguments that fit `schema` (an object schema), filled from the prompt's words.

    `tool_arguments({"type": "object", "properties": {"city": {"type": "string"}}}, "In Paris?")`
    gives `'{"city":"Paris"}'`.
    """
    # Last words first: "weather in Paris?" is about Paris.
    words = [w for w in reversed(_WORD.findall(prompt)) if w.lower() not in _SKIP] or ["parrot"]
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(properties, Mapping):
        return "{}"
    required = schema.get("required") if isinstance(schema, Mapping) else None
    names = [n for n in properties if not isinstance(required, list) or n in required]
    values = {name: _value(properties[name], words[i % len(words)]) for i, name in enumerate(names)}
    return json_text(values)


def _value(schema: object, word: str) -> Any:
    schema = schema if isinstance(schema, Mapping) else {}
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return {
        "integer": len(word),
        "number": len(word) / 2,
        "boolean": True,
        "array": [word],
        "object": {},
        "null": None,
    }.get(str(kind), word)


def _function(tool: object) -> dict[str, Any] | None:
    if not isinstance(tool, Mapping):
        return None
    function = tool.get("function")
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        return None
    return dict(function)


def _tool_results(messages: list[Any]) -> list[str]:
    """The contents of the `tool` messages at the end of the conversation, oldest first."""
    results: list[str] = []
    for message in reversed(messages):
        if not isinstance(message, Mapping) or message.get("role") != "tool":
            break
        content = message.get("content")
        results.append(content if isinstance(content, str) else json_text(content))
    return results[::-1]
