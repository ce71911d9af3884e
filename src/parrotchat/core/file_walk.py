"""The files under a folder, for the `@` picker: walked in batches, filtered fuzzily.

Hidden entries and the usual build and dependency folders are skipped, plus the simple
patterns of a top-level `.gitignore`; the walk stops after `MAX_PATHS` files, so a home
directory cannot keep it busy. Run `walk_files` off the event loop: it does blocking I/O.
"""

from __future__ import annotations

import fnmatch
import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MAX_PATHS", "SKIPPED_DIRS", "Ignore", "best_matches", "walk_files"]

MAX_PATHS = 50_000
"""The most files walked (and offered) under one folder."""
SKIPPED_DIRS = frozenset(
    ("node_modules", "__pycache__", "dist", "build", "venv", "target", "site-packages")
)
"""Folders never walked (besides every hidden one, such as `.git` and `.venv`)."""


@dataclass
class Ignore:
    """A top-level `.gitignore`, cheaply: plain names and globs, no negation (`!`)."""

    names: set[str] = field(default_factory=set)
    """Patterns without `/` or a glob: any file or folder with that name."""
    globs: list[str] = field(default_factory=list)
    """Patterns without `/`, with a glob: matched against each name."""
    paths: list[str] = field(default_factory=list)
    """Patterns with a `/`: matched against the path from the top folder."""

    @classmethod
    def read(cls, root: Path) -> Ignore:
        """The rules of `root/.gitignore` (none if it is missing or unreadable)."""
        ignore = cls()
        try:
            text = (root / ".gitignore").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ignore
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", "!")):
                continue
            line = line.rstrip("/")
            if "/" in line:
                ignore.paths.append(line.lstrip("/"))
            elif any(c in line for c in "*?["):
                ignore.globs.append(line)
            else:
                ignore.names.add(line)
        return ignore

    def skips(self, name: str, relative: str) -> bool:
        """True if the entry `name`, at `relative` from the top, is ignored."""
        if name in self.names:
            return True
        if any(fnmatch.fnmatchcase(name, glob) for glob in self.globs):
            return True
        return any(fnmatch.fnmatchcase(relative, pattern) for pattern in self.paths)


def walk_files(
    root: Path,
    *,
    limit: int = MAX_PATHS,
    batch: int = 500,
    stop: threading.Event | None = None,
) -> Iterator[list[str]]:
    """Batches of file paths under `root`, relative and with `/`, breadth first (the files
    near the top come first). Unreadable folders are passed over; `stop` ends the walk."""
    ignore = Ignore.read(root)
    queue: list[tuple[str, str]] = [(str(root), "")]
    found: list[str] = []
    count = 0
    while queue:
        folder, prefix = queue.pop(0)
        try:
            with os.scandir(folder) as entries:
                listed = sorted(entries, key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in listed:
            name = entry.name
            if name.startswith("."):
                continue
            relative = prefix + name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if (is_dir and name in SKIPPED_DIRS) or ignore.skips(name, relative):
                continue
            if is_dir:
                queue.append((entry.path, relative + "/"))
            elif is_file:
                found.append(relative)
                count += 1
                if count >= limit:
                    yield found
                    return
                if len(found) >= batch:
                    yield found
                    found = []
                    if stop is not None and stop.is_set():
                        return
    if found:
        yield found


def best_matches(query: str, paths: Sequence[str], limit: int = 50) -> list[str]:
    """The paths that hold the query's characters in order (case-insensitive), best first.

    A query found whole in the file's name beats one found whole in the path, which beats one
    spread over it; then shorter paths first. An empty query gives the first `limit` paths.
    """
    query = query.strip().lower()
    if not query:
        return list(paths[:limit])
    spread = re.compile(".*?".join(re.escape(c) for c in query), re.IGNORECASE)
    scored: list[tuple[int, int, str]] = []
    for path in paths:
        if not spread.search(path):
            continue
        lowered = path.lower()
        name = lowered.rsplit("/", 1)[-1]
        if name.startswith(query):
            rank = 0
        elif query in name:
            rank = 1
        elif query in lowered:
            rank = 2
        else:
            rank = 3
        scored.append((rank, len(path), path))
    scored.sort()
    return [path for _rank, _length, path in scored[:limit]]
