"""Clicks that select as in a text editor: a double click a word, a triple click the widget.

Textual's own text widgets select the whole widget on a double click and the whole scrolling
container (here: the entire chat log) on a triple click. `WordSelect` goes first in a widget's
bases (`class MessageText(WordSelect, Static)`) and replaces that.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from textual import events
from textual.geometry import Offset
from textual.selection import Selection

if TYPE_CHECKING:
    from textual.widget import Widget

__all__ = ["WordSelect", "word_at"]

_WORD = re.compile(r"\w+|[^\w\s]+|\s+")
"""A word, a run of punctuation, or a run of blanks."""


def word_at(text: str, index: int) -> tuple[int, int] | None:
    """The span of the word (or run of punctuation) holding character `index`; None on a blank.

    `word_at("say cracker!", 6)  # (4, 11)`
    """
    for match in _WORD.finditer(text):
        if match.start() <= index < match.end():
            return None if match.group().isspace() else match.span()
    return None


class WordSelect:
    """Double click: the word under the pointer; triple click: the whole widget.

    The widget says what its line `y` reads in the screen's selection offsets (`selection_line`).
    """

    def selection_line(self, y: int) -> str:
        """Line `y` of the text, as the screen's selection offsets count it."""
        raise NotImplementedError

    async def _on_click(self, event: events.Click) -> None:
        widget: Widget = self  # type: ignore[assignment]
        # Textual's own handler would run after this one: this one decides.
        event.prevent_default()
        screen = widget.screen
        selectable = widget.allow_select and screen.allow_select and widget.app.ALLOW_SELECT
        if event.widget is not widget or event.chain not in (2, 3) or not selectable:
            await super()._on_click(event)  # type: ignore[misc]
            return
        if event.chain == 3:
            widget.text_select_all()
        else:
            _under, offset = screen.get_widget_and_offset_at(event.screen_x, event.screen_y)
            line = self.selection_line(offset.y) if offset is not None else ""
            span = word_at(line, offset.x) if offset is not None else None
            if offset is not None and span is not None:
                start, end = Offset(span[0], offset.y), Offset(span[1], offset.y)
                screen.selections = {widget: Selection(start, end)}
        await widget.broker_event("click", event)
