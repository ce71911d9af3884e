"""The `[keys]` table: which binding ids exist, their default keys, and the check of a remap.

`retry = "ctrl+r,f9"` binds Ask again to Ctrl+R and F9 (and nothing else). The ids are those of
the app's bindings (`tests/test_keys.py` holds the two lists together); this module stays free
of Textual, so loading the config costs no UI import.
"""

from __future__ import annotations

import difflib
import unicodedata
from typing import Any

__all__ = ["DEFAULT_KEYS", "MODIFIERS", "KeyProblem", "check_keys", "normalize_keys", "unknown_id"]

DEFAULT_KEYS: dict[str, str] = {
    # Everywhere
    "quit": "ctrl+q",
    "close_sidebar": "escape",
    "stop_reply": "escape",
    "cancel_edit": "escape",
    "retry": "ctrl+r",
    "new_conversation": "ctrl+n",
    "toggle_sidebar": "ctrl+b,f2",
    "show_chats": "ctrl+l,f3",
    "undo_delete": "ctrl+z",
    "jump_to_bottom": "ctrl+end,ctrl+g",
    "toggle_reasoning": "ctrl+t",
    "show_keys": "f1",
    "copy_reply": "ctrl+o",
    # A comparison's columns
    **{f"stop_column_{n}": f"f{n + 4}" for n in range(1, 5)},
    **{f"choose_column_{n}": f"shift+f{n + 4}" for n in range(1, 5)},
    # The prompt
    "send": "enter",
    "newline": "ctrl+j,shift+enter,alt+enter",
    "attach_file": "ctrl+a",
    "scroll_up": "pageup",
    "scroll_down": "pagedown",
    "focus_messages": "alt+up",
    "show_keys_prompt": "question_mark",
    "remove_attachment": "backspace,delete",
    # A focused message
    "copy_message": "c",
    **{f"copy_code_{n}": str(n) for n in range(1, 10)},
    "previous_reply": "up,k",
    "next_reply": "down,j",
    "previous_message": "shift+up,K",
    "next_message": "shift+down,J",
    "edit_message": "e",
    # Ask again's keys work on a focused reply too, for that reply (`keymap_for` keeps them so).
    "regenerate": "r,ctrl+r",
    "previous_alternative": "left",
    "next_alternative": "right",
    "leave_messages": "escape",
    # The model list, the chats list, the file picker, the keys screen
    "mark_model": "space",
    "rename_conversation": "r",
    "delete_conversation": "d,delete",
    "close_picker": "escape",
    "close_keys": "escape,f1,question_mark,q",
}
"""Binding id -> its keys, as the app binds them when `[keys]` says nothing."""

MODIFIERS = ("ctrl", "alt", "shift", "meta", "super", "hyper")
_NAMED = {
    "escape", "enter", "tab", "space", "backspace", "delete", "insert", "home", "end",
    "pageup", "pagedown", "up", "down", "left", "right",
    *(f"f{n}" for n in range(1, 25)),
}  # fmt: skip
_ALIASES = {
    "esc": "escape",
    "return": "enter",
    "del": "delete",
    "ins": "insert",
    "pgup": "pageup",
    "pgdn": "pagedown",
    "page_up": "pageup",
    "page_down": "pagedown",
}
_CHARACTER_NAMES = {"slash", "backslash", "at", "minus", "plus", "underscore"}
"""Textual's short names for some characters (others go by their Unicode names)."""


class KeyProblem(ValueError):
    """A key string that names no key: `str()` reads after `keys.ID ` in a sentence."""


def _key(text: str) -> str:
    """One key in Textual's spelling (`Ctrl+R` -> `ctrl+r`, `esc` -> `escape`)."""
    if text == "+" or text.endswith("++"):
        *modifiers, base = [*text[:-2].split("+"), "+"] if len(text) > 1 else ["+"]
    else:
        *modifiers, base = text.split("+")
    modifiers = [modifier.strip().lower() for modifier in modifiers]
    base = base.strip()
    unknown = [modifier for modifier in modifiers if modifier not in MODIFIERS]
    if unknown:
        raise KeyProblem(f'has "{text}", whose "{unknown[0]}" is not ctrl, alt, shift or meta')
    if len(base) == 1:
        if not base.isprintable() or base.isspace():
            raise KeyProblem(f'has "{text}", which is not a key')
        base = base.lower() if modifiers and base.isalpha() else base
    else:
        base = _ALIASES.get(base.lower(), base.lower())
        if base not in _NAMED and base not in _CHARACTER_NAMES and not _unicode_name(base):
            near = difflib.get_close_matches(base, sorted(_NAMED | set(_ALIASES)), n=1)
            hint = f' (did you mean "{_ALIASES.get(near[0], near[0])}"?)' if near else ""
            raise KeyProblem(
                f'has "{text}", which is not a key{hint}; keys are a letter, a digit or a name'
                " such as f5, escape or pageup, after ctrl+, alt+ or shift+ if you like"
            )
    return "+".join([*modifiers, base])


def _unicode_name(name: str) -> bool:
    """True if `name` is an ASCII character's name as Textual spells it (`question_mark`)."""
    try:
        character = unicodedata.lookup(name.replace("_", " "))
    except KeyError:
        return False
    return len(character) == 1 and character.isascii() and character.isprintable()


def check_keys(value: Any) -> str:
    """The keys of one `[keys]` entry in Textual's spelling; raises `KeyProblem`."""
    if not isinstance(value, str) or not value.strip():
        raise KeyProblem('must be keys such as "ctrl+r,f9"')
    return ",".join(_key(part.strip()) for part in value.split(",") if part.strip())


def unknown_id(name: str) -> str:
    """The sentence for a `[keys]` entry that names no binding."""
    near = difflib.get_close_matches(name, list(DEFAULT_KEYS), n=1)
    hint = f'did you mean "{near[0]}"?' if near else "F1 and the README list them"
    return f'[keys] names "{name}", which is no binding ({hint})'


def normalize_keys(table: dict[str, Any]) -> dict[str, str]:
    """The `[keys]` table (already checked) in Textual's spelling."""
    return {name: check_keys(value) for name, value in table.items()}
