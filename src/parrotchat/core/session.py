"""The chat session: one conversation, its history and the life of each reply, with no UI.

The TUI and print mode are two faces of one `ChatSession`: they call `send`, `retry`, `stop`,
`open`, `new`, `delete`/`undo_delete`, and hear back through a `SessionView` (a message to show,
a reply that started and whom to tell as it grows, a reply that ended). The session decides what
is sent (the conversation's request messages, to the provider and model chosen), what a reply's
status is (`core.reply`), and what is stored (`core.history`).

Each reply runs in an asyncio task of its own with its own cancel scope, so several can be in
flight at once; `stop` cancels them all (the connection closes at once).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from parrotchat.core.attachments import Attachment
from parrotchat.core.conversation import Conversation, Message, Role, Status
from parrotchat.core.history import CHECKPOINT_SECONDS, History, Resumed, StoredReply
from parrotchat.core.records import ConversationRecord, make_title
from parrotchat.core.reply import ReplyBuilder, ReplyListener, ReplyRequest, stream_reply

if TYPE_CHECKING:
    from parrotchat.api.client import ChatClient
    from parrotchat.config import Settings
    from parrotchat.core.error_log import ErrorLog

__all__ = [
    "RETRYABLE",
    "UNDO_SECONDS",
    "ChatSession",
    "DeletedConversation",
    "ProviderMissing",
    "Reply",
    "SessionView",
    "resumed_settings",
]

RETRYABLE = (Status.CANCELLED, Status.ERROR, Status.INTERRUPTED)
"""The ways a reply can end that Retry (Ctrl+R) offers to ask again for."""
TICK_SECONDS = 0.25
"""How often a retry's countdown is brought up to date while the reply waits for it."""
UNDO_SECONDS = 8.0
"""How long a deleted conversation can be brought back (it stays in the trash anyway)."""
TITLE_LENGTH = 200
"""The longest title kept for a conversation, in characters."""


class ProviderMissing(Exception):
    """The conversation was held with a provider that is not configured (nor found on this
    machine): nothing is sent until the user chooses a model."""

    def __init__(self, provider: str) -> None:
        super().__init__(provider)
        self.provider = provider

    def sentence(self, how: str, *, refused: bool = True) -> str:
        """One sentence saying what is missing (and, if `refused`, that nothing was sent),
        ending with `how` to choose a model."""
        from parrotchat.sanitize import neutralize

        outcome = ", so nothing was sent" if refused else ""
        return (
            f"This conversation was held with the provider {neutralize(self.provider)},"
            f" which is not configured{outcome}; {how}."
        )


def resumed_settings(settings: Settings, record: ConversationRecord) -> Settings:
    """Settings that carry on `record`: its model, provider and system prompt, unless flags
    chose others for this run."""
    changes: dict[str, Any] = {}
    if record.provider in settings.providers and not settings.set_by_flag("provider"):
        changes["provider"] = record.provider
    # The conversation's model only makes sense on its own provider: one chosen by flag, or
    # one no longer configured, keeps its own model.
    same_provider = changes.get("provider", settings.provider) == record.provider
    if record.model and not settings.set_by_flag("model") and same_provider:
        changes["model"] = record.model
    if not settings.set_by_flag("system_prompt"):
        changes["system_prompt"] = record.system_prompt
    return dataclasses.replace(settings, **changes)


def _gone(settings: Settings, provider: str) -> bool:
    """True if `provider` is not configured and no flag chose the provider for this run."""
    return provider not in settings.providers and not settings.set_by_flag("provider")


class SessionView(Protocol):
    """Whoever shows the session: the TUI's chat screen, or print mode's stdout."""

    async def show_message(self, message: Message) -> None:
        """A prompt was added to the conversation."""

    async def reply_started(self, reply: Reply) -> ReplyListener | None:
        """A reply is about to stream: show it; return who hears it grow."""

    async def message_removed(self, message: Message) -> None:
        """A message left the conversation (a retry replaces an empty failed reply)."""

    async def path_changed(self, removed: list[Message], shown: list[Message]) -> None:
        """The path's end changed (an edit, a regeneration, a switch to an alternative):
        `removed` left the screen, `shown` follows what stays (a reply about to start is not
        in it: `reply_started` shows it)."""

    def reply_ended(self, reply: Reply) -> None:
        """A reply's task is over (its message holds the final state)."""


