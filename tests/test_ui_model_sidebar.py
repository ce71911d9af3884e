"""The model sidebar and the "Switch model" commands, driven through Textual's Pilot.

The demo server (threaded, from `conftest.py`) answers `/models`; an unreachable provider fails
next to it. Fakes cover what the demo server does not list: odd ids, names, huge lists.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import pytest
from textual.app import App, ComposeResult
from textual.command import CommandList, Hit
from textual.pilot import Pilot
from textual.widgets import Input

from parrotchat.api import APIError, ChatClient, ConnectionFailed, Endpoint
from parrotchat.api.models import ModelInfo
from parrotchat.sanitize import one_line
from parrotchat.ui.commands import ModelCommands
from parrotchat.ui.model_sidebar import (
    ModelList,
    ModelSidebar,
    ModelSource,
    format_context_length,
    format_price,
)

if TYPE_CHECKING:
    from parrotchat.demo.server import DemoServer

DEMO_MODELS = [
    ("demo", "parrot"),
    ("demo", "parrot-fast"),
    ("demo", "parrot-think"),
    ("demo", "parrot-tools"),
]


class FakeSource:
    """A provider whose `/models` answer (or error) is given, optionally held until released."""

    def __init__(
        self,
        models: Sequence[ModelInfo] = (),
        error: Exception | None = None,
        gate: asyncio.Event | None = None,
    ) -> None:
        self.models = list(models)
        self.error = error
        self.gate = gate

    async def list_models(self) -> list[ModelInfo]:
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return self.models


class Gated:
    """Holds a real client's `list_models` until `gate` is set, to observe the loading state."""

    def __init__(self, source: ModelSource, gate: asyncio.Event) -> None:
        self.source = source
        self.gate = gate

    async def list_models(self) -> list[ModelInfo]:
        await self.gate.wait()
        return await self.source.list_models()


class SidebarApp(App[None]):
    """The sidebar alone, recording what it posts to the app."""

    COMMANDS = App.COMMANDS | {ModelCommands}

    def __init__(
        self, sources: Mapping[str, ModelSource], current: tuple[str, str] | None = None
    ) -> None:
        super().__init__()
        self.sources = sources
        self.current = current
        self.chosen: list[tuple[str, str]] = []
        self.dismissed = 0

    def compose(self) -> ComposeResult:
        yield ModelSidebar(self.sources, self.current, id="models")

    def on_model_sidebar_model_chosen(self, message: ModelSidebar.ModelChosen) -> None:
        self.chosen.append((message.provider, message.model))

    def on_model_sidebar_dismissed(self, message: ModelSidebar.Dismissed) -> None:
        self.dismissed += 1


async def wait_for(
    pilot: Pilot[None], condition: Callable[[], object], timeout: float = 5.0
) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the sidebar"
        await pilot.pause()


def screen_lines(app: App[None]) -> list[str]:
    """The model list as rendered on screen, one string per line, trailing spaces removed."""
    model_list = app.query_one(ModelList)
    return [model_list.render_line(y).text.rstrip() for y in range(model_list.size.height)]


def sidebar(app: App[None]) -> ModelSidebar:
    return app.query_one(ModelSidebar)


