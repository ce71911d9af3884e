"""Print mode: stream one answer to stdout, everything else to stderr, with exit codes.

stdout carries only the answer text; reasoning, tool calls, notices, retries, `--stats` and
errors go to stderr. Exit codes: 0 answered, 1 failed (partial answer kept) or no such
conversation to continue, 2 usage (a file that cannot be attached; a conversation held with a
provider that is not configured: pass `--provider`), 130 interrupted (Ctrl+C), 143 and 129
stopped by SIGTERM and SIGHUP (the answer so far is stored, interrupted). The turn is stored
in the history as it streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from parrotchat.code_output import CodeOutput, write_code
from parrotchat.config import Paths, Settings
from parrotchat.core.attachments import Attachment, AttachmentError, read_attachments
from parrotchat.core.compare import target_name
from parrotchat.core.conversation import Message, Status
from parrotchat.core.error_log import ErrorLog
from parrotchat.core.history import History, NoConversation, Resumed, open_history
from parrotchat.core.session import ChatSession, ProviderMissing, Reply, resumed_settings
from parrotchat.exit_signals import exit_code, interrupted_sentence, on_exit_signals, signal_name
from parrotchat.sanitize import neutralize

__all__ = ["run_print_mode"]

_COUNTDOWN = re.compile(r"retrying (in \d+ s|now)")
"""The part of a retry's notice that counts down."""


def run_print_mode(
    settings: Settings,
    prompt: str,
    *,
    paths: Paths | None,
    stats: bool = False,
    raw: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    resume: int | None = None,
    attach: Sequence[Path] = (),
    extract_code: bool = False,
    keep: bool = True,
    compare: Sequence[tuple[str, str]] = (),
) -> int:
    """Answer `prompt` (plus piped stdin, plus the files in `attach`) and return the exit code.

    Args:
        paths: Where the history and the error log live; None keeps neither.
        resume: The conversation to continue (an id, or `LAST`); None starts a new one.
        attach: Files to attach (`-a`), read relative to the working folder.
        extract_code: Print only the answer's code blocks, once it is complete (`-x`).
        keep: Store the turn in the history (`--no-history`, `print_history = false`: not;
            a conversation to resume is still read from it).
        compare: `(provider, model)` pairs to ask at once (`--compare`): each full answer is
            printed under a one-line header, in this order; exit 0 only if all answered.
    """
    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    for stream in (out, err):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="replace")  # type: ignore[attr-defined]
    piped = "" if stdin is None or stdin.closed or stdin.isatty() else _read_text(stdin)
    text = f"{prompt}\n\n{piped}" if prompt.strip() and piped.strip() else prompt or piped
    printer = _Printer(CodeOutput(out, err) if extract_code else out, err, raw=raw)
    try:
        attachments = read_attachments(attach, Path.cwd(), settings.attachments)
    except AttachmentError as error:
        printer.error(str(error))
        return 2
    if not text.strip() and not attachments:
        print("parrotchat: error: the prompt is empty; give one with -p TEXT", file=err)
        return 2
    try:
        history, resumed = open_history(paths.history if paths else None, resume)
    except NoConversation as error:
        printer.error(str(error))
        return 1  # as `parrotchat export`: a conversation that is not there
    if not keep:
        history.close_now()
        history = History()  # the turn lives in memory only
    history.attach(printer.history_unavailable)
    error_log = ErrorLog(paths.log_dir if paths else None)
    try:
        return asyncio.run(
            _answer(
                settings, text, attachments, printer, history, resumed, error_log, stats, compare
            )
        )
    except KeyboardInterrupt:
        printer.end_answer()
        print("parrotchat: interrupted", file=err, flush=True)
        return 130
    except BrokenPipeError:
        return _quiet_broken_pipe(out)
    except Exception as exc:  # a bug: still one line, never a traceback, in a script's stderr
        printer.end_answer()
        printer.error(error_log.record(exc, "answering in print mode"))
        return 1
    finally:
        history.close_now()


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
    settings: Settings,
    text: str,
    attachments: list[Attachment],
    printer: _Printer,
    history: History,
    resumed: Resumed | None,
    error_log: ErrorLog,
    stats: bool,
    compare: Sequence[tuple[str, str]] = (),
) -> int:
    demo = None
    if resumed is not None:
        await _find_provider(settings, resumed[0].provider)
    # The provider the turn goes to: a resumed conversation's own, unless a flag chose one.
    active = resumed_settings(settings, resumed[0]).active if resumed else settings.active
    if active.is_demo and active.base_url.startswith("builtin:"):
        from parrotchat.demo import DemoServer

        demo = DemoServer()
        await demo.start()
        settings = settings.with_demo_url(demo.base_url)
    session = ChatSession(settings, error_log=error_log, history=history, resumed=resumed)
    new = resumed is None
    if compare or session.comparison:
        # A conversation left with a comparison open carries every column on.
        try:
            if compare and session.comparison:
                printer.error(
                    "This conversation ends in a comparison with no reply chosen; continue "
                    "it without --compare, or choose a reply in the TUI first."
                )
                return 2
            return await _compare(session, text, attachments, printer, compare, stats)
        finally:
            await session.aclose()
            if demo is not None:
                await demo.stop()
    session.attach(_PrintView(printer))
    stop = _ExitSignals(session)
    signals = stop.received
    try:
        try:
            reply = await session.send(text, attachments)
        except ProviderMissing as missing:
            printer.error(missing.sentence("choose one with --provider (and --model)"))
            return 2
        stop.end_started()
        message = await session.wait(reply)
        session.forget_empty_failure(reply, new=new)  # a failure with no output is not kept
        if reply.task is not None and not reply.task.cancelled():
            error = reply.task.exception()
            if error is not None:
                raise error  # the reader left (`| head`), or Ctrl+C: the caller says so
    finally:
        await session.aclose()
        stop.remove()
        if demo is not None:
            await demo.stop()
    if signals:
        with contextlib.suppress(OSError):  # SIGHUP: the terminal may be gone
            printer.end_answer()
            printer.note(f"stopped by {signal_name(signals[0])}")
        return exit_code(signals[0])
    printer.end_answer()
    if message.status is not Status.COMPLETE:
        printer.error(message.error or f"the reply ended {message.status}")
        return 1
    write_code(printer.out, complete=message.notice is None)
    if stats:
        printer.stats(message)
    return 0


