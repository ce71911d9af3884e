"""The Chats view: stored conversations, newest first, searchable, the one on screen marked.

Every store call runs on the history's own thread (`core.history.History`), so a slow database never
stalls typing; search is debounced and only the latest query's answer is shown. Titles and
snippets come from the database and are drawn as plain `Content`, never parsed as markup.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.events import DescendantBlur, DescendantFocus
from textual.message import Message
from textual.reactive import var
from textual.strip import Strip
from textual.visual import Visual
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from parrotchat.core.history import HistoryRefused
from parrotchat.core.records import ConversationRecord, SearchHit, make_title
from parrotchat.core.search import split_highlights
from parrotchat.core.session import ChatSession
from parrotchat.sanitize import neutralize, one_line
from parrotchat.ui.dialogs import ConfirmDialog, RenameDialog
from parrotchat.ui.key_names import app_keymap, key_label
from parrotchat.ui.search_pane import SearchListPane

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.css.styles import RulesMap
    from textual.style import Style
    from textual.timer import Timer
    from textual.visual import RenderOptions

__all__ = [
    "MATCH_STYLE",
    "SEARCH_DELAY",
    "ChatEntry",
    "ConversationList",
    "ConversationSidebar",
    "format_when",
    "highlighted",
    "short_title",
]

SEARCH_DELAY = 0.12
"""Seconds of no typing before a search runs: one query per pause, not one per key."""
SNIPPET_LINES = 2
"""The most lines a search hit's snippet takes in the list."""
UNTITLED = "Untitled"
"""Shown for a conversation whose first prompt has not been stored yet."""
MATCH_STYLE = "bold underline $text-accent"
"""How search matches are drawn in titles and snippets."""

_GUTTER = 2
_SPACE = re.compile(r"\s+")


def _inline(text: str) -> str:
    """A piece of a highlighted snippet made safe for one line: controls neutralised,
    whitespace runs to a space; unlike `one_line`, spaces at the ends stay, since the pieces
    are joined back together."""
    return _SPACE.sub(" ", neutralize(text))


def short_title(title: str, length: int = 40) -> str:
    """A title for a notice: one line, at most `length` characters."""
    return make_title(one_line(title), length) or UNTITLED


def highlighted(marked: str, style: str = MATCH_STYLE) -> Content:
    """Text with `HIGHLIGHT_START`/`HIGHLIGHT_END` marks as Content, the matches styled.

    `highlighted("a \\x02b\\x03")  # Content('a b') with 'b' in MATCH_STYLE`
    """
    return Content.assemble(
        *((_inline(piece), style if match else "") for piece, match in split_highlights(marked))
    )


def format_when(timestamp: float, now: float, tz: tzinfo | None = None) -> str:
    """A short, human date for the list: "just now", "5 min ago", "14:32", "yesterday",
    "Tue", "Mar 3" or "2023-03-03".

    Args:
        timestamp: Unix time of the last activity.
        now: Unix time now.
        tz: The time zone to show days and hours in (default: the local one).
    """
    seconds = now - timestamp
    if seconds < 60:
        return "just now"  # also a clock a little ahead, in another process
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    then = datetime.fromtimestamp(timestamp, tz).astimezone(tz)
    today = datetime.fromtimestamp(now, tz).astimezone(tz).date()
    if then.date() == today:
        return f"{then:%H:%M}"
    if then.date() == today - timedelta(days=1):
        return "yesterday"
    if today - then.date() < timedelta(days=7):
        return f"{then:%a}"
    if then.year == today.year:
        return f"{then:%b} {then.day}"
    return f"{then:%Y-%m-%d}"


