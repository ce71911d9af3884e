"""Esc within milliseconds, and keys that start with the Esc byte still whole when split.

Textual's real XTerm parser is fed the bytes as a slow link delivers them, one read at a time;
`read_input` (the app's input loop) reads them from a real pipe in its own thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest
from textual import constants, events
from textual._xterm_parser import XTermParser
from textual.app import App
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

from parrotchat.ui.quick_escape import POLL_SECONDS, quicken_escape, read_input, set_escape_delay


@pytest.fixture(autouse=True)
def keep_textual_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """`set_escape_delay` changes a process-wide value: put Textual's back after each test."""
    monkeypatch.setattr(constants, "ESCAPE_DELAY", constants.ESCAPE_DELAY)


def keys(messages: Iterator[Message] | list[Message]) -> list[str]:
    return [message.key for message in messages if isinstance(message, events.Key)]


def feed_reads(parser: XTermParser, *reads: str) -> list[str]:
    """Feed `reads` one at a time, as separate reads from the terminal; the keys they made."""
    made: list[str] = []
    for data in reads:
        made += keys(parser.feed(data))
        made += keys(parser.tick())  # the input loop ticks after every read
    return made


def tick_until_key(parser: XTermParser, timeout: float = 5.0) -> tuple[list[str], float]:
    """Tick the parser until it makes a key; the keys and when they came (`time.monotonic`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if made := keys(parser.tick()):
            return made, time.monotonic()
    raise TimeoutError("the parser made no key")


@pytest.mark.parametrize(
    ("reads", "expected"),
    [
        (["\x1b", "[A"], ["up"]),
        (["\x1b", "[", "1;3A"], ["alt+up"]),
        (["\x1b", "[15", "~"], ["f5"]),
        (["\x1b", "O", "P"], ["f1"]),
        (["\x1b", "b"], ["ctrl+left"]),  # Alt+B: Textual's word-left, as when it comes whole
        (["\x1b[2", "7u"], ["escape"]),  # the kitty protocol's Esc, split
    ],
)
def test_a_sequence_split_across_reads_within_the_delay_is_one_key(
    reads: list[str], expected: list[str]
) -> None:
    set_escape_delay(25)
    whole = XTermParser()
    assert feed_reads(whole, "".join(reads)) == expected
    assert feed_reads(XTermParser(), *reads) == expected


def test_the_rest_of_a_sequence_arriving_later_but_within_the_delay_still_makes_one_key() -> None:
    set_escape_delay(500)
    parser = XTermParser()
    sent = time.monotonic()
    assert feed_reads(parser, "\x1b") == []
    while time.monotonic() < sent + 0.02:  # 20 ms pass, as on a slow link
        assert keys(parser.tick()) == []
    assert feed_reads(parser, "[A") == ["up"]
    assert feed_reads(parser, "\x1b", "x") == []  # Alt+X: waits for the delay, then is one key
    assert tick_until_key(parser)[0] == ["alt+x"]


def test_a_lone_escape_is_escape_once_the_delay_has_passed() -> None:
    set_escape_delay(25)
    parser = XTermParser()
    sent = time.monotonic()
    assert feed_reads(parser, "\x1b") == []
    made, at = tick_until_key(parser)
    assert made == ["escape"]
    assert at - sent >= 0.025


def test_the_kitty_protocols_escape_needs_no_wait() -> None:
    set_escape_delay(1000)
    assert keys(XTermParser().feed("\x1b[27u")) == ["escape"]


def run_input(
    fileno: int,
) -> tuple[threading.Thread, threading.Event, list[Message], threading.Event]:
    """`read_input` on `fileno` in a thread; the thread, its stop, what it delivered, a signal."""
    stop, delivered, arrived = threading.Event(), [], threading.Event()

    def deliver(message: Message) -> None:
        delivered.append(message)
        arrived.set()

    thread = threading.Thread(target=read_input, args=(fileno, XTermParser(), deliver, stop))
    thread.start()
    return thread, stop, delivered, arrived


def test_the_input_loop_delivers_a_lone_escape_at_the_delay_not_at_its_next_poll() -> None:
    set_escape_delay(10)
    reader, writer = os.pipe()
    thread, stop, delivered, arrived = run_input(reader)
    try:
        os.write(writer, b"a")  # the loop is reading
        assert arrived.wait(5)
        assert keys(delivered) == ["a"]
        arrived.clear()
        sent = time.monotonic()
        os.write(writer, b"\x1b")
        assert arrived.wait(5)
        waited = time.monotonic() - sent
        assert keys(delivered) == ["a", "escape"]
        # Textual's own loop notices the deadline at its next 100 ms poll at the earliest.
        assert 0.010 <= waited < POLL_SECONDS * 0.9
    finally:
        stop.set()
        thread.join(5)
        os.close(writer)
        os.close(reader)
    assert not thread.is_alive()


def test_the_input_loop_keeps_arrows_and_function_keys_whole() -> None:
    set_escape_delay(25)
    reader, writer = os.pipe()
    thread, stop, delivered, arrived = run_input(reader)
    try:
        os.write(writer, b"\x1b[A\x1b[15~\x1bOPz")
        while len(keys(delivered)) < 4:
            assert arrived.wait(5)
            arrived.clear()
        assert keys(delivered) == ["up", "f5", "f1", "z"]
    finally:
        stop.set()
        thread.join(5)
        os.close(writer)
        os.close(reader)


def test_the_input_loop_reads_esc_cr_as_alt_enter_not_enter() -> None:
    set_escape_delay(25)
    reader, writer = os.pipe()
    thread, stop, delivered, arrived = run_input(reader)
    try:
        os.write(writer, b"a\x1b\rb")  # tmux send-keys a M-Enter b
        while len(keys(delivered)) < 3:
            assert arrived.wait(5)
            arrived.clear()
        assert keys(delivered) == ["a", "alt+enter", "b"]
    finally:
        stop.set()
        thread.join(5)
        os.close(writer)
        os.close(reader)


def test_quicken_escape_sets_the_delay_and_the_input_loop_of_textuals_terminal_driver() -> None:
    app: App[object] = App()
    assert app.driver_class is LinuxDriver
    quicken_escape(app, 25)
    assert constants.ESCAPE_DELAY == 0.025
    assert issubclass(app.driver_class, LinuxDriver) and app.driver_class is not LinuxDriver
    assert app.driver_class.run_input_thread is not LinuxDriver.run_input_thread

    chosen: App[object] = App(driver_class=type("OtherDriver", (LinuxDriver,), {}))
    quicken_escape(chosen, 40)
    assert chosen.driver_class.__name__ == "OtherDriver"  # a driver someone chose stays