class _ExitSignals:
    """SIGTERM or SIGHUP while replies stream: each ends interrupted with all it received, saved
    at once (handlers installed from creation until `remove`)."""

    def __init__(self, session: ChatSession) -> None:
        self.session = session
        self.received: list[int] = []
        """The signals that came, first first."""
        self._remove = on_exit_signals(self._stop)

    def _stop(self, signum: int) -> None:
        self.received.append(signum)
        self.session.end_replies(Status.INTERRUPTED, interrupted_sentence(signum))

    def end_started(self) -> None:
        """End the replies started since a signal that came while the prompt was being stored."""
        if self.received:
            self.session.end_replies(Status.INTERRUPTED, interrupted_sentence(self.received[0]))

    def remove(self) -> None:
        self._remove()


async def _compare(
    session: ChatSession,
    text: str,
    attachments: list[Attachment],
    printer: _Printer,
    targets: Sequence[tuple[str, str]],
    stats: bool,
) -> int:
    """Ask every model in `targets` at once; print each answer in order, under its header."""
    view = _CompareView(printer.raw)
    session.attach(view)
    stop = _ExitSignals(session)
    signals = stop.received
    try:
        try:
            if targets:
                replies = await session.compare(text, targets, attachments)
            else:
                replies = await session.continue_comparison(text, attachments)
        except ProviderMissing as missing:
            printer.error(missing.sentence("check the names given to --compare"))
            return 2
        stop.end_started()
        messages = [await session.wait(reply) for reply in replies]
        for reply in replies:
            if reply.task is not None and not reply.task.cancelled():
                error = reply.task.exception()
                if error is not None:
                    raise error
    finally:
        stop.remove()
    failed = 0
    for reply, message, column in zip(replies, messages, view.printers, strict=True):
        name = target_name(reply.provider, reply.model)
        print(f"==> {neutralize(name)} <==", file=printer.out, flush=True)
        column.end_answer()
        printer.out.write(column.out.getvalue())
        printer.err.write(column.err.getvalue())
        printer.err.flush()
        if message.status is not Status.COMPLETE:
            failed += 1
            printer.error(f"{name}: {message.error or f'the reply ended {message.status}'}")
        elif stats:
            printer.stats(message, name)
        if reply is not replies[-1]:
            printer.out.write("\n")
        printer.out.flush()
    if signals:
        printer.note(f"stopped by {signal_name(signals[0])}")
        return exit_code(signals[0])
    return 1 if failed else 0


