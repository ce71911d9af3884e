"""The chat-completions client: one `httpx.AsyncClient` per provider, streaming with retries.

`stream_chat` is an async generator of `events`. Leaving it early (cancel, `aclose`, an
exception in the consumer) exits its `async with client.stream()` block, which closes the TCP
connection at once, so the provider stops generating and billing.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import ssl
import zlib
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from parrotchat import __version__
from parrotchat.api import errors, http_errors
from parrotchat.api.chunks import ChunkParser
from parrotchat.api.endpoint import Endpoint
from parrotchat.api.events import Event, Finished, Retrying
from parrotchat.api.limits import megabytes
from parrotchat.api.models import ModelInfo, parse_models
from parrotchat.api.sse import DONE, EventTooLarge, LineTooLong, SSEDecoder
from parrotchat.api.watchdog import IdleWatchdog

__all__ = ["ATTRIBUTION_TITLE", "ATTRIBUTION_URL", "ChatClient", "ModelInfo"]

ATTRIBUTION_URL = "https://github.com/parrotchat/parrotchat"
ATTRIBUTION_TITLE = "parrotchat"
_ERROR_BODY_LIMIT = 64 * 1024
_BACKOFF = (0.5, 1.0)


@functools.cache
def _verified_tls() -> ssl.SSLContext:
    """httpx's own default context (certifi's bundle, or `SSL_CERT_FILE`/`SSL_CERT_DIR`), made
    once per process and shared by every client."""
    return httpx.create_ssl_context()


def _tls_for(base_url: str) -> ssl.SSLContext:
    """One verified context for every https provider (loading the CA bundle is the costly
    part); a plain http one (the demo, local servers) never speaks TLS, since requests stay
    under its base URL and redirects are not followed, so it gets a context that trusts no
    certificate at all rather than a copy of the bundle."""
    if urlsplit(base_url).scheme == "https":
        return _verified_tls()
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


class ChatClient:
    """Talks to one provider. Create one per provider and reuse it; `aclose()` at the end.

    `async with ChatClient(Endpoint("demo", url)) as client: ...`
    """

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint: Endpoint = endpoint
        self._client: httpx.AsyncClient | None = None
        self._closed = False

    @property
    def _http(self) -> httpx.AsyncClient:
        """The HTTP client, made on first use: every provider in the sidebar has a client, and
        making one sets up TLS (about 30 ms of CPU), which a provider never asked should not cost
        at start."""
        if self._client is None:
            if self._closed:
                raise RuntimeError("the client has been closed")
            self._client = self._make_http()
        return self._client

    def _make_http(self) -> httpx.AsyncClient:
        endpoint = self.endpoint
        headers = {
            "User-Agent": f"parrotchat/{__version__}",
            "HTTP-Referer": ATTRIBUTION_URL,
            "X-Title": ATTRIBUTION_TITLE,
            "Accept-Encoding": "identity",
            **endpoint.headers,
        }
        if endpoint.api_key:
            headers["Authorization"] = f"Bearer {endpoint.api_key}"
        return httpx.AsyncClient(
            base_url=endpoint.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(
                connect=endpoint.connect_timeout,
                read=endpoint.read_timeout,
                write=endpoint.read_timeout,
                pool=endpoint.connect_timeout,
            ),
            verify=_tls_for(endpoint.base_url),
            http1=True,
            # HTTP/1.1 only: httpcore sends no RST_STREAM on HTTP/2, so closing early there
            # would not stop generation (encode/httpcore#943).
            http2=False,
            follow_redirects=False,
            # A proxy from the environment must not swallow loopback traffic to a local server.
            trust_env=not _is_loopback(endpoint.base_url),
        )

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        if self._client is not None:
            await self._client.aclose()

    async def list_models(self) -> list[ModelInfo]:
        """The provider's models. Raises `APIError` (retrying transient failures twice)."""
        for attempt in range(self.endpoint.max_retries + 1):
            try:
                return await self._list_models_once()
            except errors.APIError as exc:
                delay = self._retry_delay(exc, attempt)
                if delay is None:
                    raise self._redacted(exc) from None
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _list_models_once(self) -> list[ModelInfo]:
        limit = self.endpoint.limits.models
        try:
            async with self._http.stream("GET", "models") as response:
                if response.status_code != 200:
                    raise http_errors.from_response(
                        response, await _read_error_body(response), self.endpoint, None
                    )
                _refuse_compression(response)
                body = await _read_limited(response, limit)
        except httpx.TransportError as exc:
            raise http_errors.from_transport(exc, self.endpoint, streaming=False) from None
        if body is None:
            raise errors.ResponseTooLarge(
                f"The server's model list is larger than {megabytes(limit)} (limits.models_mb); "
                "check the base URL, or raise the limit in the config."
            )
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            raise errors.ProtocolError(
                "The server's model list is not JSON; check that the base URL points to an "
                "OpenAI-compatible API."
            ) from None
        return parse_models(payload)

    async def stream_chat(
        self,
        model: str,
        messages: Sequence[dict[str, Any]],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> AsyncIterator[Event]:
        """Stream one reply. The last event is `Finished`; failures raise `APIError`.

        Retries (yielding `Retrying` first) only while nothing of the answer has been yielded.
        """
        body: dict[str, Any] = {
            "model": model,
            "messages": list(messages),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if temperature is not None:
            body["temperature"] = temperature
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        if extra:
            body.update(extra)
        attempt = 0
        while True:
            progress = _Progress()
            try:
                async for event in self._stream_once(body, model, progress):
                    yield event
                return
            except errors.APIError as exc:
                delay = None if progress.shown else self._retry_delay(exc, attempt)
                if delay is None:
                    raise self._redacted(exc) from None
                attempt += 1
                yield Retrying(
                    attempt, delay, self._redacted(exc).message, self.endpoint.max_retries
                )
                await asyncio.sleep(delay)

    def _retry_delay(self, exc: errors.APIError, attempt: int) -> float | None:
        """Seconds to wait before retry number `attempt + 1`, or None to give up."""
        if not exc.retryable or attempt >= self.endpoint.max_retries:
            return None
        asked = getattr(exc, "retry_after", None)
        if asked is not None:
            return asked if asked <= http_errors.MAX_RETRY_AFTER else None
        base = _BACKOFF[min(attempt, len(_BACKOFF) - 1)]
        return base * random.uniform(0.8, 1.2)

    def _redacted(self, exc: errors.APIError) -> errors.APIError:
        clean = errors.redact(exc.message, self.endpoint.secrets)
        if clean != exc.message:
            exc.message = clean
            exc.args = (clean,)
        return exc

    async def _stream_once(
        self, body: dict[str, Any], model: str, progress: _Progress
    ) -> AsyncIterator[Event]:
        """One attempt: the events of one response, then `Finished`; raises `APIError`.

        The read loop is inlined here on purpose: it runs per chunk, and at 20,000 chunks/s
        every extra generator layer or context manager per read shows in the CPU cost.
        """
        limits = self.endpoint.limits
        parser = ChunkParser(self.endpoint.secrets, max_text=limits.reply)
        try:
            async with self._http.stream("POST", "chat/completions", json=body) as response:
                if response.status_code != 200:
                    raise http_errors.from_response(
                        response, await _read_error_body(response), self.endpoint, model
                    )
                _refuse_compression(response)
                content_type = response.headers.get("content-type", "")
                if "html" in content_type:
                    raise errors.ProtocolError(
                        "The server answered with a web page, not an event stream; check that "
                        "the base URL points to an OpenAI-compatible API."
                    )
                if "json" in content_type and "event-stream" not in content_type:
                    # A server that ignores `"stream": true` answers with one whole completion.
                    whole = await _read_limited(response, limits.response)
                    if whole is None:
                        raise errors.ResponseTooLarge(
                            f"The server's answer is larger than {megabytes(limits.response)} "
                            "(limits.response_mb); check that the base URL points to an "
                            "OpenAI-compatible API, or raise the limit in the config."
                        )
                    for event in parser.parse_completion(whole):
                        progress.shown = True
                        yield event
                else:
                    # The raw body stream, one layer below `aiter_raw()`, which adds nothing
                    # here but a generator hop per chunk.
                    chunks = response.stream.__aiter__()  # type: ignore[union-attr]
                    decoder = SSEDecoder(max_line=limits.line, max_event=limits.event)
                    feed, parse = decoder.feed, parser.parse
                    watchdog = IdleWatchdog(self.endpoint.idle_timeout)
                    heard = False  # any byte of the body at all
                    try:
                        while True:
                            watchdog.waiting = True
                            try:
                                data = await anext(chunks)
                                heard = True
                            except StopAsyncIteration:
                                ended = decoder.close()
                                if not (ended and ended[0].data == DONE):
                                    _raise_unless_finished(parser, decoder, progress)
                                break
                            except asyncio.CancelledError:
                                if watchdog.expired():
                                    raise _idle_timeout(watchdog.idle, heard) from None
                                raise
                            finally:
                                watchdog.waiting = False
                            try:
                                sse_events = feed(data)
                            except LineTooLong:
                                raise errors.ResponseTooLarge(
                                    f"The server sent a line of over {megabytes(limits.line)} "
                                    "(limits.line_mb) without an end; the answer so far is kept."
                                ) from None
                            except EventTooLarge:
                                raise errors.ResponseTooLarge(
                                    "The server sent one event of over "
                                    f"{megabytes(limits.event)} (limits.event_mb); the answer "
                                    "so far is kept."
                                ) from None
                            if not sse_events:
                                continue
                            watchdog.fed()
                            for sse in sse_events:
                                if sse.data == DONE:
                                    break
                                for event in parse(sse):
                                    progress.shown = True
                                    yield event
                            else:
                                continue
                            break  # [DONE]: leaving the block closes the connection
                    finally:
                        watchdog.close()
        except httpx.TransportError as exc:
            if parser.finish_reason is None:
                streaming = progress.shown
                raise http_errors.from_transport(exc, self.endpoint, streaming=streaming) from None
        except errors.RequestTimeout:
            if parser.finish_reason is None:
                raise
        yield Finished(parser.finish_reason, parser.usage, parser.tool_calls)


class _Progress:
    """What one attempt has shown: once anything was, it is never retried."""

    __slots__ = ("shown",)

    def __init__(self) -> None:
        self.shown = False


def _raise_unless_finished(parser: ChunkParser, decoder: SSEDecoder, progress: _Progress) -> None:
    if parser.finish_reason is not None:
        return
    if decoder.junk_lines and not progress.shown:
        raise errors.ProtocolError(
            "The server sent a malformed answer (not an event stream); check that the base URL "
            "points to an OpenAI-compatible API."
        )
    raise errors.StreamInterrupted(
        "The server closed the stream before the answer finished; try again."
    )


def _idle_timeout(idle: float, heard: bool) -> errors.IdleTimeout:
    if not heard:
        return errors.IdleTimeout(f"The server sent nothing for {idle:g} s; try again.")
    return errors.IdleTimeout(
        f"The server sent no data for {idle:g} s (only keep-alives); try again."
    )


def _refuse_compression(response: httpx.Response) -> None:
    """Raise ProtocolError for a compressed body: one gzip read can hold a gigabyte.

    The request says `Accept-Encoding: identity`, and httpx would decode whatever came anyway.
    """
    encoding = response.headers.get("content-encoding", "").strip()
    if encoding.lower() not in ("", "identity"):
        raise errors.ProtocolError(
            f"The server compressed its answer (Content-Encoding: {encoding[:40]}) although "
            "parrotchat asks for none; check the base URL and any proxy in between."
        )


async def _read_limited(response: httpx.Response, limit: int) -> bytes | None:
    """The raw body, or None as soon as it passes `limit` bytes."""
    body = bytearray()
    async for piece in response.aiter_raw():
        body += piece
        if len(body) > limit:
            return None
    return bytes(body)


async def _read_error_body(response: httpx.Response) -> bytes:
    """The first `_ERROR_BODY_LIMIT` bytes of an error body, decoded if gzip or deflate."""
    body = bytearray()
    async for piece in response.aiter_raw():
        body += piece
        if len(body) >= _ERROR_BODY_LIMIT:
            break
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return bytes(body[:_ERROR_BODY_LIMIT])
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return b""  # the status alone has to do
    try:
        # 32 + MAX_WBITS reads gzip and zlib; max_length bounds what a bomb can inflate to.
        return zlib.decompressobj(32 + zlib.MAX_WBITS).decompress(bytes(body), _ERROR_BODY_LIMIT)
    except zlib.error:
        return b""
