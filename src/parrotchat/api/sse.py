"""An incremental Server-Sent Events decoder: bytes in, events out, pure and synchronous.

It follows the WHATWG "server-sent events" parsing rules whatever fragments the network
delivers: lines end at CR, LF or CRLF (a CRLF may be split across reads), one space after the
colon is stripped, `data:` lines are joined with `\\n`, comments are skipped, a leading BOM is
stripped, and an incomplete event at EOF is dropped.

One deliberate addition for OpenAI-compatible streams: a `data: [DONE]` line is dispatched as
soon as the line is complete, and also at EOF without a line end, because servers use it as the
end marker and some omit the blank line after it.
"""

from __future__ import annotations

__all__ = [
    "DONE",
    "MAX_EVENT",
    "MAX_LINE",
    "EventTooLarge",
    "LineTooLong",
    "SSEDecoder",
    "ServerSentEvent",
]

DONE = "[DONE]"
MAX_LINE = 8 * 1024 * 1024
"""Longest line (bytes) kept while waiting for its end, by default: a bound on a broken server's
memory."""
MAX_EVENT = 8 * 1024 * 1024
"""Largest event (bytes of its `data:` lines) kept while waiting for its end, by default."""
_LINE_COST = 64
"""What one held `data:` line costs besides its bytes (a str object and a list slot): counted
so an event of a million one-byte lines cannot hide behind a small byte count."""


class LineTooLong(ValueError):
    """A line grew past the decoder's `max_line` bytes without ending."""


class EventTooLarge(ValueError):
    """An event's `data:` lines grew past the decoder's `max_event` bytes without ending."""


_BOM = b"\xef\xbb\xbf"


class ServerSentEvent:
    """One dispatched event."""

    __slots__ = ("data", "event", "id")

    def __init__(self, data: str, event: str = "message", id: str = "") -> None:
        self.data: str = data
        self.event: str = event
        """The event type; `message` when the stream named none."""
        self.id: str = id
        """The last event ID seen so far."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (self.data, self.event, self.id) == (other.data, other.event, other.id)

    def __hash__(self) -> int:
        return hash((self.data, self.event, self.id))

    def __repr__(self) -> str:
        return f"ServerSentEvent(data={self.data!r}, event={self.event!r}, id={self.id!r})"


class SSEDecoder:
    """Feed it bytes as they arrive; it returns the events each piece completes.

    `events = decoder.feed(b"data: hi\\n\\n")  # [ServerSentEvent(data='hi', ...)]`
    """

    __slots__ = (
        "_bom_pending",
        "_cr_pending",
        "_data",
        "_event",
        "_last_id",
        "_max_event",
        "_max_line",
        "_partial",
        "junk_lines",
    )

    def __init__(self, *, max_line: int = MAX_LINE, max_event: int = MAX_EVENT) -> None:
        """
        Args:
            max_line: Longest line, in bytes, before `feed` raises `LineTooLong`.
            max_event: Largest event before `feed` raises `EventTooLarge` (each `data:` line
                counts its bytes plus a small cost per line).
        """
        self._max_line = max_line
        self._max_event = max_event
        self.junk_lines = 0
        """Lines that are neither a field SSE knows nor a comment: many mean it is no stream."""
        self._partial = bytearray()
        """Bytes of the current, not yet terminated line."""
        self._cr_pending = False
        """The last byte fed was a CR, so an LF that starts the next piece is part of CRLF."""
        self._bom_pending = True
        self._data: list[str] = []
        self._event = ""
        self._last_id = ""

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode the next bytes of the stream."""
        if self._cr_pending:
            self._cr_pending = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if self._bom_pending:
            chunk = self._strip_bom(chunk)
            if self._bom_pending:
                return []
        if (
            chunk[:6] == b"data: "
            and chunk[-2:] == b"\n\n"
            and chunk.count(b"\n") == 2
            and not self._partial
            and not self._data
            and b"\r" not in chunk
        ):
            # The common read, one whole `data:` event, decoded without the line machinery.
            text = chunk[6:-2].decode("utf-8", "replace")
            event, self._event = self._event or "message", ""
            return [ServerSentEvent(text, event, self._last_id)]
        if b"\r" in chunk:
            self._cr_pending = chunk[-1:] == b"\r"
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\n" not in chunk:
            self._partial += chunk
            if len(self._partial) > self._max_line:
                raise LineTooLong(f"a line of the stream is longer than {self._max_line} bytes")
            return []
        if self._partial:
            self._partial += chunk
            lines = bytes(self._partial).split(b"\n")
            self._partial.clear()
        else:
            lines = chunk.split(b"\n")
        tail = lines.pop()
        if tail:
            self._partial += tail
        events: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if line[:6] == b"data: ":  # the common case, inlined: this runs per chunk
                text = line[6:].decode("utf-8", "replace")
                if text == DONE and not data:
                    events.append(ServerSentEvent(DONE, self._event or "message", self._last_id))
                else:
                    data.append(text)
            elif not line:
                if data:
                    events.append(
                        ServerSentEvent(
                            data[0] if len(data) == 1 else "\n".join(data),
                            self._event or "message",
                            self._last_id,
                        )
                    )
                    data.clear()
                self._event = ""
            else:
                event = self._line(line)
                if event is not None:
                    events.append(event)
                data = self._data
        if data:  # an event still open after this read: usually none, or one line
            self._check_event_size(data)
        if len(self._partial) > self._max_line:
            raise LineTooLong(f"a line of the stream is longer than {self._max_line} bytes")
        return events

    def close(self) -> list[ServerSentEvent]:
        """End of stream: drop an incomplete event, except a final `data: [DONE]`."""
        line, self._partial = bytes(self._partial), bytearray()
        if line and (event := self._line(line)) is not None:
            return [event]
        pending, self._data = self._data, []
        if pending == [DONE]:
            return [ServerSentEvent(DONE, self._event or "message", self._last_id)]
        return []

    def _strip_bom(self, chunk: bytes) -> bytes:
        head = bytes(self._partial) + chunk
        if len(head) < len(_BOM) and _BOM.startswith(head):
            self._partial = bytearray(head)
            return b""
        self._partial = bytearray()
        self._bom_pending = False
        return head[len(_BOM) :] if head.startswith(_BOM) else head

    def _line(self, line: bytes) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line[0] == 0x3A:  # ":" starts a comment (keep-alives)
            return None
        colon = line.find(b":")
        if colon == -1:
            name, value = line, b""
        else:
            name, value = line[:colon], line[colon + 1 :]
            if value[:1] == b" ":
                value = value[1:]
        if name == b"data":
            text = value.decode("utf-8", "replace")
            if text == DONE and not self._data:
                return ServerSentEvent(DONE, self._event or "message", self._last_id)
            self._data.append(text)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id" and b"\0" not in value:
            self._last_id = value.decode("utf-8", "replace")
        elif name not in (b"id", b"retry"):
            self.junk_lines += 1
        # `retry` and unknown fields are ignored: a POST stream is never reconnected.
        return None

    def _check_event_size(self, data: list[str]) -> None:
        """Raise EventTooLarge if the open event's `data:` lines cost more than `max_event`."""
        if len(data) * _LINE_COST + sum(map(len, data)) > self._max_event:
            raise EventTooLarge(f"an event of the stream is larger than {self._max_event} bytes")

    def _dispatch(self) -> ServerSentEvent | None:
        data, self._data = self._data, []
        event, self._event = self._event, ""
        if not data:
            return None
        return ServerSentEvent("\n".join(data), event or "message", self._last_id)
