"""The keys as bound now, for every hint that names one (welcome text, error sentences, the
prompt's placeholder, the palette, the keys screen): `key_label("retry", keymap)` is `Ctrl+R`,
or `F5` after `[keys] retry = "f5"`.

`keymap_for` turns the config's `[keys]` into the keymap the app hands Textual
(`App.set_keymap`), and `app_keymap` reads it back from a running app.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import App
from textual.keys import format_key, key_to_character

from parrotchat.config.keys import DEFAULT_KEYS

__all__ = ["app_keymap", "key_label", "key_name", "keymap_for", "prompt_hint"]

_NAMES = {
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "space": "Space",
    "backspace": "Backspace",
    "delete": "Delete",
    "insert": "Insert",
    "pageup": "PageUp",
    "pagedown": "PageDown",
    "home": "Home",
    "end": "End",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
}


def key_name(key: str) -> str:
    """A key as hints write it: `ctrl+shift+up` -> `Ctrl+Shift+↑`."""
    *modifiers, name = key.split("+") if key != "+" else [key]
    if name in _NAMES:
        shown = _NAMES[name]
    elif len(name) > 1 and name[0] == "f" and name[1:].isdigit():
        shown = name.upper()
    else:
        character = key_to_character(name)
        shown = character.upper() if character and modifiers else character or format_key(name)
    return "+".join([*(modifier.capitalize() for modifier in modifiers), shown])


def key_label(binding: str, keymap: Mapping[str, str]) -> str:
    """The first key bound to `binding` (an id of `DEFAULT_KEYS`), as hints write it."""
    keys = keymap.get(binding) or DEFAULT_KEYS[binding]
    return key_name(keys.split(",")[0].strip())


def keymap_for(keys: Mapping[str, str]) -> dict[str, str]:
    """The keymap for Textual from the config's `[keys]` (ids -> keys, Textual's spelling).

    Textual drops every binding of a key when it moves one binding off it (Esc both stops a
    reply and closes the sidebar: moving Stop to Ctrl+S would leave Esc closing nothing), so
    the bindings that share a default key with a moved one are pinned to their own keys.
    """
    keymap = dict(keys)
    if "retry" in keys and "regenerate" not in keys:
        # Ask again's keys ask again for a focused reply, which hides the app's Ask again.
        regenerate = ["r", *(key for key in keys["retry"].split(",") if key != "r")]
        keymap["regenerate"] = ",".join(regenerate)
    moved = {key for binding in keys for key in DEFAULT_KEYS[binding].split(",")}
    for binding, defaults in DEFAULT_KEYS.items():
        if binding not in keymap and moved.intersection(defaults.split(",")):
            keymap[binding] = defaults
    return keymap


def app_keymap(app: App[object]) -> Mapping[str, str]:
    """The keymap `app` runs with (after `App.set_keymap`)."""
    return app._keymap


def prompt_hint(keymap: Mapping[str, str], streaming: bool) -> str:
    """The prompt's placeholder: what its keys do now."""
    send = key_label("send", keymap)
    if streaming:
        stop = key_label("stop_reply", keymap)
        return f"{stop} stops the reply · {send} stops it and sends this prompt instead"
    return f"Ask anything · {send} sends · {key_label('newline', keymap)} new line · ↑ last prompt"
