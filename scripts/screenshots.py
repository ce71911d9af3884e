"""Make `screenshots/*.svg` from the real app talking to the demo server.

`python scripts/screenshots.py [--out screenshots]`

Deterministic: fixed terminal sizes, a clock that stands still (timings show as 0.00 s), the
parrot's replies (a pure function of the prompt), replies caught mid-stream by scripting the
demo server to stop after a fixed number of tokens, and no network beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC
from pathlib import Path

from textual.pilot import Pilot

from parrotchat.demo.behaviours import HTTPError, Parrot, Script, chunk, sse
from parrotchat.demo.parrot import reply_tokens
from parrotchat.demo.server import DemoServer
from parrotchat.ui.app import ParrotChatApp
from parrotchat.ui.testing import (
    STORED_NOW,
    FixedClock,
    offline_demo_app,
    press_now,
    send_prompt,
    store_sample_conversations,
    wait_for_rendered,
    wait_for_reply,
    wait_until,
)

Scene = Callable[[Pilot[None], DemoServer], Awaitable[None]]
WIDE = (120, 36)
SMALL = (80, 24)


async def settle(pilot: Pilot[None], server: DemoServer) -> None:
    """The first screen, once every provider's model list has answered."""
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    app.prompt.cursor_blink = False
    await wait_until(
        pilot,
        lambda: all(
            app.sidebar.provider_state(name) != "loading" for name in app.settings.providers
        ),
    )


async def conversation(pilot: Pilot[None], server: DemoServer) -> None:
    """Two finished turns, the second one on another model."""
    await settle(pilot, server)
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    await send_prompt(pilot, "Tell me about parrots, 60 tokens")
    await wait_for_reply(pilot)
    app.sidebar.choose("demo", "parrot-fast")
    await wait_until(pilot, lambda: app.model == "parrot-fast")
    await send_prompt(pilot, "And about crackers, with a table")
    await wait_for_reply(pilot)


async def _mid_stream(pilot: Pilot[None], server: DemoServer) -> None:
    prompt = "Write a long answer about parrots with code and a table"
    tokens = reply_tokens(prompt, 400)[:140]
    server.push(Script([sse(chunk(token)) for token in tokens], end="hang"))
    reply = await send_prompt(pilot, prompt)
    await wait_until(pilot, lambda: reply.content == "".join(tokens))
    await wait_for_rendered(pilot, reply)


async def streaming(pilot: Pilot[None], server: DemoServer) -> None:
    """A long answer arriving."""
    await settle(pilot, server)
    await _mid_stream(pilot, server)


async def cancelled(pilot: Pilot[None], server: DemoServer) -> None:
    """Esc halfway: the partial answer stays, marked."""
    await streaming(pilot, server)
    press_now(pilot, "escape")
    await wait_for_reply(pilot)


async def scrolled_up(pilot: Pilot[None], server: DemoServer) -> None:
    """Reading further up while the answer streams: the "new content below" line shows."""
    await settle(pilot, server)
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    prompt = "Write a long answer about parrots with code and a table"
    tokens = reply_tokens(prompt, 400)[:140]
    server.push(Script([sse(chunk(token)) for token in tokens], delay=0.01, end="hang"))
    reply = await send_prompt(pilot, prompt)
    await wait_until(pilot, lambda: app.chat_log.max_scroll_y > 0)
    app.chat_log.scroll_home(animate=False)
    await wait_until(pilot, lambda: not app.chat_log.following)
    await wait_until(pilot, lambda: reply.content == "".join(tokens), timeout=30)
    await wait_for_rendered(pilot, reply)
    await wait_until(pilot, lambda: app.query_one("#new-below").display)


async def reasoning(pilot: Pilot[None], server: DemoServer) -> None:
    """A thinking model: reasoning dimmed above the answer."""
    await settle(pilot, server)
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    app.sidebar.choose("demo", "parrot-think")
    await wait_until(pilot, lambda: app.model == "parrot-think")
    await send_prompt(pilot, "Why do parrots talk? 40 tokens")
    await wait_for_reply(pilot)


async def sidebar(pilot: Pilot[None], server: DemoServer) -> None:
    """Choosing another model: the sidebar filtered."""
    await settle(pilot, server)
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    await pilot.press("ctrl+b", *"fast")
    await wait_until(pilot, lambda: app.sidebar.visible_models() == [("demo", "parrot-fast")])


