"""The parrotchat Textual app, and `make_app`, the factory the CLI, tests and screenshots share.

The app is the chat screen's wiring: it lays out the widgets, maps keys to the `ChatSession`
(`core.session`), and shows what the session reports (`SessionView`). The session decides what
is sent, what a reply's status is and what is stored; the widgets own their own messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive, var
from textual.screen import Screen
from textual.widgets import Header, TabbedContent

from parrotchat.api.client import ChatClient
from parrotchat.config import Paths, Settings
from parrotchat.core.conversation import Conversation, Message, Role, Status
from parrotchat.core.error_log import ErrorLog
from parrotchat.core.export_file import ExportFormat, export_conversation
from parrotchat.core.history import History, HistoryRefused, Resumed
from parrotchat.core.records import ConversationRecord
from parrotchat.core.reply import ReplyListener
from parrotchat.core.session import (
    UNDO_SECONDS,
    ChatSession,
    ProviderMissing,
    Reply,
)
from parrotchat.exit_signals import exit_code, interrupted_sentence, on_exit_signals
from parrotchat.sanitize import neutralize, one_line
from parrotchat.ui.attach import Attacher
from parrotchat.ui.attachment_chips import AttachmentChip, AttachmentTray
from parrotchat.ui.chat_log import ChatLog, NewContentMarker
from parrotchat.ui.clipboard import SystemClipboard, copy_notice, counted
from parrotchat.ui.commands import ModelCommands
from parrotchat.ui.compare_view import CompareView, choose_key, comparing_label, stop_key
from parrotchat.ui.conversation_commands import conversation_commands
from parrotchat.ui.conversation_list import ConversationSidebar, short_title
from parrotchat.ui.footer import ChatFooter
from parrotchat.ui.key_names import key_label, keymap_for, prompt_hint
from parrotchat.ui.keys_help import KeysScreen, key_sections
from parrotchat.ui.last_model import load_last_model, save_last_model
from parrotchat.ui.local_servers import find_local_servers
from parrotchat.ui.message_commands import message_commands
from parrotchat.ui.message_view import MessageView
from parrotchat.ui.model_sidebar import ModelSidebar
from parrotchat.ui.prompt_input import PromptInput
from parrotchat.ui.render import heap
from parrotchat.ui.reply_stream import ReplyStream
from parrotchat.ui.shown_path import shown_path
from parrotchat.ui.sidebar import CHATS_TAB, MODELS_TAB, Sidebar
from parrotchat.ui.sidebar_memory import SidebarMemory
from parrotchat.ui.theme_memory import apply_theme
from parrotchat.ui.welcome import Welcome, welcome_text

__all__ = ["ParrotChatApp", "make_app"]

NARROW_WIDTH = 100
"""Below this many columns the sidebar hides itself (a key still opens it)."""
SIGNAL_SAVE_SECONDS = 1.0
"""Most seconds SIGTERM or SIGHUP waits for the last save (a locked database) before exiting."""


class ParrotChatApp(App[None]):
    """Chat with a model: type, watch the answer stream in, Esc to stop, switch models."""

    CSS_PATH = "app.tcss"
    TITLE = "parrotchat"
    COMMANDS = App.COMMANDS | {ModelCommands}

    BINDINGS: ClassVar[list[BindingType]] = [
        # Textual's own, given an id so that `[keys]` can move it.
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="quit"),
        # Esc first closes what is open, then stops the reply. Priority, so it works wherever
        # the focus is; `check_action` lets Esc through to dialogs, the palette, the sidebar
        # (its own Esc goes back step by step) and the message cursor, and enables only one.
        Binding(
            "escape",
            "close_sidebar",
            "Close sidebar",
            priority=True,
            id="close_sidebar",
            tooltip="Close the sidebar that covers the chat",
        ),
        Binding(
            "escape",
            "stop_reply",
            "Stop",
            priority=True,
            id="stop_reply",
            tooltip="Stop the reply",
        ),
        Binding(
            "ctrl+r",
            "retry",
            "Ask again",
            id="retry",
            tooltip="Ask again for the last reply (the earlier answer stays as an alternative)",
        ),
        # Abandons an edit from the empty prompt; `check_action` hides it otherwise.
        Binding("escape", "cancel_edit", "Cancel edit", id="cancel_edit"),
        Binding("ctrl+n", "new_conversation", "New chat", id="new_conversation"),
        Binding("ctrl+b,f2", "toggle_sidebar", "Models", id="toggle_sidebar"),
        Binding(
            "ctrl+l,f3",
            "show_chats",
            "Chats",
            id="show_chats",
            tooltip="Open the saved conversations and search them",
        ),
        # Priority, so it works from the prompt too while an undo is pending; `check_action`
        # hides it otherwise, and then Ctrl+Z undoes typing as usual.
        Binding("ctrl+z", "undo_delete", "Undo delete", priority=True, id="undo_delete"),
        Binding(
            "ctrl+end,ctrl+g",
            "jump_to_bottom",
            "Follow",
            id="jump_to_bottom",
            tooltip="Jump to the newest content and follow it",
        ),
        Binding("ctrl+t", "toggle_reasoning", "Reasoning", show=False, id="toggle_reasoning"),
        Binding("f1", "show_keys", "Keys", show=False, id="show_keys", tooltip="Every key"),
        Binding(
            "ctrl+o",
            "copy_reply",
            "Copy reply",
            show=False,
            id="copy_reply",
            tooltip="Copy the last reply's Markdown source",
        ),
        # A comparison's columns: `check_action` enables them only while one is open.
        *(
            Binding(
                choose_key(n),
                f"choose_column({n})",
                f"Continue with {n + 1}",
                show=False,
                priority=True,
                id=f"choose_column_{n + 1}",
            )
            for n in range(4)
        ),
        *(
            Binding(
                stop_key(n),
                f"stop_column({n})",
                f"Stop {n + 1}",
                show=False,
                priority=True,
                id=f"stop_column_{n + 1}",
            )
            for n in range(4)
        ),
    ]

    provider: reactive[str] = reactive("", init=False)
    """The provider the next request goes to (shown in the header)."""
    model: reactive[str] = reactive("", init=False)
    """The model the next request asks for (shown in the header)."""
    streaming: var[bool] = var(False, init=False)
    """True while a reply streams."""
    show_sidebar: var[bool] = var(True)
    """Whether the sidebar is open."""
    narrow: var[bool] = var(False, init=False)
    """True when the terminal is narrower than `NARROW_WIDTH`."""

    def __init__(
        self,
        session: ChatSession,
        paths: Paths,
        *,
        local_ports: Mapping[int, str] | None = None,
        clipboard: SystemClipboard | None = None,
        root: Path | None = None,
    ) -> None:
        """
        Args:
            session: The chat this app shows and drives (it may hold a reopened conversation).
            paths: Where the last model is remembered and exports go.
            local_ports: Ports of 127.0.0.1 to look for servers on once the app shows
                (`Settings.local_ports`); default: none.
            clipboard: The system clipboard tool every copy also goes to, besides OSC 52.
            root: The folder files are attached from (default: the working folder).
        """
        super().__init__()
        self.attacher: Attacher = Attacher(self, root or Path.cwd())
        """Files attached to the prompt: the picker, the chips, sending them."""
        self.session: ChatSession = session
        self.paths: Paths = paths
        self.system_clipboard: SystemClipboard | None = clipboard
        """Where copies go besides OSC 52 (none in tests: never the machine's clipboard)."""
        self._local_ports: dict[int, str] = dict(local_ports or {})
        self.reply_stream: ReplyStream | None = None
        """The latest reply's stream (it may have ended)."""
        self.editing: Message | None = None
        """The prompt being edited (`e` on a message), sent anew as a new branch."""
        self._streams: dict[Reply, ReplyStream] = {}
        self._remove_signal_handlers: Callable[[], None] | None = None
        self.sidebar_memory: SidebarMemory = SidebarMemory(paths.state_dir)
        """Whether the sidebar was open, and on which tab (remembered between runs)."""
        self.code_theme: str | None = session.settings.code_theme
        """The config's code theme, else None: one that suits the theme (`render.code_theme`)."""
        self.set_keymap(keymap_for(session.settings.keys))
        self.set_reactive(ParrotChatApp.provider, session.provider)
        self.set_reactive(ParrotChatApp.model, session.model)
        session.on_undo_expired = self.refresh_bindings

    # --- what the session holds -------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The effective configuration."""
        return self.session.settings

    @property
    def conversation(self) -> Conversation:
        """The conversation on screen."""
        return self.session.conversation

    @property
    def history(self) -> History:
        """Where conversations are kept."""
        return self.session.history

    @property
    def error_log(self) -> ErrorLog:
        """Where unexpected errors are written."""
        return self.session.error_log

    @property
    def clock(self) -> Callable[[], float]:
        """Timings of replies; the snapshot tests swap in a fixed clock."""
        return self.session.clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self.session.clock = clock

    @property
    def can_undo_delete(self) -> bool:
        """True while Ctrl+Z can bring back a deleted conversation."""
        return self.session.deleted is not None

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="🦜")
        with Horizontal(id="body"):
            yield Sidebar(
                self.session,
                self._model_sources(),
                (self.provider, self.model),
                memory=self.sidebar_memory,
                id="sidebar",
            )
            with Vertical(id="chat-column"):
                with ChatLog(id="chat-log"):
                    if not self.conversation.messages and self.session.conversation_id is None:
                        yield Welcome(self.settings, self.provider)
                yield CompareView(
                    self.session,
                    fps=self.settings.render_fps,
                    on_error=self._show_unexpected,
                    id="compare",
                )
                yield NewContentMarker(self._key_of("jump_to_bottom"), id="new-below")
                yield AttachmentTray(id="attachments")
                yield PromptInput(placeholder=prompt_hint(self._keymap, False), id="prompt")
        yield ChatFooter()

    async def on_mount(self) -> None:
        self.show_model()
        self.narrow = self.size.width < NARROW_WIDTH
        self.show_sidebar = not self.narrow and self.sidebar_memory.open
        self.session.attach(self)
        self.history.attach(self._history_unavailable)
        self.chat_log.alternatives_of = self._alternatives_of
        if self.session.conversation_id is not None:
            # A reopened conversation: shown as stored, nothing is sent.
            await self._show_conversation(self.conversation.messages)
            if (missing := self.session.missing_provider) is not None:
                self._provider_missing(ProviderMissing(missing), refused=False)
        self.prompt.focus()
        if (problem := apply_theme(self, self.settings.theme, self.paths.state_dir)) is not None:
            self.notify(problem, severity="warning", markup=False)
        self.call_after_refresh(heap.settle)
        self.call_after_refresh(find_local_servers, self, self._local_ports)
        self._remove_signal_handlers = on_exit_signals(self._stopped_by_signal)

    async def on_unmount(self) -> None:
        # Quitting mid-reply stops it: its partial answer is saved as cancelled before the
        # history closes, not left for the next start to find interrupted and empty. The
        # screens are gone by now: the replies' ends are no longer shown.
        if self._remove_signal_handlers is not None:
            self._remove_signal_handlers()
        self.session.detach()
        await self.session.aclose()

    def _stopped_by_signal(self, signum: int) -> None:
        """SIGTERM or SIGHUP (the terminal closed): save the replies interrupted, then exit."""
        self.session.end_replies(Status.INTERRUPTED, interrupted_sentence(signum))
        self._abandon_streams()
        self.run_worker(self._exit_when_saved(signum), exit_on_error=False)

    async def _exit_when_saved(self, signum: int) -> None:
        try:
            await asyncio.wait_for(self.history.drain(), SIGNAL_SAVE_SECONDS)
        except TimeoutError:
            self.history.give_up()  # a locked database: the last checkpoint stays
        self.exit(return_code=exit_code(signum))

    def _model_sources(self) -> dict[str, ChatClient]:
        sources: dict[str, ChatClient] = {}
        for name in self.settings.providers:
            client = self.session.client_for(name)
            if client is not None:
                sources[name] = client
        return sources

    @property
    def chat_log(self) -> ChatLog:
        """The scrolling log of messages."""
        return self.query_one("#chat-log", ChatLog)

    @property
    def compare_view(self) -> CompareView:
        """The open comparison's columns."""
        return self.query_one("#compare", CompareView)

    @property
    def prompt(self) -> PromptInput:
        """The prompt box."""
        return self.query_one("#prompt", PromptInput)

    @property
    def side(self) -> Sidebar:
        """The sidebar with its Chats and Models tabs."""
        return self.query_one("#sidebar", Sidebar)

    @property
    def sidebar(self) -> ModelSidebar:
        """The model sidebar."""
        return self.query_one("#models", ModelSidebar)

    @property
    def chats(self) -> ConversationSidebar:
        """The Chats view: the stored conversations."""
        return self.query_one("#chats", ConversationSidebar)

    @property
    def sidebar_tabs(self) -> TabbedContent:
        """The sidebar's tabs, Chats and Models."""
        return self.side.tabs

    # --- reactive state ---------------------------------------------------------------------

    def watch_provider(self) -> None:
        self.show_model()

    def watch_model(self) -> None:
        self.show_model()

    def show_model(self) -> None:
        """Show the provider and model in the header (and whether the provider is missing)."""
        missing = " (not configured)" if self.session.missing_provider else ""
        label = neutralize(self._provider_label())
        shown = f"{label}{missing} · {neutralize(self.model)}"
        # First: a narrow header cuts the end off.
        comparing = comparing_label(sum(len(view.columns) for view in self.query(CompareView)))
        self.sub_title = f"{comparing} · {shown}" if comparing else shown

    def _provider_label(self) -> str:
        """The provider's name, plus its host when an env var or flag moved its base URL."""
        if not self.settings.base_url_moved(self.provider):
            return self.provider
        from urllib.parse import urlsplit

        host = urlsplit(self.settings.providers[self.provider].base_url).netloc
        return f"{self.provider} @ {host}"

    def _show_title(self) -> None:
        """Head the screen with the conversation's title (the app's name for a new chat)."""
        title = self.session.title
        self.title = one_line(title) if title else self.TITLE

    def watch_streaming(self, streaming: bool) -> None:
        # A reply can end while the app shuts down, after the prompt is gone.
        for prompt in self.query("#prompt").results(PromptInput):
            prompt.placeholder = prompt_hint(self._keymap, streaming)
        self.refresh_bindings()

    def watch_show_sidebar(self, show: bool) -> None:
        self.set_class(show, "-sidebar-open")
        if not self.narrow:  # a narrow screen hiding it is no choice of the user's
            self.sidebar_memory.remember_open(show)
        self.refresh_bindings()

    def watch_narrow(self, narrow: bool) -> None:
        self.set_class(narrow, "-narrow")
        self.show_sidebar = not narrow and self.sidebar_memory.open
        # Room for every key of the footer at 80 columns (`^end Follow` was cut to `^en`):
        # the palette's hint goes (Ctrl+P still opens it; F1 lists it).
        for footer in self.query(ChatFooter).results(ChatFooter):
            footer.show_command_palette = not narrow
            footer.refresh(recompose=True)

    def on_resize(self, event: events.Resize) -> None:
        self.narrow = event.size.width < NARROW_WIDTH

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show Stop only while a reply streams, and Retry only when there is one to retry."""
        if action in ("stop_reply", "close_sidebar"):
            main = self.screen is self.screen_stack[0]
            focused = self.screen.focused
            in_sidebar = focused is not None and any(
                node.id == "sidebar" for node in focused.ancestors_with_self
            )
            covering = self.narrow and self.show_sidebar
            if action == "close_sidebar":
                return main and covering and not in_sidebar
            # Not while a message or the sidebar has the focus: their Esc goes back first.
            on_message = isinstance(focused, MessageView)
            return self.streaming and main and not (on_message or in_sidebar or covering)
        if action == "retry":
            focused = self.screen.focused
            if isinstance(focused, MessageView) and focused.message.role is Role.ASSISTANT:
                return False  # the focused reply's own Ask again (same keys) asks for it
            messages = self.conversation.messages
            return not self.streaming and bool(messages) and messages[-1].role is Role.ASSISTANT
        if action == "cancel_edit":
            return self.editing is not None and not self.prompt.text
        if action == "undo_delete":
            return self.can_undo_delete and self.screen is self.screen_stack[0]
        if action in ("choose_column", "stop_column"):
            return len(self.compare_view.columns) > int(str(parameters[0]))
        return True

    # --- the session's view -----------------------------------------------------------------

    async def show_message(self, message: Message) -> None:
        """A prompt joined the conversation: show it."""
        await self.chat_log.add_message(message)

    async def reply_started(self, reply: Reply) -> ReplyListener:
        """A reply is about to stream: give it a view and a stream that flushes per frame."""
        self._show_title()
        chats, conversation_id = self.chats, self.session.conversation_id
        if chats.current != conversation_id:
            chats.current = conversation_id  # marks it, and refreshes the list
        else:
            chats.refresh_list()  # it moves to the top
        if reply.column is not None:
            stream = await self.compare_view.reply_started(reply)
            self._streams[reply] = stream
            self.streaming = True
            return stream
        chat_log = self.chat_log
        chat_log.follow()
        view = await chat_log.add_message(reply.message)
        stream = ReplyStream(
            reply.builder,
            view,
            on_grow=chat_log.content_grew,
            on_error=self._show_unexpected,
        )
        self.reply_stream = stream
        self._streams[reply] = stream
        stream.start(self, self.settings.render_fps)
        self.streaming = True
        return stream

    async def message_removed(self, message: Message) -> None:
        """A failed reply is being asked again: its view goes."""
        for view in self.chat_log.message_views():
            if view.message is message:
                await view.remove()
                heap.expect_garbage()

    async def path_changed(self, removed: list[Message], shown: list[Message]) -> None:
        """An edit, a regeneration or a switch changed the end of the path: the log swaps it."""
        path = self.conversation.messages
        # Without `shown`, the path already ends with the reply about to start.
        await self.chat_log.change_path(removed, shown, path if shown else path[:-1])
        await self.compare_view.sync()

    def reply_ended(self, reply: Reply) -> None:
        """A reply's task is over; its stream shows the final state at its next flush."""
        self._streams.pop(reply, None)
        self.streaming = self.session.streaming
        self.refresh_bindings()

    def _history_unavailable(self, reason: str) -> None:
        self.notify(
            f"History is unavailable: {neutralize(reason)}",
            severity="warning",
            timeout=15,
            markup=False,
        )
        for chats in self.query("#chats").results(ConversationSidebar):
            chats.refresh_list()

    def _show_unexpected(self, error: Exception) -> None:
        self.notify(self.error_log.record(error, "showing a reply"), severity="error", markup=False)

    def _leave_replies(self) -> None:
        """The conversation is leaving the screen: its replies stop, saved, and their views
        stop flushing."""
        self.session.end_replies()
        self._abandon_streams()

    def _abandon_streams(self) -> None:
        """Stop every reply's frame flush for good (their views are leaving the screen)."""
        for stream in [*self._streams.values(), self.reply_stream]:
            if stream is not None:
                stream.abandon()
        self._streams.clear()
        self.reply_stream = None
        self.streaming = False
        self.compare_view.abandon()

    # --- sending ----------------------------------------------------------------------------

    @on(PromptInput.Submitted)
    async def _prompt_submitted(self, event: PromptInput.Submitted) -> None:
        editing, self.editing = self.editing, None
        if editing is not None and editing in self.conversation.messages:
            self._show_editing()
            index = self.conversation.messages.index(editing)
            try:
                await self.session.edit(index, event.text)
            except ProviderMissing as missing:
                self.refused(missing, event.text)
        else:
            self._show_editing()
            await self.attacher.send(event.text)

    async def send(self, text: str) -> None:
        """Send `text` as the next user turn and stream the reply (a streaming one stops).

        Refused while the conversation's provider is not configured: the text goes back
        into the prompt, and a notice says how to choose a model.
        """
        try:
            await self.session.send(text)
        except ProviderMissing as missing:
            self.refused(missing, text)

    def refused(self, missing: ProviderMissing, text: str) -> None:
        """A send was refused (the provider is missing): say how to choose, keep `text`."""
        self._provider_missing(missing)
        prompt = self.prompt
        if not prompt.text:
            prompt.load_text(text)
            prompt.move_cursor(prompt.document.end)

    def _provider_missing(self, missing: ProviderMissing, *, refused: bool = True) -> None:
        """Say that the conversation's provider is not configured, and how to choose."""
        how = f"choose a model in the sidebar ({self._key_of('toggle_sidebar')})"
        self.notify(missing.sentence(how, refused=refused), severity="warning", markup=False)

    def stop_reply(self) -> None:
        """Cancel the reply that is streaming, if any: its connection closes at once."""
        if not self.compare_view.stop_all():
            self.session.stop()

    def action_stop_reply(self) -> None:
        """Esc: stop the reply; the partial answer stays, marked cancelled."""
        self.stop_reply()

    async def action_choose_column(self, column: int) -> None:
        """Carry the conversation on with a comparison's column (0-based), and its model."""
        await self.session.choose(column)
        self._follow_session_model()
        self.prompt.focus()

    def action_stop_column(self, column: int) -> None:
        """Stop one column's reply; the others stream on."""
        self.compare_view.stop(column)

    @on(CompareView.Chosen)
    async def _column_chosen(self, event: CompareView.Chosen) -> None:
        await self.action_choose_column(event.column)

    @on(CompareView.ColumnsChanged)
    def _columns_changed(self, _event: CompareView.ColumnsChanged) -> None:
        self.show_model()

    @on(CompareView.StopWanted)
    def _column_stop_wanted(self, event: CompareView.StopWanted) -> None:
        self.action_stop_column(event.column)

    def action_close_sidebar(self) -> None:
        """Esc while the sidebar covers the chat (a narrow screen): close it first."""
        self.show_sidebar = False
        self.prompt.focus()

    def action_help_quit(self) -> None:
        """Ctrl+C with nothing selected: stop the reply if one streams (as Esc does), else
        say how to quit (Textual's hint). A selection is copied before this is reached."""
        if self.streaming:
            self.stop_reply()
        else:
            super().action_help_quit()

    async def action_retry(self) -> None:
        """Ctrl+R: ask again for the last reply (with the model now chosen); the earlier answer
        stays as an alternative (an empty failed one is replaced)."""
        try:
            if self.session.retryable_reply() is not None:
                await self.session.retry()
            else:
                await self.session.regenerate()
        except ProviderMissing as missing:
            self._provider_missing(missing)

    # --- branches ---------------------------------------------------------------------------

    @on(ChatLog.BranchWanted)
    async def _branch_wanted(self, event: ChatLog.BranchWanted) -> None:
        event.stop()
        messages = self.conversation.messages
        if event.message not in messages:
            return
        index = messages.index(event.message)
        if event.action == "edit":
            self.editing = event.message
            self._show_editing()
            prompt = self.prompt
            prompt.load_text(event.message.content)
            prompt.focus()
            prompt.move_cursor(prompt.document.end)
        elif event.action == "regenerate":
            self.prompt.focus()
            try:
                await self.session.regenerate(index)
            except ProviderMissing as missing:
                self._provider_missing(missing)
        elif event.action == "switch":
            if self.streaming:
                self.notify("Wait for the reply to end, or stop it (Esc), to switch.")
            elif not await self.session.switch(index, event.step):
                self.bell()
            else:
                self._focus_message(self.conversation.messages[index])

    def _focus_message(self, message: Message) -> None:
        for view in self.chat_log.message_views():
            if view.message is message:
                self.chat_log.focus_message(view)

    def action_cancel_edit(self) -> None:
        """Esc in the empty prompt while editing: the edit is abandoned, nothing changes."""
        self.editing = None
        self._show_editing()

    def _show_editing(self) -> None:
        """Say in the prompt's border which message is being edited, if one is."""
        prompt = self.prompt
        editing = self.editing
        if editing is None or editing not in self.conversation.messages:
            prompt.border_title = None
            return
        number = self.conversation.messages.index(editing) + 1
        send, cancel = self._key_of("send"), self._key_of("cancel_edit")
        prompt.border_title = (
            f"Editing message {number} · {send} sends it as a new branch · {cancel} (empty) cancels"
        )

    def _alternatives_of(self, message: Message) -> tuple[int, int]:
        return self.conversation.alternatives(message)

    # --- conversations ----------------------------------------------------------------------

    async def action_new_conversation(self) -> None:
        """Start over: stop any reply, clear the log, keep the model."""
        await self._start_new_conversation()
        self.prompt.focus()

    async def _start_new_conversation(self) -> None:
        self._leave_replies()
        self.session.new()
        await self._show_new()

    async def _show_new(self) -> None:
        """An empty log with the welcome text, for a conversation just started."""
        self._show_title()
        self.chats.current = None
        chat_log = self.chat_log
        await chat_log.clear()
        await chat_log.add_widget(Welcome(self.settings, self.provider))
        await self.compare_view.close()

    async def _show_conversation(self, messages: list[Message]) -> None:
        """Head the screen with the conversation's title, mark it in Chats, show `messages`."""
        self._show_title()
        self.chats.current = self.session.conversation_id
        await self.chat_log.show_messages(messages)
        await self.compare_view.sync()

    @work(exclusive=True, group="open-conversation", exit_on_error=False)
    async def open_conversation(self, conversation_id: int, at: int | None = None) -> None:
        """Show a stored conversation with its model and system prompt; nothing is sent.

        A reply still streaming is stopped once the conversation is loaded, its partial answer
        saved as Esc saves it; if the load fails, it streams on.
        """
        try:
            await self._open_conversation(conversation_id, at)
        except Exception as error:  # a bug: one sentence and the log, never a traceback
            message = self.error_log.record(error, "opening a conversation")
            self.notify(message, severity="error", markup=False)

    async def _open_conversation(self, conversation_id: int, at: int | None = None) -> None:
        try:
            opened = await self.session.open(conversation_id, at)
        except HistoryRefused as error:
            self.notify(str(error), severity="warning", markup=False)
            self.chats.refresh_list()
            return
        if opened is None:
            self.notify("History is unavailable, so nothing can be opened.", severity="warning")
            return
        _loaded, missing = opened
        self._abandon_streams()  # the session stopped and saved them
        self._follow_session_model()
        if missing is not None:
            self._provider_missing(ProviderMissing(missing), refused=False)
        await self._show_conversation(self.conversation.messages)
        self._back_to_prompt()

    def _follow_session_model(self) -> None:
        """Show the session's model (it changed with the conversation) in the header and list."""
        provider, model = self.session.provider, self.session.model
        if (provider, model) != (self.provider, self.model):
            self.provider, self.model = provider, model
            self.sidebar.set_current(provider, model)

    async def action_rename_conversation(self) -> None:
        """Give the conversation on screen a new title (in a dialog)."""
        record = await self._stored_conversation("rename")
        if record is not None:
            self.chats.rename(record.id, record.title)

    async def action_delete_conversation(self) -> None:
        """Move the conversation on screen to the trash, after asking."""
        record = await self._stored_conversation("delete")
        if record is not None:
            self.chats.delete(record.id, record.title)

    async def _stored_conversation(self, verb: str) -> ConversationRecord | None:
        """The record of the conversation on screen, or None (and a notice saying why)."""
        try:
            record = await self.session.record()
        except HistoryRefused as error:
            self.notify(str(error), severity="warning", markup=False)
            return None
        if record is None:
            why = (
                "this conversation is not saved yet: send a prompt first"
                if self.history.available
                else "history is unavailable"
            )
            self.notify(f"Nothing to {verb}: {why}.", severity="warning", markup=False)
        return record

    async def action_undo_delete(self) -> None:
        """Ctrl+Z: bring back the conversation just deleted."""
        try:
            undone = await self.session.undo_delete()
        except HistoryRefused as error:
            self.notify(str(error), severity="warning", markup=False)
            return
        finally:
            self.refresh_bindings()
        if undone is None:
            return
        deleted, reopen = undone
        self.notify(f"Restored “{short_title(deleted.title)}”.", markup=False)
        self.chats.refresh_list()
        if reopen:
            self.open_conversation(deleted.conversation_id)

    async def action_export(self, kind: ExportFormat) -> None:
        """Write the conversation on screen to a new file (Markdown or JSON) and say where."""
        try:
            loaded = await self.session.to_export()
        except HistoryRefused as error:
            self.notify(str(error), severity="warning", markup=False)
            return
        if loaded is None:
            self.notify("Nothing to export yet: send a prompt first.", markup=False)
            return
        record, messages, active = loaded
        folder = self.paths.export_dir
        try:
            path = await asyncio.to_thread(
                export_conversation, record, messages, kind, folder, active
            )
        except OSError as error:
            reason = neutralize(error.strerror or str(error))
            self.notify(
                f"Could not write the export to {neutralize(str(folder))} ({reason}); "
                "check that the folder is writable.",
                severity="error",
                markup=False,
            )
            return
        # The path on a line of its own, so a toast never breaks it mid-word if it fits.
        self.notify(
            f"Exported “{short_title(record.title)}” to\n{shown_path(path)}",
            timeout=10,
            markup=False,
        )

    @on(ConversationSidebar.Opened)
    def _conversation_chosen(self, event: ConversationSidebar.Opened) -> None:
        event.stop()
        self.open_conversation(event.conversation_id, event.message_id)

    @on(ConversationSidebar.Renamed)
    def _conversation_renamed(self, event: ConversationSidebar.Renamed) -> None:
        event.stop()
        if event.conversation_id == self.session.conversation_id:
            self._show_title()

    @on(ConversationSidebar.Deleted)
    async def _conversation_deleted(self, event: ConversationSidebar.Deleted) -> None:
        event.stop()
        if event.on_screen:  # the session started a new conversation
            self._leave_replies()
            await self._show_new()
        self.refresh_bindings()
        self.notify(
            f"Deleted “{short_title(event.title)}” · {self._key_of('undo_delete')} to undo",
            timeout=UNDO_SECONDS,
            markup=False,
        )

    # --- the sidebar ------------------------------------------------------------------------

    def action_toggle_sidebar(self) -> None:
        """Open the model sidebar and put the cursor in its filter; close it if already there."""
        self._toggle_tab(MODELS_TAB)

    def action_show_chats(self) -> None:
        """Open the Chats view with the cursor in its search box; close it if already there."""
        self._toggle_tab(CHATS_TAB)

    def _toggle_tab(self, tab: str) -> None:
        if self.side.open_tab(tab, shown=self.show_sidebar):
            self.show_sidebar = True
        else:
            self.show_sidebar = False
            self.prompt.focus()

    def _back_to_prompt(self) -> None:
        """Put the cursor back in the prompt; on a narrow screen the sidebar closes."""
        if self.narrow:
            self.show_sidebar = False
        self.prompt.focus()

    def on_app_focus(self) -> None:
        # Back from another window (maybe another parrotchat): its new chats show up.
        if self.show_sidebar:
            self.chats.refresh_list()

    @on(ModelSidebar.ModelChosen)
    def _model_chosen(self, event: ModelSidebar.ModelChosen) -> None:
        event.stop()
        self.session.select(event.provider, event.model)
        self.provider, self.model = event.provider, event.model
        save_last_model(self.paths.state_dir, event.provider, event.model)
        if not self.conversation.messages:
            for welcome in self.chat_log.query_children(Welcome):
                welcome.update(welcome_text(self.settings, self.provider))
        self._back_to_prompt()

    def action_compare_models(self) -> None:
        """Open the model list to mark the models to compare."""
        self.show_sidebar = True
        self.side.open_tab(MODELS_TAB, shown=False)
        self.sidebar.option_list().focus()
        self.notify("Mark 2 to 4 models with Space, then press Enter to compare them.")

    @on(ModelSidebar.CompareChosen)
    def _compare_chosen(self, event: ModelSidebar.CompareChosen) -> None:
        event.stop()
        if self.session.comparison:
            keys = f"{self._key_of('choose_column_1')}…{self._key_of('choose_column_4')}"
            self.notify(
                f"Carry on with one column first ({keys}); the new comparison starts from it.",
                severity="warning",
            )
            return
        self.session.compare_next = list(event.models)
        names = ", ".join(one_line(f"{p}:{m}") for p, m in event.models)
        self.notify(f"The next prompt goes to {names} at once.", markup=False)
        self._back_to_prompt()

    @on(ModelSidebar.Dismissed)
    @on(ConversationSidebar.Dismissed)
    def _sidebar_dismissed(
        self, event: ModelSidebar.Dismissed | ConversationSidebar.Dismissed
    ) -> None:
        event.stop()
        self._back_to_prompt()

    # --- the log ----------------------------------------------------------------------------

    def action_jump_to_bottom(self) -> None:
        """Jump to the newest content and follow it again."""
        self.chat_log.follow()
        self.compare_view.follow()

    def action_scroll_chat(self, pages: int) -> None:
        """Scroll the chat log (or the comparison's column focused last) by pages (negative:
        up) without leaving the prompt."""
        chat_log = self.compare_view.scrolled() or self.chat_log
        if pages < 0:
            chat_log.scroll_page_up(animate=False)
        else:
            chat_log.scroll_page_down(animate=False)

    def action_copy_reply(self) -> None:
        """Copy the Markdown source of the last reply (the answer view draws lines itself)."""
        replies = [m for m in self.conversation.messages if m.role is Role.ASSISTANT]
        if replies and (text := replies[-1].content):
            self.send_to_clipboard(
                text, f"Copied the last reply · {counted(len(text), 'character')}"
            )

    def action_toggle_reasoning(self) -> None:
        """Fold every reasoning block, or unfold them all if all are folded."""
        views = [view for view in self.chat_log.message_views() if view.has_reasoning]
        collapsed = any(not view.reasoning_collapsed for view in views)
        for view in views:
            view.toggle_reasoning(collapsed)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette's own commands, the conversation's and the message cursor's."""
        yield from super().get_system_commands(screen)
        yield from conversation_commands(self)
        yield from message_commands(screen, self._key_of)

    def _key_of(self, binding_id: str, default: str = "") -> str:
        """The key bound to `binding_id` now (the keymap's, if it remaps it)."""
        return key_label(binding_id, self._keymap)

    def action_show_keys(self) -> None:
        """F1: the keys screen for the screen in use (F1 on it closes it)."""
        if isinstance(self.screen, KeysScreen):
            self.screen.dismiss()
            return
        self.push_screen(KeysScreen(key_sections(self, self.screen)))

    # --- copying ----------------------------------------------------------------------------

    def copy_to_clipboard(self, text: str) -> None:
        """Textual's copies (a selection with Ctrl+C, the prompt's copy and cut), with a notice."""
        self.send_to_clipboard(text, copy_notice(text))

    def send_to_clipboard(self, text: str, notice: str) -> None:
        """Copy `text` through OSC 52 and the system tool, and say `notice`."""
        with contextlib.suppress(Exception):  # a closed driver: the copy is still in `clipboard`
            super().copy_to_clipboard(text)
        if self.system_clipboard is not None:
            with contextlib.suppress(Exception):
                self.system_clipboard.copy(text)
        self.notify(notice, markup=False, timeout=3)

    # --- attached files (the `Attacher` does the work) ---------------------------------------

    def action_attach_file(self) -> None:
        """Ctrl+A: attach the file just pasted, if one was offered; else open the file picker."""
        self.attacher.attach_file()

    @on(PromptInput.AtTyped)
    def _at_typed(self, event: PromptInput.AtTyped) -> None:
        event.stop()
        self.attacher.open_file_picker(after_at=True)

    @on(PromptInput.Pasted)
    def _pasted(self, event: PromptInput.Pasted) -> None:
        event.stop()
        self.attacher.pasted(event.text)

    @on(AttachmentChip.Removed)
    async def _chip_removed(self, event: AttachmentChip.Removed) -> None:
        event.stop()
        await self.attacher.remove(event.chip)

    # --- the message cursor -----------------------------------------------------------------

    @on(PromptInput.MessagesWanted)
    def _messages_wanted(self, event: PromptInput.MessagesWanted) -> None:
        event.stop()
        if not self.chat_log.focus_newest():
            self.bell()

    @on(ChatLog.BackToPrompt)
    def _back_to_prompt_from_messages(self, event: ChatLog.BackToPrompt) -> None:
        event.stop()
        prompt = self.prompt
        prompt.focus()
        if event.text:
            prompt.insert(event.text)

    @on(ChatLog.NewContentBelow)
    def _new_content_below(self, event: ChatLog.NewContentBelow) -> None:
        # The log can report while the app shuts down, after the marker is gone.
        for marker in self.query("#new-below").results(NewContentMarker):
            marker.display = event.below

    @on(NewContentMarker.Clicked)
    def _marker_clicked(self) -> None:
        self.chat_log.follow()


