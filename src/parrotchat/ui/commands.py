"""Command palette commands: "Switch model: provider/model" for every model the sidebar knows.

The protocol between the palette, the sidebar and the app:

- the palette reads the known models from the screen's `ModelSidebar` (`known_models()`), so
  it offers exactly what the sidebar has loaded, with no second request to the providers;
- choosing a command calls `ModelSidebar.choose(provider, model)`, the very path Enter in the
  sidebar takes: the mark moves and `ModelSidebar.ModelChosen(provider, model)` bubbles from the
  sidebar up to the app. The app handles that one message (`on_model_sidebar_model_chosen`)
  and need not know where the choice was made.

Add it with `COMMANDS = App.COMMANDS | {ModelCommands}`. The commands show once the user types
(e.g. "switch" or part of a model id): an empty palette lists no models, since hundreds of them
would bury the app's own commands.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.command import Hit, Hits, Matcher, Provider
from textual.content import Content

from parrotchat.sanitize import one_line
from parrotchat.ui.model_sidebar import ModelSidebar

__all__ = ["ModelCommands"]


def _highlight(matcher: Matcher, text: str) -> Content:
    # `Matcher.highlight` parses its argument as markup, and model ids are not markup.
    content = Content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if not score:
        return content
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class ModelCommands(Provider):
    """Offers one "Switch model" command per model listed in the screen's `ModelSidebar`."""

    def _sidebar(self) -> ModelSidebar | None:
        return next(iter(self.screen.query(ModelSidebar)), None)

    def _commands(self) -> Iterator[tuple[str, Content | None, str, str]]:
        """Yield `(text, help, provider, model)` for each known model, display-safe."""
        sidebar = self._sidebar()
        if sidebar is None:
            return
        for provider, model in sidebar.known_models():
            text = f"Switch model: {one_line(provider)}/{one_line(model)}"
            info = sidebar.model_info(provider, model)
            name = one_line(info.name) if info and info.name else ""
            help_text = Content(name) if name and name != one_line(model) else None
            yield text, help_text, provider, model

    def _switch(self, provider: str, model: str) -> None:
        sidebar = self._sidebar()
        if sidebar is not None:
            sidebar.choose(provider, model)

    @staticmethod
    def _prompt(display: Content, help_text: Content | None) -> Content:
        # Help goes into the prompt because the palette parses `Hit.help` strings as markup.
        if help_text is None:
            return display
        return Content("\n").join([display, help_text.stylize("$text-muted")])

    async def search(self, query: str) -> Hits:
        """Fuzzy-match the query against "Switch model: provider/model"."""
        matcher = self.matcher(query)
        for text, help_text, provider, model in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    self._prompt(_highlight(matcher, text), help_text),
                    partial(self._switch, provider, model),
                    text=text,
                )
