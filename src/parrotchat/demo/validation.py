"""What the demo server refuses: malformed chat requests get a 400 worded as OpenAI words it.

Real servers check the body before they stream anything; a demo that answered 200 to
`"messages": "not-a-list"` would hide client bugs that every real server reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["JSON_BODY_PROBLEM", "Problem", "request_problem"]

_ROLES = ("system", "assistant", "user", "function", "tool", "developer")


@dataclass(frozen=True)
class Problem:
    """Why a request is refused: the fields of an OpenAI `invalid_request_error`."""

    message: str
    param: str | None = None
    code: str | None = None


JSON_BODY_PROBLEM = Problem(
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON.)"
)
"""The answer to a body that is not a JSON object."""


def request_problem(body: Any) -> Problem | None:
    """The first problem of a chat completions request body, or None if it is well formed.

    `request_problem({"model": "parrot", "messages": "hi"}).code  # 'invalid_type'`
    """
    if not isinstance(body, Mapping):
        return JSON_BODY_PROBLEM
    if "model" not in body or body["model"] is None:
        return Problem("you must provide a model parameter")
    checks = (
        _typed(body, "model", str, "a string"),
        _messages(body),
        _typed(body, "stream", bool, "a boolean"),
        _typed(body, "stream_options", Mapping, "an object"),
        _tools(body),
    )
    return next((problem for problem in checks if problem is not None), None)


def _messages(body: Mapping[str, Any]) -> Problem | None:
    if "messages" not in body:
        return _missing("messages")
    messages = body["messages"]
    if not isinstance(messages, list):
        return _wrong_type("messages", "an array of objects", messages)
    if not messages:
        return Problem(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got "
            "an empty array instead.",
            "messages",
            "empty_array",
        )
    for i, message in enumerate(messages):
        if problem := _message(message, f"messages[{i}]"):
            return problem
    return None


def _message(message: Any, where: str) -> Problem | None:
    if not isinstance(message, Mapping):
        return _wrong_type(where, "an object", message)
    if "role" not in message:
        return _missing(f"{where}.role")
    role = message["role"]
    if role not in _ROLES:
        supported = ", ".join(f"'{r}'" for r in _ROLES[:-1]) + f", and '{_ROLES[-1]}'"
        return Problem(
            f"Invalid value: {_shown(role)}. Supported values are: {supported}.",
            f"{where}.role",
            "invalid_value",
        )
    content = message.get("content")
    if content is None:
        # An assistant turn may be only tool calls.
        return None if role == "assistant" else _missing(f"{where}.content")
    if not isinstance(content, str | list):
        return _wrong_type(f"{where}.content", "one of a string or array of objects", content)
    return None


def _tools(body: Mapping[str, Any]) -> Problem | None:
    tools = body.get("tools")
    if tools is None:
        return None
    if not isinstance(tools, list):
        return _wrong_type("tools", "an array of objects", tools)
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        if not isinstance(tool, Mapping):
            return _wrong_type(where, "an object", tool)
        function = tool.get("function")
        if function is None:
            return _missing(f"{where}.function")
        if not isinstance(function, Mapping):
            return _wrong_type(f"{where}.function", "an object", function)
        if not isinstance(function.get("name"), str) or not function["name"]:
            return _missing(f"{where}.function.name")
    return None


def _typed(body: Mapping[str, Any], key: str, kind: type | Any, expected: str) -> Problem | None:
    value = body.get(key)
    if value is None or isinstance(value, kind):
        return None
    return _wrong_type(key, expected, value)


def _missing(param: str) -> Problem:
    return Problem(f"Missing required parameter: '{param}'.", param, "missing_required_parameter")


def _wrong_type(param: str, expected: str, value: Any) -> Problem:
    return Problem(
        f"Invalid type for '{param}': expected {expected}, but got {_kind(value)} instead.",
        param,
        "invalid_type",
    )


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return f"'{text[:40]}'"
