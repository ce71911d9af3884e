"""Print mode: stream one answer to stdout, everything else to stderr, with exit codes.

stdout carries only the answer text; reasoning, tool calls, notices, retries, `--stats` and
errors go to stderr. Exit codes: 0 answered, 1 failed (partial answer kept), 130 interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from typing import TextIO

from parrotchat.api import (
    APIError,
    ChatClient,
    Finished,
    ReasoningDelta,
    Retrying,
    TextDelta,
    ToolCallDelta,
)
from parrotchat.config import Settings
from parrotchat.core.conversation import Conversation, Message, Role
from parrotchat.sanitize import neutralize

__all__ = ["run_print_mode"]


def run_print_mode(
    settings: Settings,
    prompt: str,
    *,
    stats: bool = False,
    raw: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Answer `prompt` (plus piped stdin) and return the exit code."""
    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    for stream in (out, err):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="replace")  # type: ignore[attr-defined]
    piped = "" if stdin is None or stdin.closed or stdin.isatty() else _read_text(stdin)
    text = f"{prompt}\n\n{piped}" if prompt.strip() and piped.strip() else prompt or piped
    if not text.strip():
        print("parrotchat: error: the prompt is empty; give one with -p TEXT", file=err)
        return 2
    printer = _Printer(out, err, raw=raw)
    try:
        return asyncio.run(_answer(settings, text, printer, stats=stats))
    except KeyboardInterrupt:
        printer.end_answer()
        print("parrotchat: interrupted", file=err, flush=True)
        return 130
    except BrokenPipeError:
        return _quiet_broken_pipe(out)
    except Exception as exc:  # a bug: still one line, never a traceback, in a script's stderr
        printer.end_answer()
        printer.error(f"unexpected error ({type(exc).__name__}); please report it")
        return 1


def _quiet_broken_pipe(out: TextIO) -> int:
    # The reader went away (`| head`): stop quietly, as other Unix tools do, and keep the
    # interpreter's final flush from complaining about the closed pipe.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
    return 0


def _read_text(stream: TextIO) -> str:
    """All of a piped stdin; bytes that are not UTF-8 become U+FFFD rather than an error."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        return stream.read()
    return buffer.read().decode("utf-8", "replace")


async def _answer(settings: Settings, text: str, printer: _Printer, *, stats: bool) -> int:
    demo = None
    if settings.active.is_demo and settings.active.base_url.startswith("builtin:"):
        from parrotchat.demo import DemoServer

        demo = DemoServer()
        await demo.start()
        settings = settings.with_demo_url(demo.base_url)
    conversation = Conversation(system_prompt=settings.system_prompt)
    conversation.add(Message(Role.USER, text))
    reply = Message(Role.ASSISTANT, model=settings.model, provider=settings.provider)
    started = time.monotonic()
    try:
        async with ChatClient(settings.endpoint()) as client:
            events = client.stream_chat(
                settings.model,
                conversation.request_messages(),
                temperature=settings.temperature,
                max_tokens=settings.max_tokens,
            )
            async with contextlib.aclosing(events):
                async for event in events:
                    if reply.ttft is None and isinstance(
                        event, TextDelta | ReasoningDelta | ToolCallDelta
                    ):
                        reply.ttft = time.monotonic() - started
                    printer.show(event, reply)
    except APIError as exc:
        printer.end_answer()
        printer.error(exc.message)
        return 1
    finally:
        if demo is not None:
            await demo.stop()
    reply.duration = time.monotonic() - started
    printer.end_answer()
    if stats:
        printer.stats(reply)
    return 0


class _Printer:
    """Writes each event where it belongs, neutralising control characters unless raw."""

    def __init__(self, out: TextIO, err: TextIO, *, raw: bool) -> None:
        self.out = out
        self.err = err
        self.raw = raw
        self._last = "\n"
        self._in_reasoning = False

    def show(self, event: object, reply: Message) -> None:
        if isinstance(event, TextDelta):
            self._end_reasoning()
            text = event.text if self.raw else neutralize(event.text)
            reply.content += event.text
            reply.tokens += 1
            self.out.write(text)
            self.out.flush()
            if text:
                self._last = text[-1]
        elif isinstance(event, ReasoningDelta):
            reply.reasoning += event.text
            self.err.write(neutralize(event.text))
            self.err.flush()
            self._in_reasoning = True
        elif isinstance(event, Retrying):
            self.note(f"retrying in {event.delay:.1f} s ({event.attempt}/2): {event.reason}")
        elif isinstance(event, Finished):
            self._end_reasoning()
            self._finished(event, reply)

    def _finished(self, event: Finished, reply: Message) -> None:
        reply.usage = event.usage
        if event.usage and event.usage.completion_tokens:
            reply.tokens = event.usage.completion_tokens
        for call in event.tool_calls:
            self.note(f"tool call: {neutralize(call.name)}({neutralize(call.arguments)})")
        if event.notice:
            self.end_answer()
            self.note(event.notice)

    def _end_reasoning(self) -> None:
        if self._in_reasoning:
            self.err.write("\n")
            self._in_reasoning = False

    def end_answer(self) -> None:
        """Finish the answer's last line, so the shell prompt starts on a line of its own."""
        self._end_reasoning()
        if self._last != "\n":
            self.out.write("\n")
            self._last = "\n"
        with contextlib.suppress(ValueError):
            self.out.flush()

    def note(self, text: str) -> None:
        print(f"parrotchat: {neutralize(text)}", file=self.err, flush=True)

    def error(self, text: str) -> None:
        print(f"parrotchat: error: {neutralize(text)}", file=self.err, flush=True)

    def stats(self, reply: Message) -> None:
        parts = []
        if reply.ttft is not None:
            parts.append(f"time to first token {reply.ttft:.2f} s")
        parts.append(f"{reply.tokens} tokens")
        if (rate := reply.tokens_per_second) is not None:
            parts.append(f"{rate:.1f} tokens/s")
        if reply.usage and reply.usage.cost is not None:
            parts.append(f"cost ${reply.usage.cost:.6f}")
        self.note("stats: " + ", ".join(parts))
