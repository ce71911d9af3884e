"""One message in the chat log: who wrote it, the answer as Markdown, reasoning, tool calls, stats.

`MessageView` is the `ReplySink`: the answer is a line-cached `MarkdownView`. Every text that
came from the network is shown through `Content` objects, never parsed as markup. A message can
take the focus (the chat log's message cursor, `ChatLog`): it is marked, and its code blocks
show their numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Size
from textual.message import Message as TextualMessage
from textual.widgets import Collapsible, Static

from parrotchat.api.events import ToolCall
from parrotchat.core.conversation import Message, Role, Status
from parrotchat.sanitize import neutralize
from parrotchat.ui.attachment_chips import MessageChips
from parrotchat.ui.key_names import app_keymap, key_label
from parrotchat.ui.render import heap
from parrotchat.ui.render.growing import grew_in_place
from parrotchat.ui.render.markdown_view import MarkdownView
from parrotchat.ui.render.word_select import WordSelect
from parrotchat.ui.stats import format_stats

__all__ = ["MessageText", "MessageView", "ReasoningBlock", "ToolCallView"]


class MessageText(WordSelect, Static):
    """Plain text of a message (a prompt, reasoning): a double click selects a word."""

    def selection_line(self, y: int) -> str:
        lines = str(self.visual).split("\n")
        return lines[y] if 0 <= y < len(lines) else ""


class ReasoningBlock(Collapsible):
    """The model's reasoning, dimmed, above the answer; click the title (or Ctrl+T) to fold it."""

    DEFAULT_CSS = """
    ReasoningBlock {
        background: transparent;
        border-top: none;
        padding: 0;
        margin: 0 0 1 0;
        color: $text-muted;
        text-style: italic;
        & > Contents { padding: 0 0 0 2; }
        & > CollapsibleTitle { color: $text-muted; padding: 0; }
    }
    """

    def __init__(self, text: str = "") -> None:
        self.body: Static = MessageText(Content(text), classes="reasoning-text")
        """The reasoning text; updated once per frame while it streams."""
        self.text: str = text
        super().__init__(self.body, title="Reasoning", collapsed=False)

    def append(self, text: str) -> None:
        """Add a piece of reasoning (already neutralised)."""
        self.text += text
        self.body.update(Content(self.text))


class ToolCallView(Static):
    """A tool call: the function name and its arguments, pretty-printed when they are JSON."""

    DEFAULT_CSS = """
    ToolCallView {
        border: round $secondary;
        border-title-color: $secondary;
        padding: 0 1;
        margin: 0 0 1 0;
        height: auto;
    }
    """

    def __init__(self, call: ToolCall) -> None:
        super().__init__()
        self.border_title = Content("tool call")
        self.show_call(call)

    def show_call(self, call: ToolCall) -> None:
        """Show the call's current name and arguments."""
        parsed = call.parsed_arguments
        if parsed is not None:
            arguments = json.dumps(parsed, indent=2, ensure_ascii=False)
            suffix = Content("")
        else:
            arguments = call.arguments
            suffix = Content.styled("\n(arguments are not valid JSON yet)", "$text-muted")
        self.update(
            Content.assemble(
                Content.styled(neutralize(call.name) or "(unnamed function)", "bold"),
                "\n",
                Content(neutralize(arguments)),
                suffix,
            )
        )


class AlternativesLine(Static):
    """`‹ 2/3 ›` under the role line of a message with alternatives; a click on an arrow
    shows the alternative on that side."""

    def __init__(self, view: MessageView) -> None:
        super().__init__("", classes="alternatives")
        self._view = view

    def on_click(self, event: events.Click) -> None:
        event.stop()
        # "‹ 2/3 ›": the left arrow is the first cell; the right one ends the counter.
        counter = f"‹ {self._view.alternatives[0]}/{self._view.alternatives[1]} ›"
        if event.x <= 1:
            self.post_message(MessageView.AlternativeClicked(self._view, -1))
        elif len(counter) - 2 <= event.x <= len(counter):
            self.post_message(MessageView.AlternativeClicked(self._view, 1))


