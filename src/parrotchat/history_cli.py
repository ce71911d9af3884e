"""The history commands: `parrotchat list`, `export`, `import` and `search`.

`parrotchat` dispatches here only when its first argument is one of `COMMANDS`, so a prompt
(`parrotchat -p list`) is never taken for a command. Exit codes: 0 done (an empty history
included), 1 the history or a file could not be read or written, 2 a usage error, 130 Ctrl+C.
Every failure is one line on stderr; commands that only read never create the database.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import BinaryIO, TextIO

from parrotchat.cli_words import COMMANDS, is_history_command, positive
from parrotchat.core.export import (
    InvalidExport,
    conversation_from_json,
    export_text,
)
from parrotchat.core.store import (
    ConversationNotFound,
    Store,
    StoreError,
    StoreMissing,
    StoreNeedsUpgrade,
)
from parrotchat.history_output import (
    BOLD,
    BRACKETS,
    Highlight,
    conversation_table,
    conversations_json,
    one_line,
    search_results,
)
from parrotchat.sanitize import neutralize

__all__ = ["COMMANDS", "build_parser", "is_history_command", "main", "positive"]


EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

NO_HISTORY = "no conversations yet; start one with `parrotchat` or `parrotchat -p PROMPT`"
NOTHING_TO_EXPORT = "there is no conversation to export yet; start one with `parrotchat`"
STDIN_NAME = "standard input"
MAX_IMPORT_BYTES = 32 * 1024 * 1024
"""The largest file `import` reads: a long conversation's export is a few MB."""


class CommandError(Exception):
    """A command failed: `str(error)` is the sentence for stderr, `code` the exit code."""

    def __init__(self, sentence: str, code: int = EXIT_ERROR) -> None:
        super().__init__(sentence)
        self.code: int = code
        """The process exit code."""