def closed_port_url() -> str:
    """A loopback URL nobody listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
async def demo_client(demo_server: DemoServer):
    async with ChatClient(Endpoint("demo", demo_server.base_url, max_retries=0)) as client:
        yield client


@pytest.fixture
async def down_client():
    async with ChatClient(Endpoint("down", closed_port_url(), max_retries=0)) as client:
        yield client


# --- against the demo server ------------------------------------------------------------------


async def test_loading_state_then_models_grouped_by_provider(
    demo_client: ChatClient, down_client: ChatClient
) -> None:
    gate = asyncio.Event()
    app = SidebarApp({"demo": Gated(demo_client, gate), "down": down_client})
    async with app.run_test(size=(60, 30)) as pilot:
        bar = sidebar(app)
        assert bar.provider_state("demo") == "loading"
        await wait_for(pilot, lambda: "  loading models…" in screen_lines(app))
        # The unreachable provider fails while the other is still loading: nothing waits.
        await wait_for(pilot, lambda: bar.provider_state("down") == "error")
        assert bar.provider_state("demo") == "loading"

        gate.set()
        await wait_for(pilot, lambda: bar.provider_state("demo") == "ready")
        assert bar.visible_models() == DEMO_MODELS
        lines = screen_lines(app)
        assert lines[:9] == [
            "demo  4 models",
            "  parrot",
            "  Parrot · 32k ctx · $0.50/$1.50 per 1M",
            "  parrot-fast",
            "  Parrot Fast · 8k ctx · free",
            "  parrot-think",
            "  Parrot Think · 128k ctx · $2.00/$8.00 per 1M",
            "  parrot-tools",
            "  Parrot Tools · 32k ctx · $0.50/$1.50 per 1M",
        ]
        assert lines[9] == "down"
        assert "loading models…" not in "\n".join(lines)


async def test_failing_provider_shows_its_error_in_place(
    demo_client: ChatClient, down_client: ChatClient
) -> None:
    app = SidebarApp({"down": down_client, "demo": demo_client})
    async with app.run_test(size=(60, 30)) as pilot:
        bar = sidebar(app)
        await wait_for(pilot, lambda: bar.provider_state("down") != "loading")
        await wait_for(pilot, lambda: bar.provider_state("demo") == "ready")
        error = bar.provider_error("down")
        assert bar.provider_state("down") == "error"
        assert error and "\n" not in error
        lines = screen_lines(app)
        demo_at = lines.index("demo  4 models")
        assert lines[0] == "down"
        assert lines[1].startswith("⚠ ")  # wrapped lines of the error stay indented
        assert " ".join(line[2:] for line in lines[1:demo_at]) == error
        assert lines[demo_at + 1] == "  parrot"
        assert bar.visible_models() == DEMO_MODELS


async def test_server_error_text_with_markup_is_shown_literally(
    demo_server: DemoServer, demo_client: ChatClient
) -> None:
    # The demo server echoes an unknown path in its 404 text, and the client quotes it.
    wrong = Endpoint("wrong", demo_server.base_url + "/[/oops]", max_retries=0)
    async with ChatClient(wrong) as wrong_client:
        app = SidebarApp({"wrong[/x]": wrong_client, "demo": demo_client})
        async with app.run_test(size=(100, 30)) as pilot:
            bar = sidebar(app)
            await wait_for(pilot, lambda: bar.provider_state("wrong[/x]") == "error")
            await wait_for(pilot, lambda: bar.provider_state("demo") == "ready")
            error = bar.provider_error("wrong[/x]") or ""
            assert "/v1/[/oops]/models" in error
            lines = screen_lines(app)
            demo_at = lines.index("demo  4 models")
            assert lines[0] == "wrong[/x]"
            assert " ".join(line[2:] for line in lines[1:demo_at]) == error
            assert bar.visible_models() == DEMO_MODELS


async def test_typing_filters_and_enter_chooses(demo_client: ChatClient) -> None:
    app = SidebarApp({"demo": demo_client}, current=("demo", "parrot"))
    async with app.run_test(size=(60, 30)) as pilot:
        bar = sidebar(app)
        await wait_for(pilot, lambda: bar.provider_state("demo") == "ready")
        assert "● parrot" in screen_lines(app)

        await pilot.click("#model-filter")
        await pilot.press(*"THINK")
        assert bar.visible_models() == [("demo", "parrot-think")]
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.chosen)
        assert app.chosen == [("demo", "parrot-think")]
        assert bar.current == ("demo", "parrot-think")
        # The mark moved, and the filter was cleared for next time.
        assert bar.visible_models() == DEMO_MODELS
        assert app.query_one("#model-filter", Input).value == ""
        assert "● parrot-think" in screen_lines(app)
        assert "  parrot" in screen_lines(app)


async def test_several_words_must_all_match(demo_client: ChatClient) -> None:
    app = SidebarApp({"demo": demo_client})
    async with app.run_test(size=(60, 30)) as pilot:
        bar = sidebar(app)
        await wait_for(pilot, lambda: bar.provider_state("demo") == "ready")
        bar.filter_text = "parrot free"  # "free" is in no id or name
        await pilot.pause()
        assert bar.visible_models() == []
        assert "No model matches the filter." in screen_lines(app)
        bar.filter_text = "fast PARROT"
        await pilot.pause()
        assert bar.visible_models() == [("demo", "parrot-fast")]
        assert app.query_one("#model-filter", Input).value == "fast PARROT"


async def test_keyboard_down_enter_and_escape(demo_client: ChatClient) -> None:
    app = SidebarApp({"demo": demo_client}, current=("demo", "parrot"))
    async with app.run_test(size=(60, 30)) as pilot:
        bar = sidebar(app)
        await wait_for(pilot, lambda: bar.provider_state("demo") == "ready")
        filter_input = app.query_one("#model-filter", Input)
        model_list = app.query_one(ModelList)
        filter_input.focus()

        await pilot.press("down")  # into the list, on the current model
        assert model_list.has_focus
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.chosen)
        assert app.chosen == [("demo", "parrot-fast")]
        assert "● parrot-fast" in screen_lines(app)

        await pilot.press("escape")  # list -> filter
        assert filter_input.has_focus
        await pilot.press("down", "up", "up")  # Up on the first model -> filter
        assert filter_input.has_focus

        await pilot.press(*"zzz", "escape")  # clears the filter
        assert filter_input.value == "" and len(bar.visible_models()) == 4
        assert app.dismissed == 0
        await pilot.press("escape")  # empty filter: the sidebar is done
        await wait_for(pilot, lambda: app.dismissed == 1)


async def test_current_model_the_server_does_not_list_is_still_marked(
    demo_client: ChatClient,
) -> None:
    app = SidebarApp({"demo": demo_client}, current=("demo", "parrot-retired"))
    async with app.run_test(size=(60, 30)) as pilot:
        bar = sidebar(app)
        await wait_for(pilot, lambda: bar.provider_state("demo") == "ready")
        assert bar.visible_models() == [("demo", "parrot-retired"), *DEMO_MODELS]
        assert screen_lines(app)[1:3] == ["● parrot-retired", "  not listed by the server"]
        bar.set_current("demo", "parrot")
        await pilot.pause()
        assert bar.visible_models() == DEMO_MODELS
        assert bar.known_models() == DEMO_MODELS


async def test_reload_fetches_again(demo_server: DemoServer) -> None:
    gate = asyncio.Event()
    gate.set()
    async with ChatClient(Endpoint("demo", demo_server.base_url, max_retries=0)) as client:
        app = SidebarApp({"demo": Gated(client, gate)})
        async with app.run_test(size=(60, 30)) as pilot:
            bar = sidebar(app)
            await wait_for(pilot, lambda: bar.provider_state("demo") == "ready")
            gate.clear()
            bar.reload()
            assert bar.provider_state("demo") == "loading"
            gate.set()
            await wait_for(pilot, lambda: bar.provider_state("demo") == "ready")
            assert bar.visible_models() == DEMO_MODELS


async def test_palette_switches_model(demo_client: ChatClient) -> None:
    app = SidebarApp({"demo": demo_client}, current=("demo", "parrot"))
    async with app.run_test(size=(80, 30)) as pilot:
        bar = sidebar(app)
        await wait_for(pilot, lambda: bar.provider_state("demo") == "ready")
        app.action_command_palette()
        await wait_for(pilot, lambda: app.screen.query(CommandList))
        await pilot.press(*"switch think")
        command_list = app.screen.query_one(CommandList)
        await wait_for(pilot, lambda: command_list.option_count > 0)
        first = command_list.get_option_at_index(0).prompt
        assert str(first).splitlines()[0] == "Switch model: demo/parrot-think"
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.chosen)
        assert app.chosen == [("demo", "parrot-think")]
        assert bar.current == ("demo", "parrot-think")


# --- with fakes: what the demo server does not serve --------------------------------------------


async def test_markup_in_ids_names_and_errors_is_shown_literally() -> None:
    models = [
        ModelInfo("org/model[/v2]", name="[/oops] [bold]Loud[/bold]", prompt_price=1.0),
        ModelInfo("[@click=app.quit]q", name="evil\x1b[2J\nname"),
    ]
    error = ConnectionFailed("Could not reach [/oops] at http://[::1]:9/v1 \x1b]52;c;aGk=\x07.")
    sources = {"odd[/x]": FakeSource(models), "broken": FakeSource(error=error)}
    app = SidebarApp(sources, current=("odd[/x]", "org/model[/v2]"))
    async with app.run_test(size=(80, 30)) as pilot:
        bar = sidebar(app)
        await wait_for(pilot, lambda: bar.provider_state("broken") == "error")
        await wait_for(pilot, lambda: bar.provider_state("odd[/x]") == "ready")
        lines = screen_lines(app)
        assert lines[:6] == [
            "odd[/x]  2 models",
            "  [@click=app.quit]q",
            "  evil␛[2J name",
            "● org/model[/v2]",
            "  [/oops] [bold]Loud[/bold] · $1.00/? per 1M",
            "broken",
        ]
        assert lines[6] == "⚠ Could not reach [/oops] at http://[::1]:9/v1 ␛]52;c;aGk=␇."
        # The raw id goes back to the app untouched; only the display is neutralised.
        assert bar.visible_models()[0] == ("odd[/x]", "[@click=app.quit]q")

        bar.filter_text = "[/v2]"
        await pilot.pause()
        assert bar.visible_models() == [("odd[/x]", "org/model[/v2]")]

        hits = [hit async for hit in ModelCommands(app.screen).search("[/v2]")]
        assert [str(hit.prompt).splitlines()[0] for hit in hits] == [
            "Switch model: odd[/x]/org/model[/v2]"
        ]
        assert str(hits[0].prompt).splitlines()[1] == "[/oops] [bold]Loud[/bold]"

        app.action_command_palette()  # the palette renders the same prompt without parsing it
        await wait_for(pilot, lambda: app.screen.query(CommandList))
        await pilot.press(*"v2")
        command_list = app.screen.query_one(CommandList)
        await wait_for(pilot, lambda: command_list.option_count > 0)
        rendered = [command_list.render_line(y).text.strip() for y in range(3)]
        assert rendered[:2] == ["Switch model: odd[/x]/org/model[/v2]", "[/oops] [bold]Loud[/bold]"]


async def test_filter_matches_names_case_insensitively() -> None:
    models = [
        ModelInfo("openai/gpt-4o-mini", "OpenAI: GPT-4o mini", 128_000, 0.15, 0.6),
        ModelInfo("anthropic/claude-sonnet-4", "Anthropic: Claude Sonnet 4", 200_000, 3, 15),
        ModelInfo("llama3.1:8b"),
    ]
    app = SidebarApp({"router": FakeSource(models)})
    async with app.run_test(size=(60, 30)) as pilot:
        bar = sidebar(app)
        await wait_for(pilot, lambda: bar.provider_state("router") == "ready")
        bar.filter_text = "SONNET anthropic"
        await pilot.pause()
        assert bar.visible_models() == [("router", "anthropic/claude-sonnet-4")]
        bar.filter_text = "mini"
        await pilot.pause()
        assert screen_lines(app)[1:3] == [
            "  openai/gpt-4o-mini",
            "  OpenAI: GPT-4o mini · 128k ctx · $0.15/$0.60 per 1M",
        ]
        bar.filter_text = "8b"
        await pilot.pause()
        assert screen_lines(app)[1:3] == ["  llama3.1:8b", ""]


async def test_large_list_filters_correctly() -> None:
    models = [
        ModelInfo(f"org{i % 20}/model-{i}", f"Org {i % 20}: Model {i}", 131_072, 0.1, 0.2)
        for i in range(1000)
    ]
    app = SidebarApp({"router": FakeSource(models)})
    async with app.run_test(size=(60, 40)) as pilot:
        bar = sidebar(app)
        await wait_for(pilot, lambda: bar.provider_state("router") == "ready")
        assert len(bar.visible_models()) == 1000
        for query in ("m", "mo", "model-1", "model-12", "org3 model-1", "", "zzz", ""):
            bar.filter_text = query
            await pilot.pause()
        assert len(bar.visible_models()) == 1000
        assert bar.filter_text == ""
        bar.filter_text = "org3 model-1"
        assert len(bar.visible_models()) == 5  # org3/model-103, -123, -143, -163, -183


async def test_one_failing_provider_does_not_block_another_that_is_slow() -> None:
    gate = asyncio.Event()
    sources = {
        "slow": FakeSource([ModelInfo("a")], gate=gate),
        "bad": FakeSource(error=APIError("The server said no.")),
        "buggy": FakeSource(error=RuntimeError("unexpected")),
    }
    app = SidebarApp(sources)
    async with app.run_test(size=(60, 30)) as pilot:
        bar = sidebar(app)
        await wait_for(pilot, lambda: bar.provider_state("buggy") == "error")
        await wait_for(pilot, lambda: bar.provider_state("bad") == "error")
        assert bar.provider_error("bad") == "The server said no."
        assert "RuntimeError" in (bar.provider_error("buggy") or "")
        assert bar.provider_state("slow") == "loading"
        gate.set()
        await wait_for(pilot, lambda: bar.provider_state("slow") == "ready")
        assert bar.visible_models() == [("slow", "a")]
        assert app.return_code is None  # the app kept running


async def test_palette_commands_match_fuzzily() -> None:
    models = [ModelInfo("gpt-4o"), ModelInfo("claude-sonnet-4", "Claude Sonnet 4")]
    app = SidebarApp({"router": FakeSource(models), "local": FakeSource([ModelInfo("llama3")])})
    async with app.run_test(size=(60, 30)) as pilot:
        bar = sidebar(app)
        await wait_for(pilot, lambda: bar.provider_state("local") == "ready")
        await wait_for(pilot, lambda: bar.provider_state("router") == "ready")
        provider = ModelCommands(app.screen)
        hits = [hit async for hit in provider.search("clsnt")]
        assert [hit.text for hit in hits] == ["Switch model: router/claude-sonnet-4"]
        assert isinstance(hits[0], Hit) and hits[0].score > 0
        switch = [hit.text async for hit in provider.search("switch")]
        assert switch == [
            "Switch model: router/claude-sonnet-4",
            "Switch model: router/gpt-4o",
            "Switch model: local/llama3",
        ]
        hits[0].command()
        await wait_for(pilot, lambda: app.chosen)
        assert app.chosen == [("router", "claude-sonnet-4")]
        assert bar.current == ("router", "claude-sonnet-4")


# --- formatting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tokens", "text"),
    [
        (128_000, "128k ctx"),
        (131_072, "128k ctx"),
        (8_192, "8k ctx"),
        (200_000, "200k ctx"),
        (1_048_576, "1M ctx"),
        (1_050_000, "1.05M ctx"),
        (130_500, "130k ctx"),
        (512, "512 ctx"),
        (0, None),
        (None, None),
    ],
)
def test_context_length(tokens: int | None, text: str | None) -> None:
    assert format_context_length(tokens) == text


@pytest.mark.parametrize(
    ("prompt", "completion", "text"),
    [
        (0.15, 0.6, "$0.15/$0.60 per 1M"),
        (0.0, 0.0, "free"),
        (3, 15, "$3.00/$15.00 per 1M"),
        (0.0375, 0.0, "$0.0375/$0 per 1M"),
        (0.5, None, "$0.50/? per 1M"),
        (0.075, 0.00001, "$0.075/<$0.0001 per 1M"),
        (-1.0, -1.0, None),
        (None, None, None),
    ],
)
def test_price(prompt: float | None, completion: float | None, text: str | None) -> None:
    assert format_price(prompt, completion) == text


def test_one_line_flattens_and_neutralises() -> None:
    assert one_line("a\n b\t\x1b[31mc\r") == "a b ␛[31mc"
