"""Running parrotchat as a subprocess against a demo server, for the print-mode tests."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from parrotchat.demo import DemoServer

KEY = "sk-print-test-4242424242"


def parrotchat(
    *args: str,
    env: dict[str, str],
    stdin: str | None = None,
    timeout: float = 30,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m parrotchat ARGS` to the end (in `cwd`), capturing its text output."""
    return subprocess.run(
        [sys.executable, "-m", "parrotchat", *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=cwd,
    )


def with_server(env: dict[str, str], server: DemoServer, key: str | None = KEY) -> dict[str, str]:
    """`env` pointed at the demo server, with a key unless `key` is None."""
    env = {**env, "PARROTCHAT_BASE_URL": server.base_url}
    if key:
        env["PARROTCHAT_API_KEY"] = key
    return env


def history_path(env: dict[str, str]) -> Path:
    """The history database parrotchat keeps in the environment `env` (`clean_env`'s data home)."""
    return Path(env["XDG_DATA_HOME"]) / "parrotchat" / "parrotchat.db"


def interruptible() -> None:
    """`preexec_fn` for a child that must react to Ctrl+C (SIGINT) as at a terminal.

    A shell starts background jobs with SIGINT ignored, and children inherit that: CI may run
    the suite that way. A user at a terminal has the default, so the child gets it back.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start `parrotchat ARGS` live, its output on pipes, reacting to Ctrl+C as at a terminal."""
    return subprocess.Popen(
        [sys.executable, "-m", "parrotchat", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=interruptible,
    )