class ChatEntry(Visual):
    """One conversation in the list: its title on one line (ellipsised), the date and model
    muted below, and a search hit's snippet (at most `SNIPPET_LINES`); a mark in the gutter.
    """

    def __init__(
        self,
        title: Content,
        detail: Content,
        snippet: Content | None = None,
        *,
        current: bool = False,
    ) -> None:
        self.title = title.stylize("bold") if current else title
        self.detail = detail.stylize("$text-muted")
        self.snippet = snippet.stylize_before("$text-muted") if snippet else None
        self.current = current
        spans = snippet.spans if snippet else ()
        self._first_match = min((span.start for span in spans), default=None)
        """Where the snippet's first match starts (its only spans are matches)."""

    def _snippet_lines(self, width: int) -> list[Content]:
        if self.snippet is None:
            return []
        snippet = self.snippet
        lines = snippet.wrap(width)
        shown = sum(len(line.plain) + 1 for line in lines[:SNIPPET_LINES])
        if self._first_match is not None and self._first_match >= shown - 1:
            # The first match would fall below the cut: start the snippet a little before it.
            cut = snippet.plain.rfind(" ", 0, max(0, self._first_match - width // 2)) + 1
            snippet = Content("…") + snippet[cut:]
            lines = snippet.wrap(width)
        if len(lines) > SNIPPET_LINES:
            lines = lines[:SNIPPET_LINES]
            last = lines[-1].rstrip()
            lines[-1] = (last + "…").truncate(width, ellipsis=True)
        return lines

    def _lines(self, width: int) -> list[Content]:
        inner = max(1, width - _GUTTER)
        return [
            self.title.truncate(inner, ellipsis=True),
            self.detail.truncate(inner, ellipsis=True),
            *self._snippet_lines(inner),
        ]

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self._lines(width))

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        inner = width - _GUTTER
        if inner <= 0:
            return []
        rich_style = style.rich_style
        mark = Content.styled("● " if self.current else "  ", "bold $text-accent")
        strips = []
        for index, line in enumerate(self._lines(width)):
            gutter = mark if index == 0 else Content("  ")
            row = gutter + line
            strips.extend(row.render_strips(width, 1, style, options))
        strips = [strip.extend_cell_length(width, rich_style).crop(0, width) for strip in strips]
        return strips if height is None else strips[:height]


class _ChatOption(Option):
    """An option that stands for one stored conversation."""

    def __init__(
        self, conversation_id: int, title: str, entry: ChatEntry, message_id: int | None = None
    ) -> None:
        super().__init__(entry)
        self.conversation_id: int = conversation_id
        self.title: str = title
        """The plain title, for dialogs and notices."""
        self.message_id: int | None = message_id
        """The message a search found (its branch is the one opened)."""


def _note(text: str, style: str = "italic $text-muted") -> Option:
    """A line that is not a conversation (loading, nothing found, history off)."""
    return Option(Content.styled(text, style), disabled=True)


class ConversationList(OptionList):
    """The list of conversations; Up on the first one hands focus back to the search box."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "rename", "Rename", id="rename_conversation"),
        Binding("d,delete", "delete", "Delete", id="delete_conversation"),
    ]

    @dataclass
    class TopReached(Message):
        """Up was pressed on the first conversation."""

    @dataclass
    class Rename(Message):
        """The user asked to rename the highlighted conversation."""

    @dataclass
    class Delete(Message):
        """The user asked to delete the highlighted conversation."""

    def action_cursor_up(self) -> None:
        if self.highlighted is None or self.highlighted == 0:
            self.post_message(self.TopReached())
        else:
            super().action_cursor_up()

    def action_rename(self) -> None:
        self.post_message(self.Rename())

    def action_delete(self) -> None:
        self.post_message(self.Delete())


class ConversationSidebar(SearchListPane):
    """Search box over the stored conversations; Enter or a click opens one (`Opened`).

    `ConversationSidebar(session, id="chats")`
    """

    DEFAULT_CSS = """
    ConversationSidebar {
        width: 100%;
        height: 1fr;
        & > #chat-search {
            width: 100%;
        }
        & > #chat-list {
            height: 1fr;
            max-height: 100%;
            scrollbar-gutter: stable;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "focus_list", "Chats", show=False),
        Binding("escape", "back", "Back", tooltip="Back: the search box, then the prompt"),
    ]

    @dataclass
    class Opened(Message):
        """The user chose a conversation to open (at the branch of `message_id`, a search's
        hit, if any)."""

        conversation_id: int
        message_id: int | None = None

    @dataclass
    class Renamed(Message):
        """A conversation got a new title (already stored)."""

        conversation_id: int
        title: str

    @dataclass
    class Deleted(Message):
        """A conversation went to the trash (already stored; the session can undo it)."""

        conversation_id: int
        title: str
        on_screen: bool
        """It was the conversation on screen: the session started a new one."""

    @dataclass
    class Dismissed(Message):
        """Esc with an empty search box: the user is done with the view."""

    current: var[int | None] = var(None, init=False)
    """The stored conversation on screen, marked in the list."""
    search_text: var[str] = var("", init=False)
    """What the user typed in the search box."""

    def __init__(
        self,
        session: ChatSession,
        *,
        now: Callable[[], float] = time.time,
        tz: tzinfo | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """
        Args:
            session: The chat: its history lists the conversations (every call on the history's
                thread); renames and deletes go through it.
            now: The wall clock, for "5 min ago" (the snapshot tests stop it).
            tz: The time zone dates are shown in (default: the local one).
        """
        super().__init__(name=name, id=id, classes=classes)
        self.session: ChatSession = session
        self.history = session.history
        self.now: Callable[[], float] = now
        self.tz: tzinfo | None = tz
        self._debounce: Timer | None = None
        self._focus_inside = False
        self._follow_current = False
        self._shown_query: str | None = None
        """The query whose answer the list shows; None before the first answer."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Search chats", id="chat-search", select_on_focus=False)
        yield ConversationList(id="chat-list")

    def on_mount(self) -> None:
        self.query_one(ConversationList).set_options([_note("Loading…")])
        self.refresh_list()

    # --- public API -------------------------------------------------------------------------

    def refresh_list(self) -> None:
        """Read the list again (the recent conversations, or the search's hits)."""
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        self._load(self.search_text)

    @property
    def shown_query(self) -> str | None:
        """The search whose answer the list shows ("" for the recent list; None: not yet)."""
        return self._shown_query

    def visible_conversations(self) -> list[tuple[int, str]]:
        """The `(id, title)` of the conversations the list shows now, top to bottom."""
        return [
            (option.conversation_id, option.title)
            for option in self.query_one(ConversationList).options
            if isinstance(option, _ChatOption)
        ]

    def notes(self) -> list[str]:
        """The lines the list shows that are not conversations ("No conversations match.")."""
        return [
            str(option.prompt)
            for option in self.query_one(ConversationList).options
            if not isinstance(option, _ChatOption)
        ]

    def entry(self, conversation_id: int) -> ChatEntry | None:
        """How a listed conversation is drawn (title, detail, snippet)."""
        for option in self.query_one(ConversationList).options:
            if isinstance(option, _ChatOption) and option.conversation_id == conversation_id:
                assert isinstance(option.prompt, ChatEntry)
                return option.prompt
        return None

    def focus_search(self) -> None:
        """Put the cursor in the search box (and read the list again)."""
        self._focus(self.search_box())
        self.refresh_list()

    def rename(self, conversation_id: int, title: str) -> None:
        """Ask for a new title in a dialog, store it, and post `Renamed`."""

        def done(new_title: str | None) -> None:
            if new_title is not None:
                self._store_title(conversation_id, new_title)

        self.app.push_screen(RenameDialog(one_line(title).strip()), done)

    def delete(self, conversation_id: int, title: str) -> None:
        """Ask for confirmation, move the conversation to the trash, and post `Deleted`."""

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self._trash(conversation_id, title)

        question = f"Delete “{one_line(title) or UNTITLED}”?"
        undo = key_label("undo_delete", app_keymap(self.app))
        explain = f"It moves to the trash; {undo} brings it back for a few seconds."
        self.app.push_screen(ConfirmDialog(question, explain, confirm="Delete"), done)

    # --- loading ----------------------------------------------------------------------------

    @work(exclusive=True, group="chat-list", exit_on_error=False)
    async def _load(self, query: str) -> None:
        options: list[Option]
        if not self.history.available:
            options = [_note("History is off: conversations are not being saved.")]
        else:
            try:
                if query.split():
                    hits = await self.history.search(query)
                    options = self._hit_options(hits or [])
                    if not options:
                        options = [_note("No conversations match.")]
                else:
                    records = await self.history.recent()
                    options = self._record_options(records or [])
                    if not options:
                        options = [_note("No conversations yet: your chats will appear here.")]
            except HistoryRefused as error:
                options = [_note(str(error), "$text-warning")]
            if not self.history.available:  # the call itself failed for good
                options = [_note("History is off: conversations are not being saved.")]
        if query != self.search_text:
            return  # typed on since: that query's answer is on its way
        self._show(options)

    def _detail(self, updated: float, model: str | None = None) -> Content:
        when = format_when(updated, self.now(), self.tz)
        return Content(f"{when} · {one_line(model)}" if model else when)

    def _record_options(self, records: Sequence[ConversationRecord]) -> list[Option]:
        options: list[Option] = []
        for record in records:
            title = one_line(record.title) or UNTITLED
            entry = ChatEntry(
                Content(title),
                self._detail(record.updated, record.model),
                current=record.id == self.current,
            )
            options.append(_ChatOption(record.id, title, entry))
        return options

    def _hit_options(self, hits: Sequence[SearchHit]) -> list[Option]:
        options: list[Option] = []
        for hit in hits:
            title = one_line(hit.title) or UNTITLED
            entry = ChatEntry(
                highlighted(hit.title_highlighted) if hit.title else Content(UNTITLED),
                self._detail(hit.updated),
                highlighted(hit.snippet) if hit.snippet else None,
                current=hit.conversation_id == self.current,
            )
            options.append(_ChatOption(hit.conversation_id, title, entry, hit.message_id))
        return options

    def _show(self, options: list[Option]) -> None:
        """Refill the list. The highlight follows the conversation on screen when that changed;
        else the same query keeps the highlighted conversation, and a new one highlights the
        first hit (or, for the recent list, the conversation on screen)."""
        chat_list = self.query_one(ConversationList)
        previous = chat_list.highlighted_option
        wanted: list[int | None] = []
        recent = not self.search_text.split()
        if recent and self._follow_current:
            wanted.append(self.current)
        if self._shown_query == self.search_text and isinstance(previous, _ChatOption):
            wanted.append(previous.conversation_id)
        if recent:
            wanted.append(self.current)
        self._follow_current = False
        chat_list.set_options(options)
        self._shown_query = self.search_text
        ids = [o.conversation_id if isinstance(o, _ChatOption) else None for o in options]
        target = next((ids.index(w) for w in wanted if w is not None and w in ids), None)
        if target is None:
            target = next((index for index, i in enumerate(ids) if i is not None), None)
        chat_list.highlighted = target

    def watch_current(self) -> None:
        self._follow_current = True  # the highlight moves with the conversation on screen
        self.refresh_list()

    # --- changes ----------------------------------------------------------------------------

    @work(group="chat-changes", exit_on_error=False)
    async def _store_title(self, conversation_id: int, title: str) -> None:
        try:
            stored = await self.session.rename(conversation_id, title)
        except HistoryRefused as error:
            self.notify(str(error), severity="warning", markup=False)
        else:
            self.post_message(self.Renamed(conversation_id, stored))
        self.refresh_list()

    @work(group="chat-changes", exit_on_error=False)
    async def _trash(self, conversation_id: int, title: str) -> None:
        try:
            on_screen = await self.session.delete(conversation_id, title)
        except HistoryRefused as error:
            self.notify(str(error), severity="warning", markup=False)
        else:
            self.post_message(self.Deleted(conversation_id, title, on_screen))
        self.refresh_list()

    # --- events and actions -----------------------------------------------------------------

    @on(Input.Changed, "#chat-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        # Read the input, not the event: with keys arriving fast, `event.value` may be stale.
        self.search_text = event.input.value
        if self._debounce is not None:
            self._debounce.stop()
        if self.search_text.split():
            self._debounce = self.set_timer(SEARCH_DELAY, self.refresh_list)
        else:
            self.refresh_list()

    @on(Input.Submitted, "#chat-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        option = self.query_one(ConversationList).highlighted_option
        if isinstance(option, _ChatOption):
            self.post_message(self.Opened(option.conversation_id, option.message_id))

    @on(OptionList.OptionSelected, "#chat-list")
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if isinstance(event.option, _ChatOption):
            self.post_message(self.Opened(event.option.conversation_id, event.option.message_id))

    @on(OptionList.OptionHighlighted, "#chat-list")
    def _option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()

    @on(ConversationList.TopReached)
    def _top_reached(self, event: ConversationList.TopReached) -> None:
        event.stop()
        self._focus(self.search_box())

    @on(ConversationList.Rename)
    def _rename_highlighted(self, event: ConversationList.Rename) -> None:
        event.stop()
        option = self.query_one(ConversationList).highlighted_option
        if isinstance(option, _ChatOption):
            self.rename(option.conversation_id, option.title)

    @on(ConversationList.Delete)
    def _delete_highlighted(self, event: ConversationList.Delete) -> None:
        event.stop()
        option = self.query_one(ConversationList).highlighted_option
        if isinstance(option, _ChatOption):
            self.delete(option.conversation_id, option.title)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        # Coming back to the view (not moving inside it) reads the list again, so
        # conversations another window started show up.
        if not self._focus_inside:
            self._focus_inside = True
            self.refresh_list()

    def on_descendant_blur(self, event: DescendantBlur) -> None:
        self.call_after_refresh(self._check_focus_left)

    def _check_focus_left(self) -> None:
        self._focus_inside = self.has_focus_within

    def search_box(self) -> Input:
        return self.query_one("#chat-search", Input)

    def option_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    def dismiss(self) -> None:
        self.post_message(self.Dismissed())
