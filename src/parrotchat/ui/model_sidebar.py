"""The model sidebar: every provider's models, filterable, the current one marked.

Each provider's `GET /models` runs in its own worker; a slow or failing provider shows its state
in place and holds up nothing else. Text from the network is never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

from textual import on, work
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.reactive import var
from textual.strip import Strip
from textual.visual import Visual
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from parrotchat.api.errors import APIError
from parrotchat.core.compare import MAX_MODELS, MIN_MODELS
from parrotchat.sanitize import one_line
from parrotchat.ui.search_pane import SearchListPane

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.css.styles import RulesMap
    from textual.style import Style
    from textual.visual import RenderOptions

    from parrotchat.api.client import ModelInfo

__all__ = [
    "Indented",
    "LoadState",
    "ModelList",
    "ModelSidebar",
    "ModelSource",
    "format_context_length",
    "format_price",
    "matches_filter",
    "model_prompt",
]

_GUTTER = 2
"""Cells left of every model line: the current-model mark lives there."""

LoadState = Literal["loading", "ready", "error", "unasked"]
"""Where a provider's model list stands."""


class ModelSource(Protocol):
    """What the sidebar needs from a provider's client; `ChatClient` fits."""

    async def list_models(self) -> list[ModelInfo]:
        """Return the provider's models (`GET /models`)."""
        ...


def _scaled(tokens: int, decimal: int, binary: int, unit: str) -> str:
    # Windows are quoted in decimal (128000) or binary (131072) units; both read "128k".
    for size in (decimal, binary):
        if tokens % size == 0:
            return f"{tokens // size}{unit}"
    if unit == "M":
        return f"{tokens / decimal:.2f}".rstrip("0").rstrip(".") + unit
    return f"{round(tokens / decimal)}{unit}"


def format_context_length(tokens: int | None) -> str | None:
    """Format a context window for display, or `None` when unknown.

    `format_context_length(131072)  # '128k ctx'`
    """
    if not isinstance(tokens, int | float) or tokens <= 0:
        return None
    tokens = int(tokens)
    if tokens >= 1_000_000:
        return _scaled(tokens, 1_000_000, 1 << 20, "M") + " ctx"
    if tokens >= 1_000:
        return _scaled(tokens, 1_000, 1 << 10, "k") + " ctx"
    return f"{tokens} ctx"


def _dollars(price: float | None) -> str:
    if price is None:
        return "?"
    if price == 0:
        return "$0"
    if price < 0.0001:
        return "<$0.0001"
    whole, _, cents = f"{price:.4f}".partition(".")
    return f"${whole}.{cents.rstrip('0').ljust(2, '0')}"


def _known_price(price: float | None) -> float | None:
    # Routers list "-1" for models priced per request; NaN sneaks in from bad JSON.
    if not isinstance(price, int | float) or price != price or price < 0:
        return None
    return float(price)


def format_price(prompt: float | None, completion: float | None) -> str | None:
    """Format prices in USD per 1M tokens, or `None` when both are unknown.

    `format_price(0.15, 0.6)  # '$0.15/$0.60 per 1M'`; `format_price(0, 0)  # 'free'`
    """
    prompt, completion = _known_price(prompt), _known_price(completion)
    if prompt is None and completion is None:
        return None
    if prompt == 0 and completion == 0:
        return "free"
    return f"{_dollars(prompt)}/{_dollars(completion)} per 1M"


def matches_filter(haystack: str, words: Iterable[str]) -> bool:
    """True when every (casefolded) word occurs in the casefolded `haystack`."""
    return all(word in haystack for word in words)


class Indented(Visual):
    """Paragraphs under a gutter, so wrapped lines stay aligned; a mark may sit in the gutter.

    `Indented([Content("org/model"), Content("128k ctx")], mark=Content("● "))`
    """

    def __init__(self, paragraphs: Sequence[Content], mark: Content | None = None) -> None:
        self._paragraphs = list(paragraphs)
        self._mark = mark

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        inner = container_width - _GUTTER
        widths = (p.get_optimal_width(rules, inner) for p in self._paragraphs)
        return _GUTTER + max(widths, default=0)

    def get_height(self, rules: RulesMap, width: int) -> int:
        inner = max(1, width - _GUTTER)
        return sum(paragraph.get_height(rules, inner) for paragraph in self._paragraphs)

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        inner = width - _GUTTER
        if inner <= 0:
            return []
        rich_style = style.rich_style
        blank = Strip.blank(_GUTTER, rich_style)
        first = blank
        if self._mark is not None:
            marks = self._mark.render_strips(_GUTTER, 1, style, options)
            if marks:
                first = marks[0].extend_cell_length(_GUTTER, rich_style).crop(0, _GUTTER)
        strips = [
            Strip.join([blank, strip])
            for paragraph in self._paragraphs
            for strip in paragraph.render_strips(inner, None, style, options)
        ]
        if strips:
            strips[0] = Strip.join([first, strips[0].crop(_GUTTER)])
        return strips if height is None else strips[:height]


