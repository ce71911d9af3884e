"""`neutralize`, `one_line` and the JSON export's escaping against invisible formatting controls."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest

from parrotchat.core.export import dump_json
from parrotchat.sanitize import KEPT_FORMAT, neutralize, one_line

TROJAN = "access = \u202e \u2066user\u2069 \u2067\u202b\u202a\u202c\u202d\u2068 admin"
"""Every embedding, override and isolate control: a "Trojan Source" line."""
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
"""Man, woman, girl joined by ZWJ: one emoji."""
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
"""A black flag, the tags g b e n g and a cancel tag: the flag of England."""


def test_bidi_controls_become_visible_stand_ins() -> None:
    shown = neutralize(TROJAN)
    for control in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        assert control not in shown
    assert shown == TROJAN.translate(
        {ord(c): "\ufffd" for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"}
    )
    assert neutralize("\u200e\u200f\u061c") == "\ufffd" * 3


def test_emoji_sequences_and_joiners_keep_working() -> None:
    assert neutralize(FAMILY) == FAMILY
    assert neutralize(ENGLAND) == ENGLAND
    assert neutralize("\u0645\u200c\u06cc") == "\u0645\u200c\u06cc"  # ZWNJ in Persian


def test_tags_outside_a_flag_are_made_visible() -> None:
    hidden = "hi" + "".join(chr(0xE0000 + ord(c)) for c in "rm -rf") + "!"
    assert neutralize(hidden) == "hi" + "\ufffd" * 6 + "!"


def test_invisible_spaces_are_dropped() -> None:
    assert neutralize("a\u200bb\u2060c\ufeffd\u2062e") == "abcde"


def test_every_format_control_is_handled() -> None:
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if unicodedata.category(char) == "Cf" and char not in KEPT_FORMAT:
            assert neutralize(f"a{char}b") in ("a\ufffdb", "ab"), hex(code)


def test_one_line_neutralises_titles() -> None:
    assert one_line("title \u202eevil\n") == "title \ufffdevil"


@pytest.mark.parametrize("text", [TROJAN, FAMILY, ENGLAND, "x\u200by\ufeff"])
def test_the_json_export_escapes_format_controls_and_reads_back(text: str) -> None:
    dumped = dump_json({"t": text})
    assert not any(unicodedata.category(c) == "Cf" and c not in "\u200c\u200d" for c in dumped)
    assert json.loads(dumped) == {"t": text}
