"""Every way a request to a provider can fail, as one exception hierarchy.

```
APIError                      base: `.message` is one sentence for the user, saying what to do
├── ConnectionFailed          could not reach the server (down, wrong URL, DNS, refused)
├── RequestTimeout            a timeout before or during the answer
│   ├── ConnectTimeout        no connection within the connect timeout
│   ├── ReadTimeout           no bytes within the read timeout
│   └── IdleTimeout           bytes (keep-alives) but no data event within the idle timeout
├── HTTPStatusError           the server answered with an HTTP error status
│   ├── BadRequest            400, 413, 422 and other 4xx not below
│   ├── AuthenticationError   401, 403
│   ├── PaymentRequired       402, and 429 insufficient_quota
│   ├── NotFound              404 (usually a wrong model id)
│   ├── RateLimited           429
│   └── ServerError           5xx
├── StreamInterrupted         the connection dropped before the answer finished
├── ProtocolError             the stream was not valid SSE / JSON chunks
│   └── ResponseTooLarge      the answer passed one of the `Limits`
└── ProviderError             the server reported an error inside the stream
```

Messages never contain an API key: `redact` scrubs known secrets from any server text.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequest",
    "ConnectTimeout",
    "ConnectionFailed",
    "HTTPStatusError",
    "IdleTimeout",
    "NotFound",
    "PaymentRequired",
    "ProtocolError",
    "ProviderError",
    "RateLimited",
    "ReadTimeout",
    "RequestTimeout",
    "ResponseTooLarge",
    "ServerError",
    "StreamInterrupted",
    "redact",
]


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret in `text` with `***`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


class APIError(Exception):
    """Base of all client errors. `str(error)` is the user-facing sentence."""

    retryable: bool = False
    """True when retrying the same request may succeed (only before the first token)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message: str = message
        """One plain sentence: what happened and what to do."""

    def __str__(self) -> str:
        return self.message


class ConnectionFailed(APIError):
    retryable = True


class RequestTimeout(APIError):
    retryable = True


class ConnectTimeout(RequestTimeout):
    pass


class ReadTimeout(RequestTimeout):
    pass


class IdleTimeout(RequestTimeout):
    pass


class HTTPStatusError(APIError):
    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        server_message: str | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code: int = status_code
        self.server_message: str | None = server_message
        """The provider's own error text (already redacted), if any."""
        self.code: str | None = code
        """The provider's error code or type, if any (e.g. `invalid_api_key`)."""
        self.retry_after: float | None = retry_after
        """Seconds the server asked us to wait, if it said."""


class BadRequest(HTTPStatusError):
    pass


class AuthenticationError(HTTPStatusError):
    pass


class PaymentRequired(HTTPStatusError):
    pass


class NotFound(HTTPStatusError):
    pass


class RateLimited(HTTPStatusError):
    retryable = True


class ServerError(HTTPStatusError):
    retryable = True


class StreamInterrupted(APIError):
    retryable = True


class ProtocolError(APIError):
    pass


class ResponseTooLarge(ProtocolError):
    """The server sent more than a limit allows (`parrotchat.api.limits.Limits`)."""


class ProviderError(APIError):
    def __init__(self, message: str, *, server_message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.server_message: str = server_message
        self.code: str | None = code