def model_prompt(label: str, detail: str, *, current: bool, marked: int | None = None) -> Indented:
    """The option for one model: the id (marked when current), the details muted below it.

    Args:
        label: The model id, already made safe with `one_line`.
        detail: Name, context and price joined, already safe; may be empty.
        current: Whether this is the model in use.
        marked: Its place (1-based) among the models marked for a comparison, if marked.

    Returns:
        Plain-text content: nothing in it is read as markup.
    """
    paragraphs = [Content.styled(label, "bold" if current else "")]
    if detail:
        paragraphs.append(Content.styled(detail, "$text-muted"))
    if marked is not None:
        return Indented(paragraphs, mark=Content.styled(str(marked), "bold reverse $text-accent"))
    return Indented(paragraphs, mark=Content.styled("●", "bold $text-accent") if current else None)


@dataclass(frozen=True)
class _Entry:
    """One model as the sidebar shows it."""

    provider: str
    model: str
    """The id exactly as the server listed it: this is what goes back in requests."""
    label: str
    """The id made safe for display."""
    detail: str
    """Name (when it differs from the id), context and price, made safe; may be empty."""
    haystack: str
    """Casefolded id and name, for filtering."""


def _entry(provider: str, info: ModelInfo) -> _Entry:
    label = one_line(info.id)
    name = one_line(info.name) if info.name else ""
    details = [
        name if name and name != label else "",
        format_context_length(info.context_length) or "",
        format_price(info.prompt_price, info.completion_price) or "",
    ]
    return _Entry(
        provider=provider,
        model=info.id,
        label=label,
        detail=" · ".join(part for part in details if part),
        haystack=f"{info.id}\n{name}".casefold(),
    )


def _unlisted_entry(provider: str, model: str, detail: str = "not listed by the server") -> _Entry:
    return _Entry(
        provider=provider,
        model=model,
        label=one_line(model),
        detail=detail,
        haystack=model.casefold(),
    )


def _typed_entry(provider: str, model: str) -> _Entry:
    """ "Use `my-model` on local": a model id typed in the filter, sent as typed."""
    return _Entry(
        provider=provider,
        model=model,
        label=f"Use {one_line(model)} on {one_line(provider)}",
        detail="as typed",
        haystack="",
    )


@dataclass
class _ProviderModels:
    """The loading state and models of one provider."""

    state: LoadState = "loading"
    entries: list[_Entry] = field(default_factory=list)
    infos: dict[str, ModelInfo] = field(default_factory=dict)
    error: str | None = None


class _ModelOption(Option):
    """An option that stands for one model."""

    def __init__(self, entry: _Entry, *, current: bool, marked: int | None = None) -> None:
        super().__init__(model_prompt(entry.label, entry.detail, current=current, marked=marked))
        self.provider: str = entry.provider
        self.model: str = entry.model


def _note(text: str, style: str, *, mark: str | None = None) -> Option:
    """A line that is not a model (loading, error, nothing found); it cannot be chosen."""
    marker = Content.styled(mark, style) if mark else None
    return Option(Indented([Content.styled(text, style)], mark=marker), disabled=True)


