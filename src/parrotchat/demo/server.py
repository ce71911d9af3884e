"""The demo server: an OpenAI-compatible HTTP/1.1 server on 127.0.0.1, stdlib asyncio only.

It serves the parrot models offline, and, told to misbehave with `push`, it is the test fixture
and the benchmark source:

```python
with DemoServer(tokens_per_second=None) as server:  # runs in its own thread
    server.push(Parrot(drop_after=5))
    ...  # point a client at server.base_url
    assert server.wait_for_request().body["stream"]
```
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Self

from parrotchat.demo.behaviours import (
    Behaviour,
    End,
    HTTPError,
    Parrot,
    Plan,
    Script,
    http_chunk,
    reason_phrase,
)
from parrotchat.demo.hostile import Flood, flood_plan
from parrotchat.demo.parrot import MODELS, ChatContext, completion_plan, stream_plan
from parrotchat.demo.tools import tool_behaviour
from parrotchat.demo.validation import request_problem

__all__ = ["DemoServer", "RecordedRequest"]

log = logging.getLogger(__name__)

_MAX_HEAD = 64 * 1024
"""Largest request head (request line and headers) accepted."""
_BATCH = 512
"""Units per write when sending at full speed."""
_MIN_TICK = 0.004
"""Shortest sleep of the pacing loop: higher rates are sent in batches, not a sleep per token."""
_RESET_GRACE = 0.02
"""Pause between the last write and a TCP reset, so the client reads the data first."""
_CHAT_PATH = "/v1/chat/completions"
_MODELS_PATH = "/v1/models"


@dataclass
class RecordedRequest:
    """One request the server received, for assertions."""

    method: str
    path: str
    """The request path, without the query string."""
    headers: dict[str, str]
    """Header names in lower case."""
    body: Any
    """The parsed JSON body, or None (no body or not JSON)."""
    received_at: float
    """`time.monotonic()` when the request was read."""
    connection: int
    """Serial number of the TCP connection it came on (1 for the server's first)."""
    disconnected_at: float | None = None
    """`time.monotonic()` when the client left before the response was fully sent."""
    completed: bool = False
    """The server carried out the whole response (a scripted drop or reset included)."""

    @property
    def is_chat(self) -> bool:
        """A chat completions request."""
        return self.method == "POST" and self.path == _CHAT_PATH


class _BadRequest(Exception):
    """The request cannot be parsed; answer 400 and close."""


@dataclass
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    keep_alive: bool


class _Connection:
    """One client connection: request parsing, writes, and watching for the client leaving."""

    def __init__(
        self, number: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.number = number
        """Serial number of the connection, recorded with its requests."""
        self.reader = reader
        self.writer = writer
        self.buffer = bytearray()
        """Bytes read but not parsed yet (a pipelined request seen while watching for EOF)."""
        writer.transport.set_write_buffer_limits(high=256 * 1024)

    async def read_request(self) -> _Request | None:
        """The next request, or None when the client closed the connection between requests."""
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            if len(self.buffer) > _MAX_HEAD:
                raise _BadRequest("request head too large")
            if not await self._fill():
                return None
        head = bytes(self.buffer[:end]).decode("latin-1")
        del self.buffer[: end + 4]
        method, path, version = _request_line(head.split("\r\n", 1)[0])
        headers = _headers(head.split("\r\n")[1:])
        if "transfer-encoding" in headers:
            raise _BadRequest("chunked request bodies are not supported")
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError as exc:
            raise _BadRequest("bad content-length") from exc
        while len(self.buffer) < length:
            if not await self._fill():
                return None
        body = bytes(self.buffer[:length])
        del self.buffer[:length]
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" and (version == "HTTP/1.1" or connection == "keep-alive")
        return _Request(method, path, headers, body, keep_alive)

    async def watch_for_eof(self) -> float:
        """Wait until the client closes or resets the connection; return when it did."""
        while await self._fill():
            pass
        return time.monotonic()

    async def _fill(self) -> bool:
        try:
            data = await self.reader.read(65536)
        except OSError:
            return False
        self.buffer += data
        return bool(data)

    def write(self, data: bytes) -> None:
        """Queue `data`; raise ConnectionResetError if the connection is gone."""
        if self.writer.transport.is_closing():
            raise ConnectionResetError("client gone")
        if data:
            self.writer.write(data)

    async def drain(self) -> None:
        """Wait while the transport's buffer is above its high-water mark."""
        await self.writer.drain()

    async def flush(self) -> None:
        """Wait until every queued byte was handed to the kernel."""
        transport = self.writer.transport
        while transport.get_write_buffer_size() and not transport.is_closing():
            await asyncio.sleep(0.001)

    async def end(self, how: End) -> None:
        """End the connection after a response: close (FIN), drop (FIN mid-body) or reset (RST)."""
        await self.flush()
        if how == "reset":
            await asyncio.sleep(_RESET_GRACE)
            sock = self.writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.writer.transport.abort()
        else:
            self.writer.close()


class DemoServer:
    """The offline OpenAI-compatible demo server.

    `DemoServer(tokens_per_second=None).start_in_thread()  # full speed, in its own thread`

    Args:
        host: Address to listen on.
        port: Port to listen on; 0 picks a free one (see `port`).
        tokens_per_second: Pace of `parrot` and `parrot-think`; None or 0 = unlimited.
            `parrot-fast` is always unlimited; a `Parrot` behaviour may set its own pace.
        default_tokens: Reply length when neither the behaviour nor the prompt sets one;
            None = one complete Markdown section set (a few hundred tokens).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        tokens_per_second: float | None = 60.0,
        default_tokens: int | None = None,
    ) -> None:
        self.host = host
        self.tokens_per_second = tokens_per_second or None
        self.default_tokens = default_tokens
        self._requested_port = port
        self._bound_port: int | None = None
        self._changed = threading.Condition()
        """Guards the queue and the records; notified on every new request or outcome."""
        self._queue: deque[Behaviour] = deque()
        self._models_queue: deque[Behaviour] = deque()
        self._by_model: dict[str, deque[Behaviour]] = {}
        """Behaviours queued for one model's chat requests (a comparison asks several at
        once, in no fixed order)."""
        self.hostile: Flood | None = None
        """When set, every chat request gets this hostile answer (`python -m parrotchat.demo
        --hostile KIND`); a `huge_json` flood answers `GET /models` too."""
        self._requests: list[RecordedRequest] = []
        self._reported_disconnects: set[int] = set()
        self._completion_ids = itertools.count(1)
        self._connection_numbers = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None
        self._thread_stop: asyncio.Event | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> Self:
        """Start listening on the running event loop."""
        self._server = await asyncio.start_server(
            self._on_connection, self.host, self._requested_port
        )
        self._bound_port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await asyncio.sleep(0)  # let the aborted transports close their sockets
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def start_in_thread(self) -> Self:
        """Start the server on its own event loop in a daemon thread; return once it listens."""
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._run_thread(ready, failure)),
            name=f"parrotchat-demo-{self._requested_port}",
            daemon=True,
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop_thread(self, timeout: float = 10.0) -> None:
        """Stop a server started with `start_in_thread` and wait for its thread to end."""
        thread, loop, stop = self._thread, self._thread_loop, self._thread_stop
        if thread is None or loop is None or stop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop already ended
            loop.call_soon_threadsafe(stop.set)
        thread.join(timeout)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start_in_thread()

    def __exit__(self, *exc_info: object) -> None:
        self.stop_thread()

    async def _run_thread(self, ready: threading.Event, failure: list[BaseException]) -> None:
        try:
            await self.start()
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            return
        self._thread_loop = asyncio.get_running_loop()
        self._thread_stop = asyncio.Event()
        ready.set()
        try:
            await self._thread_stop.wait()
        finally:
            await self.stop()

    # -- public state -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._bound_port is None:
            raise RuntimeError("DemoServer is not started")
        return self._bound_port

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, e.g. `http://127.0.0.1:8000/v1`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    def push(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next chat requests, first in first out.

        When the queue is empty a chat request gets the normal `Parrot()`.
        """
        with self._changed:
            self._queue.extend(behaviours)

    def push_for(self, model: str, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next chat requests to `model` only, before `push`'s.

        `server.push_for("parrot-fast", HTTPError(500))` fails that model's next reply.
        """
        with self._changed:
            self._by_model.setdefault(model, deque()).extend(behaviours)

    def push_models(self, *behaviours: Behaviour) -> None:
        """Queue answers for the next `GET /models` requests (else the parrot models' list).

        `server.push_models(Flood("huge_json"), HTTPError(503))`
        """
        with self._changed:
            self._models_queue.extend(behaviours)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        with self._changed:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The chat completions requests received so far."""
        return [request for request in self.requests if request.is_chat]

    def wait_for_request(self, n: int = 1, timeout: float = 10.0) -> RecordedRequest:
        """Block until the n-th request (1-based, counting every request) arrived; return it.

        Raises:
            TimeoutError: It did not arrive within `timeout` seconds.
        """

        def nth() -> RecordedRequest | None:
            return self._requests[n - 1] if len(self._requests) >= n else None

        return self._wait(nth, timeout, f"request #{n}")

    def wait_for_disconnect(self, timeout: float = 10.0) -> RecordedRequest:
        """Block until a client left mid-response; return the first such request not yet returned.

        Raises:
            TimeoutError: No new disconnect within `timeout` seconds.
        """
        return self._wait(self._next_disconnect, timeout, "a client disconnect")

    async def await_request(self, n: int = 1, timeout: float = 10.0) -> RecordedRequest:
        """`wait_for_request` for a test's event loop (the server may run on that loop)."""
        return await asyncio.to_thread(self.wait_for_request, n, timeout)

    async def await_disconnect(self, timeout: float = 10.0) -> RecordedRequest:
        """`wait_for_disconnect` for a test's event loop (the server may run on that loop)."""
        return await asyncio.to_thread(self.wait_for_disconnect, timeout)

    def _wait(
        self, find: Callable[[], RecordedRequest | None], timeout: float, what: str
    ) -> RecordedRequest:
        with self._changed:
            found = self._changed.wait_for(find, timeout)
        if found is None:
            raise TimeoutError(f"DemoServer: no {what} within {timeout} s")
        return found

    def _next_disconnect(self) -> RecordedRequest | None:
        for i, request in enumerate(self._requests):
            if request.disconnected_at is not None and i not in self._reported_disconnects:
                self._reported_disconnects.add(i)
                return request
        return None

    def _record(self, request: _Request, connection: int) -> RecordedRequest:
        try:
            body = json.loads(request.raw_body) if request.raw_body else None
        except ValueError:
            body = None
        record = RecordedRequest(
            request.method, request.path, request.headers, body, time.monotonic(), connection
        )
        with self._changed:
            self._requests.append(record)
            self._changed.notify_all()
        return record

    def _update(self, record: RecordedRequest, **outcome: Any) -> None:
        with self._changed:
            for name, value in outcome.items():
                setattr(record, name, value)
            self._changed.notify_all()

    # -- serving ------------------------------------------------------------------------------

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(_Connection(next(self._connection_numbers), reader, writer))
        except asyncio.CancelledError:
            # The server is stopping. Not re-raised: asyncio 3.11 logs a cancelled
            # client_connected_cb task as an unhandled exception.
            writer.transport.abort()
        except OSError:
            pass  # the client went away: nothing to report
        except Exception:
            log.exception("demo server: unexpected error")
        finally:
            self._connections.discard(task)
            writer.close()

    async def _serve(self, connection: _Connection) -> None:
        """Answer requests on one connection until either side closes it."""
        while True:
            try:
                request = await connection.read_request()
            except _BadRequest as exc:
                plan = _error_plan(HTTPStatus.BAD_REQUEST, str(exc))
                await self._send(connection, plan, keep_alive=False)
                return
            if request is None:
                return
            record = self._record(request, connection.number)
            plan = self._plan(request, record.body)
            keep_alive = request.keep_alive and plan.end == "close"
            left_at = await self._race(self._send(connection, plan, keep_alive), connection)
            if left_at is not None:
                self._update(record, disconnected_at=left_at)
                return
            self._update(record, completed=True)
            if not keep_alive:
                await connection.end(plan.end)
                return

    async def _race(self, sending: Awaitable[None], connection: _Connection) -> float | None:
        """Send a response while watching for the client leaving; return when it left, if it did."""
        sender = asyncio.ensure_future(sending)
        watcher = asyncio.ensure_future(connection.watch_for_eof())
        try:
            await asyncio.wait((sender, watcher), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sender.cancel()
            watcher.cancel()
            await asyncio.gather(sender, watcher, return_exceptions=True)
        if sender.cancelled():
            return watcher.result()
        error = sender.exception()
        if isinstance(error, ConnectionError):
            return time.monotonic()
        if error is not None:
            raise error
        return None

    def _plan(self, request: _Request, body: Any) -> Plan:
        """Route a request to the plan of its response."""
        if request.path == _MODELS_PATH:
            if request.method != "GET":
                return _error_plan(HTTPStatus.METHOD_NOT_ALLOWED, "use GET")
            with self._changed:
                answer = self._models_queue.popleft() if self._models_queue else None
            if answer is None and self.hostile is not None and self.hostile.kind == "huge_json":
                answer = self.hostile
            if answer is None or isinstance(answer, Parrot):
                return Plan.for_json(200, {"object": "list", "data": _model_listing()})
            return _scripted_plan(answer)
        if request.path != _CHAT_PATH:
            return _error_plan(HTTPStatus.NOT_FOUND, f"Unknown path: {request.path}")
        if request.method != "POST":
            return _error_plan(HTTPStatus.METHOD_NOT_ALLOWED, "use POST")
        problem = request_problem(body)
        if problem is not None:
            # Refused before a queued behaviour is used, as a real server refuses it first.
            return _error_plan(HTTPStatus.BAD_REQUEST, problem.message, problem.param, problem.code)
        with self._changed:
            mine = self._by_model.get(str(body.get("model")))
            if mine:
                behaviour: Behaviour | None = mine.popleft()
            else:
                behaviour = self._queue.popleft() if self._queue else self.hostile
        if behaviour is not None and not isinstance(behaviour, Parrot):
            return _scripted_plan(behaviour)
        context = self._chat_context(body)
        if behaviour is None:
            offered = tool_behaviour(body) if context.model.tools else None
            behaviour = Parrot() if offered is None else offered
        if body.get("stream") is True:
            return stream_plan(behaviour, context)
        return completion_plan(behaviour, context)

    def _chat_context(self, body: dict[str, Any]) -> ChatContext:
        model = MODELS.get(str(body.get("model")), MODELS["parrot"])
        return ChatContext(
            body=body,
            model=model,
            tokens_per_second=None if model.fast else self.tokens_per_second,
            default_tokens=self.default_tokens,
            completion_id=f"chatcmpl-parrot-{next(self._completion_ids):06d}",
            created=int(time.time()),
        )

    async def _send(self, connection: _Connection, plan: Plan, keep_alive: bool) -> None:
        """Send one response as planned; with `end="hang"` wait until cancelled."""
        if plan.first_delay:
            await asyncio.sleep(plan.first_delay)
        connection.write(_status_and_headers(plan, keep_alive) + plan.head)
        await connection.drain()
        await _send_units(connection, plan)
        for piece in plan.source or ():
            connection.write(http_chunk(piece))
            await connection.drain()
        connection.write(plan.tail)
        if plan.end == "close" and plan.chunked:
            connection.write(b"0\r\n\r\n")
        await connection.drain()
        if plan.end == "hang":
            await _hang(connection, plan)


async def _send_units(connection: _Connection, plan: Plan) -> None:
    """Write the paced part of a response: scripted writes, paced tokens, or full speed."""
    units = plan.units
    if plan.write_delay is not None:
        for unit in units:
            connection.write(unit)
            await connection.drain()
            await asyncio.sleep(plan.write_delay)
    elif not plan.tokens_per_second:
        for start in range(0, len(units), _BATCH):
            connection.write(b"".join(units[start : start + _BATCH]))
            await connection.drain()
    else:
        await _send_paced(connection, units, plan.tokens_per_second)


async def _send_paced(connection: _Connection, units: list[bytes], rate: float) -> None:
    """Write the units that are due by now in one write, sleep until the next is due, repeat."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    sent = 0
    while sent < len(units):
        due = min(len(units), int((loop.time() - started) * rate) + 1)
        if due > sent:
            connection.write(b"".join(units[sent:due]))
            await connection.drain()
            sent = due
        if sent < len(units):
            next_at = started + sent / rate
            await asyncio.sleep(max(next_at - loop.time(), _MIN_TICK))


async def _hang(connection: _Connection, plan: Plan) -> None:
    """Send nothing (or only keep-alive comments) until cancelled by the client leaving."""
    interval = plan.stall_keepalive
    if interval is None:
        await asyncio.Event().wait()  # never set: only cancellation ends it
        return
    while True:
        await asyncio.sleep(interval)
        connection.write(plan.keepalive)
        await connection.drain()


def _status_and_headers(plan: Plan, keep_alive: bool) -> bytes:
    length = str(len(plan.head))
    framing = {"transfer-encoding": "chunked"} if plan.chunked else {"content-length": length}
    headers = {
        "server": "parrotchat-demo",
        **plan.headers,
        **framing,
        "connection": "keep-alive" if keep_alive else "close",
    }
    lines = [f"HTTP/1.1 {plan.status} {reason_phrase(plan.status)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _scripted_plan(behaviour: Script | HTTPError | Flood) -> Plan:
    """The plan of any behaviour but a `Parrot`."""
    if isinstance(behaviour, Script):
        return Plan.for_script(behaviour)
    if isinstance(behaviour, HTTPError):
        return Plan.for_http_error(behaviour)
    return flood_plan(behaviour)


def _error_plan(
    status: HTTPStatus, message: str, param: str | None = None, code: str | None = None
) -> Plan:
    """An error response with OpenAI's body: `{"error": {message, type, param, code}}`."""
    if code is None and status == HTTPStatus.NOT_FOUND:
        code = "not_found"
    error = {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    return Plan.for_json(status, {"error": error})


def _model_listing() -> list[dict[str, Any]]:
    return [model.listing() for model in MODELS.values()]


def _request_line(line: str) -> tuple[str, str, str]:
    try:
        method, target, version = line.split(" ")
    except ValueError as exc:
        raise _BadRequest(f"bad request line: {line[:80]!r}") from exc
    if not version.startswith("HTTP/1."):
        raise _BadRequest(f"unsupported version {version[:20]!r}")
    return method, target.split("?", 1)[0], version


def _headers(lines: list[str]) -> dict[str, str]:
    headers = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            raise _BadRequest(f"bad header line: {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    return headers
