"""Drive the real app through Textual's Pilot: for the tests and the screenshot script.

Everything waits on a condition with a deadline, never on a fixed sleep.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from parrotchat.api.errors import ConnectionFailed
from parrotchat.api.events import Event
from parrotchat.api.models import ModelInfo
from parrotchat.config import Paths, Settings, load_settings
from parrotchat.core.conversation import Message, Role
from parrotchat.core.export import conversation_to_json
from parrotchat.core.history import open_history
from parrotchat.core.records import ConversationRecord
from parrotchat.core.store import Store
from parrotchat.demo.behaviours import Script, chunk, sse
from parrotchat.ui.app import ParrotChatApp, make_app

__all__ = [
    "STORED_NOW",
    "STORED_SAMPLE",
    "FixedClock",
    "UnreachableClient",
    "demo_settings",
    "hanging",
    "history_demo_app",
    "history_file",
    "offline_app",
    "offline_demo_app",
    "press_now",
    "send_prompt",
    "store_sample_conversations",
    "wait_for_rendered",
    "wait_for_reply",
    "wait_until",
]


class FixedClock:
    """A clock that stands still, so timings on screen (TTFT, tok/s) never change a snapshot."""

    def __call__(self) -> float:
        return 0.0


class UnreachableClient:
    """Stands in for a provider's `ChatClient` that cannot be reached, without any network.

    Tests pass it for the built-in parrotrouter provider, so nothing leaves 127.0.0.1.
    """

    def __init__(self, name: str = "parrotrouter") -> None:
        self.error = ConnectionFailed(f"Could not reach {name}: it is offline in this run.")

    async def list_models(self) -> list[ModelInfo]:
        raise self.error

    async def stream_chat(self, model: str, messages: Any, **params: Any) -> AsyncIterator[Event]:
        raise self.error
        yield  # an async generator, like ChatClient.stream_chat

    async def aclose(self) -> None:
        """Nothing to close."""


def demo_settings(base_url: str, workdir: Path, **flags: Any) -> Settings:
    """What `parrotchat --demo` loads with no config file (in `workdir`) and no environment, on
    the demo server at `base_url`. `flags` are `load_settings` flags such as `system=...`."""
    settings = load_settings(config_path=workdir / "none.toml", env={}, demo=True, **flags)
    return settings.with_demo_url(base_url)


def offline_app(
    settings: Settings,
    workdir: Path,
    *,
    clients: Mapping[str, Any] | None = None,
    history: Path | None = None,
    resume: int | None = None,
    export_dir: Path | None = None,
) -> ParrotChatApp:
    """The real app on `settings`, its files (log, state) in `workdir`.

    ParrotRouter is an `UnreachableClient`, so nothing leaves 127.0.0.1; `clients` stand in for
    other providers (or for it) as well. `history` is a database to keep conversations in
    (default: none, in memory only), `resume` a conversation in it to reopen (`LAST` for `-c`),
    `export_dir` where exports go.
    """
    chat_history, resumed = open_history(history, resume) if history is not None else (None, None)
    stand_ins = {"parrotrouter": UnreachableClient(), **(clients or {})}
    paths = Paths.under(workdir)
    if export_dir is not None:
        paths = dataclasses.replace(paths, export_dir=export_dir)
    return make_app(settings, paths=paths, clients=stand_ins, history=chat_history, resumed=resumed)


def offline_demo_app(
    base_url: str,
    workdir: Path,
    *,
    clients: Mapping[str, Any] | None = None,
    history: Path | None = None,
    resume: int | None = None,
    export_dir: Path | None = None,
    **flags: Any,
) -> ParrotChatApp:
    """The real app on the demo server at `base_url`, as `parrotchat --demo` starts it.

    `offline_app` on `demo_settings(base_url, workdir, **flags)`: its files (config, log,
    state) live in `workdir`, ParrotRouter is unreachable.
    """
    settings = demo_settings(base_url, workdir, **flags)
    return offline_app(
        settings, workdir, clients=clients, history=history, resume=resume, export_dir=export_dir
    )


def history_file(workdir: Path) -> Path:
    """The database `history_demo_app` keeps its conversations in."""
    return workdir / "data" / "parrotchat.db"


def history_demo_app(
    base_url: str, workdir: Path, resume: int | None = None, **flags: Any
) -> ParrotChatApp:
    """`offline_demo_app` with its history in `history_file(workdir)` and its exports in
    `workdir / "exports"`; `resume` a conversation to reopen (`LAST` for `-c`)."""
    return offline_demo_app(
        base_url,
        workdir,
        history=history_file(workdir),
        resume=resume,
        export_dir=workdir / "exports",
        **flags,
    )


def hanging(*texts: str) -> Script:
    """A demo reply that sends `texts` and then nothing more until the client leaves."""
    return Script([sse(chunk(text)) for text in texts], end="hang")


STORED_NOW = datetime(2025, 6, 18, 15, 30, tzinfo=UTC).timestamp()
"""The wall clock the stored sample conversations are dated against (a Wednesday, UTC)."""
STORED_SAMPLE = [
    ("Why do parrots talk?", "Parrots mimic the sounds of their flock.", 1.0),
    ("Plan a trip to Lisbon", "Day one: the parrot garden at Belém, then custard tarts.", 3.0),
    ("Sort a list in Python", "Use `sorted(words)`; nothing about parrots here.", 120.0),
]
"""Title (the prompt), answer and age in days of the sample conversations, newest first."""


def store_sample_conversations(path: Path, now: float = STORED_NOW) -> None:
    """Store `STORED_SAMPLE` in the database at `path`, dated `now` minus their ages."""
    with Store(path) as store:
        for title, answer, days in reversed(STORED_SAMPLE):
            when = now - days * 86400
            record = ConversationRecord(0, title, when, when, model="parrot", provider="demo")
            messages = [
                Message(Role.USER, title, created=when),
                Message(Role.ASSISTANT, answer, model="parrot", provider="demo", created=when),
            ]
            store.import_json(conversation_to_json(record, messages))


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], object], timeout: float = 10.0, what: str = ""
) -> None:
    """Let the app run until `condition()` is true.

    Raises:
        TimeoutError: It did not become true within `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.005)


def press_now(pilot: Pilot[None], *keys: str) -> None:
    """Press keys without `Pilot.press`'s wait for an idle CPU, which a streaming reply denies.

    Follow with `wait_until` on what the keys should do.
    """
    for key in keys:
        pilot.app.simulate_key(key)


async def send_prompt(pilot: Pilot[None], text: str) -> Message:
    """Put `text` in the prompt and press Enter; return the reply's message (still streaming)."""
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    before = len(app.conversation.messages)
    app.prompt.load_text(text)
    app.prompt.focus()
    press_now(pilot, "enter")

    def started() -> bool:
        messages = app.conversation.messages
        stream = app.reply_stream
        return len(messages) >= before + 2 and stream is not None and stream.message is messages[-1]

    await wait_until(pilot, started, what="the reply to start")
    return app.conversation.messages[-1]


async def wait_for_reply(pilot: Pilot[None], timeout: float = 10.0) -> Message:
    """Wait until the latest reply has ended and its final state is on screen; return it."""
    app = pilot.app
    assert isinstance(app, ParrotChatApp)

    def shown() -> bool:
        stream = app.reply_stream
        return stream is not None and stream.finished.is_set() and not app.streaming

    await wait_until(pilot, shown, timeout, "the reply to finish")
    assert app.reply_stream is not None
    return app.reply_stream.message


async def wait_for_rendered(pilot: Pilot[None], reply: Message, timeout: float = 10.0) -> None:
    """Wait until everything `reply` received so far is on screen, its token count included."""
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    view = next(view for view in app.chat_log.message_views() if view.message is reply)

    def rendered() -> bool:
        stats = str(view.query_one(".stats").render())
        answer = view.answer
        log = app.chat_log
        return (
            answer is not None
            and answer.source == reply.content
            and (f"{reply.tokens} token" in stats)
            and answer.laid_out  # frames may come 4 a second while behind: the last one came
            # A following log has caught up with the growth: the screen will not move again.
            and (not log.following or log.scroll_y >= log.max_scroll_y)
        )

    await wait_until(pilot, rendered, timeout, "the reply to be on screen")
