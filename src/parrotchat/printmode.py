"""Print mode: stream one answer to stdout, everything else to stderr, with exit codes.

stdout carries only the answer text; reasoning, tool calls, notices, retries, `--stats` and
errors go to stderr. Exit codes: 0 answered, 1 failed (partial answer kept), 2 usage (an
unknown conversation), 130 interrupted. The turn is stored in the history as it streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path
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
from parrotchat.api.errors import StreamInterrupted
from parrotchat.code_output import CodeOutput, write_code
from parrotchat.config import Settings
from parrotchat.core.conversation import Conversation, Message, Role, Status
from parrotchat.core.history import History, NoConversation, StoredReply, resumed_settings
from parrotchat.core.store import Store
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
    history_path: Path | None = None,
    resume: int | None = None,
    extract_code: bool = False,
) -> int:
    """Answer `prompt` (plus piped stdin) and return the exit code.

    Args:
        history_path: The history database; None keeps no history.
        resume: The conversation to continue (an id, or `LAST`); None starts a new one.
        extract_code: Print only the answer's code blocks, once it is complete (`-x`).
    """
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
    printer = _Printer(CodeOutput(out, err) if extract_code else out, err, raw=raw)
    history = History.open(history_path, printer.history_unavailable)
    try:
        settings, turn = _start_turn(settings, history, resume)
    except NoConversation as error:
        history.close()
        printer.error(str(error))
        return 2
    try:
        return asyncio.run(_answer(settings, text, printer, turn, stats))
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
    finally:
        history.close()


def _start_turn(settings: Settings, history: History, resume: int | None) -> tuple[Settings, _Turn]:
    """Recover replies a killed parrotchat left streaming; load the conversation to continue.

    Raises:
        NoConversation: `resume` names a conversation that is not there.
    """
    history.call(Store.recover_interrupted)
    loaded = history.load(resume) if resume is not None else None
    if loaded is None:
        return settings, _Turn(history, Conversation(settings.system_prompt), None)
    record, messages = loaded
    settings, conversation = resumed_settings(settings, record)
    conversation.messages = messages
    return settings, _Turn(history, conversation, record.id)


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


async def _answer(
    settings: Settings, text: str, printer: _Printer, turn: _Turn, stats: bool
) -> int:
    demo = None
    if settings.active.is_demo and settings.active.base_url.startswith("builtin:"):
        from parrotchat.demo import DemoServer

        demo = DemoServer()
        await demo.start()
        settings = settings.with_demo_url(demo.base_url)
    conversation = turn.conversation
    user = conversation.add(Message(Role.USER, text))
    reply = Message(
        Role.ASSISTANT, model=settings.model, provider=settings.provider, status=Status.STREAMING
    )
    turn.begin(settings, user, reply)
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
                    turn.reply.checkpoint(reply)
        reply.status = Status.COMPLETE
    except (asyncio.CancelledError, BrokenPipeError):  # Ctrl+C, or the reader left (`| head`)
        reply.status = Status.CANCELLED
        raise
    except APIError as exc:
        reply.status = Status.INTERRUPTED if isinstance(exc, StreamInterrupted) else Status.ERROR
        reply.error = exc.message
        printer.end_answer()
        printer.error(exc.message)
        return 1
    except BaseException as exc:
        reply.status = Status.ERROR
        reply.error = f"unexpected error ({type(exc).__name__})"
        raise
    finally:
        reply.duration = time.monotonic() - started
        turn.reply.finish(reply)
        if demo is not None:
            await demo.stop()
    printer.end_answer()
    write_code(printer.out, complete=reply.notice is None)
    if stats:
        printer.stats(reply)
    return 0


class _Turn:
    """One prompt and its reply on their way into the history (a no-op without history)."""

    def __init__(
        self, history: History, conversation: Conversation, conversation_id: int | None
    ) -> None:
        self.history: History = history
        self.conversation: Conversation = conversation
        """The history sent with the prompt (empty unless a conversation is resumed)."""
        self.conversation_id: int | None = conversation_id
        self.reply: StoredReply = StoredReply(history.call, None)
        """The streaming reply in the history (a no-op without history)."""

    def begin(self, settings: Settings, user: Message, reply: Message) -> None:
        """Store the prompt and the empty streaming reply, before the request goes out."""
        history = self.history
        if self.conversation_id is None:
            self.conversation_id = history.call(
                Store.create_conversation,
                system_prompt=settings.system_prompt,
                model=settings.model,
                provider=settings.provider,
            )
        if self.conversation_id is None:
            return
        history.call(Store.add_message, self.conversation_id, user)
        reply_id = history.call(Store.add_message, self.conversation_id, reply)
        self.reply = StoredReply(history.call, reply_id)


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
        reply.notice = event.notice
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

    def history_unavailable(self, reason: str) -> None:
        """Say once that this answer is not being kept, and why."""
        print(f"parrotchat: warning: history unavailable: {reason}", file=self.err, flush=True)

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
