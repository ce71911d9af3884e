"""Cut a long code fence that is still streaming into chunks of lines, rendered one by one.

Rich highlights a fence whole, so re-rendering a growing fence every frame costs time in
proportion to its length (120 ms a frame at 500 lines). While it streams, its complete lines
are cut into chunks of `CHUNK_LINES`, each rendered once as a fence of its own; only the last
chunk is rendered again per frame. A chunk is lexed from the lexer's first state, so a token
that spans a cut (a multi-line string) may be coloured differently until the fence is final:
a finished fence is always rendered whole, as Rich does.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CHUNK_LINES", "FenceChunks", "split_live_fence"]

CHUNK_LINES = 32
"""Complete lines per chunk of a live fence."""


@dataclass(frozen=True)
class FenceChunks:
    """A live fence cut in pieces: each chunk and the tail are Markdown fences on their own."""

    chunks: list[str]
    """Closed fences of `CHUNK_LINES` lines each (a line or two more to avoid a blank end)."""
    tail: str
    """The open fence holding the lines after the chunks, the partial line included."""


def _fence_run(line: str) -> str | None:
    """The backticks or tildes opening a fence on `line`, if it opens one."""
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3 or stripped[:3] not in ("```", "~~~"):
        return None
    char = stripped[0]
    return stripped[: len(stripped) - len(stripped.lstrip(char))]


def _closes(line: str, run: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(run) and not stripped.strip(run[0])


def split_live_fence(source: str, chunk_lines: int = CHUNK_LINES) -> FenceChunks | None:
    """Cut `source`, one top-level fence still open, into chunks; None if it is short or closed.

    A chunk never ends on a line with trailing spaces or a blank line: Rich strips the end of a
    fence's code, which would drop them from the chunk but not from the whole.
    """
    lines = source.splitlines(keepends=True)
    if not lines:
        return None
    run = _fence_run(lines[0])
    if run is None or (run[0] == "`" and "`" in lines[0].strip()[len(run) :]):
        return None
    body = lines[1:]
    if any(_closes(line, run) for line in body):
        return None
    complete = len(body) if body and body[-1].endswith("\n") else len(body) - 1
    opener, closer = lines[0], run + "\n"
    chunks: list[str] = []
    start = 0
    while complete - start > chunk_lines:
        end = start + chunk_lines
        while end < complete and _unsafe_end(body[end - 1]):
            end += 1
        if end >= complete:
            break
        chunks.append(opener + "".join(body[start:end]) + closer)
        start = end
    if not chunks:
        return None
    return FenceChunks(chunks, opener + "".join(body[start:]))


def _unsafe_end(line: str) -> bool:
    text = line.rstrip("\r\n")
    return not text.strip() or text != text.rstrip()
