"""The app's side of the sidebar: keys that open and close its Chats and Models tabs, and the
answers to its messages (a model chosen, the sidebar dismissed).

`SidebarActions` is a part of `ParrotChatApp`: the app inherits its actions (Textual finds
them by name) and its message handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on
from textual.widgets import TabbedContent

from parrotchat.ui.app_part import AppPart
from parrotchat.ui.conversation_list import ConversationSidebar
from parrotchat.ui.last_model import save_last_model
from parrotchat.ui.model_sidebar import ModelSidebar
from parrotchat.ui.welcome import Welcome, welcome_text

if TYPE_CHECKING:
    from textual.widget import Widget

__all__ = ["SidebarActions"]


class SidebarActions(AppPart):
    """Open and close the sidebar's tabs, and follow what is chosen there.

    A part of `ParrotChatApp` (see `AppPart`).
    """

    def action_toggle_sidebar(self) -> None:
        """Open the model sidebar and put the cursor in its filter; close it if already there."""
        sidebar = self.sidebar
        self._toggle_tab("models-tab", sidebar, lambda: sidebar.query_one("#model-filter").focus())

    def action_show_chats(self) -> None:
        """Open the Chats view with the cursor in its search box; close it if already there."""
        chats = self.chats
        self._toggle_tab("chats-tab", chats, chats.focus_search)

    def _toggle_tab(self, tab: str, view: Widget, focus: Callable[[], object]) -> None:
        """Open the sidebar on `tab` and `focus` into `view`; close it if `view` has the focus."""
        tabs = self.sidebar_tabs
        if self.show_sidebar and tabs.active == tab and view.has_focus_within:
            self.show_sidebar = False
            self.prompt.focus()
        else:
            self.show_sidebar = True
            tabs.active = tab
            focus()

    def _back_to_prompt(self) -> None:
        """Put the cursor back in the prompt; on a narrow screen the sidebar closes."""
        if self.narrow:
            self.show_sidebar = False
        self.prompt.focus()

    @on(TabbedContent.TabActivated, "#sidebar-tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        if event.pane.id == "chats-tab":
            self.chats.refresh_list()

    def on_app_focus(self) -> None:
        # Back from another window (maybe another parrotchat): its new chats show up.
        if self.show_sidebar:
            self.chats.refresh_list()

    @on(ModelSidebar.ModelChosen)
    def _model_chosen(self, event: ModelSidebar.ModelChosen) -> None:
        event.stop()
        self.provider, self.model = event.provider, event.model
        save_last_model(self.state_dir, event.provider, event.model)
        if not self.conversation.messages:
            for welcome in self.chat_log.query_children(Welcome):
                welcome.update(welcome_text(self.settings, self.provider))
        self._back_to_prompt()

    @on(ModelSidebar.Dismissed)
    @on(ConversationSidebar.Dismissed)
    def _sidebar_dismissed(
        self, event: ModelSidebar.Dismissed | ConversationSidebar.Dismissed
    ) -> None:
        event.stop()
        self._back_to_prompt()
