"""The command line's smallest pieces, shared by `cli` and `history_cli` without importing
either's dependencies: which first words are history commands, and a positive-number type."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

__all__ = ["COMMANDS", "is_history_command", "positive"]

COMMANDS = ("list", "export", "import", "search")
"""The first words of argv that run a history command instead of the chat."""


def is_history_command(argv: Sequence[str]) -> bool:
    """True if `argv` (without the program name) starts with a history command."""
    return bool(argv) and argv[0] in COMMANDS


def positive(what: str) -> Callable[[str], int]:
    """An argparse type: a whole number from 1, else "not WHAT"."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}")
        return value

    return parse
