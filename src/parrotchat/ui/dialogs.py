"""Small modal dialogs: a yes/no question, and a title to type (renaming a conversation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

if TYPE_CHECKING:
    from textual.app import ComposeResult

__all__ = ["ConfirmDialog", "RenameDialog"]

_DIALOG_CSS = """
{name} {
    align: center middle;
    background: $background 60%;
    & > Vertical {
        width: 60;
        max-width: 100%;
        height: auto;
        padding: 1 2;
        border: round $primary;
        background: $surface;
    }
    .question {
        text-style: bold;
    }
    .explain, .problem {
        margin-top: 1;
    }
    .explain {
        color: $text-muted;
    }
    .problem {
        color: $text-error;
    }
    Input {
        margin-top: 1;
    }
    Horizontal {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    Button {
        margin-left: 2;
        min-width: 10;
    }
}
"""


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; dismissed with True (Enter, y, the button) or False (Esc, n).

    `app.push_screen(ConfirmDialog("Delete “x”?", "It moves to the trash."), callback)`
    """

    DEFAULT_CSS = _DIALOG_CSS.replace("{name}", "ConfirmDialog")
    AUTO_FOCUS = "#confirm"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "Cancel"),
        Binding("y", "answer(True)", "Yes", show=False),
    ]

    def __init__(self, question: str, explain: str = "", *, confirm: str = "OK") -> None:
        """
        Args:
            question: One line, shown bold; plain text, never markup.
            explain: What happens, below it.
            confirm: The label of the button that says yes.
        """
        super().__init__()
        self.question = question
        self.explain = explain
        self.confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.question), classes="question")
            if self.explain:
                yield Static(Content(self.explain), classes="explain")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm, id="confirm", variant="error")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, yes: bool) -> None:
        """Close the dialog with the answer."""
        self.dismiss(yes)


class RenameDialog(ModalScreen[str | None]):
    """Ask for a title, prefilled; dismissed with the new title, or None (Esc).

    An empty title is refused in place with a sentence saying so.
    """

    DEFAULT_CSS = _DIALOG_CSS.replace("{name}", "RenameDialog")
    AUTO_FOCUS = "#title"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_now = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content("Rename the conversation"), classes="question")
            yield Input(self.title_now, placeholder="A title", id="title", select_on_focus=True)
            yield Static("", classes="problem", id="problem")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Rename", id="rename", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#problem", Static).display = False

    @on(Input.Submitted, "#title")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._save()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "rename":
            self._save()
        else:
            self.dismiss(None)

    @on(Input.Changed, "#title")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one("#problem", Static).display = False

    def _save(self) -> None:
        title = self.query_one("#title", Input).value
        if not title.strip():
            problem = self.query_one("#problem", Static)
            problem.update(Content("A title cannot be empty: type one, or press Esc to keep it."))
            problem.display = True
            return
        self.dismiss(title)

    def action_cancel(self) -> None:
        """Close without renaming."""
        self.dismiss(None)