async def chats(pilot: Pilot[None], server: DemoServer) -> None:
    """The Chats view searching the history: hits with the matching words highlighted."""
    await settle(pilot, server)
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    app.chats.now = lambda: STORED_NOW
    app.chats.tz = UTC
    app.chats.refresh_list()
    await wait_until(pilot, lambda: len(app.chats.visible_conversations()) == 3)
    await pilot.press("ctrl+l", *"parrot")
    await wait_until(pilot, lambda: app.chats.shown_query == "parrot")


async def error(pilot: Pilot[None], server: DemoServer) -> None:
    """A refused request: one sentence, and Ctrl+R to retry."""
    await settle(pilot, server)
    server.push(HTTPError(401, {"error": {"message": "invalid api key"}}))
    await send_prompt(pilot, "Hello?")
    await wait_for_reply(pilot)


async def small(pilot: Pilot[None], server: DemoServer) -> None:
    """An 80x24 terminal mid-conversation (the sidebar hides itself)."""
    await settle(pilot, server)
    await send_prompt(pilot, "Tell me about parrots, 40 tokens")
    await wait_for_reply(pilot)


async def attachments(pilot: Pilot[None], server: DemoServer) -> None:
    """Files attached: chips on the sent prompt, the parrot saying what it received, and two
    more chips waiting above the prompt."""
    await settle(pilot, server)
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    folder = Path(tempfile.mkdtemp(prefix="parrotchat-shots-"))
    files = {
        "docs/notes.md": b"# Flock notes\n\n- Polly: 40 words\n- Kiwi: learning to whistle\n",
        "img/parrot.png": _png_header(640, 480),
        "src/squawk.py": b'def squawk(word: str) -> str:\n    return f"{word}! {word}!"\n',
        "data/seeds.csv": b"seed,grams\nsunflower,12\nmillet,30\n",
    }
    for relative, data in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(data)
    app.attacher.attach_root = folder
    for relative in ("docs/notes.md", "img/parrot.png"):
        await app.attacher.attach_path(folder / relative)
    await send_prompt(pilot, "Summarise the flock notes and describe the picture, 30 tokens")
    await wait_for_reply(pilot)
    for relative in ("src/squawk.py", "data/seeds.csv"):
        await app.attacher.attach_path(folder / relative)
    app.prompt.load_text("Review the code and the seed list")
    app.prompt.move_cursor(app.prompt.document.end)
    shutil.rmtree(folder)  # every file is read already


def _png_header(width: int, height: int) -> bytes:
    import struct

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\0\0\0\0"


TWO_WAYS = (
    "Here is a parrot in Python:\n\n"
    '```python\ndef squawk(word: str) -> str:\n    return f"{word.upper()}!"\n\n\n'
    'print(squawk("cracker"))\n```\n\n'
    "And the same from the shell:\n\n"
    '```bash\necho "polly wants a cracker" | tr a-z A-Z\n```\n'
)


async def copying(pilot: Pilot[None], server: DemoServer) -> None:
    """A focused reply (Alt+Up) with its code blocks numbered, and words selected with the mouse."""
    await settle(pilot, server)
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    server.push(Parrot(text=TWO_WAYS))
    await send_prompt(pilot, "A parrot in Python, and in the shell")
    reply = await wait_for_reply(pilot)
    await wait_for_rendered(pilot, reply)
    await pilot.press("alt+up", "2")
    await wait_until(pilot, lambda: app.clipboard.startswith("echo"))
    answer = app.chat_log.message_views()[-1].answer
    assert answer is not None
    line = next(y for y in range(answer.size.height) if "the same" in answer.render_line(y).text)
    await pilot.mouse_down(answer, offset=(4, line))
    await pilot.hover(answer, offset=(26, line))
    await pilot.mouse_up(answer, offset=(26, line))


async def branches(pilot: Pilot[None], server: DemoServer) -> None:
    """An edited first prompt: its alternatives marked ‹ 2/2 ›, the reply asked again."""
    await settle(pilot, server)
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    server.push(Parrot(text="Parrots mimic the sounds of their flock."))
    await send_prompt(pilot, "How do parrots learn words?")
    await wait_for_reply(pilot)
    await pilot.press("alt+up", "shift+up", "e")
    app.prompt.load_text("How do parrots learn words? One sentence, for a child.")
    server.push(Parrot(text="They copy the sounds they hear, like you copy a song."))
    await pilot.press("enter")
    reply = await wait_for_reply(pilot)
    server.push(Parrot(text="Because talking is how they stay close to their family."))
    await pilot.press("ctrl+r")
    reply = await wait_for_reply(pilot)
    await wait_for_rendered(pilot, reply)
    await pilot.press("alt+up")


