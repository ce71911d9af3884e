"""`render.word_select.word_at`: what a double click selects in a line of text."""

from __future__ import annotations

from parrotchat.ui.render.word_select import word_at


def test_a_word_a_run_of_punctuation_or_nothing_on_a_blank() -> None:
    text = "say cracker!!  déjà-vu 🦜"
    assert word_at(text, 0) == (0, 3)
    assert word_at(text, 6) == (4, 11)
    assert word_at(text, 11) == (11, 13)
    assert word_at(text, 13) is None
    assert word_at(text, 16) == (15, 19)  # accents are part of a word
    assert word_at(text, 19) == (19, 20)
    assert word_at(text, len(text) - 1) == (len(text) - 1, len(text))
    assert word_at(text, 99) is None