@dataclass(eq=False)
class Reply:
    """One reply in flight (or just ended): its message, who builds it, and its task."""

    message: Message
    builder: ReplyBuilder
    recorder: StoredReply
    provider: str
    model: str
    task: asyncio.Task[None] | None = None
    """The task reading the network; None if the reply could not be sent at all."""
    column: int | None = None
    """Its column (0-based, in the order the models were asked) in a comparison; else None."""
    checkpoint_timer: asyncio.TimerHandle | None = None
    """The next forced checkpoint; cancelled when the task ends (it holds the reply)."""

    @property
    def ended(self) -> bool:
        """True once the reply's status is final."""
        return self.builder.ended


@dataclass(frozen=True)
class DeletedConversation:
    """A conversation just moved to the trash, that `undo_delete` can still bring back."""

    conversation_id: int
    title: str
    on_screen: bool
    """It was the conversation on screen (undo reopens it if nothing replaced it)."""


class _NoView:
    """A `SessionView` that shows nothing (the session before a view attaches)."""

    async def show_message(self, message: Message) -> None:
        pass

    async def reply_started(self, reply: Reply) -> ReplyListener | None:
        return None

    async def message_removed(self, message: Message) -> None:
        pass

    async def path_changed(self, removed: list[Message], shown: list[Message]) -> None:
        pass

    def reply_ended(self, reply: Reply) -> None:
        pass


