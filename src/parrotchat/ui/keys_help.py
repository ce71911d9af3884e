"""The keys screen (F1, or `?` in an empty prompt): every key of the screen in use, as bound now.

It reads the live bindings, after the keymap, so a remapped key shows as remapped: first the
keys of the focused widget and the widgets around it, then those of the screen's other parts
(the messages, the sidebar), then Textual's own editing and scrolling keys.

`ParrotChatApp` opens it with F1 (`action_show_keys`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingsMap, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from parrotchat.ui.key_names import app_keymap, key_label, key_name

if TYPE_CHECKING:
    from textual.app import ComposeResult

__all__ = ["KeysScreen", "key_sections"]

Section = tuple[str, list[tuple[str, str]]]
"""A title, and its rows: the keys (`Ctrl+B / F2`) and what they do."""

_TITLES = {
    "PromptInput": "Prompt",
    "ChatLog": "A focused message",
    "ConversationSidebar": "Chats",
    "ConversationList": "The list of chats",
    "ModelSidebar": "Models",
}
"""Section titles by widget class (others use their `BINDING_GROUP_TITLE` or class name)."""
_MORE_TITLES = {"PromptInput": "Editing the prompt", "ChatLog": "Scrolling the chat"}
"""Titles of the keys Textual's own classes give those widgets."""
_ORDER = {"Everywhere": 1, "A focused message": 2}
"""Where a section goes after the focused widget's own (the first), if not last."""


def _own_actions(node_type: type) -> set[str]:
    """Actions bound by parrotchat's own classes in `node_type`'s ancestry (not Textual's)."""
    actions: set[str] = set()
    for cls in node_type.__mro__:
        if cls.__module__.startswith("parrotchat."):
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding):
                    actions.add(binding.action)
                else:
                    actions.add(binding[1])
    return actions


def _title(node: DOMNode, own: bool) -> str:
    if isinstance(node, App | Screen):
        return "Everywhere"
    titles = _TITLES if own else _MORE_TITLES
    name = next(
        (titles[cls.__name__] for cls in type(node).__mro__ if cls.__name__ in titles), None
    )
    if name is None:
        name = node.BINDING_GROUP_TITLE or type(node).__name__
        name = name if own else f"{name}: more keys"
    return name


_CODE_ACTIONS = [f"copy_code({n})" for n in range(1, 10)]
"""The `1`..`9` copies: one row while they are bound to their own digits."""


def _rows(bindings: BindingsMap, actions: set[str]) -> dict[str, tuple[str, list[str]]]:
    """Action -> (what it does, its keys) for the bindings of one node that run `actions`."""
    rows: dict[str, tuple[str, list[str]]] = {}
    for key, binding in bindings:
        if not binding.description or binding.action not in actions:
            continue
        text = binding.tooltip or binding.description
        _text, keys = rows.setdefault(binding.action, (text[0].upper() + text[1:], []))
        if (name := key_name(key)) not in keys:
            keys.append(name)
    if all(rows.get(action, ("", []))[1] == [str(n)] for n, action in enumerate(_CODE_ACTIONS, 1)):
        for action in _CODE_ACTIONS[1:]:
            del rows[action]
        rows[_CODE_ACTIONS[0]] = ("Copy its code block 1, 2, … 9", ["1 … 9"])
    return rows


def key_sections(app: App[object], screen: Screen[object]) -> list[Section]:
    """Every key of `screen`: the focused widget's first, everywhere, the other parts, Textual's.

    Args:
        app: The app (its keymap applies).
        screen: The screen in use (not the keys screen itself).
    """
    keymap = app_keymap(app)
    sections: dict[str, dict[str, tuple[str, list[str]]]] = {}
    textual_sections: dict[str, dict[str, tuple[str, list[str]]]] = {}
    seen: set[type] = set()

    def add(node: DOMNode, bindings: BindingsMap, *, textual_too: bool) -> None:
        every = {binding.action for _key, binding in bindings}
        textual = isinstance(node, App | Screen) or type(node).__module__.startswith("textual.")
        own = every if textual else _own_actions(type(node))
        into = sections.setdefault(_title(node, True), {})
        for action, (text, keys) in _rows(bindings, own).items():
            known = into.setdefault(action, (text, []))[1]
            known.extend(key for key in keys if key not in known)
        if textual_too and (others := every - own):
            textual_sections.setdefault(_title(node, False), {}).update(_rows(bindings, others))

    for node, bindings in screen._binding_chain:
        seen.add(type(node))
        add(node, bindings, textual_too=True)
    for node in _parts_with_keys(screen.walk_children(with_self=False), seen):
        bindings = node._bindings.copy()
        if keymap:
            bindings.apply_keymap(keymap)
        add(node, bindings, textual_too=False)
    first, *others = [item for item in sections.items() if item[1]]
    others.sort(key=lambda item: _ORDER.get(item[0], len(_ORDER) + 1))
    return [
        (title, [(" / ".join(keys), text) for text, keys in rows.values()])
        for title, rows in [first, *others, *textual_sections.items()]
        if rows
    ]


def _parts_with_keys(nodes: Iterable[DOMNode], seen: set[type]) -> Iterable[DOMNode]:
    """One node of each parrotchat class with keys of its own, not in the focus chain."""
    for node in nodes:
        node_type = type(node)
        if node_type in seen or not _own_actions(node_type):
            continue
        seen.add(node_type)
        yield node


class KeysScreen(ModalScreen[None]):
    """Every key of the screen in use, by where it works; Esc (or F1) closes it."""

    DEFAULT_CSS = """
    KeysScreen {
        align: center middle;
        background: $background 60%;
        & > Vertical {
            width: 76;
            max-width: 100%;
            height: auto;
            max-height: 90%;
            padding: 0 1;
            border: round $primary;
            border-title-color: $text-accent;
            border-subtitle-color: $text-muted;
            background: $surface;
        }
        VerticalScroll { height: auto; max-height: 100%; }
        .keys-section { margin-bottom: 1; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,question_mark,q", "close", "Close", id="close_keys"),
    ]

    def __init__(self, sections: list[Section]) -> None:
        """
        Args:
            sections: What to list (`key_sections`).
        """
        super().__init__()
        self.sections: list[Section] = sections
        """The sections shown, in order."""

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Keys"
            box.border_subtitle = f"{key_label('close_keys', app_keymap(self.app))} closes"
            with VerticalScroll(can_focus=True):
                for title, rows in self.sections:
                    yield Static(self._section(title, rows), classes="keys-section")

    @staticmethod
    def _section(title: str, rows: list[tuple[str, str]]) -> Content:
        width = max((len(keys) for keys, _text in rows), default=0) + 2
        lines = [Content.styled(title, "bold $text-accent")]
        for keys, text in rows:
            lines.append(Content.assemble(Content.styled(keys.ljust(width), "bold"), text))
        return Content("\n").join(lines)

    def text(self) -> str:
        """The sections as plain text (for tests and a quick look)."""
        return "\n\n".join(str(self._section(title, rows)) for title, rows in self.sections)

    def action_close(self) -> None:
        """Close the keys screen."""
        self.dismiss()