@dataclass
class Context:
    """What a command works with: the database, the streams, the time zone."""

    history_path: Path
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    env: Mapping[str, str]
    tz: tzinfo | None = None
    """The time zone for printed times; the local one when None."""
    busy_timeout: float = 5.0
    """Seconds to wait for another process's lock on the database."""

    def open_store(self, *, create: bool) -> Store:
        """The history store; with `create=False` a missing database raises `StoreMissing`."""
        return Store(self.history_path, busy_timeout=self.busy_timeout, create=create)

    def read_store(self) -> Store:
        """The history store opened read-only, so a read-only folder can still be read.

        An older database is opened for writing instead, to bring it up to date. A missing one
        raises `StoreMissing`.
        """
        try:
            return Store(self.history_path, busy_timeout=self.busy_timeout, read_only=True)
        except StoreNeedsUpgrade:
            return self.open_store(create=False)

    def write(self, text: str) -> None:
        """Write `text` to stdout as UTF-8, whatever the locale (exports are UTF-8 files too)."""
        _write_utf8(self.stdout, text)

    def note(self, sentence: str) -> None:
        """A line for the person at the terminal, on stderr (controls made inert)."""
        print(f"parrotchat: {neutralize(sentence)}", file=self.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    """The parser of `parrotchat COMMAND ...` (each command has its own `--help`)."""
    parser = argparse.ArgumentParser(
        prog="parrotchat", description="Work with the saved conversations."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser(
        "list",
        help="list recent conversations",
        description="List the most recently active conversations, newest first.",
    )
    listing.add_argument(
        "-n",
        dest="limit",
        type=positive("a positive number"),
        default=20,
        metavar="N",
        help="how many to list (default: 20)",
    )
    listing.add_argument("--json", action="store_true", help="print a JSON list for scripts")
    listing.set_defaults(run=_list)

    export = commands.add_parser(
        "export",
        help="write a conversation as Markdown or JSON",
        description=(
            "Write a conversation as readable Markdown (with model names and times) or as "
            "complete JSON that `parrotchat import` reads back. Without an ID, the last "
            "conversation is exported."
        ),
    )
    which = export.add_mutually_exclusive_group()
    which.add_argument(
        "id",
        nargs="?",
        type=positive("a conversation id"),
        metavar="ID",
        help="the conversation (ids are in `parrotchat list`)",
    )
    which.add_argument(
        "--last", action="store_true", help="the last active conversation (the default)"
    )
    export.add_argument(
        "--format", choices=("md", "json"), default="md", help="md (default) or json"
    )
    export.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout"
    )
    export.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    export.add_argument(
        "--all-branches",
        action="store_true",
        help="Markdown: after the branch shown, every other branch under a heading "
        "(JSON always holds them all)",
    )
    export.set_defaults(run=_export)

    importing = commands.add_parser(
        "import",
        help="add a conversation from a JSON export",
        description=(
            "Add the conversation in a JSON export (`parrotchat export --format json`) to the "
            "history as a new conversation, and print its id."
        ),
    )
    importing.add_argument("file", metavar="FILE", help="the export to read; - reads stdin")
    importing.set_defaults(run=_import)

    search = commands.add_parser(
        "search",
        help="find conversations by their words",
        description=(
            "Find the conversations whose title or messages contain every word, and show each "
            "with the words marked (bold on a terminal, in [brackets] otherwise)."
        ),
    )
    search.add_argument("query", nargs="+", metavar="WORD", help="the words to look for")
    search.add_argument(
        "-n",
        dest="limit",
        type=positive("a positive number"),
        default=20,
        metavar="N",
        help="show at most N conversations (default: 20)",
    )
    search.set_defaults(run=_search)
    return parser


_SEARCH_OPTIONS = ("-n", "-h", "--help")


def _search_words_last(argv: list[str]) -> list[str]:
    """`search -foo` looks for `-foo`: a search word that starts with `-` (and is not one of
    search's options) is put after `--`, so argparse does not take it for an option."""
    if not argv or argv[0] != "search" or "--" in argv:
        return argv
    options: list[str] = []
    words: list[str] = []
    rest = iter(argv[1:])
    for word in rest:
        if word == "-n":
            options += [word, next(rest, "")]
        elif word in _SEARCH_OPTIONS or (word.startswith("-n") and word[2:].isdigit()):
            options.append(word)
        else:
            words.append(word)
    return ["search", *options, "--", *words] if words else argv


def main(
    argv: Sequence[str],
    *,
    history_path: Path,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    env: Mapping[str, str] | None = None,
    tz: tzinfo | None = None,
    busy_timeout: float = 5.0,
) -> int:
    """Run the history command in `argv` (its first word is one of `COMMANDS`); the exit code.

    `main(["export", "12", "--format", "json"])  # the conversation's JSON on stdout, 0`

    Args:
        history_path: The database (`Paths.history`).
        stdin: Where `import -` reads; stdout, stderr: where output and sentences go.
        env: Read for `NO_COLOR` and `TERM` (bold matches or brackets); `os.environ` when None.
        tz: The time zone of printed times; the local one when None.
        busy_timeout: Seconds to wait for another process's lock before giving up.
    """
    args = build_parser().parse_args(_search_words_last(list(argv)))
    context = Context(
        history_path=history_path,
        stdin=stdin or sys.stdin,
        stdout=stdout or sys.stdout,
        stderr=stderr or sys.stderr,
        env=os.environ if env is None else env,
        tz=tz,
        busy_timeout=busy_timeout,
    )
    run: Callable[[argparse.Namespace, Context], int] = args.run
    try:
        return run(args, context)
    except CommandError as error:
        _error(context, str(error))
        return error.code
    except StoreError as error:
        _error(context, str(error))
        return EXIT_ERROR
    except BrokenPipeError:
        return _quiet_broken_pipe(context.stdout)
    except KeyboardInterrupt:  # an import's transaction has been rolled back by then
        print("parrotchat: interrupted", file=context.stderr, flush=True)
        return EXIT_INTERRUPTED
    except Exception as error:  # a bug: still one line, never a traceback
        _error(context, f"unexpected error ({type(error).__name__}); please report it")
        return EXIT_ERROR


def _error(context: Context, sentence: str) -> None:
    print(f"parrotchat: error: {neutralize(sentence)}", file=context.stderr, flush=True)


# -- list ------------------------------------------------------------------------------------


def _list(args: argparse.Namespace, context: Context) -> int:
    try:
        store = context.read_store()
    except StoreMissing:
        store = None
    if store is None:
        records, counts = [], {}
    else:
        with store:
            records = store.list_conversations(limit=args.limit)
            counts = store.message_counts([record.id for record in records])
    rows = [(record, counts[record.id]) for record in records]
    if args.json:
        context.write(conversations_json(rows))
    elif rows:
        context.write(conversation_table(rows, context.tz))
    if not rows:
        context.note(NO_HISTORY)
    return EXIT_OK


# -- export ----------------------------------------------------------------------------------


def _export(args: argparse.Namespace, context: Context) -> int:
    output: Path | None = args.output
    if output is not None and str(output) == "-":
        output = None
    if output is not None:
        if output.is_dir():
            raise CommandError(f"{output} is a folder; give a file name to -o", EXIT_USAGE)
        if output.exists() and not args.force:
            raise CommandError(f"{output} already exists; add --force to overwrite it", EXIT_USAGE)
    try:
        store = context.read_store()
    except StoreMissing as error:
        raise CommandError(NOTHING_TO_EXPORT) from error
    with store:
        conversation_id = args.id or store.last_conversation_id()
        if conversation_id is None:
            raise CommandError(NOTHING_TO_EXPORT)
        try:
            record, messages, active = store.load_tree(conversation_id)
        except ConversationNotFound as error:
            raise CommandError(
                f"there is no conversation {conversation_id}; `parrotchat list` shows the ids"
            ) from error
    text = export_text(
        record,
        messages,
        "json" if args.format == "json" else "markdown",
        tz=context.tz,
        active=active,
        all_branches=args.all_branches,
    )
    if output is None:
        context.write(text)
    else:
        _write_file(output, text, overwrite=args.force)
        context.note(f"wrote conversation {conversation_id} to {output}")
    return EXIT_OK


def _write_file(path: Path, text: str, *, overwrite: bool) -> None:
    try:
        # "x" refuses a file created since the check above, as the user was promised.
        with path.open("wb" if overwrite else "xb") as file:
            file.write(text.encode("utf-8"))
    except FileExistsError as error:
        raise CommandError(
            f"{path} already exists; add --force to overwrite it", EXIT_USAGE
        ) from error
    except OSError as error:
        raise CommandError(f"cannot write {path} ({error.strerror or error})") from error


# -- import ----------------------------------------------------------------------------------


def _import(args: argparse.Namespace, context: Context) -> int:
    name = STDIN_NAME if args.file == "-" else args.file
    data = _read_json(_read_bytes(args.file, context.stdin, name), name)
    try:
        # Checked before the database is opened: a bad file must not even create it.
        conversation_from_json(data)
    except InvalidExport as error:
        raise CommandError(f"{name}: {error}") from error
    with context.open_store(create=True) as store:
        conversation_id = store.import_json(data)
        record = store.get_conversation(conversation_id)
    context.write(f"{conversation_id}\n")
    title = one_line(record.title) or "an untitled conversation"
    context.note(
        f"imported “{title}” as conversation {conversation_id}; "
        f"reopen it with `parrotchat --resume {conversation_id}`"
    )
    return EXIT_OK


def _read_bytes(file: str, stdin: TextIO, name: str) -> bytes:
    """The file's bytes, at most `MAX_IMPORT_BYTES` (more is one sentence, not memory)."""
    limit = MAX_IMPORT_BYTES + 1
    if file == "-":
        buffer: BinaryIO | None = getattr(stdin, "buffer", None)
        raw = buffer.read(limit) if buffer is not None else stdin.read(limit).encode("utf-8")
    else:
        try:
            with Path(file).open("rb") as source:
                raw = source.read(limit)
        except OSError as error:
            raise CommandError(f"cannot read {file} ({error.strerror or error})") from error
    if len(raw) > MAX_IMPORT_BYTES:
        raise CommandError(
            f"{name} is larger than {MAX_IMPORT_BYTES >> 20} MB, more than a parrotchat export "
            "holds; it was not imported"
        )
    return raw


def _read_json(raw: bytes, name: str) -> object:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CommandError(f"{name} is not UTF-8 text, so not a parrotchat export") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{name} is not valid JSON (line {error.lineno}, column {error.colno}), "
            "so not a parrotchat export"
        ) from error
    except (ValueError, RecursionError) as error:  # absurd numbers or nesting
        raise CommandError(
            f"{name} is not JSON that parrotchat can read (too deeply nested or too large)"
        ) from error