class ChatSession:
    """A conversation with a model: prompts in, replies streamed, everything kept.

    `session = ChatSession(settings, history=history, error_log=log); session.attach(view)`
    `reply = await session.send("hello"); await session.wait(reply)`
    """

    def __init__(
        self,
        settings: Settings,
        *,
        error_log: ErrorLog,
        history: History | None = None,
        clients: Mapping[str, ChatClient] | None = None,
        current: tuple[str, str] | None = None,
        resumed: Resumed | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """
        Args:
            settings: The effective configuration (the demo server's URL already set).
            error_log: Where unexpected errors are written.
            history: Where conversations are kept (default: nowhere, in memory only).
            clients: Provider name -> client to use instead of creating one; not closed here.
            current: The `(provider, model)` to start with (default: the settings', or the
                resumed conversation's).
            resumed: A stored conversation to carry on.
            clock: Timings of replies; the snapshot tests pass a fixed clock.
        """
        self.settings: Settings = settings
        self.error_log: ErrorLog = error_log
        self.history: History = history or History()
        self.clock: Callable[[], float] = clock
        self.conversation: Conversation = Conversation(settings.system_prompt)
        """The conversation on screen; each request sends all of it."""
        self.conversation_id: int | None = None
        """The stored conversation; None until its first prompt is stored."""
        self.title: str | None = None
        """The stored conversation's title; None for a new one."""
        self.replies: list[Reply] = []
        """Replies still in flight, oldest first."""
        self.latest: Reply | None = None
        """The reply started last (it may have ended)."""
        self.deleted: DeletedConversation | None = None
        """The conversation `undo_delete` can bring back, if any."""
        self.compare_next: list[tuple[str, str]] = []
        """`(provider, model)` pairs the next prompt goes to at once (`--compare`, the marks
        in the model sidebar); empty: the next prompt goes to the model chosen."""
        self.view: SessionView = _NoView()
        self.on_undo_expired: Callable[[], None] | None = None
        """Called when the time to undo a delete is up (the UI hides its hint)."""
        self._given_clients: dict[str, ChatClient] = dict(clients or {})
        self._own_clients: dict[str, ChatClient] = {}
        self._undo_timer: asyncio.TimerHandle | None = None
        provider, model = settings.provider, settings.model
        if resumed is not None:
            record, messages = resumed
            restored = resumed_settings(settings, record)
            provider, model = restored.provider, restored.model
            if record.provider and _gone(settings, record.provider):
                # Never sent elsewhere without a word: it stays on its own provider, and
                # `send` refuses until the user chooses a model (or the provider is found).
                provider, model = record.provider, record.model or model
            self.conversation = Conversation.from_tree(
                restored.system_prompt, list(messages), record.active_leaf
            )
            self.conversation_id, self.title = record.id, record.title
        self.provider, self.model = current or (provider, model)

    def attach(self, view: SessionView) -> None:
        """Report to `view` from now on."""
        self.view = view

    def detach(self) -> None:
        """Report to nobody from now on (the view is going away)."""
        self.view = _NoView()

    # --- providers and models ---------------------------------------------------------------

    def select(self, provider: str, model: str) -> None:
        """Send the next request to `model` on `provider` (the conversation carries on)."""
        self.provider, self.model = provider, model

    @property
    def missing_provider(self) -> str | None:
        """The provider the next request would go to, if it is not configured (a reopened
        conversation's, no longer in the config and not found on this machine); else None."""
        return self.provider if self.provider not in self.settings.providers else None

    def _check_provider(self) -> None:
        if (missing := self.missing_provider) is not None:
            raise ProviderMissing(missing)

    def client_for(self, provider: str) -> ChatClient | None:
        """The client of `provider`, created on first use; None if it cannot be reached."""
        client = self._given_clients.get(provider) or self._own_clients.get(provider)
        if client is None:
            from parrotchat.api.client import ChatClient
            from parrotchat.config import ConfigError

            try:
                endpoint = self.settings.endpoint(provider)
            except (ConfigError, RuntimeError):
                return None
            client = self._own_clients[provider] = ChatClient(endpoint)
        return client

    # --- replies ----------------------------------------------------------------------------

    @property
    def streaming(self) -> bool:
        """True while a reply is in flight."""
        return bool(self.replies)

    async def send(self, text: str, attachments: Sequence[Attachment] = ()) -> Reply:
        """Send `text` (with the files attached, already read and checked) as the next user
        turn and start its reply.

        A reply still streaming is stopped first; its partial answer stays in the history.

        Raises:
            ProviderMissing: The conversation's provider is not configured; nothing is sent.
        """
        if self.comparison:
            replies = await self.continue_comparison(text, attachments)
            return replies[-1]
        if self.compare_next:
            replies = await self.compare(text, self.compare_next, attachments)
            self.compare_next = []
            return replies[-1]
        self._check_provider()
        self.stop()
        await self._add_prompt(text, attachments)
        return await self._start_reply()

    async def _add_prompt(self, text: str, attachments: Sequence[Attachment]) -> Message:
        """Add the user's prompt to the path, show it and store it (a new conversation for
        the first one)."""
        user = self.conversation.add(Message(Role.USER, text, attachments=list(attachments)))
        await self.view.show_message(user)
        if self.conversation_id is None:
            self.conversation_id = await self.history.create_conversation(
                self.conversation.system_prompt, model=self.model, provider=self.provider
            )
            if self.conversation_id is not None:
                self.title = make_title(text or " ".join(a.name for a in attachments))
        if self.conversation_id is not None:
            await self.history.add_message(self.conversation_id, user)
        return user

    # --- comparisons ------------------------------------------------------------------------

    @property
    def comparison(self) -> list[Message]:
        """The replies of the comparison on screen, one per model in the order asked, until
        one is chosen (`choose`); empty when there is none."""
        return self.conversation.comparison()

    async def compare(
        self,
        text: str,
        targets: Sequence[tuple[str, str]],
        attachments: Sequence[Attachment] = (),
    ) -> list[Reply]:
        """Send `text` to every `(provider, model)` in `targets` at once, each with the
        conversation so far; each reply streams in a task of its own (`Reply.column`).

        The replies are alternatives of one turn; the path ends at the prompt until one is
        chosen, and until then `send` carries every column on with its own model.

        Raises:
            ProviderMissing: A provider is not configured; nothing is sent.
        """
        for provider, _model in targets:
            if provider not in self.settings.providers:
                raise ProviderMissing(provider)
        self.stop()
        user = await self._add_prompt(text, attachments)
        group = self.conversation.next_comparison()
        columns = [
            await self._prepare_column(user, column, provider, model, group)
            for column, (provider, model) in enumerate(targets)
        ]
        await self._remember_shown(user)
        return self._start_columns(columns)

    async def continue_comparison(
        self, text: str, attachments: Sequence[Attachment] = ()
    ) -> list[Reply]:
        """Send `text` as the next prompt of every column of the open comparison, each with
        its own branch (its own earlier answers) and its own model.

        Raises:
            ProviderMissing: A column's provider is not configured; nothing is sent.
        """
        roots = self.comparison
        for root in roots:
            if (root.provider or "") not in self.settings.providers:
                raise ProviderMissing(root.provider or "")
        self.stop()
        columns = []
        for column, root in enumerate(roots):
            leaf = self.conversation.branch_below(root)[-1]
            prompt = Message(Role.USER, text, attachments=list(attachments), compare=root.compare)
            self.conversation.add_under(leaf, prompt)
            if self.conversation_id is not None:
                await self.history.add_message(self.conversation_id, prompt)
            provider, model = root.provider or self.provider, root.model or self.model
            columns.append(
                await self._prepare_column(prompt, column, provider, model, root.compare)
            )
        if self.conversation.messages:
            await self._remember_shown(self.conversation.messages[-1])
        return self._start_columns(columns)

    def columns(self) -> list[list[Message]]:
        """Each column of the open comparison: its reply and what followed it on its branch."""
        return [self.conversation.branch_below(root) for root in self.comparison]

    async def choose(self, column: int) -> bool:
        """Carry the conversation on with the comparison's column `column` (0-based): its
        branch becomes the path and its model answers next; the other replies stay as
        alternatives of that turn. Replies still streaming are stopped first. False if there is
        no such column."""
        roots = self.comparison
        if not 0 <= column < len(roots):
            return False
        self.end_replies()
        chosen = roots[column]
        if chosen.provider in self.settings.providers and chosen.model:
            self.select(chosen.provider, chosen.model)
        shown = self.conversation.show(chosen)
        self.latest = None
        await self.view.path_changed([], shown)
        leaf = self.conversation.messages[-1].id
        if self.conversation_id is not None and leaf is not None:
            await self.history.set_active_leaf(self.conversation_id, leaf)
        return True

    def stop_reply(self, reply: Reply) -> None:
        """Cancel one reply in flight (a comparison's column); the others stream on."""
        if reply.task is not None and not reply.ended:
            reply.task.cancel()

    async def _remember_shown(self, message: Message) -> None:
        """The path ends at `message` (a comparison's prompt, its replies below it): that is
        where the conversation opens next time."""
        if self.conversation_id is not None and message.id is not None:
            await self.history.set_active_leaf(self.conversation_id, message.id)

    async def _prepare_column(
        self, prompt: Message, column: int, provider: str, model: str, group: int | None
    ) -> tuple[Reply, Callable[[], None]]:
        message = Message(
            Role.ASSISTANT, model=model, provider=provider, status=Status.STREAMING, compare=group
        )
        self.conversation.add_under(prompt, message)
        path = self.conversation.path_to(prompt)
        return await self._prepare(message, path, provider, model, column=column)

    @staticmethod
    def _start_columns(columns: list[tuple[Reply, Callable[[], None]]]) -> list[Reply]:
        """Start every column's request at once, now that all of them are on screen."""
        for _reply, start in columns:
            start()
        return [reply for reply, _start in columns]

    def retryable_reply(self) -> Message | None:
        """The last reply, if it failed or was stopped and nothing streams now."""
        messages = self.conversation.messages
        if self.streaming or not messages:
            return None
        last = messages[-1]
        if last.role is Role.ASSISTANT and last.status in RETRYABLE:
            return last
        return None

    async def retry(self) -> Reply | None:
        """Ask again (with the model now chosen) for the last reply that failed or was stopped.

        A reply with anything in it stays as an alternative (`regenerate`); an empty one is
        replaced, in the history too. None if there is nothing to retry.
        """
        failed = self.retryable_reply()
        if failed is None:
            return None
        self._check_provider()
        if failed.content or failed.reasoning or failed.tool_calls:
            return await self.regenerate(len(self.conversation.messages) - 1)
        latest = self.latest
        if latest is not None and latest.message is failed:
            latest.recorder.discard()
        elif failed.id is not None:
            # A reply of a reopened conversation: no recorder, but the store knows its id.
            self.history.delete_message(failed.id)
        self.conversation.remove_last()
        await self.view.message_removed(failed)
        return await self._start_reply()

    async def regenerate(self, index: int | None = None) -> Reply | None:
        """Ask again for the reply at `index` on the path (default: the last reply), with the
        model now chosen; the earlier answer and what followed it stay as an alternative.
        None if there is no reply there."""
        messages = self.conversation.messages
        if index is None:
            index = max((n for n, m in enumerate(messages) if m.role is Role.ASSISTANT), default=-1)
        if not 0 <= index < len(messages) or messages[index].role is not Role.ASSISTANT:
            return None
        self._check_provider()
        self.stop()
        removed = messages[index:]
        return await self._start_reply(at=index, removed=removed)

    async def edit(self, index: int, text: str) -> Reply | None:
        """Send `text` in place of the prompt at `index` on the path, as a new branch; the
        earlier prompt and what followed it stay as an alternative. None if there is no
        prompt there."""
        messages = self.conversation.messages
        if not 0 <= index < len(messages) or messages[index].role is not Role.USER:
            return None
        self._check_provider()
        self.stop()
        removed = messages[index:]
        # The edited prompt keeps the files the earlier one carried.
        files = list(messages[index].attachments)
        user = self.conversation.branch(index, Message(Role.USER, text, attachments=files))
        await self.view.path_changed(removed, [user])
        if self.conversation_id is not None:
            await self.history.add_message(self.conversation_id, user, root=index == 0)
        return await self._start_reply()

    def alternatives(self, index: int) -> tuple[int, int]:
        """Which of its alternatives the path's message at `index` is, and how many there are
        (1-based: `(2, 3)` reads "2/3")."""
        return self.conversation.alternatives(self.conversation.messages[index])

    async def switch(self, index: int, step: int) -> bool:
        """Show the alternative `step` places away from the path's message at `index` (and the
        newest branch below it); remembered for the next start. False if there is none."""
        if self.streaming:
            return False
        removed = self.conversation.messages[index:]
        if not self.conversation.switch(index, step):
            return False
        self.latest = None
        path = self.conversation.messages
        await self.view.path_changed(removed, path[index:])
        leaf = path[-1].id
        if self.conversation_id is not None and leaf is not None:
            await self.history.set_active_leaf(self.conversation_id, leaf)
        return True

    async def _start_reply(
        self, *, at: int | None = None, removed: list[Message] | None = None
    ) -> Reply:
        provider, model = self.provider, self.model
        message = Message(Role.ASSISTANT, model=model, provider=provider, status=Status.STREAMING)
        if at is None:
            self.conversation.add(message)
        else:
            self.conversation.branch(at, message)
            await self.view.path_changed(removed or [], [])
        # The reply being started is empty, so it is not part of what is sent.
        return await self._launch(message, self.conversation.messages, provider, model)

    async def _launch(
        self,
        message: Message,
        path: list[Message],
        provider: str,
        model: str,
        *,
        column: int | None = None,
    ) -> Reply:
        """Store `message` (an empty reply, already in the tree), tell the view, and start
        its task: a request with `path` as the history."""
        reply, start = await self._prepare(message, path, provider, model, column=column)
        start()
        return reply

    async def _prepare(
        self,
        message: Message,
        path: list[Message],
        provider: str,
        model: str,
        *,
        column: int | None = None,
    ) -> tuple[Reply, Callable[[], None]]:
        """`_launch` without starting the request: the reply, and what starts it. A
        comparison shows every column before any of them streams (a column mounted while
        another streams waits for its frames, and so would a key pressed meanwhile)."""
        request = ReplyRequest(
            model=model,
            messages=self.conversation.request_messages(path),
            temperature=self.settings.temperature,
            max_tokens=self.settings.max_tokens,
        )
        reply_id = None
        if self.conversation_id is not None:
            reply_id = await self.history.add_message(self.conversation_id, message)
        recorder = StoredReply(self.history, reply_id)
        builder = ReplyBuilder(message, clock=self.clock, recorder=recorder)
        reply = Reply(message, builder, recorder, provider, model, column=column)
        self.latest = reply
        builder.listener = await self.view.reply_started(reply)

        def start() -> None:
            client = self.client_for(provider)
            if client is None:
                from parrotchat.sanitize import neutralize

                builder.end(Status.ERROR, f"The provider {neutralize(provider)} cannot be reached.")
                self.view.reply_ended(reply)
                return
            self.replies.append(reply)
            reply.task = asyncio.create_task(
                stream_reply(client, request, builder, self.error_log), name="parrotchat-reply"
            )
            reply.task.add_done_callback(lambda _task: self._reply_done(reply))
            self._checkpoint_later(reply)
            self._tick_later(reply)

        return reply, start

    def _tick_later(self, reply: Reply) -> None:
        """Count down a retry's wait in the reply's notice, until the first token or the end."""

        def tick() -> None:
            if not reply.ended and reply.message.ttft is None:
                reply.builder.tick()
                self._tick_later(reply)

        asyncio.get_running_loop().call_later(TICK_SECONDS, tick)

    def forget_empty_failure(self, reply: Reply, *, new: bool) -> bool:
        """Forget the turn of `reply` if it ended without a word (failed or stopped, nothing
        in it): print mode keeps no such runs. `new`: the conversation was started for this
        turn, so it goes too. True if something was forgotten."""
        message = reply.message
        if message.status is Status.COMPLETE or not reply.ended:
            return False
        if message.content or message.reasoning or message.tool_calls:
            return False
        if self.conversation_id is None:
            return False
        if new:
            self.history.forget(self.conversation_id)
            return True
        reply.recorder.discard()
        messages = self.conversation.messages
        prompt = messages[-2] if len(messages) >= 2 and messages[-1] is message else None
        if prompt is not None and prompt.role is Role.USER and prompt.id is not None:
            self.history.delete_message(prompt.id)
        return True

    def _checkpoint_later(self, reply: Reply) -> None:
        """Save a reply's text every `CHECKPOINT_SECONDS` while it streams (what a kill can
        lose), whether the server is busy or silent: the only checkpoints there are."""

        def tick() -> None:
            if not reply.ended:
                reply.builder.checkpoint()
                self._checkpoint_later(reply)

        reply.checkpoint_timer = asyncio.get_running_loop().call_later(CHECKPOINT_SECONDS, tick)

    def _reply_done(self, reply: Reply) -> None:
        # A task cancelled before it ran never ended its reply: it is cancelled all the same.
        reply.builder.end(Status.CANCELLED)
        if reply.checkpoint_timer is not None:
            reply.checkpoint_timer.cancel()  # else it keeps the reply and its views a second
            reply.checkpoint_timer = None
        if reply in self.replies:
            self.replies.remove(reply)
        self.view.reply_ended(reply)

    def stop(self) -> None:
        """Cancel every reply in flight: its connection closes at once; the partial answer
        stays, marked cancelled, as soon as its task sees the cancel."""
        for reply in self.replies:
            if reply.task is not None:
                reply.task.cancel()

    def end_replies(self, status: Status = Status.CANCELLED, error: str | None = None) -> None:
        """Stop every reply and save it now, without waiting for its task (the conversation
        is leaving the screen, or the app quits): cancelled, or `status` with `error` (a
        signal ends them interrupted)."""
        self.stop()
        for reply in list(self.replies):
            reply.builder.end(status, error)

    async def wait(self, reply: Reply) -> Message:
        """Wait until `reply`'s task is over; its message."""
        if reply.task is not None:
            await asyncio.wait({reply.task})
        reply.builder.end(Status.CANCELLED)  # a task cancelled before it ran ended nothing
        return reply.message

    # --- conversations ----------------------------------------------------------------------

    def new(self) -> None:
        """Start over with an empty conversation and the configured system prompt; the model
        stays. A reply in flight is stopped and saved first."""
        self.end_replies()
        self.latest = None
        self.conversation = Conversation(self.settings.system_prompt)
        self.conversation_id = None
        self.title = None

    async def open(
        self, conversation_id: int, at: int | None = None
    ) -> tuple[Resumed, str | None] | None:
        """Make a stored conversation the one on screen, with its model and system prompt.

        A reply in flight is stopped once the conversation is loaded (if the load fails, it
        streams on). Nothing is sent.

        Args:
            at: A stored message (a search's hit) whose branch is shown, and then remembered
                as the one shown; default: the branch shown last.

        Returns:
            The conversation as stored (`Resumed`: every branch; `self.conversation.messages`
            is the path shown), and the provider it was held with if that is not configured
            (it stays the provider: `send` raises `ProviderMissing` until a model is chosen);
            None if history is off.

        Raises:
            HistoryRefused: The conversation is gone, or the database is busy.
        """
        loaded = await self.history.load(conversation_id)
        if loaded is None:
            return None
        record, messages = loaded
        self.end_replies()  # no await from here on: nothing slips in
        self.latest = None
        notice = self._restore_model(record)
        self.conversation = Conversation.from_tree(
            record.system_prompt, list(messages), record.active_leaf
        )
        self.conversation_id, self.title = record.id, record.title
        path = self.conversation.messages
        if at is not None and path and self.conversation.show_branch_of(at):
            leaf = self.conversation.messages[-1]
            if leaf is not path[-1] and leaf.id is not None:
                await self.history.set_active_leaf(record.id, leaf.id)
        return loaded, notice

    def _restore_model(self, record: ConversationRecord) -> str | None:
        provider, model = record.provider, record.model
        if not provider or not model:
            return None
        self.select(provider, model)
        return self.missing_provider

    async def rename(self, conversation_id: int, title: str) -> str:
        """Give a stored conversation a new title; the title as stored.

        Raises:
            HistoryRefused: The conversation is gone, or the database is busy.
        """
        await self.history.rename(conversation_id, title)
        stored = make_title(title, TITLE_LENGTH)
        if conversation_id == self.conversation_id:
            self.title = stored
        return stored

    async def delete(self, conversation_id: int, title: str) -> bool:
        """Move a conversation to the trash; `undo_delete` brings it back for `UNDO_SECONDS`.

        Returns:
            True if it was the conversation on screen (then a new one starts).

        Raises:
            HistoryRefused: The conversation is gone, or the database is busy.
        """
        await self.history.delete(conversation_id)
        return self.deleted_now(conversation_id, title)

    async def record(self) -> ConversationRecord | None:
        """The stored record of the conversation on screen; None if it is not stored.

        Raises:
            HistoryRefused: The conversation is gone, or the database is busy.
        """
        if self.conversation_id is None:
            return None
        return await self.history.get(self.conversation_id)

    async def to_export(self) -> tuple[ConversationRecord, list[Message], int | None] | None:
        """The conversation on screen as stored (every branch, and the id of the message it
        is shown at); or, unsaved (no history), its path in memory. None if there is nothing
        to export yet.

        Raises:
            HistoryRefused: The conversation is gone, or the database is busy.
        """
        if self.conversation_id is not None:
            loaded = await self.history.load_tree(self.conversation_id)
            if loaded is not None:
                return loaded
        messages = list(self.conversation.messages)
        if not messages:
            return None
        first = next((m.content for m in messages if m.role is Role.USER), "")
        record = ConversationRecord(
            id=0,
            title=make_title(first),
            created=messages[0].created,
            updated=messages[-1].created,
            system_prompt=self.conversation.system_prompt,
            model=self.model,
            provider=self.provider,
        )
        return record, [dataclasses.replace(m, id=None) for m in messages], None

    def deleted_now(self, conversation_id: int, title: str) -> bool:
        """A conversation went to the trash: offer to undo it for `UNDO_SECONDS`. Returns
        True if it was the one on screen (then a new one starts)."""
        on_screen = conversation_id == self.conversation_id
        self._forget_deleted()
        self.deleted = DeletedConversation(conversation_id, title, on_screen)
        loop = asyncio.get_running_loop()
        self._undo_timer = loop.call_later(UNDO_SECONDS, self._undo_expired)
        if on_screen:
            self.new()
        return on_screen

    def _undo_expired(self) -> None:
        self._forget_deleted()
        if self.on_undo_expired is not None:
            self.on_undo_expired()

    def _forget_deleted(self) -> None:
        self.deleted = None
        if self._undo_timer is not None:
            self._undo_timer.cancel()
            self._undo_timer = None

    async def undo_delete(self) -> tuple[DeletedConversation, bool] | None:
        """Bring back the conversation deleted last, if the time to undo is not up.

        Returns:
            It, and whether to reopen it (it was on screen and nothing replaced it).

        Raises:
            HistoryRefused: The database is busy.
        """
        deleted = self.deleted
        if deleted is None:
            return None
        self._forget_deleted()
        await self.history.restore(deleted.conversation_id)
        nothing_else = self.conversation_id is None and not self.conversation.messages
        return deleted, deleted.on_screen and nothing_else

    async def aclose(self) -> None:
        """Stop every reply (saved cancelled), close the clients made here and the history."""
        self.end_replies()
        self._forget_deleted()
        for reply in list(self.replies):
            if reply.task is not None:
                await asyncio.wait({reply.task})
        for client in self._own_clients.values():
            await client.aclose()
        self._own_clients.clear()
        await self.history.close()
