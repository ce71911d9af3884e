"""Hostile answers: tiny on the wire or cheap to send, gigabytes if a client holds them whole.

Push a `Flood` like any behaviour (`server.push(Flood("endless_event"))`, or
`server.push_models(Flood("huge_json"))` for `GET /models`). Each kind is one attack a client
must survive with bounded memory:

- `gzip_json`: a non-streamed JSON completion, gzip-compressed ~1000:1, never closed.
- `huge_json`: the same JSON uncompressed (a huge `/models` list of ids).
- `endless_event`: an SSE stream whose answer starts, then one event of endless 1 MiB
  `data:` lines that never ends with a blank line.
- `gzip_stream`: an SSE stream whose answer starts, then a gzip bomb of newlines.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from parrotchat.demo.behaviours import DONE, Plan, chunk, sse

__all__ = ["FLOOD_KINDS", "Flood", "FloodKind", "flood_plan", "gzip_stream"]

FloodKind = Literal["gzip_json", "huge_json", "endless_event", "gzip_stream"]
FLOOD_KINDS: tuple[FloodKind, ...] = ("gzip_json", "huge_json", "endless_event", "gzip_stream")
_BLOCK = 1 << 20
"""Decoded bytes per generated piece."""


@dataclass
class Flood:
    """One hostile answer of `kind` (see the module docstring), `size` decoded bytes long.

    `Flood("gzip_stream", text="Half an ans")  # the answer starts, then the bomb`
    """

    kind: FloodKind
    size: int = 1 << 32
    """Decoded bytes of the flood (4 GiB by default); the server stops when the client leaves."""
    text: str = "The answer so far"
    """The answer text streamed before the flood (stream kinds)."""


def flood_plan(flood: Flood) -> Plan:
    """The plan of a hostile answer: headers, then pieces generated as they are sent."""
    kind = flood.kind
    stream_head = sse(chunk(role="assistant", content="")) + sse(chunk(flood.text))
    if kind == "gzip_json":
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
        prefix = b'{"choices":[{"index":0,"message":{"role":"assistant","content":"'
        source = gzip_stream(prefix, b"A", flood.size)
    elif kind == "huge_json":
        headers = {"content-type": "application/json"}
        source = _repeated(b'{"object":"list","data":[', b'{"id":"parrot-flood"},', flood.size)
    elif kind == "endless_event":
        headers = {"content-type": "text/event-stream"}
        line = b"data: " + b"A" * (_BLOCK - 7) + b"\n"
        source = _repeated(stream_head, line, flood.size)
    else:
        headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
        source = gzip_stream(stream_head, b"\n", flood.size, tail=DONE)
    return Plan(status=200, headers=headers, source=source)


def _repeated(prefix: bytes, filler: bytes, size: int) -> Iterator[bytes]:
    """`prefix`, then `filler` repeated in ~1 MiB pieces up to `size` bytes in all."""
    yield prefix
    piece = filler * max(1, _BLOCK // len(filler))
    for _ in range(max(0, size - len(prefix)) // len(piece)):
        yield piece


def gzip_stream(prefix: bytes, filler: bytes, size: int, tail: bytes = b"") -> Iterator[bytes]:
    """A gzip body that decodes to `prefix`, `filler` repeated to `size` bytes, then `tail`.

    Each 1 MiB block is compressed once and repeated: after a full flush the compressor starts
    afresh, so the same compressed block is valid again. 4 GiB cost ~4 MB on the wire.
    """
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    crc, total = zlib.crc32(prefix), len(prefix)
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # gzip header: deflate, no name, no time
    yield deflate.compress(prefix) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = filler * max(1, _BLOCK // len(filler))
    packed = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    for _ in range(max(0, size - len(prefix)) // len(block)):
        crc, total = zlib.crc32(block, crc), total + len(block)
        yield packed
    crc, total = zlib.crc32(tail, crc), total + len(tail)
    yield deflate.compress(tail) + deflate.flush(zlib.Z_FINISH)
    yield struct.pack("<II", crc & 0xFFFFFFFF, total & 0xFFFFFFFF)
