"""SIGTERM and SIGHUP (the terminal closed) save the reply's last text, marked interrupted.

Print mode and the TUI run as real processes (the TUI in a pseudo-terminal) against the demo
server, which streams 20 tokens a second; the test sends the signal mid-reply and reads the
history afterwards. At 20 tokens a second, "at most 2 tokens lost" means the last text was
saved within about 100 ms of the signal (a kill -9 loses up to the last second).
"""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable

import pytest
from cli_helpers import spawn, with_server
from test_print_history import history_path, read_until

from parrotchat.core.conversation import Message, Status
from parrotchat.core.store import Store
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import Parrot

PACE = 20.0
"""Tokens a second, as in the issue's measurement."""
SIGNALS = [signal.SIGTERM, signal.SIGHUP]


def numbered(count: int) -> str:
    """An answer of `count` tokens (`w0 w1 ...`): a stored prefix shows how many arrived."""
    return "".join(f"w{n} " for n in range(count))


def tokens_in(text: str) -> int:
    return text.count("w")


def last_reply(env: dict[str, str]) -> Message:
    with Store(history_path(env)) as store:  # read as left: nothing recovered here
        _record, messages = store.load_conversation(store.last_conversation_id() or 0)
    return messages[-1]


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_print_mode_saves_what_it_printed_and_exits_128_plus_the_signal(
    demo_server: DemoServer, clean_env: dict[str, str], signum: int
) -> None:
    env = with_server(clean_env, demo_server)
    demo_server.push(Parrot(text=numbered(400), tokens_per_second=PACE))
    proc = spawn("-p", "tell me a long story", env=env)
    assert proc.stdout is not None
    # Past the first checkpoint, and between two: a kill -9 now would lose up to a second.
    chunks = read_until(
        proc.stdout.fileno(), lambda c: tokens_in(b"".join(d for _, d in c).decode()) >= 30
    )
    proc.send_signal(signum)
    rest, err = proc.communicate(timeout=10)
    assert proc.returncode == 128 + signum
    printed = (b"".join(data for _, data in chunks) + rest).decode()
    reply = last_reply(env)
    assert reply.status is Status.INTERRUPTED
    assert reply.error is not None and signal.Signals(signum).name in reply.error
    assert printed.startswith(reply.content)
    assert tokens_in(printed) - tokens_in(reply.content) <= 2
    assert err.decode().strip().splitlines()[-1].startswith("parrotchat: ")


class Terminal:
    """`python -m parrotchat` in a pseudo-terminal of 120x36; its output drained by a thread."""

    def __init__(self, env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
        self.master = master
        self.output = bytearray()
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "parrotchat"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**env, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "36"},
            start_new_session=True,
        )
        os.close(slave)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the child closed its side
                return
            if not data:
                return
            with self._lock:
                self.output += data

    def shown(self, text: str) -> bool:
        with self._lock:
            return text.encode() in self.output

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        os.close(self.master)


def wait_for(condition: Callable[[], object], timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_the_tui_saves_the_reply_interrupted_and_exits_128_plus_the_signal(
    demo_server: DemoServer, clean_env: dict[str, str], signum: int
) -> None:
    env = with_server(clean_env, demo_server)
    demo_server.push(Parrot(text=numbered(400), tokens_per_second=PACE))
    terminal = Terminal(env)
    try:
        wait_for(lambda: terminal.shown("Ask anything"), what="the prompt")
        terminal.type("tell me a long story\r")
        wait_for(lambda: demo_server.chat_requests, what="the chat request")
        (request,) = demo_server.chat_requests

        def checkpointed() -> bool:
            try:
                return tokens_in(last_reply(env).content) >= 10
            except Exception:  # the conversation is not stored yet
                return False

        wait_for(checkpointed, what="a checkpoint")
        signalled_at = time.monotonic()
        terminal.proc.send_signal(signum)
        assert terminal.proc.wait(timeout=10) == 128 + signum
    finally:
        terminal.close()
    reply = last_reply(env)
    assert reply.status is Status.INTERRUPTED
    assert reply.error is not None and signal.Signals(signum).name in reply.error
    # The server had sent at most this many tokens when the signal came (it starts pacing just
    # after it read the request); everything but the last two must be saved.
    sent = int((signalled_at - request.received_at) * PACE) + 1
    assert tokens_in(reply.content) >= sent - 2, (sent, tokens_in(reply.content))
    assert numbered(400).startswith(reply.content)
