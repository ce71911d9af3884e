"""Print mode as a real subprocess: stdout/stderr separation, exit codes, Ctrl+C, secrets."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import KEY, parrotchat, spawn, with_server

from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import DONE, HTTPError, Parrot, Script, chunk, sse
from parrotchat.demo.hostile import Flood


def test_answer_goes_to_stdout_only(demo_server: DemoServer, clean_env: dict[str, str]) -> None:
    demo_server.push(Parrot(text="Hello from **parrot**.", reasoning="thinking hard"))
    result = parrotchat("-p", "hi", env=with_server(clean_env, demo_server))
    assert result.returncode == 0
    assert result.stdout == "Hello from **parrot**.\n"
    assert "thinking hard" in result.stderr
    assert "thinking" not in result.stdout


def test_stats_go_to_stderr(demo_server: DemoServer, clean_env: dict[str, str]) -> None:
    demo_server.push(Parrot(text="one two three four"))
    result = parrotchat("-p", "hi", "--stats", env=with_server(clean_env, demo_server))
    assert result.returncode == 0
    assert result.stdout == "one two three four\n"
    assert "tokens" in result.stderr and "time to first token" in result.stderr
    assert "cost $" in result.stderr


def test_piped_stdin_is_added_to_the_prompt(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    result = parrotchat(
        "-p", "summarise", env=with_server(clean_env, demo_server), stdin="NOTES: buy milk\n"
    )
    assert result.returncode == 0
    sent = demo_server.chat_requests[0].body["messages"][-1]["content"]
    assert sent.startswith("summarise") and "NOTES: buy milk" in sent


def test_system_model_temperature_and_max_tokens_are_sent(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    args = ["-p", "hi", "--model", "parrot-think", "--system", "Be brief."]
    args += ["--temperature", "0.2", "--max-tokens", "50"]
    result = parrotchat(*args, env=with_server(clean_env, demo_server))
    assert result.returncode == 0, result.stderr
    body = demo_server.chat_requests[0].body
    assert body["model"] == "parrot-think"
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert (body["temperature"], body["max_tokens"]) == (0.2, 50)


def test_error_mid_stream_keeps_partial_and_exits_1(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    demo_server.push(
        Script([sse(chunk(content="partial answer")), sse({"error": {"message": "boom"}})])
    )
    result = parrotchat("-p", "hi", env=with_server(clean_env, demo_server))
    assert result.returncode == 1
    assert result.stdout == "partial answer\n"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("parrotchat: error: ") and "boom" in lines[0]


def test_dropped_connection_exits_1_with_interrupted(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    demo_server.push(Script([sse(chunk(content="half"))], end="drop"))
    result = parrotchat("-p", "hi", env=with_server(clean_env, demo_server))
    assert result.returncode == 1
    assert result.stdout == "half\n"
    assert "dropped" in result.stderr or "closed" in result.stderr


def test_unauthorized_names_the_env_var_and_never_shows_the_key(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    body = {"error": {"message": f"Incorrect API key provided: {KEY}", "code": "invalid_api_key"}}
    demo_server.push(HTTPError(401, body))
    result = parrotchat("-p", "hi", env=with_server(clean_env, demo_server))
    assert result.returncode == 1
    assert "PARROTCHAT_API_KEY" in result.stderr
    assert KEY not in result.stderr + result.stdout
    assert len(demo_server.chat_requests) == 1


def test_unauthorized_says_a_withheld_key_was_not_sent_and_why(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    env = {**clean_env, "PARROTCHAT_API_KEY": KEY}  # configured for ParrotRouter, not this server
    demo_server.push(HTTPError(401, {"error": {"message": "no key", "code": "invalid_api_key"}}))
    result = parrotchat("-p", "hi", "--base-url", demo_server.base_url, env=env)
    assert result.returncode == 1
    assert "no API key is set" not in result.stderr
    assert "was sent" in result.stderr
    assert "PARROTCHAT_API_KEY belongs to https://api.parrotrouter.com" in result.stderr
    assert KEY not in result.stderr + result.stdout
    assert result.stderr.count("\n") == 1


def test_key_is_not_sent_to_a_base_url_from_the_command_line(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    env = {**clean_env, "PARROTCHAT_API_KEY": KEY}  # configured for ParrotRouter, not this server
    result = parrotchat("-p", "hi", "--base-url", demo_server.base_url, env=env)
    assert result.returncode == 0, result.stderr
    assert "authorization" not in demo_server.chat_requests[0].headers


def test_key_goes_with_its_own_base_url(demo_server: DemoServer, clean_env: dict[str, str]) -> None:
    result = parrotchat("-p", "hi", env=with_server(clean_env, demo_server))
    assert result.returncode == 0, result.stderr
    assert demo_server.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_control_characters_are_neutralised_unless_raw(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    evil = "safe\x1b]52;c;cHduZWQ=\x07\x1b[2Jtext\x9b"
    env = with_server(clean_env, demo_server)
    demo_server.push(Script([sse(chunk(content=evil)), DONE]))
    result = parrotchat("-p", "hi", env=env)
    assert result.returncode == 0
    assert (
        "\x1b" not in result.stdout and "\x07" not in result.stdout and "\x9b" not in result.stdout
    )
    assert "safe" in result.stdout and "text" in result.stdout
    demo_server.push(Script([sse(chunk(content=evil)), DONE]))
    raw = parrotchat("-p", "hi", "--raw", env=env)
    assert evil in raw.stdout


def test_length_notice_goes_to_stderr(demo_server: DemoServer, clean_env: dict[str, str]) -> None:
    demo_server.push(Parrot(text="cut short", finish_reason="length"))
    result = parrotchat("-p", "hi", env=with_server(clean_env, demo_server))
    assert result.returncode == 0
    assert result.stdout == "cut short\n"
    assert "token limit" in result.stderr


def test_demo_works_offline_with_no_key(clean_env: dict[str, str]) -> None:
    result = parrotchat("--demo", "-p", "hello", env=clean_env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("#") and "```" in result.stdout
    assert result.stderr == ""


def test_server_down_is_one_line_and_exit_1(clean_env: dict[str, str]) -> None:
    env = {**clean_env, "PARROTCHAT_BASE_URL": "http://127.0.0.1:9/v1"}
    result = parrotchat("-p", "hi", env=env)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "Could not connect" in errors[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args", [["-p", ""], ["--no-such-flag"], ["--max-tokens", "0", "-p", "x"], ["--stats"]]
)
def test_usage_errors_exit_2(args: list[str], clean_env: dict[str, str]) -> None:
    result = parrotchat(*args, env=clean_env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_broken_config_is_one_line_and_exit_2(tmp_path: Path, clean_env: dict[str, str]) -> None:
    config = tmp_path / "broken.toml"
    config.write_text('default_provider = "parrotrouter"\nrender_fps = [\n')
    result = parrotchat("--config", str(config), "-p", "hi", env=clean_env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(config) in lines[0] and "line" in lines[0]


def test_ctrl_c_closes_the_socket_and_exits_130(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    demo_server.push(Parrot(tokens=100_000, tokens_per_second=50))
    proc = spawn("-p", "hi", env=with_server(clean_env, demo_server))
    try:
        assert proc.stdout is not None
        first = proc.stdout.read(1)  # blocks until the answer has started
        assert first
        interrupted_at = time.monotonic()
        proc.send_signal(signal.SIGINT)
        request = demo_server.wait_for_disconnect(timeout=10)
        _out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130
    assert request.disconnected_at is not None
    assert request.disconnected_at - interrupted_at < 1.0
    assert b"Traceback" not in err


def test_show_config_masks_the_key(clean_env: dict[str, str]) -> None:
    result = parrotchat("--show-config", env={**clean_env, "PARROTCHAT_API_KEY": KEY})
    assert result.returncode == 0
    assert KEY not in result.stdout
    assert "PARROTCHAT_API_KEY" in result.stdout


def test_help_lists_every_flag(clean_env: dict[str, str]) -> None:
    result = parrotchat("--help", env=clean_env)
    assert result.returncode == 0
    for flag in [
        "--print",
        "--demo",
        "--provider",
        "--base-url",
        "--model",
        "--system",
        "--temperature",
        "--max-tokens",
        "--stats",
        "--raw",
        "--extract-code",
        "--config",
        "--show-config",
        "--version",
        "--continue",
        "--resume",
    ]:
        assert flag in result.stdout
    version = parrotchat("--version", env=clean_env)
    assert version.returncode == 0 and version.stdout.startswith("parrotchat ")


def test_requests_never_carry_the_key_in_the_body(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    parrotchat("-p", "hi", env=with_server(clean_env, demo_server))
    assert KEY not in json.dumps(demo_server.chat_requests[0].body)


def test_piped_stdin_that_is_not_utf8_still_works(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "parrotchat", "-p", "summarise"],
        input=b"caf\xe9 au lait\n",
        capture_output=True,
        env=with_server(clean_env, demo_server),
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    sent = demo_server.chat_requests[0].body["messages"][-1]["content"]
    assert "caf\ufffd au lait" in sent


def test_a_broken_server_answer_is_one_line_not_a_traceback(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    demo_server.push(Script([b"not gzip"], headers={"Content-Encoding": "gzip"}))
    result = parrotchat("-p", "hi", env=with_server(clean_env, demo_server))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_endless_event_ends_in_one_sentence_and_the_partial_is_kept(
    demo_server: DemoServer, clean_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "limits.toml"
    config.write_text("[limits]\nevent_mb = 1\n")
    env = {**with_server(clean_env, demo_server), "PARROTCHAT_CONFIG": str(config)}
    demo_server.push(Flood("endless_event", size=256 << 20, text="partial answer"))
    result = parrotchat("-p", "hi", env=env)
    assert result.returncode == 1
    assert result.stdout == "partial answer\n"
    assert result.stderr == (
        "parrotchat: error: The server sent one event of over 1 MB (limits.event_mb); "
        "the answer so far is kept.\n"
    )
    exported = json.loads(parrotchat("export", "--format", "json", env=env).stdout)
    reply = exported["messages"][-1]
    assert (reply["content"], reply["status"]) == ("partial answer", "error")


@pytest.mark.parametrize("cost", ["NaN", "1e400", "-Infinity"])
def test_absurd_usage_numbers_keep_the_reply_and_the_export_valid(
    demo_server: DemoServer, clean_env: dict[str, str], cost: str
) -> None:
    usage = (
        '{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":100000000000000000000,'
        f'"total_tokens":100000000000000000001,"cost":{cost}}}}}'
    )
    writes = [sse(chunk(content="answer")), sse(chunk(finish_reason="stop")), sse(usage), DONE]
    demo_server.push(Script(writes))
    env = with_server(clean_env, demo_server)
    result = parrotchat("-p", "hi", "--stats", env=env)
    assert (result.returncode, result.stdout) == (0, "answer\n"), result.stderr
    assert "nan" not in result.stderr.lower() and "inf" not in result.stderr.lower()
    exported = parrotchat("export", "--format", "json", env=env).stdout

    def refuse(constant: str) -> None:
        raise AssertionError(f"the export holds {constant}, which is not JSON")

    reply = json.loads(exported, parse_constant=refuse)["messages"][-1]
    assert (reply["content"], reply["status"]) == ("answer", "complete")
    assert reply["usage"]["cost"] is None
    assert reply["usage"]["completion_tokens"] == 2**63 - 1
    imported = parrotchat("import", "-", env=env, stdin=exported)
    assert imported.returncode == 0, imported.stderr


def test_bidi_controls_are_neutralised_unless_raw(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    trojan = "if admin \u202e} \u2066evil\u2069 {"
    env = with_server(clean_env, demo_server)
    writes = [sse(chunk(reasoning=f"think {trojan}")), sse(chunk(content=trojan))]
    demo_server.push(Script([*writes, sse({"error": {"message": f"bad {trojan}"}})]))
    result = parrotchat("-p", "hi", env=env)
    assert result.returncode == 1
    for control in "\u202e\u2066\u2069":
        assert control not in result.stdout and control not in result.stderr
    assert result.stdout == "if admin \ufffd} \ufffdevil\ufffd {\n"
    demo_server.push(Script([sse(chunk(content=trojan)), DONE]))
    raw = parrotchat("-p", "hi", "--raw", env=env)
    assert trojan in raw.stdout


def test_parallel_tool_calls_one_per_chunk_are_shown_apart(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    calls = [("get_weather", {"location": "Paris"}), ("get_timezone", {"tz": "CET"})]
    demo_server.push(Parrot(tool_calls=calls, tool_call_style="one_per_chunk"))
    result = parrotchat("-p", "weather?", env=with_server(clean_env, demo_server))
    assert result.returncode == 0, result.stderr
    assert 'tool call: get_weather({"location":"Paris"})' in result.stderr
    assert 'tool call: get_timezone({"tz":"CET"})' in result.stderr


def test_a_retry_is_told_once_on_stderr_not_at_every_second(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    demo_server.push(HTTPError(429, headers={"Retry-After": "2"}))
    demo_server.push(Parrot(text="at last"))
    result = parrotchat("-p", "hi", env=with_server(clean_env, demo_server))
    assert (result.returncode, result.stdout) == (0, "at last\n"), result.stderr
    assert result.stderr.splitlines() == [
        "parrotchat: Rate limited (429 Too Many Requests: Too Many Requests);"
        " retrying in 2 s (attempt 1 of 2)."
    ]