async def compare(pilot: Pilot[None], server: DemoServer) -> None:
    """Two demo models on one prompt, side by side: the first stopped midway (F5)."""
    await settle(pilot, server)
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    app.show_sidebar = False
    app.session.compare_next = [("demo", "parrot"), ("demo", "parrot-fast")]
    prompt = "Which parrot talks best? With a table"
    half = reply_tokens(prompt, 300)[:90]
    server.push_for("parrot", Script([sse(chunk(token)) for token in half], end="hang"))
    app.prompt.load_text(prompt)
    app.prompt.focus()
    press_now(pilot, "enter")
    view = app.compare_view
    await wait_until(pilot, lambda: len(view.streams) == 2)
    first = view.streams[0].builder
    await wait_until(pilot, lambda: first.message.content == "".join(half))
    press_now(pilot, "f5")
    await wait_until(
        pilot,
        lambda: all(s.finished.is_set() for s in view.streams.values()) and not app.streaming,
    )


CODE_ANSWER = (
    "Call `squawk` with any word; it shouts it back:\n\n"
    '```python\ndef squawk(word: str) -> str:\n    """Shout `word` twice."""\n'
    '    return f"{word.upper()}! {word.upper()}!"\n\n\n'
    'for word in ("cracker", "hello"):\n    print(squawk(word))  # 2 lines\n```\n\n'
    "| Word | Squawk |\n|---|---|\n| cracker | `CRACKER! CRACKER!` |\n| hello | `HELLO! HELLO!` |\n"
)


async def light_code(pilot: Pilot[None], server: DemoServer) -> None:
    """A light theme: code blocks and inline code in a light code theme, the reply focused."""
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    app.theme = "textual-light"
    await settle(pilot, server)
    server.push(Parrot(text=CODE_ANSWER))
    await send_prompt(pilot, "A parrot in Python, please")
    reply = await wait_for_reply(pilot)
    await wait_for_rendered(pilot, reply)
    await pilot.press("alt+up")


async def light_conversation(pilot: Pilot[None], server: DemoServer) -> None:
    """Two finished turns in another light theme (catppuccin-latte)."""
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    app.theme = "catppuccin-latte"
    await conversation(pilot, server)


WITH_HISTORY = {"chats", "branches"}
"""Scenes whose app keeps a history holding the sample conversations."""

SCENES: dict[str, tuple[Scene, tuple[int, int]]] = {
    "welcome": (settle, WIDE),
    "conversation": (conversation, WIDE),
    "streaming": (streaming, WIDE),
    "cancelled": (cancelled, WIDE),
    "scrolled-up": (scrolled_up, WIDE),
    "reasoning": (reasoning, WIDE),
    "sidebar": (sidebar, WIDE),
    "chats": (chats, WIDE),
    "error": (error, WIDE),
    "small-terminal": (small, SMALL),
    "attachments": (attachments, WIDE),
    "copying": (copying, WIDE),
    "branches": (branches, WIDE),
    "compare": (compare, (160, 50)),
    "light-code": (light_code, WIDE),
    "light-conversation": (light_conversation, WIDE),
}


async def shoot(
    name: str, scene: Scene, size: tuple[int, int], server: DemoServer, out: Path
) -> Path:
    """Run one scene in a fresh app and save its screenshot as `out/name.svg`."""
    with tempfile.TemporaryDirectory() as scratch:
        history = None
        if name in WITH_HISTORY:
            history = Path(scratch) / "parrotchat.db"
            store_sample_conversations(history)
        app = offline_demo_app(server.base_url, Path(scratch), history=history)
        app.clock = FixedClock()
        async with app.run_test(size=size) as pilot:
            await scene(pilot, server)
            await pilot.wait_for_scheduled_animations()
            path = Path(app.save_screenshot(f"{name}.svg", str(out)))
            app.exit()
    return path


async def main(out: Path, only: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with DemoServer(tokens_per_second=None) as server:
        for name, (scene, size) in SCENES.items():
            if only and name not in only:
                continue
            print(await shoot(name, scene, size, server, out))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "screenshots")
    parser.add_argument("scenes", nargs="*", help=f"only these ({', '.join(SCENES)})")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.out, arguments.scenes))