def make_app(
    settings: Settings,
    *,
    paths: Paths,
    clients: Mapping[str, ChatClient] | None = None,
    history: History | None = None,
    resumed: Resumed | None = None,
    local_ports: Mapping[int, str] | None = None,
    clipboard: SystemClipboard | None = None,
    compare: Sequence[tuple[str, str]] = (),
) -> ParrotChatApp:
    """Build the app from `settings`, starting on the last model used unless one was asked for.

    Args:
        settings: The effective configuration, with the demo server's URL set.
        paths: Where the log, the last model and exports go (`Paths.default()` in the CLI).
        clients: Provider name -> client to use instead of creating one (tests); not closed.
        history: The history (`open_history`); default: none, the chat lives in memory only.
        resumed: The conversation to reopen (from `open_history`); it starts on its model and
            system prompt unless flags chose others.
        local_ports: Ports of 127.0.0.1 to look for servers on after start-up (port -> name);
            default: none.
        clipboard: The system clipboard tool copies also go to (`tui.py` finds it); default:
            none, OSC 52 only.
        compare: `(provider, model)` pairs the first prompt goes to at once (`--compare`).
    """
    current = None
    if (
        resumed is None
        and not settings.model_explicit
        and not settings.set_for_this_run("provider")
    ):
        # `--demo`, `--provider` and `--model` are choices for this run: they beat the memory.
        last = load_last_model(paths.state_dir)
        if last is not None and last[0] in settings.providers:
            current = last
    session = ChatSession(
        settings,
        error_log=ErrorLog(paths.log_dir),
        history=history,
        clients=clients,
        current=current,
        resumed=resumed,
        clock=time.monotonic,
    )
    session.compare_next = list(compare)
    return ParrotChatApp(session, paths, local_ports=local_ports, clipboard=clipboard)
