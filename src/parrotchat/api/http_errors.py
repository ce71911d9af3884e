"""Map HTTP error responses and transport failures to `APIError`s with a sentence to act on."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from parrotchat.api import errors
from parrotchat.api.endpoint import Endpoint
from parrotchat.api.errors import redact

__all__ = ["MAX_RETRY_AFTER", "from_response", "from_transport", "retry_after"]

MAX_RETRY_AFTER = 60.0
"""Longest wait (seconds) a server may ask for before we give up instead of retrying."""


_DROPPED = ("peer closed connection", "Server disconnected")
"""How httpx words a connection closed early, the one `RemoteProtocolError` that is no garbage."""


def _wait_words(seconds: float) -> str:
    """`seconds` as a person says it: `_wait_words(120)  # '2 minutes'`."""
    if seconds < 90:
        amount, unit = round(seconds), "second"
    elif seconds < 90 * 60:
        amount, unit = round(seconds / 60), "minute"
    else:
        amount, unit = round(seconds / 3600), "hour"
    return f"{amount} {unit}{'s' if amount != 1 else ''}"


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks us to wait: `retry-after-ms`, else `Retry-After` (secs or date)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _server_text(
    body: bytes, content_type: str, secrets: tuple[str, ...]
) -> tuple[str | None, str | None]:
    """The server's error message and code from an error body of any shape.

    Secrets are scrubbed from the whole text first: shortening it first could cut a key in two
    and let the first half through.
    """
    text = redact(body.decode("utf-8", "replace"), secrets).strip()
    if not text:
        return None, None
    try:
        obj: Any = json.loads(text)
    except ValueError:
        if "html" in content_type or text.lstrip().startswith("<"):
            return None, None  # a proxy's HTML page says nothing a user can act on
        return _clip(text), None
    if isinstance(obj, dict):
        err = obj.get("error", obj)
        if isinstance(err, dict):
            message = err.get("message") or err.get("detail") or err.get("error")
            code = err.get("code") or err.get("type")
            return (_clip(str(message)) if message else None), (str(code) if code else None)
        if isinstance(err, str):
            return _clip(err), None
    return _clip(text), None


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _key_hint(endpoint: Endpoint) -> str:
    if endpoint.api_key and endpoint.key_source:
        return f"check the API key from {endpoint.key_source}"
    if endpoint.key_note:
        # Withheld on purpose (a key of another server): say so, not that none is set.
        return (
            f"no API key was sent to provider '{endpoint.name}' ({endpoint.key_note}, so it"
            " is not sent to this URL): set a key for this server"
            " (run `parrotchat --show-config` to see where keys are read from)"
        )
    return (
        f"no API key is set for provider '{endpoint.name}': set one "
        "(run `parrotchat --show-config` to see where it is read from)"
    )


def from_response(
    response: httpx.Response, body: bytes, endpoint: Endpoint, model: str | None
) -> errors.HTTPStatusError:
    """The error for a non-2xx response whose body (possibly truncated) is `body`."""
    status = response.status_code
    server, code = _server_text(body, response.headers.get("content-type", ""), endpoint.secrets)
    wait = retry_after(response.headers)
    label = f"{status} {response.reason_phrase}".strip()
    said = f" ({label}: {server})" if server else f" ({label})"
    kwargs: dict[str, Any] = {"status_code": status, "server_message": server, "code": code}
    kwargs["retry_after"] = wait
    if status in (401, 403):
        return errors.AuthenticationError(
            f"The server refused the request{said}; {_key_hint(endpoint)}.", **kwargs
        )
    if status == 402 or (status == 429 and code == "insufficient_quota"):
        return errors.PaymentRequired(
            f"The provider wants payment{said}; add credits or check your plan.", **kwargs
        )
    if status == 404:
        what = f"the model id '{model}' and the base URL" if model else "the base URL"
        return errors.NotFound(f"The server does not know that{said}; check {what}.", **kwargs)
    if status == 429:
        if wait is not None and wait > MAX_RETRY_AFTER:
            error = errors.RateLimited(
                f"Rate limited{said}: the server asks to wait {wait:.0f} s; try again later.",
                **kwargs,
            )
            error.retryable = False
            return error
        return errors.RateLimited(f"Rate limited{said}; wait a moment and try again.", **kwargs)
    if status >= 500:
        when = f"in {_wait_words(wait)}" if wait is not None and wait >= 1 else "in a moment"
        return errors.ServerError(f"The server failed{said}; try again {when}.", **kwargs)
    if status == 408 or status == 409:
        error = errors.BadRequest(f"The server could not finish the request{said}.", **kwargs)
        error.retryable = True
        return error
    if status == 413:
        return errors.BadRequest(
            f"The request is too large for the server{said}; start a new conversation.", **kwargs
        )
    if 300 <= status < 400:
        where = response.headers.get("location", "elsewhere")
        return errors.BadRequest(
            f"The server redirects{said} to {_clip(where, 100)}; "
            "set the base URL to the new address.",
            **kwargs,
        )
    return errors.BadRequest(f"The server refused the request{said}.", **kwargs)


def from_transport(
    exc: httpx.TransportError, endpoint: Endpoint, *, streaming: bool
) -> errors.APIError:
    """The error for an httpx transport failure, before (`streaming=False`) or during the body."""
    origin = endpoint.base_url
    if isinstance(exc, httpx.ConnectTimeout):
        return errors.ConnectTimeout(
            f"Could not connect to {origin} within {endpoint.connect_timeout:g} s; "
            "check your network and the base URL."
        )
    if isinstance(exc, httpx.ReadTimeout):
        if streaming:
            return errors.ReadTimeout(
                f"The server stopped sending for {endpoint.read_timeout:g} s; try again."
            )
        return errors.ReadTimeout(
            f"The server did not answer within {endpoint.read_timeout:g} s; try again later."
        )
    if isinstance(exc, httpx.TimeoutException):
        return errors.RequestTimeout(f"The request to {origin} timed out; try again.")
    if isinstance(exc, httpx.UnsupportedProtocol):
        error = errors.ConnectionFailed(
            f"The base URL {origin} is not an http(s) URL; fix it in the config or flags."
        )
        error.retryable = False
        return error
    if isinstance(exc, httpx.LocalProtocolError):
        error = errors.ConnectionFailed(
            "parrotchat could not send the request (a header or the key holds characters HTTP "
            "cannot carry); check them with `parrotchat --show-config`."
        )
        error.retryable = False
        return error
    if isinstance(exc, httpx.RemoteProtocolError) and not str(exc).startswith(_DROPPED):
        return errors.ProtocolError(
            "The server sent a malformed answer (not valid HTTP); check that the base URL "
            "points to an OpenAI-compatible API."
        )
    if isinstance(exc, httpx.ConnectError):
        return errors.ConnectionFailed(
            f"Could not connect to {origin}; check that the server is running and the base URL "
            "is right."
        )
    if streaming:
        return errors.StreamInterrupted(
            "The connection dropped before the answer finished; try again."
        )
    return errors.ConnectionFailed(
        f"The connection to {origin} failed before an answer arrived; try again."
    )