class ModelList(OptionList):
    """The sidebar's list of models; Up on the first model hands focus back to the filter;
    Space marks a model for a comparison."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "space",
            "mark",
            "Mark",
            id="mark_model",
            tooltip="Mark the model for a comparison (2 to 4; Enter starts it)",
        ),
    ]

    @dataclass
    class MarkWanted(Message):
        """Space on a model: mark it for a comparison, or unmark it."""

    def action_mark(self) -> None:
        self.post_message(self.MarkWanted())

    @dataclass
    class TopReached(Message):
        """Up was pressed on the first choosable option."""

    def action_cursor_up(self) -> None:
        first = next((i for i, option in enumerate(self.options) if not option.disabled), None)
        if self.highlighted is None or self.highlighted == first:
            self.post_message(self.TopReached())
        else:
            super().action_cursor_up()


class ModelSidebar(SearchListPane):
    """Lists the models of every configured provider; choosing one posts `ModelChosen`.

    `ModelSidebar({"demo": client}, current=("demo", "parrot"), id="models")`
    """

    DEFAULT_CSS = """
    ModelSidebar {
        width: 100%;
        height: 1fr;
        & > #model-filter {
            width: 100%;
        }
        & > #model-list {
            height: 1fr;
            max-height: 100%;
            /* OptionList measures options once; a scrollbar appearing later would re-wrap them. */
            scrollbar-gutter: stable;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "focus_list", "Models", show=False),
        Binding("escape", "back", "Back", tooltip="Back: the search box, then the prompt"),
    ]

    @dataclass
    class ModelChosen(Message):
        """The user chose a model, in the sidebar or in the command palette."""

        provider: str
        """The provider's name in the configuration."""
        model: str
        """The model id exactly as the provider listed it."""
        sidebar: ModelSidebar | None = None
        """The sidebar it was chosen in, if any (lets `@on(..., "#id")` match)."""

        @property
        def control(self) -> ModelSidebar | None:
            return self.sidebar

    @dataclass
    class CompareChosen(Message):
        """Enter with models marked: the next prompt goes to all of them at once."""

        models: list[tuple[str, str]]
        """`(provider, model)` pairs, in the order they were marked."""

    @dataclass
    class Dismissed(Message):
        """Esc with an empty filter: the user is done with the sidebar."""

        sidebar: ModelSidebar

        @property
        def control(self) -> ModelSidebar:
            return self.sidebar

    current: var[tuple[str, str] | None] = var(None, init=False)
    """The `(provider, model)` in use, marked in the list."""

    filter_text: var[str] = var("", init=False)
    """What the user typed in the filter."""

    def __init__(
        self,
        sources: Mapping[str, ModelSource],
        current: tuple[str, str] | None = None,
        *,
        configured: Mapping[str, str] | None = None,
        unasked: Mapping[str, str] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Build the sidebar; models load once it is mounted.

        Args:
            sources: Provider name -> client, in configuration order.
            current: The `(provider, model)` in use, if any.
            configured: Provider name -> its model in the configuration: listed even when
                the server lists no models (a server without `/models`).
            unasked: Provider name -> why its models are not asked for (a hosted provider
                with no key: `--demo` and a first start never reach for the network); its
                configured model is listed all the same.
            name: The widget's name.
            id: The widget's id.
            classes: CSS classes.
        """
        super().__init__(name=name, id=id, classes=classes)
        self._sources: dict[str, ModelSource] = dict(sources)
        self._providers: dict[str, _ProviderModels] = {
            provider: _ProviderModels() for provider in self._sources
        }
        self._configured: dict[str, str] = dict(configured or {})
        self._unasked: dict[str, str] = dict(unasked or {})
        self._notes: dict[str, str] = {}
        """A line under a provider's name, e.g. "found on this machine"."""
        self._options: dict[tuple[str, str, bool], _ModelOption] = {}
        """Options reused across filter keystrokes, so each is laid out once."""
        self._generation = 0
        """Bumped by `reload` so answers from an older load are ignored."""
        self.marked: list[tuple[str, str]] = []
        """Models marked with Space for a comparison, in order."""
        self.set_reactive(ModelSidebar.current, current)

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Filter models", id="model-filter", select_on_focus=False)
        yield ModelList(id="model-list")

    def on_mount(self) -> None:
        self.reload()

    # --- public API -------------------------------------------------------------------------

    def reload(self) -> None:
        """Fetch every provider's models again, showing each as loading until it answers."""
        self.workers.cancel_group(self, "model-lists")
        self._generation += 1
        self._options.clear()
        for provider, source in self._sources.items():
            if provider in self._unasked:
                self._providers[provider] = _ProviderModels(state="unasked")
                continue
            self._providers[provider] = _ProviderModels()
            self._load_models(provider, source, self._generation)
        self._rebuild()

    def add_provider(
        self,
        provider: str,
        source: ModelSource,
        *,
        models: list[ModelInfo] | None = None,
        note: str | None = None,
    ) -> None:
        """List another provider, below the others; `reload` fetches its models too.

        Args:
            provider: Its name.
            source: Its client.
            models: Its models when already known (then nothing is fetched now).
            note: A line shown under its name.
        """
        self._sources[provider] = source
        if note:
            self._notes[provider] = one_line(note)
        self._providers[provider] = _ProviderModels()
        if models is None:
            self._load_models(provider, source, self._generation)
            self._rebuild()
        else:
            self._loaded(provider, self._generation, models=models)

    def set_current(self, provider: str, model: str) -> None:
        """Mark `model` of `provider` as the one in use (posts nothing)."""
        self.current = (provider, model)

    def choose(self, provider: str, model: str) -> None:
        """Make `model` current, clear the filter, and post `ModelChosen`, as Enter on it does."""
        self.set_current(provider, model)
        self.filter_text = ""
        self.post_message(self.ModelChosen(provider, model, self))

    def visible_models(self) -> list[tuple[str, str]]:
        """The `(provider, model)` pairs the list shows now, top to bottom."""
        return [
            (option.provider, option.model)
            for option in self.query_one(ModelList).options
            if isinstance(option, _ModelOption)
        ]

    def known_models(self) -> list[tuple[str, str]]:
        """Every `(provider, model)` loaded so far (filter ignored), plus the current model."""
        return [
            (entry.provider, entry.model)
            for provider in self._providers
            for entry in self._group_entries(provider)
        ]

    def model_info(self, provider: str, model: str) -> ModelInfo | None:
        """What the provider said about `model`, or `None` if it did not list it."""
        group = self._providers.get(provider)
        return group.infos.get(model) if group else None

    def provider_state(self, provider: str) -> LoadState:
        """Whether `provider`'s list is loading, ready, or failed."""
        return self._providers[provider].state

    def provider_error(self, provider: str) -> str | None:
        """The one-sentence, display-safe error of a failed provider."""
        return self._providers[provider].error

    # --- loading ----------------------------------------------------------------------------

    @work(group="model-lists", exit_on_error=False)
    async def _load_models(self, provider: str, source: ModelSource, generation: int) -> None:
        try:
            models = await source.list_models()
        except APIError as error:
            self._loaded(provider, generation, error=error.message)
        except Exception as error:
            # A bug or an unmapped failure in one provider must not take the others down.
            self.log.error(f"listing models of {provider!r} failed", error)
            self._loaded(provider, generation, error=f"Could not list the models: {error!r}")
        else:
            self._loaded(provider, generation, models=models)

    def _loaded(
        self,
        provider: str,
        generation: int,
        *,
        models: list[ModelInfo] | None = None,
        error: str | None = None,
    ) -> None:
        if generation != self._generation:
            return
        group = _ProviderModels()
        if error is not None:
            group.state = "error"
            group.error = one_line(error) or "Could not list the models."
        else:
            group.state = "ready"
            for info in models or ():
                if info.id and info.id not in group.infos:
                    group.infos[info.id] = info
                    group.entries.append(_entry(provider, info))
            group.entries.sort(key=lambda entry: entry.model.casefold())
        self._providers[provider] = group
        self._options = {key: option for key, option in self._options.items() if key[0] != provider}
        self._rebuild()

    # --- rendering --------------------------------------------------------------------------

    def _group_entries(self, provider: str) -> list[_Entry]:
        """The provider's entries, with the current model first when the server omits it."""
        group = self._providers[provider]
        current = self.current
        entries = group.entries
        configured = self._configured.get(provider)
        if group.state != "loading" and configured and configured not in group.infos:
            # A server without `/models` (or one that leaves it out): still pickable.
            entries = [_unlisted_entry(provider, configured, "configured model"), *entries]
        unlisted = current and current[0] == provider and current[1] not in group.infos
        if current and unlisted and current[1] != configured:
            entries = [_unlisted_entry(provider, current[1]), *entries]
        return entries

    def _option(self, entry: _Entry) -> _ModelOption:
        current = self.current == (entry.provider, entry.model)
        pair = (entry.provider, entry.model)
        marked = self.marked.index(pair) + 1 if pair in self.marked else None
        if marked is not None:
            return _ModelOption(entry, current=current, marked=marked)
        key = (entry.provider, entry.model, current)
        option = self._options.get(key)
        if option is None:
            option = self._options[key] = _ModelOption(entry, current=current)
        return option

    def _build_options(self) -> list[Option]:
        words = self.filter_text.casefold().split()
        options: list[Option] = []
        shown = 0
        for provider, group in self._providers.items():
            entries = [
                e for e in self._group_entries(provider) if matches_filter(e.haystack, words)
            ]
            if words and group.state in ("ready", "unasked") and not entries:
                continue
            count = len(group.entries)
            tally = f"  {count} model{'s' * (count != 1)}" if group.state == "ready" else ""
            header = Content.assemble(
                (one_line(provider), "bold $text-primary"), (tally, "$text-muted")
            )
            options.append(Option(header, disabled=True))
            if provider in self._notes:
                options.append(_note(self._notes[provider], "italic $text-muted"))
            if group.state == "loading":
                options.append(_note("loading models…", "italic $text-muted"))
            elif group.state == "error":
                options.append(_note(group.error or "", "$text-error", mark="⚠"))
            elif group.state == "unasked":
                options.append(_note(self._unasked[provider], "italic $text-muted"))
            elif not group.entries:
                options.append(_note("no models listed", "italic $text-muted"))
            options.extend(self._option(entry) for entry in entries)
            shown += len(entries)
        if words and not shown:
            options.append(
                Option(Content.styled("No model matches the filter.", "$text-muted"), disabled=True)
            )
        typed = self.filter_text.strip()
        if len(words) == 1 and not shown:
            # No model matches: the id can still be used as typed, on any provider.
            for provider, group in self._providers.items():
                if group.state != "loading":
                    options.append(_ModelOption(_typed_entry(provider, typed), current=False))
        return options

    def _rebuild(self, *, highlight_first: bool = False, follow_current: bool = False) -> None:
        """Refill the list, keeping the highlighted model when it is still shown.

        Args:
            highlight_first: Highlight the first match (the filter changed).
            follow_current: Highlight the current model (it changed), so the highlight and
                the mark never point at two different models after a switch.
        """
        if not self.is_mounted:
            return
        model_list = self.query_one(ModelList)
        previous = model_list.highlighted_option
        model_list.set_options(self._build_options())
        keys = {
            (option.provider, option.model): index
            for index, option in enumerate(model_list.options)
            if isinstance(option, _ModelOption)
        }
        wanted: list[tuple[str, str] | None] = [] if highlight_first else [self.current]
        if isinstance(previous, _ModelOption) and not (highlight_first or follow_current):
            wanted.insert(0, (previous.provider, previous.model))
        target = next((keys[key] for key in wanted if key in keys), None)
        if target is None and keys:
            target = min(keys.values())
        model_list.highlighted = target

    def watch_current(self) -> None:
        self._rebuild(follow_current=True)

    def watch_filter_text(self, value: str) -> None:
        filter_input = self.query_one("#model-filter", Input)
        if filter_input.value != value:
            filter_input.value = value
        self._rebuild(highlight_first=bool(value.split()))

    # --- events and actions -----------------------------------------------------------------

    @on(Input.Changed, "#model-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        # Read the input, not the event: when keys arrive faster than messages are handled,
        # `event.value` is stale, and echoing it back would undo the keys typed since.
        self.filter_text = event.input.value

    @on(Input.Submitted, "#model-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        option = self.query_one(ModelList).highlighted_option
        if isinstance(option, _ModelOption):
            self._enter(option)

    @on(OptionList.OptionSelected, "#model-list")
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if isinstance(event.option, _ModelOption):
            self._enter(event.option)

    def _enter(self, option: _ModelOption) -> None:
        """Enter: start the comparison of the marked models, or choose the model."""
        if len(self.marked) >= MIN_MODELS:
            models, self.marked = self.marked, []
            self._rebuild()
            self.post_message(self.CompareChosen(models))
        elif self.marked:
            self.notify(
                f"Mark {MIN_MODELS} to {MAX_MODELS} models with Space to compare them.",
                severity="warning",
            )
        else:
            self.choose(option.provider, option.model)

    @on(ModelList.MarkWanted)
    def _mark_wanted(self, event: ModelList.MarkWanted) -> None:
        event.stop()
        option = self.query_one(ModelList).highlighted_option
        if not isinstance(option, _ModelOption):
            return
        pair = (option.provider, option.model)
        if pair in self.marked:
            self.marked.remove(pair)
        elif len(self.marked) >= MAX_MODELS:
            self.notify(f"A comparison takes {MAX_MODELS} models at most.", severity="warning")
            return
        else:
            self.marked.append(pair)
        self._rebuild()

    @on(OptionList.OptionHighlighted, "#model-list")
    def _option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()

    @on(ModelList.TopReached)
    def _top_reached(self, event: ModelList.TopReached) -> None:
        event.stop()
        self._focus(self.search_box())

    def search_box(self) -> Input:
        return self.query_one("#model-filter", Input)

    def option_list(self) -> ModelList:
        return self.query_one(ModelList)

    def dismiss(self) -> None:
        self.post_message(self.Dismissed(self))
