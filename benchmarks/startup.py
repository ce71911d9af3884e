"""How fast parrotchat starts, and how much memory it holds when idle: medians of several runs.

- `--version`: the command's wall time (Python start-up and parrotchat's imports).
- print mode: `parrotchat --demo --model parrot-fast -p hello` from start to exit (the demo
  server started in process, a short streamed answer, the history written).
- TUI: `parrotchat --demo` in a 120x40 tmux pane, from start until the prompt box's
  placeholder is on the terminal's screen, and the process's resident memory then.

Each run uses a fresh temporary HOME, so no config, history or state carries over. Modules
load from cached bytecode, as an installed copy's do (a first run writes it if it is missing).

    python benchmarks/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLACEHOLDER = "Ask anything"
XDG = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME")


def fresh_env() -> dict[str, str]:
    home = Path(tempfile.mkdtemp(prefix="parrotchat-start-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARROTCHAT_", "XDG_"))}
    # As an installed copy starts: from cached bytecode (pip compiles it), not compiling every
    # module from source at every start, which PYTHONDONTWRITEBYTECODE would make it do.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), TERM="xterm-256color")
    env.update(XDG_CONFIG_HOME=str(home / "config"), XDG_STATE_HOME=str(home / "state"))
    return env


def timed_command(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "parrotchat", *args],
        env=fresh_env(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def tui_first_screen(timeout: float = 30.0) -> tuple[float, float]:
    """Seconds until the TUI has drawn its prompt in a 120x40 tmux pane, and its RSS in MB then.

    tmux is a real terminal: it answers the queries Textual sends at start, which a bare
    pseudo-terminal leaves to time out.
    """
    session = f"parrotchat-start-{os.getpid()}"
    env = fresh_env()
    command = " ".join(
        # PYTHONPATH too, so a checkout can be timed against another (tmux's server may have
        # been started with another environment).
        [f"{key}={shlex.quote(env[key])}" for key in ("HOME", *XDG, "PYTHONPATH") if key in env]
        + ["exec", shlex.quote(sys.executable), "-m", "parrotchat", "--demo"]
    )
    new_session = ["tmux", "new", "-d", "-s", session, "-x", "120", "-y", "40", command]
    for _attempt in range(3):  # a tmux server still shutting down from the last run may refuse
        started = time.perf_counter()
        if subprocess.run(new_session, check=False).returncode == 0:
            break
    else:
        raise RuntimeError("tmux could not start a session")
    try:
        while True:
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
            if PLACEHOLDER in screen:
                break
            if time.perf_counter() - started > timeout:
                raise TimeoutError("the TUI did not draw its prompt")
            time.sleep(0.005)  # polling the terminal emulator, not synchronising the app
        elapsed = time.perf_counter() - started
        pid = subprocess.run(
            ["tmux", "display", "-p", "-t", session, "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        memory = rss_mb(int(pid))
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    return elapsed, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    version = [timed_command("--version") for _ in range(args.runs)]
    printed = [
        timed_command("--demo", "--model", "parrot-fast", "-p", "hello") for _ in range(args.runs)
    ]
    tui = [tui_first_screen() for _ in range(args.runs)]
    print(f"start-up, medians of {args.runs} runs:")
    print(f"  parrotchat --version:               {statistics.median(version) * 1000:7.0f} ms")
    print(f"  print mode, parrot-fast (whole):    {statistics.median(printed) * 1000:7.0f} ms")
    first = statistics.median(t for t, _ in tui)
    print(f"  parrotchat --demo, prompt drawn:    {first * 1000:7.0f} ms")
    print(f"  TUI resident memory then:           {statistics.median(m for _, m in tui):7.1f} MB")


if __name__ == "__main__":
    main()
