"""Code in the theme's colours: light themes draw code light, a theme switch redraws it, and
`code_theme = "..."` in the config wins. The real app on the demo server, through Pilot."""

from __future__ import annotations

from pathlib import Path

from rich.color import Color
from rich.syntax import Syntax

from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import Parrot
from parrotchat.ui.app import ParrotChatApp
from parrotchat.ui.render.markdown_view import MarkdownView
from parrotchat.ui.testing import (
    offline_demo_app,
    send_prompt,
    wait_for_rendered,
    wait_for_reply,
    wait_until,
)

ANSWER = (
    "Call `print` like this:\n\n"
    "```python\nprint('hello')\n```\n\n"
    "- or in a list:\n\n  ```sh\n  echo hi\n  ```\n"
)


def background(name: str) -> Color:
    color = Syntax.get_theme(name).get_background_style().bgcolor
    assert color is not None
    return color


def backgrounds(view: MarkdownView) -> set[str]:
    """Every background colour drawn in the answer (as the screen gets it)."""
    found = set()
    for y in range(view.size.height):
        for segment in view.render_line(y):
            if segment.style is not None and segment.style.bgcolor is not None:
                found.add(segment.style.bgcolor.name)
    return found


def inline_code_style(view: MarkdownView):
    """The style of the word `print` in the first line (inline code)."""
    for segment in view.render_line(0):
        if segment.text == "print":
            return segment.style
    raise AssertionError("no inline code on the first line")


async def ask(pilot, server: DemoServer) -> MarkdownView:
    server.push(Parrot(text=ANSWER))
    await send_prompt(pilot, "code please")
    reply = await wait_for_reply(pilot)
    await wait_for_rendered(pilot, reply)
    await pilot.pause()
    app = pilot.app
    assert isinstance(app, ParrotChatApp)
    answer = app.chat_log.message_views()[-1].answer
    assert answer is not None
    return answer


async def test_light_themes_draw_code_light_and_a_switch_redraws_it(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    (tmp_path / "none.toml").write_text('theme = "textual-light"\n')
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        answer = await ask(pilot, demo_server)
        light = background("default")
        assert light.name in backgrounds(answer)
        assert background("monokai").name not in backgrounds(answer)
        inline = inline_code_style(answer)
        assert inline.bgcolor is not None and inline.bgcolor.name != "black"
        assert inline.color is not None and inline.color.name != "cyan"
        # The [N lang] labels find the light code blocks, the one in the list too.
        await pilot.press("alt+up")
        lines = [answer.render_line(y).text.rstrip() for y in range(answer.size.height)]
        assert [line.split()[-1] for line in lines if line.endswith("]")] == ["python]", "sh]"]
        await pilot.press("escape")

        height = answer.size.height
        app.theme = "textual-dark"  # as the palette's "Change theme" does
        await wait_until(
            pilot,
            lambda: background("monokai").name in backgrounds(answer),
            what="the code redrawn dark",
        )
        assert light.name not in backgrounds(answer)
        assert inline_code_style(answer).bgcolor == Color.parse("black")
        assert answer.size.height == height  # colours only: nothing moved


async def test_the_configured_code_theme_wins_in_any_theme(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    (tmp_path / "none.toml").write_text('theme = "nord"\ncode_theme = "solarized-light"\n')
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        answer = await ask(pilot, demo_server)
        assert background("solarized-light").name in backgrounds(answer)
        app.theme = "textual-light"
        await pilot.pause()
        assert background("solarized-light").name in backgrounds(answer)
        assert background("default").name not in backgrounds(answer)
