"""SIGTERM and SIGHUP (a `kill`, or the terminal closed): save the replies in flight, then exit.

Without a handler Python dies at once on either, and a streaming reply keeps only its last
checkpoint (up to a second of text). The TUI and print mode install one on their event loop
while they run; it ends every reply as interrupted with the text received so far (one queued
save), and the process exits with 128 + the signal's number, as a shell reports a killed job.
SIGKILL cannot be caught: the last checkpoint is what stays.

`remove = on_exit_signals(lambda signum: ...)  # on the running loop; remove() undoes it`
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

__all__ = [
    "EXIT_SIGNALS",
    "exit_code",
    "interrupted_sentence",
    "on_exit_signals",
    "signal_name",
]

EXIT_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGHUP)
"""The signals that ask parrotchat to end (SIGINT is Ctrl+C, handled as a cancel)."""


def exit_code(signum: int) -> int:
    """The exit status after `signum`: 128 + its number (143 for SIGTERM, 129 for SIGHUP)."""
    return 128 + signum


def signal_name(signum: int) -> str:
    """`SIGTERM` for 15."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def interrupted_sentence(signum: int) -> str:
    """The error stored with a reply that a signal ended."""
    return f"parrotchat was stopped ({signal_name(signum)}) before this reply ended."


def on_exit_signals(callback: Callable[[int], None]) -> Callable[[], None]:
    """Call `callback(signum)` on the running loop when SIGTERM or SIGHUP arrives.

    Returns a function that puts the previous handling back. Where handlers cannot be set
    (a thread other than the main one, a platform without them) it does nothing.
    """
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in EXIT_SIGNALS:
        try:
            loop.add_signal_handler(signum, callback, int(signum))
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(signum)

    def remove() -> None:
        for signum in installed:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signum)
        installed.clear()

    return remove
