"""Copies that really copy: OSC 52 through the terminal, and the system clipboard tool too.

OSC 52 (Textual's `App.copy_to_clipboard`) works over ssh and in tmux (`set -g set-clipboard
on`), but GNOME Terminal and other VTE terminals ignore it. So every copy also goes, off the
event loop, to the platform's clipboard tool when one is on the PATH and its display is there:
wl-copy (Wayland), xclip or xsel (X11), pbcopy (macOS), clip.exe (WSL). The tool's output goes
nowhere: copied text reaches the terminal only base64-encoded inside OSC 52. Nothing here ever
raises into the UI; a notice says what was copied.

`ParrotChatApp.send_to_clipboard` sends every copy of the app, Textual's own included (Ctrl+C
on a selection, the prompt's copy and cut), through both. The tool is looked for once, when the
terminal app starts (`tui.py`: `SystemClipboard.from_environment`, in the session's `PATH`,
`DISPLAY`, `WAYLAND_DISPLAY`), as a terminal program finds its display, and handed down; tests
and screenshots get none, so they never touch the clipboard of the machine they run on.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence

from textual.app import App

__all__ = [
    "SystemClipboard",
    "copy_notice",
    "copy_with_notice",
    "counted",
    "find_clipboard_tool",
]

TOOL_TIMEOUT = 5.0
"""Seconds a clipboard tool may take before it is given up on (and killed)."""


def counted(count: int, noun: str) -> str:
    """`counted(1204, "character")  # '1,204 characters'`"""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def find_clipboard_tool(
    env: Mapping[str, str],
    platform: str = sys.platform,
    which: Callable[[str], str | None] = shutil.which,
    release: str = "",
) -> list[str] | None:
    """The command that puts its stdin on the system clipboard here, or None.

    Args:
        env: The environment (`WAYLAND_DISPLAY`, `DISPLAY`, `WSL_DISTRO_NAME`, `PATH`).
        platform: `sys.platform`.
        which: Finds a program on the PATH (`shutil.which`).
        release: The kernel release (`os.uname().release`), to recognise WSL.
    """

    def found(*command: str) -> list[str] | None:
        path = which(command[0])
        return [path, *command[1:]] if path else None

    if platform == "darwin":
        return found("pbcopy")
    if platform == "win32":
        return found("clip.exe") or found("clip")
    candidates: list[list[str] | None] = []
    if env.get("WAYLAND_DISPLAY"):
        candidates.append(found("wl-copy"))
    if env.get("DISPLAY"):
        candidates += [
            found("xclip", "-selection", "clipboard"),
            found("xsel", "--clipboard", "--input"),
        ]
    if env.get("WSL_DISTRO_NAME") or "microsoft" in release.lower():
        candidates.append(found("clip.exe"))
    return next((command for command in candidates if command), None)


class SystemClipboard:
    """Pipes copied text to the system clipboard tool, one copy at a time, off the event loop."""

    def __init__(self, command: Sequence[str] | None) -> None:
        """
        Args:
            command: The tool and its arguments (`find_clipboard_tool`); None: no tool.
        """
        self.command: list[str] | None = list(command) if command else None
        """The tool that receives every copy, if any."""
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[bool]] = set()

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> SystemClipboard:
        """The clipboard of this session: the tool `find_clipboard_tool` finds in `env`."""
        release = os.uname().release if hasattr(os, "uname") else ""
        return cls(find_clipboard_tool(os.environ if env is None else env, release=release))

    def copy(self, text: str) -> asyncio.Task[bool] | None:
        """Start sending `text` to the tool; copies arrive in the order they were made.

        Returns:
            The task sending it (True once the tool took it), or None without a tool.
        """
        if self.command is None:
            return None
        task = asyncio.get_running_loop().create_task(self._send(self.command, text))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _send(self, command: list[str], text: str) -> bool:
        data = _encode(command, text)
        async with self._lock:
            return await asyncio.to_thread(_run_tool, command, data)


def _encode(command: list[str], text: str) -> bytes:
    # clip.exe reads the console's code page unless the text says it is UTF-16.
    if os.path.basename(command[0]).lower().startswith("clip"):
        return "\ufeff".encode("utf-16-le") + text.encode("utf-16-le", "surrogatepass")
    return text.encode("utf-8", "surrogatepass")


def _run_tool(command: list[str], data: bytes) -> bool:
    """Run the tool with `data` on its stdin; its output goes nowhere (never to the terminal).

    xclip, xsel and wl-copy stay behind to serve the clipboard: with their output not captured,
    the call returns as soon as the foreground process exits.
    """
    try:
        result = subprocess.run(
            command,
            input=data,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=TOOL_TIMEOUT,
            check=False,
            start_new_session=True,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return False
    return result.returncode == 0


def copy_with_notice(app: App[object], text: str, notice: str) -> None:
    """Copy `text` (OSC 52 and the system tool) and say `notice` ("Copied code block 2 · ...")."""
    send = getattr(app, "send_to_clipboard", None)
    if send is not None:
        send(text, notice)
        return
    app.copy_to_clipboard(text)
    app.notify(notice, markup=False)


def copy_notice(text: str) -> str:
    """What a copy of `text` says: "Copied 3 lines, 120 characters" (or just the characters)."""
    lines = text.count("\n") + 1
    size = counted(len(text), "character")
    return f"Copied {counted(lines, 'line')}, {size}" if lines > 1 else f"Copied {size}"