class MessageView(Vertical, can_focus=True):
    """One message: a role line, then (for replies) reasoning, answer, tool calls, status lines."""

    DEFAULT_CSS = """
    MessageView {
        height: auto;
        padding: 0 1 0 1;
        margin: 0 0 1 0;
        border-left: outer $primary 50%;
        & > .role { color: $text-muted; }
        & > .alternatives { color: $text-accent; display: none; }
        &.-alternatives > .alternatives { display: block; }
        & > .user-text { padding: 0 0 0 0; }
        & > MarkdownView { padding: 0; margin: 0; }
        & > .tool-calls { height: auto; }
        & > .stats { color: $text-muted; }
        & > .notice { color: $text-warning; }
        & > .error { color: $text-error; }
        &.-assistant { border-left: outer $accent 50%; }
        &.-streaming { border-left: outer $accent; }
        &.-cancelled > .stats { color: $text-warning; }
        &.-error { border-left: outer $error; }
        &.-interrupted { border-left: outer $warning; }
        &:focus {
            background: $boost;
            border-left: thick $accent;
            & > .role { color: $text-accent; }
        }
    }
    """

    def __init__(self, message: Message) -> None:
        """
        Args:
            message: The message to show; a reply still streaming fills in through the sink.
        """
        super().__init__(classes=f"-{message.role}")
        self.message: Message = message
        """The message this view shows."""
        self.answer: MarkdownView | None = None
        """The answer's Markdown (replies only)."""
        self._reasoning: ReasoningBlock | None = None
        self._tool_calls: dict[int, ToolCallView] = {}
        self._calls_box = Vertical(classes="tool-calls")
        self._stats = Static(classes="stats")
        self._stats_fit = False
        """The stats line shown last fit on one line."""
        self._notice = Static(classes="notice")
        self._error = Static(classes="error")
        self.alternatives: tuple[int, int] = (1, 1)
        """Which of its alternatives the message is, and how many there are."""
        self._alternatives = AlternativesLine(self)

    def compose(self) -> ComposeResult:
        message = self.message
        yield Static(self._role_line(), classes="role")
        yield self._alternatives
        if message.role is not Role.ASSISTANT:
            yield MessageText(Content(neutralize(message.content)), classes="user-text")
            if message.attachments:
                yield MessageChips(message.attachments)
            return
        if message.reasoning:
            self._reasoning = ReasoningBlock(neutralize(message.reasoning))
            yield self._reasoning
        # A stored message keeps the model's raw text (a reopened or imported conversation, a
        # message set aside and mounted again): it reaches the screen neutralised, as it streams.
        self.answer = MarkdownView(neutralize(message.content))
        yield self.answer
        with self._calls_box:
            for call in message.tool_calls:
                self._tool_calls[call.index] = ToolCallView(call)
                yield self._tool_calls[call.index]
        yield self._stats
        yield self._notice
        yield self._error

    def on_mount(self) -> None:
        self._show_state()

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        # A reply growing taller: its border and padding rows drawn so far stay as they are.
        if grew_in_place(self, size, virtual_size, container_size):
            return True
        return super()._size_updated(size, virtual_size, container_size, layout)

    @dataclass
    class AlternativeClicked(TextualMessage):
        """A click on an arrow of the alternatives line: show the one `step` away."""

        view: MessageView
        step: int

    def show_alternatives(self, position: int, count: int) -> None:
        """Show `‹ 2/3 ›` when the message has alternatives (`position` of `count`)."""
        if (position, count) == self.alternatives:
            return
        self.alternatives = (position, count)
        self.set_class(count > 1, "-alternatives")
        hint = f"‹ {position}/{count} ›  alternatives (←/→ on the focused message)"
        self._alternatives.update(hint if count > 1 else "")

    def on_focus(self) -> None:
        if self.answer is not None:
            self.answer.show_code_labels(True)

    def on_blur(self) -> None:
        if self.answer is not None:
            self.answer.show_code_labels(False)

    def _role_line(self) -> Content:
        message = self.message
        if message.role is Role.USER:
            return Content.styled("You", "bold")
        if message.role is Role.SYSTEM:
            return Content.styled("System", "bold")
        parts: list[Content | str | tuple[str, str]] = [
            Content.styled(neutralize(message.model or "assistant"), "bold $accent")
        ]
        if message.provider:
            parts.append(Content.styled(f"  via {neutralize(message.provider)}", "dim"))
        return Content.assemble(*parts)

    # --- ReplySink --------------------------------------------------------------------------

    async def append_text(self, text: str) -> None:
        """Append answer text to the Markdown view."""
        assert self.answer is not None
        self.answer.append(text)

    async def append_reasoning(self, text: str) -> None:
        """Append reasoning, creating the block above the answer on the first piece."""
        if self._reasoning is None:
            self._reasoning = ReasoningBlock()
            await self.mount(self._reasoning, before=self.answer)
        self._reasoning.append(text)

    def show_tool_call(self, call: ToolCall) -> None:
        """Show or update one tool call."""
        view = self._tool_calls.get(call.index)
        if view is None:
            view = self._tool_calls[call.index] = ToolCallView(call)
            self._calls_box.mount(view)
        else:
            view.show_call(call)

    def show_progress(self, message: Message, elapsed: float, notice: str | None) -> None:
        """Update the live stats line (and a retry notice, if any)."""
        text = format_stats(message, elapsed=elapsed)
        # Every frame: a relayout of the whole log only when the line may wrap differently.
        fits = len(text) < self._stats.size.width
        self._stats.update(Content(text), layout=not (fits and self._stats_fit))
        self._stats_fit = fits
        if notice or self._notice.display:
            self._set_line(self._notice, notice)

    async def finish(self, message: Message) -> None:
        """Show the final state: stats, notice, error and the retry hint."""
        for call in message.tool_calls:
            self.show_tool_call(call)
        if self.answer is not None:
            self.answer.finish()
        self._show_state()
        # Once the final frame is painted: the finished reply is long-lived from now on, and
        # the memory its request and stream used goes back to the system.
        self.call_after_refresh(heap.settle, True)

    def _show_state(self) -> None:
        message = self.message
        if message.role is not Role.ASSISTANT:
            return
        for status in Status:
            self.set_class(message.status is status, f"-{status}")
        self._stats.update(Content(format_stats(message)))
        notice = message.notice
        if (
            message.status is Status.COMPLETE
            and not message.content
            and not message.tool_calls
            and not message.reasoning
        ):
            notice = "The model sent an empty answer."
        self._set_line(self._notice, notice)
        error = message.error
        if message.status in (Status.ERROR, Status.INTERRUPTED):
            retry = key_label("retry", app_keymap(self.app))
            error = f"{error or 'The reply failed.'} Press {retry} to retry."
        self._set_line(self._error, error)

    @staticmethod
    def _set_line(line: Static, text: str | None) -> None:
        line.display = bool(text)
        line.update(Content(neutralize(text or "")))

    def toggle_reasoning(self, collapsed: bool) -> None:
        """Fold or unfold this reply's reasoning block, if it has one."""
        if self._reasoning is not None:
            self._reasoning.collapsed = collapsed

    @property
    def has_reasoning(self) -> bool:
        """True when the reply shows a reasoning block."""
        return self._reasoning is not None

    @property
    def reasoning_collapsed(self) -> bool:
        """True when the reasoning block is folded (or there is none)."""
        return self._reasoning is None or self._reasoning.collapsed
