"""Reading `config.toml`: decoding, parsing, and errors that name the file and line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from parrotchat.config.errors import ConfigError
from parrotchat.config.schema import _FILE_SCHEMA, _check_providers, _check_table, _Invalid

__all__ = ["_parse", "_read_file"]


_TABLE_LINE = re.compile(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY_LINE = re.compile(
    r"""\s*((?:[\w-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[\w-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_KEY_PART = re.compile(r"""[\w-]+|"([^"]*)"|'([^']*)'""")


def _split_key(text: str) -> tuple[str, ...]:
    parts = []
    for match in _KEY_PART.finditer(text):
        quoted = match[1] if match[1] is not None else match[2]
        parts.append(quoted if quoted is not None else match[0])
    return tuple(parts)


def _find_line(text: str, keypath: tuple[str, ...]) -> int | None:
    """The line that defines `keypath`, or else the nearest enclosing table or key."""
    table: tuple[str, ...] = ()
    best, best_len = None, 0
    in_multiline = False
    for number, line in enumerate(text.splitlines(), 1):
        starts_in_multiline = in_multiline
        in_multiline ^= (line.count('"""') + line.count("'''")) % 2 == 1
        if starts_in_multiline:
            continue
        if match := _TABLE_LINE.match(line):
            table = here = _split_key(match[1])
        elif match := _KEY_LINE.match(line):
            here = (*table, *_split_key(match[1]))
        else:
            continue
        if here == keypath:
            return number
        if len(here) > best_len and keypath[: len(here)] == here:
            best, best_len = number, len(here)
    return best


def _file_error(path: Path, line: int | None, problem: str) -> ConfigError:
    where = f"{path}, line {line}" if line else str(path)
    return ConfigError(f"{where}: {problem}")


def _read_file(path: Path) -> str | None:
    """The file's text, or None if there is no file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _file_error(path, None, f"cannot read the file ({error.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _file_error(path, line, "the file is not UTF-8 text") from None


def _parse(path: Path, text: str) -> dict[str, Any]:
    """The checked contents of the file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if match:
            detail = f"{message[: match.start()]} (column {match[2]})"
            raise _file_error(path, int(match[1]), f"TOML syntax error: {detail}") from None
        detail = message.replace("(at end of document)", "at the end of the file")
        raise _file_error(path, None, f"TOML syntax error: {detail}") from None
    try:
        _check_table(data, _FILE_SCHEMA, ())
        _check_providers(data)
    except _Invalid as invalid:
        raise _file_error(path, _find_line(text, invalid.keypath), invalid.problem) from None
    return data
