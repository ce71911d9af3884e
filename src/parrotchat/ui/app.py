"""The parrotchat Textual app, and `make_app`, the factory the CLI, tests and screenshots share."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import platformdirs
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive, var
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from parrotchat.api.client import ChatClient
from parrotchat.config import ConfigError, Settings
from parrotchat.core.conversation import Conversation, Message, Role, Status
from parrotchat.core.export_file import default_export_dir
from parrotchat.core.history import resumed_settings
from parrotchat.core.records import ConversationRecord, make_title
from parrotchat.core.store import Store
from parrotchat.sanitize import neutralize, one_line
from parrotchat.ui.chat_log import ChatLog, NewContentMarker
from parrotchat.ui.clipboard import ClipboardPart, counted
from parrotchat.ui.commands import ModelCommands
from parrotchat.ui.conversation_commands import conversation_commands
from parrotchat.ui.conversation_export import ConversationExport
from parrotchat.ui.conversation_list import ConversationSidebar
from parrotchat.ui.error_log import ErrorLog
from parrotchat.ui.history import ChatHistory, Resumed
from parrotchat.ui.keys_help import KeysHelpPart
from parrotchat.ui.last_model import load_last_model
from parrotchat.ui.message_cursor import MessageCursorPart
from parrotchat.ui.message_view import MessageView
from parrotchat.ui.model_sidebar import ModelSidebar
from parrotchat.ui.prompt_input import PromptInput
from parrotchat.ui.render import heap
from parrotchat.ui.reply_stream import ReplyStream
from parrotchat.ui.reply_worker import ReplyRequest, stream_reply
from parrotchat.ui.sidebar_actions import SidebarActions
from parrotchat.ui.stored_conversations import StoredConversations
from parrotchat.ui.welcome import Welcome

__all__ = ["ParrotChatApp", "make_app"]

NARROW_WIDTH = 100
"""Below this many columns the sidebar hides itself (a key still opens it)."""
RETRYABLE = (Status.CANCELLED, Status.ERROR, Status.INTERRUPTED)

PLACEHOLDER_IDLE = "Ask anything · Enter sends · Ctrl+J new line · ↑ last prompt"
PLACEHOLDER_STREAMING = "Esc stops the reply · Enter stops it and sends this prompt instead"


class ParrotChatApp(
    StoredConversations,
    ConversationExport,
    SidebarActions,
    MessageCursorPart,
    KeysHelpPart,
    ClipboardPart,
):
    """Chat with a model: type, watch the answer stream in, Esc to stop, switch models.

    Its parts: `StoredConversations` (open, rename, delete, undo), `ConversationExport`,
    `SidebarActions` (the sidebar's tabs and messages); the palette's conversation commands
    come from `conversation_commands`.
    """

    CSS_PATH = "app.tcss"
    TITLE = "parrotchat"
    COMMANDS = App.COMMANDS | {ModelCommands}

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority, so Esc stops a reply wherever the focus is (the sidebar filter too);
        # `check_action` lets Esc through to widgets and dialogs when nothing streams.
        Binding(
            "escape",
            "stop_reply",
            "Stop",
            priority=True,
            id="stop_reply",
            tooltip="Stop the reply",
        ),
        Binding("ctrl+r", "retry", "Retry", id="retry", tooltip="Ask again for the last reply"),
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
        Binding(
            "ctrl+o",
            "copy_reply",
            "Copy reply",
            show=False,
            id="copy_reply",
            tooltip="Copy the last reply's Markdown source",
        ),
    ]

    provider: reactive[str] = reactive("", init=False)
    """The provider the next request goes to."""
    model: reactive[str] = reactive("", init=False)
    """The model the next request asks for."""
    streaming: var[bool] = var(False, init=False)
    """True while a reply streams."""
    show_sidebar: var[bool] = var(True)
    """Whether the model sidebar is open."""
    narrow: var[bool] = var(False, init=False)
    """True when the terminal is narrower than `NARROW_WIDTH`."""

    def __init__(
        self,
        settings: Settings,
        *,
        clients: Mapping[str, ChatClient] | None = None,
        log_dir: Path | None = None,
        state_dir: Path | None = None,
        current: tuple[str, str] | None = None,
        history: ChatHistory | None = None,
        resumed: Resumed | None = None,
        export_dir: Path | None = None,
    ) -> None:
        """
        Args:
            settings: The effective configuration (the demo URL already set).
            clients: Provider name -> client; missing ones are created (and closed) by the app.
            log_dir: Where unexpected errors are logged (default: the platform log dir).
            state_dir: Where the last model is remembered (default: the platform state dir).
            current: The `(provider, model)` to start with (default: the settings').
            history: Where conversations are kept (default: nowhere, in memory only).
            resumed: A stored conversation to show and carry on.
            export_dir: Where exports are written (default: the downloads folder).
        """
        super().__init__()
        self.settings: Settings = settings
        self.state_dir: Path = state_dir or Path(platformdirs.user_state_dir("parrotchat"))
        self.error_log: ErrorLog = ErrorLog(log_dir)
        self.conversation: Conversation = Conversation(settings.system_prompt)
        """The conversation on screen; each request sends all of it."""
        if resumed is not None:
            # Its system prompt for this conversation only: Ctrl+N goes back to the configured one.
            _settings, self.conversation = resumed_settings(settings, resumed[0])
        self.history: ChatHistory = history or ChatHistory()
        """The store behind the conversation; it never blocks the event loop."""
        self._resumed = resumed
        self.export_dir: Path = export_dir or default_export_dir()
        """Where "Export conversation" writes its files."""
        self.reply_stream: ReplyStream | None = None
        """The latest reply's stream (it may have ended)."""
        self.clock: Callable[[], float] = time.monotonic
        """Timings of replies; the snapshot tests swap in a fixed clock."""
        self._given_clients: dict[str, ChatClient] = dict(clients or {})
        self._own_clients: dict[str, ChatClient] = {}
        self._streams: dict[Worker[None], ReplyStream] = {}
        provider, model = current or (settings.provider, settings.model)
        self.set_reactive(ParrotChatApp.provider, provider)
        self.set_reactive(ParrotChatApp.model, model)

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="🦜")
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                # Without history the Chats tab has nothing to show: start on the models.
                initial = "chats-tab" if self.history.available else "models-tab"
                with TabbedContent(id="sidebar-tabs", initial=initial):
                    with TabPane("Chats", id="chats-tab"):
                        yield ConversationSidebar(self.history, id="chats")
                    with TabPane("Models", id="models-tab"):
                        yield ModelSidebar(
                            self._sidebar_sources(),
                            current=(self.provider, self.model),
                            id="models",
                        )
            with Vertical(id="chat-column"):
                with ChatLog(id="chat-log"):
                    if self._resumed is None:
                        yield Welcome(self.settings, self.provider)
                yield NewContentMarker("Ctrl+End", id="new-below")
                yield PromptInput(placeholder=PLACEHOLDER_IDLE, id="prompt")
        yield Footer()

    async def on_mount(self) -> None:
        self._show_model()
        self.narrow = self.size.width < NARROW_WIDTH
        self.history.attach(self._history_unavailable)
        if self._resumed is not None:
            await self._show_resumed(*self._resumed)
        self.prompt.focus()
        self.call_after_refresh(heap.settle)

    async def _show_resumed(self, record: ConversationRecord, messages: list[Message]) -> None:
        """Show a reopened conversation as it was stored; nothing is sent."""
        self.conversation.messages = list(messages)
        await self._show_stored(record, messages)

    def _show_title(self, title: str | None) -> None:
        """Head the screen with the conversation's title (the app's name for a new chat)."""
        self.title = one_line(title) if title else self.TITLE

    def _history_unavailable(self, reason: str) -> None:
        self.notify(
            f"History is unavailable: {neutralize(reason)}",
            severity="warning",
            timeout=15,
            markup=False,
        )
        for chats in self.query("#chats").results(ConversationSidebar):
            chats.refresh_list()

    async def on_unmount(self) -> None:
        # Quitting mid-reply stops it: its partial answer is saved as cancelled before the
        # history closes, not left for the next start to find interrupted and empty.
        self._cancel_streams()
        for client in self._own_clients.values():
            await client.aclose()
        self._own_clients.clear()
        await self.history.close()

    @property
    def chat_log(self) -> ChatLog:
        """The scrolling log of messages."""
        return self.query_one("#chat-log", ChatLog)

    @property
    def prompt(self) -> PromptInput:
        """The prompt box."""
        return self.query_one("#prompt", PromptInput)

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
        return self.query_one("#sidebar-tabs", TabbedContent)

    def _sidebar_sources(self) -> dict[str, ChatClient]:
        sources: dict[str, ChatClient] = {}
        for name in self.settings.providers:
            client = self.client_for(name)
            if client is not None:
                sources[name] = client
        return sources

    def client_for(self, provider: str) -> ChatClient | None:
        """The client of `provider`, created on first use; None if it cannot be reached."""
        client = self._given_clients.get(provider) or self._own_clients.get(provider)
        if client is None:
            try:
                endpoint = self.settings.endpoint(provider)
            except (ConfigError, RuntimeError):
                return None
            client = self._own_clients[provider] = ChatClient(endpoint)
        return client

    # --- reactive state ---------------------------------------------------------------------

    def watch_provider(self) -> None:
        self._show_model()

    def watch_model(self) -> None:
        self._show_model()

    def _show_model(self) -> None:
        self.sub_title = f"{neutralize(self._provider_label())} · {neutralize(self.model)}"

    def _provider_label(self) -> str:
        """The provider's name, plus its host when an env var or flag moved its base URL."""
        source = self.settings.sources.get(f"providers.{self.provider}.base_url", "default")
        config = self.settings.providers.get(self.provider)
        if config is None or config.is_demo or source in ("default", "config file"):
            return self.provider
        return f"{self.provider} @ {urlsplit(config.base_url).netloc}"

    def watch_streaming(self, streaming: bool) -> None:
        self.prompt.placeholder = PLACEHOLDER_STREAMING if streaming else PLACEHOLDER_IDLE
        self.refresh_bindings()

    def watch_show_sidebar(self, show: bool) -> None:
        self.set_class(show, "-sidebar-open")

    def watch_narrow(self, narrow: bool) -> None:
        self.set_class(narrow, "-narrow")
        self.show_sidebar = not narrow

    def on_resize(self, event: events.Resize) -> None:
        self.narrow = event.size.width < NARROW_WIDTH

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show Stop only while a reply streams, and Retry only when there is one to retry."""
        if action == "stop_reply":
            # Not while a message has the focus: Esc takes the reader back to the prompt first.
            on_message = isinstance(self.screen.focused, MessageView)
            return self.streaming and self.screen is self.screen_stack[0] and not on_message
        if action == "retry":
            return self.retryable_reply() is not None
        if action == "undo_delete":
            return self.can_undo_delete and self.screen is self.screen_stack[0]
        return True

    # --- sending and streaming --------------------------------------------------------------

    @on(PromptInput.Submitted)
    async def _prompt_submitted(self, event: PromptInput.Submitted) -> None:
        await self.send(event.text)

    async def send(self, text: str) -> None:
        """Send `text` as the next user turn and stream the reply.

        A reply still streaming is stopped first; its partial answer stays in the history.
        """
        self.stop_reply()
        user = self.conversation.add(Message(Role.USER, text))
        await self.chat_log.add_message(user)
        started = self.history.conversation_id is None
        await self.history.add_prompt(
            user, self.conversation.system_prompt, model=self.model, provider=self.provider
        )
        conversation_id = self.history.conversation_id
        if started and conversation_id is not None:
            self._show_title(make_title(text))
            self.chats.current = conversation_id  # refreshes the list
        else:
            self.chats.refresh_list()  # it moves to the top
        await self._start_reply()

    async def _start_reply(self) -> None:
        provider, model = self.provider, self.model
        request = ReplyRequest(
            model=model,
            messages=self.conversation.request_messages(),
            temperature=self.settings.temperature,
            max_tokens=self.settings.max_tokens,
        )
        reply = self.conversation.add(
            Message(Role.ASSISTANT, model=model, provider=provider, status=Status.STREAMING)
        )
        recorder = await self.history.add_reply(reply)
        chat_log = self.chat_log
        chat_log.follow()
        view = await chat_log.add_message(reply)
        stream = ReplyStream(
            reply,
            view,
            clock=self.clock,
            on_grow=chat_log.content_grew,
            on_error=self._show_unexpected,
            recorder=recorder,
        )
        self.reply_stream = stream
        stream.start(self, self.settings.render_fps)
        client = self.client_for(provider)
        if client is None:
            stream.end(Status.ERROR, f"The provider {neutralize(provider)} cannot be reached.")
            return
        self.streaming = True
        self._streams[self._run_reply(client, request, stream)] = stream

    @work(exclusive=True, group="reply", exit_on_error=False)
    async def _run_reply(
        self, client: ChatClient, request: ReplyRequest, stream: ReplyStream
    ) -> None:
        await stream_reply(client, request, stream, self.error_log)

    @on(Worker.StateChanged)
    def _reply_worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        stream = self._streams.get(worker)
        if stream is None or not worker.is_finished:
            return
        del self._streams[worker]
        if not stream.ended:
            # Cancelled before it ran, or a bug outside `stream_reply`'s own handling.
            if worker.state is WorkerState.ERROR and worker.error is not None:
                error = worker.error
                stream.end(Status.ERROR, self.error_log.record(error, "streaming a reply"))
            else:
                stream.end(Status.CANCELLED)
        if stream is self.reply_stream:
            self.streaming = False
        self.refresh_bindings()

    def stop_reply(self) -> None:
        """Cancel the reply that is streaming, if any: its connection closes at once."""
        self.workers.cancel_group(self, "reply")

    def retryable_reply(self) -> Message | None:
        """The last reply, if it failed or was stopped and nothing streams now."""
        messages = self.conversation.messages
        if self.streaming or not messages:
            return None
        last = messages[-1]
        if last.role is Role.ASSISTANT and last.status in RETRYABLE:
            return last
        return None

    def _show_unexpected(self, error: Exception) -> None:
        self.notify(self.error_log.record(error, "showing a reply"), severity="error", markup=False)

    # --- actions ----------------------------------------------------------------------------

    def action_stop_reply(self) -> None:
        """Esc: stop the reply; the partial answer stays, marked cancelled."""
        self.stop_reply()

    async def action_retry(self) -> None:
        """Ask again for the last reply that failed or was stopped (with the current model)."""
        failed = self.retryable_reply()
        if failed is None:
            return
        stream = self.reply_stream
        if stream is not None and stream.message is failed and stream.recorder is not None:
            stream.recorder.discard()
        elif failed.id is not None:
            # A reply of a reopened conversation: no recorder, but the store knows its id.
            self.history.submit(Store.delete_message, failed.id)
        self.conversation.messages.pop()
        views = self.chat_log.message_views()
        if views:
            await views[-1].remove()
            heap.expect_garbage()
        await self._start_reply()

    async def action_new_conversation(self) -> None:
        """Start over: stop any reply, clear the log, keep the model."""
        await self._start_new_conversation()
        self.prompt.focus()

    async def _start_new_conversation(self) -> None:
        """An empty chat with the configured system prompt; the model stays."""
        self._end_reply()
        self.conversation = Conversation(self.settings.system_prompt)
        self.history.new_conversation()
        self._show_title(None)
        self.chats.current = None
        chat_log = self.chat_log
        await chat_log.clear()
        await chat_log.add_widget(Welcome(self.settings, self.provider))

    def _end_reply(self) -> None:
        """Stop any reply and save it cancelled at once (as Esc does): its view is leaving."""
        self._cancel_streams()
        if self.reply_stream is not None:
            self.reply_stream.abandon()
        self.reply_stream = None
        self.streaming = False

    def _cancel_streams(self) -> None:
        """Stop any reply and end every stream still running as cancelled, saved at once."""
        self.stop_reply()
        for stream in self._streams.values():
            stream.end(Status.CANCELLED)

    def action_jump_to_bottom(self) -> None:
        """Jump to the newest content and follow it again."""
        self.chat_log.follow()

    def action_scroll_chat(self, pages: int) -> None:
        """Scroll the chat log by pages (negative: up) without leaving the prompt."""
        chat_log = self.chat_log
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
        """The palette's own commands, and the conversation commands."""
        yield from super().get_system_commands(screen)
        yield from conversation_commands(self)

    # --- messages from children -------------------------------------------------------------

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
    clients: Mapping[str, ChatClient] | None = None,
    log_dir: Path | None = None,
    state_dir: Path | None = None,
    history: ChatHistory | None = None,
    resumed: Resumed | None = None,
    export_dir: Path | None = None,
) -> ParrotChatApp:
    """Build the app from `settings`, starting on the last model used unless one was asked for.

    Args:
        settings: The effective configuration, with the demo server's URL set.
        clients: Provider name -> client to use instead of creating one (tests); not closed.
        log_dir: Directory for `parrotchat.log` (default: `platformdirs.user_log_dir`).
        state_dir: Directory for `last_model.json` (default: `platformdirs.user_state_dir`).
        history: The history (`open_history`); default: none, the chat lives in memory only.
        resumed: The conversation to reopen (from `open_history`); it starts on its model and
            system prompt unless flags chose others.
        export_dir: Where exported conversations go (default: the downloads folder).
    """
    state_dir = state_dir or Path(platformdirs.user_state_dir("parrotchat"))
    current = None
    # `--demo`, `--provider` and `--model` are choices for this run: they beat the memory.
    chosen_by_flag = settings.sources.get("provider", "default") not in ("default", "config file")
    if resumed is not None:
        restored, _conversation = resumed_settings(settings, resumed[0])
        current = (restored.provider, restored.model)
    elif not settings.model_explicit and not chosen_by_flag:
        last = load_last_model(state_dir)
        if last is not None and last[0] in settings.providers:
            current = last
    return ParrotChatApp(
        settings,
        clients=clients,
        log_dir=log_dir,
        state_dir=state_dir,
        current=current,
        history=history,
        resumed=resumed,
        export_dir=export_dir,
    )
