"""Local servers found without configuration: the probes, the settings, `--list-models`, the
sidebar. Every server here is a demo server (or a mute socket) on a port the test was given."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from parrotchat.api.discovery import LOOPBACK, PROBE_TIMEOUT, discover, local_port
from parrotchat.config import Paths, Settings, load_settings
from parrotchat.demo import DemoServer
from parrotchat.model_listing import run_list_models
from parrotchat.ui.app import make_app
from parrotchat.ui.local_servers import FOUND_NOTE
from parrotchat.ui.testing import UnreachableClient, send_prompt, wait_for_reply, wait_until
from parrotchat.ui.welcome import Welcome

KEY = "sk-discovery-test-0123456789"


@pytest.fixture
def local_server() -> Iterator[DemoServer]:
    """A second demo server: the one "running on this machine" that discovery should find."""
    with DemoServer(tokens_per_second=None) as server:
        yield server


@pytest.fixture
async def mute_port() -> AsyncIterator[int]:
    """A port that accepts connections and never answers."""
    async with mute_server() as port:
        yield port


@pytest.fixture
async def other_mute_port() -> AsyncIterator[int]:
    """A second port that accepts connections and never answers."""
    async with mute_server() as port:
        yield port


@contextlib.asynccontextmanager
async def mute_server() -> AsyncIterator[int]:
    """Listen on a free port of 127.0.0.1, accept every connection, never answer; its port."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        with contextlib.suppress(asyncio.CancelledError):  # 3.11 logs a cancelled handler
            await asyncio.Event().wait()

    server = await asyncio.start_server(accept, LOOPBACK, 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in held:
            writer.transport.abort()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def settings_for(tmp_path: Path, config: str = "", **env: str) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(config, "utf-8")
    return load_settings(config_path=path, env={"PARROTCHAT_API_KEY": KEY, **env})


# --- the probes -------------------------------------------------------------------------------


async def test_a_server_that_answers_is_found_with_models_and_context(
    local_server: DemoServer,
) -> None:
    found = await discover({local_server.port: "llamacpp"})
    assert [(s.name, s.port, s.base_url) for s in found] == [
        ("llamacpp", local_server.port, f"http://127.0.0.1:{local_server.port}/v1")
    ]
    contexts = {m.id: m.context_length for m in found[0].models}
    assert contexts["parrot"] == 32_768 and contexts["parrot-think"] == 131_072
    request = await local_server.await_request()
    assert (request.method, request.path) == ("GET", "/v1/models")
    assert not any(name in request.headers for name in ("authorization", "cookie", "x-api-key"))


async def test_a_mute_port_times_out_within_the_bound(mute_port: int) -> None:
    started = time.monotonic()
    found = await asyncio.wait_for(discover({mute_port: "mute", closed_port(): "gone"}), 5)
    elapsed = time.monotonic() - started
    assert found == []
    assert PROBE_TIMEOUT == 1.0
    assert elapsed < PROBE_TIMEOUT + 1.0  # the deadline plus scheduling on a busy machine


async def test_all_ports_are_asked_at_once(
    mute_port: int, other_mute_port: int, local_server: DemoServer
) -> None:
    ports = {mute_port: "mute", local_server.port: "vllm", other_mute_port: "mute too"}
    started = time.monotonic()
    found = await discover(ports, timeout=1.0)
    assert [s.name for s in found] == ["vllm"]
    assert time.monotonic() - started < 1.9  # one deadline of 1 s, not one per mute port


def answering(raw: bytes) -> Any:
    """A connection handler that answers any request with the bytes `raw`, then closes."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(raw)
        await writer.drain()
        writer.close()

    return answer


async def test_a_llama_cpp_server_is_named_so_on_any_port() -> None:
    models = {
        "object": "list",
        "data": [
            {"id": "gemma-3-270m.gguf", "object": "model", "owned_by": "llamacpp",
             "meta": {"n_vocab": 262144, "n_ctx_train": 32768}}
        ],
    }  # fmt: skip
    body = json.dumps(models).encode()
    raw = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    server = await asyncio.start_server(answering(raw), LOOPBACK, 0)
    try:
        port = server.sockets[0].getsockname()[1]
        found = await discover({port: f"local-{port}"})
    finally:
        server.close()
    assert [(s.name, [(m.id, m.context_length) for m in s.models]) for s in found] == [
        ("llamacpp", [("gemma-3-270m.gguf", 32768)])
    ]


async def test_what_is_not_a_model_list_is_not_a_server() -> None:
    bodies = [
        b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 13\r\n\r\n<html></html>",
        b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}",
        b'HTTP/1.1 200 OK\r\ncontent-length: 15\r\n\r\n{"status":"ok"}',
    ]
    servers = [await asyncio.start_server(answering(raw), LOOPBACK, 0) for raw in bodies]
    try:
        ports = {server.sockets[0].getsockname()[1]: "web" for server in servers}
        assert await discover(ports) == []
    finally:
        for server in servers:
            server.close()


def test_local_port_is_only_for_this_machine() -> None:
    assert local_port("http://localhost:11434/v1") == 11434
    assert local_port("http://127.0.0.1:8080/v1") == 8080
    assert local_port("http://[::1]:8000/v1") == 8000
    assert local_port("https://api.openai.com/v1") is None
    assert local_port("http://192.168.1.5:11434/v1") is None


# --- which ports the settings ask --------------------------------------------------------------


def test_the_usual_ports_and_the_configured_ones(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "[discovery]\nports = [5000, 8080]\n")
    assert settings.local_ports() == {
        11434: "ollama",
        1234: "lmstudio",
        8080: "llamacpp",
        8000: "vllm",
        5000: "local-5000",
    }


def test_turned_off_or_in_the_demo_nothing_is_asked(tmp_path: Path) -> None:
    assert settings_for(tmp_path, "discover_local = false\n").local_ports() == {}
    demo = load_settings(config_path=tmp_path / "none.toml", env={}, demo=True)
    assert demo.local_ports() == {}


def test_bad_discovery_settings_name_the_key(tmp_path: Path) -> None:
    from parrotchat.config import ConfigError

    with pytest.raises(ConfigError, match="discover_local must be true or false"):
        settings_for(tmp_path, 'discover_local = "no"\n')
    with pytest.raises(ConfigError, match=r"discovery\.ports must be a list of port numbers"):
        settings_for(tmp_path, "[discovery]\nports = [70000]\n")


def test_a_configured_provider_at_the_same_address_is_not_asked_again(tmp_path: Path) -> None:
    config = '[providers.mine]\nbase_url = "http://localhost:11434/v1"\nmodel = "llama3.2"\n'
    ports = settings_for(tmp_path, config).local_ports()
    assert 11434 not in ports and 8080 in ports


def test_a_found_server_is_a_provider_without_key_or_headers(
    tmp_path: Path, local_server: DemoServer
) -> None:
    config = '[providers.llamacpp]\nbase_url = "https://example.com/v1"\nmodel = "m"\n'
    config += 'headers = { "X-Api-Key" = "secret-header-value" }\n'
    settings = settings_for(tmp_path, config, PARROTCHAT_BASE_URL=local_server.base_url)
    found = asyncio.run(discover({local_server.port: "llamacpp"}))[0]
    name = settings.add_found(found)
    assert name == f"llamacpp-{local_server.port}"  # the configured name stays the user's
    assert settings.add_found(found) == name  # found twice, listed once
    endpoint = settings.endpoint(name)
    assert endpoint.base_url == local_server.base_url
    assert endpoint.api_key is None and not endpoint.headers and endpoint.secrets == ()


# --- parrotchat --list-models -----------------------------------------------------------------


def list_models(settings: Settings, ports: dict[int, str], **options: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_list_models(settings, local_ports=ports, out=out, err=err, **options)
    return code, out.getvalue(), err.getvalue()


def test_list_models_prints_configured_and_found_providers(
    tmp_path: Path, demo_server: DemoServer, local_server: DemoServer
) -> None:
    settings = settings_for(tmp_path, PARROTCHAT_BASE_URL=demo_server.base_url)
    code, out, err = list_models(settings, {local_server.port: "ollama", closed_port(): "vllm"})
    assert code == 0, err
    lines = out.splitlines()
    assert "parrotrouter\tparrot\t32768" in lines
    assert "demo\tparrot-think\t131072" in lines
    assert "ollama\tparrot-fast\t8192" in lines
    assert all(line.count("\t") == 2 for line in lines)
    assert [line.split("\t")[0] for line in lines] == sorted(
        (line.split("\t")[0] for line in lines),
        key=["parrotrouter", "demo", "ollama"].index,
    )
    assert err == "" and KEY not in out
    models_requests = [r for r in local_server.requests if r.path == "/v1/models"]
    assert models_requests and "authorization" not in models_requests[0].headers


def test_list_models_lists_a_configured_local_server_once(
    tmp_path: Path, local_server: DemoServer
) -> None:
    config = f'[providers.mine]\nbase_url = "http://localhost:{local_server.port}/v1"\n'
    config += 'model = "parrot"\n'
    code, out, _err = list_models(settings_for(tmp_path, config), {local_server.port: "ollama"})
    providers = {line.split("\t")[0] for line in out.splitlines()}
    assert "mine" in providers and "ollama" not in providers
    assert code == 0


def test_list_models_with_discovery_off_asks_no_port(
    tmp_path: Path, local_server: DemoServer
) -> None:
    settings = settings_for(tmp_path, "discover_local = false\n")
    _code, out, _err = list_models(settings, {local_server.port: "ollama"})
    assert "ollama" not in out and local_server.requests == []


def test_list_models_exit_codes(tmp_path: Path, local_server: DemoServer) -> None:
    gone = f"http://127.0.0.1:{closed_port()}/v1"
    settings = settings_for(tmp_path, PARROTCHAT_BASE_URL=gone)
    code, out, err = list_models(settings, {}, only_active=True)
    assert (code, out) == (1, "")
    assert err.startswith("parrotchat: parrotrouter: Could not connect") and err.count("\n") == 1
    # All providers: one that answers is enough (the demo here); the failure is on stderr.
    code, out, err = list_models(settings, {})
    assert code == 0 and out.startswith("demo\tparrot\t") and "parrotrouter" in err


# --- the app ----------------------------------------------------------------------------------


async def test_the_sidebar_lists_a_found_server_and_its_model_takes_the_next_request(
    tmp_path: Path, demo_server: DemoServer, local_server: DemoServer, mute_port: int
) -> None:
    settings = settings_for(tmp_path).with_demo_url(demo_server.base_url)
    app = make_app(
        settings,
        clients={"parrotrouter": UnreachableClient()},  # type: ignore[dict-item]
        paths=Paths.under(tmp_path),
        local_ports=settings.local_ports({local_server.port: "llamacpp", mute_port: "vllm"}),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        sidebar = app.sidebar
        await wait_until(pilot, lambda: "llamacpp" in dict(sidebar.known_models()), what="found")
        assert sidebar.provider_state("llamacpp") == "ready"
        assert ("llamacpp", "parrot-tools") in sidebar.known_models()
        welcome = str(app.query_one(Welcome).render())
        assert "Found on this machine: llamacpp. Pick one of its models" in welcome

        await pilot.press("ctrl+b", *"tools")
        model_list = sidebar.option_list()
        shown = [model_list.render_line(y).text.strip() for y in range(model_list.size.height)]
        found_at = shown.index("llamacpp  4 models")
        assert shown[found_at + 1 : found_at + 3] == [FOUND_NOTE, "parrot-tools"]
        assert not any(line.startswith("vllm") for line in shown)  # the mute port

        await pilot.press("down", "down", "enter")
        assert (app.provider, app.model) == ("llamacpp", "parrot-tools")
        assert f"llamacpp @ 127.0.0.1:{local_server.port}" in app.sub_title
        await send_prompt(pilot, "hello, local server")
        reply = await wait_for_reply(pilot)
        assert reply.content and reply.provider == "llamacpp"
    chats = local_server.chat_requests
    assert len(chats) == 1 and demo_server.chat_requests == []
    assert chats[0].body["model"] == "parrot-tools"
    assert chats[0].body["messages"][-1]["content"] == "hello, local server"
    assert "authorization" not in chats[0].headers


def test_the_list_models_flag(clean_env: dict[str, str]) -> None:
    from cli_helpers import parrotchat

    result = parrotchat("--list-models", "--demo", env=clean_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "demo\tparrot\t32768",
        "demo\tparrot-fast\t8192",
        "demo\tparrot-think\t131072",
        "demo\tparrot-tools\t32768",
    ]
    gone = {**clean_env, "PARROTCHAT_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1"}
    result = parrotchat("--list-models", "--provider", "parrotrouter", env=gone)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("parrotchat: parrotrouter: Could not connect")


async def test_the_model_used_last_on_a_found_server_is_chosen_again(
    tmp_path: Path, demo_server: DemoServer, local_server: DemoServer
) -> None:
    from parrotchat.ui.last_model import save_last_model

    save_last_model(tmp_path / "state", "llamacpp", "parrot-fast")
    settings = settings_for(tmp_path).with_demo_url(demo_server.base_url)
    app = make_app(
        settings,
        clients={"parrotrouter": UnreachableClient()},  # type: ignore[dict-item]
        paths=Paths.under(tmp_path),
        local_ports=settings.local_ports({local_server.port: "llamacpp"}),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        assert (app.provider, app.model) == ("parrotrouter", "openai/gpt-4o-mini")
        await wait_until(pilot, lambda: app.provider == "llamacpp", what="the last model")
        assert app.model == "parrot-fast" and app.sidebar.current == ("llamacpp", "parrot-fast")
        await send_prompt(pilot, "again")
        await wait_for_reply(pilot)
    assert [r.body["model"] for r in local_server.chat_requests] == ["parrot-fast"]


async def test_continuing_a_chat_held_with_a_found_server_goes_back_to_it(
    tmp_path: Path, demo_server: DemoServer, local_server: DemoServer
) -> None:
    from parrotchat.core.conversation import Message, Role
    from parrotchat.core.export import conversation_to_json
    from parrotchat.core.history import LAST, open_history
    from parrotchat.core.records import ConversationRecord
    from parrotchat.core.store import Store

    database = tmp_path / "history.db"
    record = ConversationRecord(0, "Earlier", 1.0, 1.0, model="parrot-think", provider="llamacpp")
    earlier = [
        Message(Role.USER, "earlier question", created=1.0),
        Message(Role.ASSISTANT, "earlier answer", model="parrot-think", provider="llamacpp",
                created=1.0),
    ]  # fmt: skip
    with Store(database) as store:
        store.import_json(conversation_to_json(record, earlier))
    history, resumed = open_history(database, LAST)
    settings = settings_for(tmp_path).with_demo_url(demo_server.base_url)
    app = make_app(
        settings,
        clients={"parrotrouter": UnreachableClient()},  # type: ignore[dict-item]
        paths=Paths.under(tmp_path),
        history=history,
        resumed=resumed,
        local_ports=settings.local_ports({local_server.port: "llamacpp"}),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        # It starts on its own provider (not configured yet), and is sent once it is found.
        assert (app.provider, app.model) == ("llamacpp", "parrot-think")
        await wait_until(
            pilot, lambda: app.session.missing_provider is None, what="the chat's server"
        )
        assert "not configured" not in app.sub_title
        await send_prompt(pilot, "and now?")
        await wait_for_reply(pilot)
    [request] = local_server.chat_requests
    assert request.body["model"] == "parrot-think"
    assert [m["content"] for m in request.body["messages"]] == [
        "earlier question",
        "earlier answer",
        "and now?",
    ]


def test_list_models_into_a_closed_pipe_stops_quietly(clean_env: dict[str, str]) -> None:
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "parrotchat", "--list-models", "--demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # as `| head -0` would, before anything is printed
    with process.stderr as errors:
        assert process.wait(30) == 0
        assert errors.read() == b""
