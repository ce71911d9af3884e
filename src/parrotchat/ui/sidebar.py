"""The sidebar: the Chats tab (stored conversations) and the Models tab, side by side.

It owns its tabs: `open_tab` shows one and puts the cursor in it, or says the sidebar should
close when that tab already has the focus. Whether the sidebar is shown at all is the app's
(`ParrotChatApp.show_sidebar`), since the layout around it changes too.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import TabbedContent, TabPane

from parrotchat.core.session import ChatSession
from parrotchat.ui.conversation_list import ConversationSidebar
from parrotchat.ui.model_sidebar import ModelSidebar, ModelSource
from parrotchat.ui.sidebar_memory import SidebarMemory
from parrotchat.ui.welcome import needs_key

__all__ = ["CHATS_TAB", "MODELS_TAB", "Sidebar"]

CHATS_TAB = "chats-tab"
MODELS_TAB = "models-tab"


class Sidebar(Vertical):
    """The Chats and Models tabs."""

    def __init__(
        self,
        session: ChatSession,
        sources: Mapping[str, ModelSource],
        current: tuple[str, str],
        *,
        memory: SidebarMemory | None = None,
        id: str | None = None,
    ) -> None:
        """
        Args:
            session: The chat, whose stored conversations the Chats tab lists.
            sources: Provider name -> where its models come from, for the Models tab.
            current: The `(provider, model)` marked in the Models tab.
            memory: Where the tab shown last is remembered (it opens on that tab).
        """
        super().__init__(id=id)
        self._session = session
        self._sources = sources
        self._current = current
        self._memory = memory

    def compose(self) -> ComposeResult:
        # Without history the Chats tab has nothing to show: start on the models.
        initial = CHATS_TAB if self._session.history.available else MODELS_TAB
        if self._memory is not None and self._memory.tab == MODELS_TAB:
            initial = MODELS_TAB
        with TabbedContent(id="sidebar-tabs", initial=initial):
            with TabPane("Chats", id=CHATS_TAB):
                yield ConversationSidebar(self._session, id="chats")
            with TabPane("Models", id=MODELS_TAB):
                configured = {
                    name: config.model
                    for name, config in self._session.settings.providers.items()
                    if config.model
                }
                # Not asked at all: a hosted provider with no key (offline means no connection).
                unasked = {
                    name: "no API key: its models are listed once one is set"
                    for name, config in self._session.settings.providers.items()
                    if needs_key(config)
                }
                yield ModelSidebar(
                    self._sources,
                    current=self._current,
                    configured=configured,
                    unasked=unasked,
                    id="models",
                )

    @property
    def tabs(self) -> TabbedContent:
        """The tabs, Chats and Models."""
        return self.query_one("#sidebar-tabs", TabbedContent)

    @property
    def chats(self) -> ConversationSidebar:
        """The Chats view."""
        return self.query_one("#chats", ConversationSidebar)

    @property
    def models(self) -> ModelSidebar:
        """The Models view."""
        return self.query_one("#models", ModelSidebar)

    def open_tab(self, tab: str, *, shown: bool) -> bool:
        """Show `tab` with the cursor in its search box; False if the sidebar should close
        instead (it is `shown` on that tab, and the focus is already in it).
        """
        tabs = self.tabs
        view = self.chats if tab == CHATS_TAB else self.models
        if shown and tabs.active == tab and view.has_focus_within:
            return False
        tabs.active = tab
        if tab == CHATS_TAB:
            self.chats.focus_search()
        else:
            self.models.query_one("#model-filter").focus()
        return True

    @on(TabbedContent.TabActivated, "#sidebar-tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        if self._memory is not None and event.pane.id in (CHATS_TAB, MODELS_TAB):
            self._memory.remember_tab(event.pane.id)
        if event.pane.id == CHATS_TAB:
            self.chats.refresh_list()
