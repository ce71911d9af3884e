"""The keyboard of the sidebar's views: a search box above a list, Down into it, Esc back out."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Input, OptionList

__all__ = ["SearchListPane"]


class SearchListPane(Widget):
    """A view with a search box over an option list (the Chats and Models views).

    Subclasses bind Down to `focus_list` and Esc to `back`, and say which widgets are theirs.
    """

    def search_box(self) -> Input:
        """The box the user types in."""
        raise NotImplementedError

    def option_list(self) -> OptionList:
        """The list under the box."""
        raise NotImplementedError

    def dismiss(self) -> None:
        """The user is done with the view (Esc with an empty box)."""
        raise NotImplementedError

    def _focus(self, widget: Widget) -> None:
        # `Widget.focus` defers the move, so a key typed right after would still go to the
        # old widget; moving focus between our own children at once keeps fast typing right.
        self.screen.set_focus(widget)

    def action_focus_list(self) -> None:
        """Move from the search box into the list."""
        options = self.option_list()
        if options.highlighted is None:
            options.action_first()
        self._focus(options)

    def action_back(self) -> None:
        """Esc: list -> search box; a box with text -> clear it; an empty box -> `dismiss`."""
        box = self.search_box()
        if not box.has_focus:
            self._focus(box)
        elif box.value:
            box.value = ""
        else:
            self.dismiss()
