"""Esc answered within milliseconds: the Escape delay set low, and an input loop that keeps it.

A terminal sends Esc as the byte ESC, which also starts every escape sequence (arrows, function
keys, Alt+key). Textual's parser waits `ESCAPE_DELAY` (100 ms, or `ESCDELAY`) for the rest of a
sequence before it calls a lone ESC the Esc key, and its input thread checks that deadline only
when `select` returns, which without input is after 100 ms: a lone Esc waits 100 ms whatever the
delay. Here:

- `set_escape_delay` sets the delay the parser waits (it reads it at each ESC);
- `read_input` is Textual's input loop (`LinuxDriver.run_input_thread`) with two changes:
  `select` waits no longer than the parser's pending deadline, so a lone Esc is delivered the
  delay after it arrived; and Alt+Enter sent as ESC CR is read as `alt+enter`, not Enter;
- `quicken_escape` puts both into an app before it runs (Linux and macOS; elsewhere only the
  delay changes).

Terminals that speak the kitty keyboard protocol (Textual asks for it at start) send Esc as the
whole sequence `CSI 27 u`, with no wait at all. Over a slow link a sequence split across reads
still makes one key as long as its rest arrives within the delay (`escape_delay_ms`).

Uses Textual internals (`textual.constants.ESCAPE_DELAY`, `textual._xterm_parser.XTermParser`,
the parser's `_timeout_time`, `LinuxDriver.run_input_thread`): see the bounds in pyproject.toml.
"""

from __future__ import annotations

import os
import selectors
import sys
from codecs import getincrementaldecoder
from collections.abc import Callable
from threading import Event
from typing import TYPE_CHECKING

from textual import constants
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App

__all__ = ["POLL_SECONDS", "quicken_escape", "read_input", "set_escape_delay"]

POLL_SECONDS = 0.1
"""How long `read_input` waits for input when no escape sequence is pending (Textual's poll):
how soon it notices it should stop."""


ALT_ENTER = "\x1b\r"
"""What most terminals (xterm, tmux, VTE) send for Alt+Enter: ESC then CR. Textual's parser
reads it as a plain Enter, which sends the prompt."""
KITTY_ALT_ENTER = "\x1b[13;3u"
"""Alt+Enter as the kitty keyboard protocol sends it, which Textual reads as `alt+enter`."""


def set_escape_delay(milliseconds: int) -> None:
    """Make Textual wait `milliseconds` for the rest of an escape sequence before Esc."""
    constants.ESCAPE_DELAY = milliseconds / 1000  # type: ignore[misc]  # Final in Textual


def _wait(parser: XTermParser) -> float:
    """How long `select` may wait: until the parser's pending deadline, if one is set."""
    deadline: float | None = parser._timeout_time
    if deadline is None:
        return POLL_SECONDS
    return min(POLL_SECONDS, max(0.0, deadline - get_time()))


def read_input(
    fileno: int, parser: XTermParser, deliver: Callable[[Message], None], stop: Event
) -> None:
    """Read the terminal at `fileno` until `stop` is set; `deliver` each event `parser` makes.

    Textual's `LinuxDriver.run_input_thread`, but `select` wakes up at the parser's deadline.
    """
    decode = getincrementaldecoder("utf-8")().decode
    selector = selectors.SelectSelector()  # as Textual: kqueue cannot watch a tty on macOS
    selector.register(fileno, selectors.EVENT_READ)

    def step(timeout: float, final: bool = False) -> None:
        if selector.select(timeout):
            data = decode(os.read(fileno, 4096), final=final).replace(ALT_ENTER, KITTY_ALT_ENTER)
            for event in parser.feed(data) if data else ():
                deliver(event)
        for event in parser.tick():
            deliver(event)

    try:
        while not stop.is_set():
            step(_wait(parser))
        selector.unregister(fileno)  # as Textual: input typed from now on is left to the shell
        step(POLL_SECONDS, final=True)
    finally:
        selector.close()
        try:
            for _event in parser.feed(""):
                pass
        except (EOFError, ParseError):
            pass


def quicken_escape(app: App[object], delay_ms: int) -> None:
    """Make `app` answer a lone Esc `delay_ms` after it arrives; call before `app.run()`."""
    set_escape_delay(delay_ms)
    if sys.platform == "win32":
        return
    from textual.drivers.linux_driver import LinuxDriver

    if app.driver_class is not LinuxDriver:  # a driver chosen with TEXTUAL_DRIVER stays
        return

    class QuickEscapeDriver(LinuxDriver):
        """Textual's Linux and macOS driver, reading input with `read_input`."""

        def run_input_thread(self) -> None:
            parser = XTermParser(self._debug)
            read_input(self.fileno, parser, self.process_message, self.exit_event)

    app.driver_class = QuickEscapeDriver
