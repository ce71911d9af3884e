"""`ui.clipboard`: which system tool takes the copies, and that it really gets them.

The tool tests put a real program named `xclip` first on the PATH: a tiny script that writes
its stdin (and its arguments) to a file, as the real one hands it to the X server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from parrotchat.demo.behaviours import Parrot
from parrotchat.ui.clipboard import SystemClipboard, find_clipboard_tool
from parrotchat.ui.testing import offline_demo_app, send_prompt, wait_for_reply, wait_until


def fake_tool(folder: Path, name: str, body: str) -> Path:
    """An executable `name` in `folder` running the shell script `body`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def recording_xclip(folder: Path, out: Path) -> Path:
    """An `xclip` that writes its arguments and stdin to `out`, and chatters on stdout/stderr."""
    return fake_tool(
        folder,
        "xclip",
        f'echo "args: $*" > "{out}.args"\ncat > "{out}.tmp" && mv "{out}.tmp" "{out}"\n'
        "echo 'noise on stdout'; echo 'noise on stderr' >&2",
    )


def on_path(*names: str) -> dict[str, str]:
    return {name: f"/usr/bin/{name}" for name in names}


@pytest.mark.parametrize(
    ("env", "platform", "installed", "release", "expected"),
    [
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", ("wl-copy", "xclip"), "", ["wl-copy"]),
        (
            {"DISPLAY": ":0"},
            "linux",
            ("wl-copy", "xclip", "xsel"),
            "",
            ["xclip", "-selection", "clipboard"],
        ),
        ({"DISPLAY": ":0"}, "linux", ("xsel",), "", ["xsel", "--clipboard", "--input"]),
        (
            {"WAYLAND_DISPLAY": "w", "DISPLAY": ":0"},
            "linux",
            ("xclip",),
            "",
            ["xclip", "-selection", "clipboard"],
        ),
        ({}, "linux", ("wl-copy", "xclip", "xsel"), "", None),  # ssh, a console: OSC 52 only
        ({}, "darwin", ("pbcopy",), "", ["pbcopy"]),
        ({"WSL_DISTRO_NAME": "Ubuntu"}, "linux", ("clip.exe",), "", ["clip.exe"]),
        ({}, "linux", ("clip.exe",), "5.15.153.1-microsoft-standard-WSL2", ["clip.exe"]),
        ({"DISPLAY": ":0"}, "linux", (), "", None),
    ],
)
def test_the_tool_is_chosen_by_the_session(env, platform, installed, release, expected) -> None:
    paths = on_path(*installed)
    found = find_clipboard_tool(env, platform, paths.get, release)
    if expected is None:
        assert found is None
    else:
        assert found == [paths[expected[0]], *expected[1:]]


async def test_a_real_tool_on_the_path_gets_every_copy_in_order(tmp_path: Path) -> None:
    out = tmp_path / "clipboard"
    recording_xclip(tmp_path / "bin", out)
    env = {"PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}", "DISPLAY": ":99"}
    clipboard = SystemClipboard(find_clipboard_tool(env, "linux", _which(env)))
    first = clipboard.copy("first")
    second = clipboard.copy("second: café 🦜\n\tindented")
    assert first is not None and second is not None
    assert await asyncio.gather(first, second) == [True, True]
    assert out.read_text(encoding="utf-8") == "second: café 🦜\n\tindented"
    assert (tmp_path / "clipboard.args").read_text() == "args: -selection clipboard\n"


async def test_a_failing_tool_never_raises(tmp_path: Path) -> None:
    failing = fake_tool(tmp_path, "xclip", "echo 'Error: Can't open display' >&2; exit 1")
    for command in ([str(failing)], [str(tmp_path / "gone")]):
        task = SystemClipboard(command).copy("x")
        assert task is not None and await task is False
    assert SystemClipboard(None).copy("x") is None


def test_the_tool_is_never_run_on_the_terminal_the_app_draws_on(tmp_path: Path) -> None:
    # Its output goes nowhere: a script that chatters must print nothing where we can see.
    out = tmp_path / "clipboard"
    recording_xclip(tmp_path / "bin", out)
    code = (
        "import asyncio\n"
        "from parrotchat.ui.clipboard import SystemClipboard\n"
        f"task = lambda: SystemClipboard([{str(tmp_path / 'bin' / 'xclip')!r}]).copy('secret')\n"
        "async def main():\n    assert await task()\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "" and done.stderr == ""
    assert out.read_text() == "secret"


async def test_the_app_sends_copies_to_the_tool_too(demo_server, tmp_path, monkeypatch) -> None:
    out = tmp_path / "clipboard"
    recording_xclip(tmp_path / "bin", out)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.system_clipboard is None  # headless: the tests' own clipboard is left alone
        app.system_clipboard = SystemClipboard.from_environment()
        demo_server.push(Parrot(text="Use:\n\n```sh\nls -la\n```\n"))
        await send_prompt(pilot, "list files")
        reply = await wait_for_reply(pilot)
        await pilot.press("alt+up", "1")
        await wait_until(pilot, lambda: out.exists() and out.read_text() == "ls -la")
        assert app.clipboard == "ls -la"
        await pilot.press("c")
        await wait_until(pilot, lambda: out.read_text() == reply.content)


def _which(env: dict[str, str]) -> Callable[[str], str | None]:
    return lambda name: shutil.which(name, path=env["PATH"])
