"""The `@` file picker: a filter box over the files under the current folder, fuzzily matched.

The folder is walked on a thread of its own (`core.file_walk`), started as the picker is made,
so the disk is read while the screen mounts; batches are handed to the event loop without
waiting for it: the first files show at once, the rest join the list as they are found, and
typing never waits for the disk. Enter picks the
highlighted file (dismissed with its path, relative to the folder); Esc dismisses with None.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from parrotchat.core.file_walk import MAX_PATHS, PathIndex, walk_files
from parrotchat.sanitize import neutralize

__all__ = ["FilePicker"]

SHOWN = 50
"""The most matches listed at once."""
FIRST_BATCH = 60
"""The first files are handed over as soon as this many are found (then 500 at a time)."""


class FilePicker(ModalScreen[str | None]):
    """Pick a file to attach: type to filter, ↑/↓ to move, Enter attaches, Esc closes.

    `app.push_screen(FilePicker(Path.cwd()), callback)  # callback(path or None)`
    """

    DEFAULT_CSS = """
    FilePicker {
        align: center top;
        background: $background 50%;
        & > Vertical {
            width: 80;
            max-width: 100%;
            height: auto;
            max-height: 80%;
            margin-top: 2;
            padding: 0 1;
            border: round $primary;
            border-title-color: $primary;
            background: $surface;
        }
        Input { margin: 1 0 0 0; }
        OptionList { height: auto; max-height: 20; border: none; padding: 0; }
        .status { color: $text-muted; height: 1; }
    }
    """
    AUTO_FOCUS = "#picker-filter"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="close_picker"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("pageup", "move(-10)", show=False),
    ]

    def __init__(self, root: Path, query: str = "") -> None:
        """
        Args:
            root: The folder whose files are offered (the one parrotchat runs in).
            query: The filter to start with.
        """
        super().__init__()
        self.root: Path = root
        self.paths: PathIndex = PathIndex()
        """The files found so far, relative to `root`."""
        self.walking: bool = True
        """True until the walk has ended (or stopped at `MAX_PATHS`)."""
        self.shown_at: float | None = None
        """`time.monotonic()` when the first files were listed (the benchmark reads it)."""
        self.listed_query: str | None = None
        """The filter the list shows matches for (None before the first listing)."""
        self.listed_at: float | None = None
        """`time.monotonic()` when the list last changed."""
        self._query = query
        self._stop = threading.Event()
        self._ready = False
        """Mounted, with its widgets: batches found before are listed by `on_mount`."""
        self._loop = asyncio.get_running_loop()
        threading.Thread(target=self._walk, name="parrotchat-file-walk", daemon=True).start()

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Attach a file"
            yield Input(self._query, placeholder="Type to filter files", id="picker-filter")
            yield OptionList(id="picker-list")
            yield Static("Looking for files…", classes="status", id="picker-status")

    def on_mount(self) -> None:
        self._ready = True
        self._refilter()

    def on_unmount(self) -> None:
        self._stop.set()

    def _walk(self) -> None:
        """The walk, on its own thread: batches go to the event loop without waiting."""
        try:
            for batch in walk_files(self.root, stop=self._stop, first_batch=FIRST_BATCH):
                if self._stop.is_set():
                    return
                self._loop.call_soon_threadsafe(self._found, batch)
        except (OSError, RuntimeError):  # RuntimeError: the loop closed (the app quit)
            pass
        finally:
            if not self._stop.is_set():
                with contextlib.suppress(RuntimeError):
                    self._loop.call_soon_threadsafe(self._walk_ended)

    def _found(self, batch: list[str]) -> None:
        self.paths.extend(batch)
        if not self._ready or self._stop.is_set():
            return  # on_mount lists what came before it
        # Past a full list the ranking waits for the end of the walk: re-ranking every batch
        # of a 50,000-file tree would cost more than typing can spare.
        matches = self.option_list.option_count
        if matches < SHOWN:
            self._refilter()
        else:
            self._show_status(matches)

    def _walk_ended(self) -> None:
        self.walking = False
        if self._ready and not self._stop.is_set():
            self._refilter()

    @property
    def option_list(self) -> OptionList:
        return self.query_one("#picker-list", OptionList)

    @on(Input.Changed, "#picker-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._query = event.value
        self._refilter()

    def _refilter(self) -> None:
        matches = self.paths.matches(self._query, SHOWN)
        options = self.option_list
        highlighted = options.highlighted
        current = options.get_option_at_index(highlighted).id if highlighted is not None else None
        options.clear_options()
        options.add_options(Option(Content(neutralize(path)), id=path) for path in matches)
        if matches:
            keep = matches.index(current) if current in matches else 0
            options.highlighted = keep
            if self.shown_at is None:
                self.shown_at = time.monotonic()
        self.listed_query = self._query
        self.listed_at = time.monotonic()
        self._show_status(len(matches))

    def _show_status(self, matches: int) -> None:
        found = len(self.paths)
        if found >= MAX_PATHS:
            state = f"the first {MAX_PATHS:,} files"
        elif self.walking:
            state = f"{found:,} files so far…"
        else:
            state = f"{found:,} files"
        shown = "no match" if matches == 0 else f"{matches}{'+' if matches >= SHOWN else ''} shown"
        self.query_one("#picker-status", Static).update(
            Content(f"{shown} of {state} · Enter attaches · Esc closes")
        )

    def action_move(self, step: int) -> None:
        options = self.option_list
        if options.option_count == 0:
            return
        current = options.highlighted or 0
        options.highlighted = max(0, min(options.option_count - 1, current + step))

    @on(Input.Submitted, "#picker-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._pick()

    @on(OptionList.OptionSelected, "#picker-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick()

    def _pick(self) -> None:
        options = self.option_list
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        self._stop.set()
        self.dismiss(option.id)

    def action_close(self) -> None:
        self._stop.set()
        self.dismiss(None)