async def _find_provider(settings: Settings, provider: str | None) -> None:
    """A resumed conversation's provider that is not configured may be a server found on
    this machine (as the TUI finds them): look for it, once, only then."""
    if not provider or provider in settings.providers or settings.set_by_flag("provider"):
        return
    from parrotchat.api.discovery import discover

    for server in await discover(settings.local_ports()):
        settings.add_found(server)


class _PrintView:
    """The session's view in print mode: every reply is heard by the printer."""

    def __init__(self, printer: _Printer) -> None:
        self.printer = printer

    async def show_message(self, message: Message) -> None:
        """The prompt is not echoed."""

    async def reply_started(self, reply: Reply) -> _Printer:
        return self.printer

    async def message_removed(self, message: Message) -> None:
        """Print mode never retries."""

    async def path_changed(self, removed: list[Message], shown: list[Message]) -> None:
        """Print mode never branches."""

    def reply_ended(self, reply: Reply) -> None:
        """The exit code says how it ended."""


class _CompareView(_PrintView):
    """The session's view when comparing: each reply is kept apart until all have ended."""

    def __init__(self, raw: bool) -> None:
        self.raw = raw
        self.printers: list[_Printer] = []

    async def reply_started(self, reply: Reply) -> _Printer:
        printer = _Printer(io.StringIO(), io.StringIO(), raw=self.raw)
        self.printers.append(printer)
        return printer


class _Printer:
    """Writes each part of the reply where it belongs, neutralising control characters unless
    raw: the answer to stdout, the rest to stderr. A `ReplyListener`."""

    def __init__(self, out: TextIO, err: TextIO, *, raw: bool) -> None:
        self.out = out
        self.err = err
        self.raw = raw
        self._last = "\n"
        self._in_reasoning = False
        self._notice_key: str | None = None

    def on_text(self, text: str) -> None:
        self._end_reasoning()
        shown = text if self.raw else neutralize(text)
        self.out.write(shown)
        self.out.flush()
        if shown:
            self._last = shown[-1]

    def on_reasoning(self, text: str) -> None:
        self.err.write(neutralize(text))
        self.err.flush()
        self._in_reasoning = True

    def on_tool_call(self, call: object) -> None:
        """Tool calls are printed whole, when the reply ends."""

    def on_notice(self, text: str | None) -> None:
        # A retry's countdown changes its notice every second: stderr gets it once.
        key = None if text is None else _COUNTDOWN.sub("", text)
        if text is not None and key != self._notice_key:
            self._end_reasoning()
            self.note(text)
        self._notice_key = key

    def on_end(self, message: Message) -> None:
        self._end_reasoning()
        for call in message.tool_calls:
            self.note(f"tool call: {neutralize(call.name)}({neutralize(call.arguments)})")
        if message.notice:
            self.end_answer()
            self.note(message.notice)

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

    def stats(self, reply: Message, name: str | None = None) -> None:
        parts = []
        if reply.ttft is not None:
            parts.append(f"time to first token {reply.ttft:.2f} s")
        parts.append(f"{reply.tokens} tokens")
        if (rate := reply.tokens_per_second) is not None:
            parts.append(f"{rate:.1f} tokens/s")
        if reply.usage and reply.usage.cost is not None:
            parts.append(f"cost ${reply.usage.cost:.6f}")
        label = f"stats {name}" if name else "stats"
        self.note(f"{label}: " + ", ".join(parts))