# -- search ----------------------------------------------------------------------------------


def _search(args: argparse.Namespace, context: Context) -> int:
    query = " ".join(args.query)
    if not query.split():
        raise CommandError("the search is empty; give some words to look for", EXIT_USAGE)
    try:
        store = context.read_store()
    except StoreMissing:
        context.note(NO_HISTORY)
        return EXIT_OK
    with store:
        hits = store.search(query, limit=args.limit)
    if not hits:
        context.note(f"no conversation matches “{one_line(query)}”")
        return EXIT_OK
    context.write(search_results(hits, _highlight(context), context.tz))
    return EXIT_OK


def _highlight(context: Context) -> Highlight:
    """Bold on a terminal that takes it; brackets in a pipe or file, or with NO_COLOR."""
    isatty = getattr(context.stdout, "isatty", None)
    terminal = bool(isatty and isatty())
    plain = bool(context.env.get("NO_COLOR")) or context.env.get("TERM") == "dumb"
    return BOLD if terminal and not plain else BRACKETS


# -- output ----------------------------------------------------------------------------------


def _write_utf8(stream: TextIO, text: str) -> None:
    buffer: BinaryIO | None = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(text)
        stream.flush()
        return
    stream.flush()
    buffer.write(text.encode("utf-8", "replace"))
    buffer.flush()


def _quiet_broken_pipe(stream: TextIO) -> int:
    # The reader went away (`| head`): stop quietly, as other Unix tools do, and keep the
    # interpreter's final flush from complaining about the closed pipe.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    return EXIT_OK
