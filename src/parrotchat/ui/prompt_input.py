"""The prompt box: Enter sends, Ctrl+J (or Shift+Enter) adds a line, Up recalls earlier prompts.

Alt+Up asks for the messages (`MessagesWanted`: the chat log's message cursor), and `?` in an
empty prompt opens the keys screen. `@` (at the start or after a space) and Ctrl+A open the
file picker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea

__all__ = ["PromptInput"]


class PromptInput(TextArea):
    """A multi-line prompt that grows with its text, with a history of sent prompts."""

    DEFAULT_CSS = """
    PromptInput {
        height: auto;
        min-height: 3;
        max-height: 10;
        min-width: 16;  /* Textual's TextArea fails to wrap at width 0 on a tiny terminal */
        border: round $primary 60%;
        padding: 0 1;
        &:focus { border: round $primary; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Shown in the footer; the key itself is handled in `_on_key`, in order with the keys
        # typed before it (a priority binding would fire before they reach the text).
        Binding("enter", "submit", "Send", id="send"),
        Binding(
            "ctrl+j,shift+enter,alt+enter",
            "newline",
            "Newline",
            key_display="^j",
            id="newline",
            tooltip="Insert a line break (Shift+Enter too, where the terminal reports it)",
        ),
        # TextArea's Ctrl+A goes to the line start, which Home still does.
        Binding(
            "ctrl+a",
            "app.attach_file",
            "Attach",
            show=False,  # the footer is full; the palette and the README name it
            id="attach_file",
            tooltip="Attach a file or image to the prompt (or type @)",
        ),
        Binding("pageup", "app.scroll_chat(-1)", "Scroll up", show=False, id="scroll_up"),
        Binding("pagedown", "app.scroll_chat(1)", "Scroll down", show=False, id="scroll_down"),
        Binding(
            "alt+up",
            "focus_messages",
            "Messages",
            show=False,
            id="focus_messages",
            tooltip="Focus the newest message: then copy it, or its code blocks",
        ),
        # Only while the prompt is empty (see `_on_key`); otherwise `?` is typed.
        Binding("question_mark", "app.show_keys", "Keys", show=False, id="show_keys_prompt"),
    ]

    @dataclass
    class Submitted(Message):
        """The user pressed Enter on a prompt that is not blank."""

        prompt_input: PromptInput
        text: str

        @property
        def control(self) -> PromptInput:
            return self.prompt_input

    @dataclass
    class MessagesWanted(Message):
        """The user wants the message cursor (Alt+Up)."""

        prompt_input: PromptInput

        @property
        def control(self) -> PromptInput:
            return self.prompt_input

    @dataclass
    class AtTyped(Message):
        """`@` was typed at the start of the prompt or after a space: offer the file picker."""

        prompt_input: PromptInput

    @dataclass
    class Pasted(Message):
        """Text was pasted (it may name a file to attach)."""

        prompt_input: PromptInput
        text: str

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            highlight_cursor_line=False,
            placeholder=placeholder,
            id=id,
        )
        self.sent_prompts: list[str] = []
        """Prompts sent so far, oldest first."""
        self._recall: int | None = None
        self.has_attachments: bool = False
        """Files are attached: a blank prompt can be sent too."""

    async def _on_key(self, event: events.Key) -> None:
        if self._bound_here(event.key, "submit"):
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        if self._bound_here(event.key, "newline"):
            # Here, not through the binding: a binding runs once the key has bubbled up, after
            # the keys typed right behind it (`a` Ctrl+J `b` in one read made `ab` + a line).
            event.stop()
            event.prevent_default()
            self.action_newline()
            return
        if event.is_printable and not self.text and self._bound_here(event.key):
            # Not typed (TextArea's own handler is skipped): the key bubbles up to its binding,
            # so `?` opens the keys screen.
            event.prevent_default()
            return
        opens_picker = event.character == "@" and self._at_word_start()
        await super()._on_key(event)
        if opens_picker:
            self.post_message(self.AtTyped(self))

    def _at_word_start(self) -> bool:
        """True if the cursor is at the start of the text or after whitespace (so an e-mail
        address typed in the prompt does not open the picker)."""
        row, column = self.selection.start
        if column == 0:
            return True
        return self.document.get_line(row)[column - 1].isspace()

    def _on_paste(self, event: events.Paste) -> None:
        # Textual calls TextArea's own handler after this one, which inserts the text.
        if event.text.strip():
            self.post_message(self.Pasted(self, event.text))

    def _bound_here(self, key: str, action: str | None = None) -> bool:
        """True if `key` is one of this prompt's own bindings (after the keymap), to `action`
        if one is given."""
        active = self.app.active_bindings.get(key)
        if active is None or active.node is not self:
            return False
        return action is None or active.binding.action == action

    def action_focus_messages(self) -> None:
        """Hand the focus to the newest message (the chat log does it)."""
        self.post_message(self.MessagesWanted(self))

    def action_submit(self) -> None:
        """Send the prompt (unless it is blank and nothing is attached) and clear the box."""
        text = self.text
        if not text.strip() and not self.has_attachments:
            return
        if text.strip() and (not self.sent_prompts or self.sent_prompts[-1] != text):
            self.sent_prompts.append(text)
        self._recall = None
        self.clear()
        self.post_message(self.Submitted(self, text))

    def action_newline(self) -> None:
        """Insert a line break at the cursor."""
        start, end = self.selection
        self.replace("\n", start, end, maintain_selection_offset=False)

    def action_cursor_up(self, select: bool = False) -> None:
        """Recall the previous prompt when the box is empty (or shows a recalled prompt)."""
        at_top = not select and self.cursor_location[0] == 0
        if at_top and (self._recalling() or (not self.text and self.sent_prompts)):
            index = len(self.sent_prompts) if self._recall is None else self._recall
            self._recall = max(index - 1, 0)
            self._show(self.sent_prompts[self._recall])
            return
        super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        """Step forward through recalled prompts, back to an empty box."""
        last_row = self.document.line_count - 1
        if not select and self.cursor_location[0] == last_row and self._recalling():
            assert self._recall is not None
            self._recall += 1
            if self._recall >= len(self.sent_prompts):
                self._recall = None
                self.clear()
            else:
                self._show(self.sent_prompts[self._recall])
            return
        super().action_cursor_down(select)

    def _recalling(self) -> bool:
        """True while the box shows a recalled prompt the user has not edited."""
        if self._recall is not None and self.text != self.sent_prompts[self._recall]:
            self._recall = None
        return self._recall is not None

    def _show(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)
