"""`parrotchat list / export / import / search`: real subprocesses on real history databases.

Formatting details and the many ways a file can be malformed run in-process (`history_cli.main`
with its streams given); what a user sees at a shell (exit codes, stdout vs stderr, files, the
dispatch from `parrotchat`) runs as `python -m parrotchat`.
"""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest
from cli_helpers import history_path, parrotchat, with_server

from parrotchat import history_cli
from parrotchat.core.conversation import Message, Role, Status
from parrotchat.core.store import BUSY_MESSAGE, Store
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import Parrot

EVIL = "\x1b[2J\x1b]52;c;aGk=\x07\x9b31m\x7f"
"""Clear the screen, write the clipboard (OSC 52), a C1 CSI and DEL: must stay inert."""


@pytest.fixture
def env(clean_env: dict[str, str]) -> dict[str, str]:
    """A clean environment whose times print in UTC."""
    return {**clean_env, "TZ": "UTC"}


def seed(path: Path) -> tuple[int, int]:
    """Two conversations: a plain one, then a newer one full of control characters."""
    with Store(path) as store:
        plain = store.create_conversation(system_prompt="Be brief.")
        store.add_message(plain, Message(Role.USER, "Explain monads please"))
        store.add_message(
            plain,
            Message(Role.ASSISTANT, "A monad is a\tmonoid.\nTwo lines.", model="m-1", provider="p"),
        )
        evil = store.create_conversation()
        store.add_message(evil, Message(Role.USER, f"evil {EVIL} title"))
        store.add_message(
            evil,
            Message(
                Role.ASSISTANT,
                f"keep\nthis\r\n{EVIL} text",
                reasoning=f"think {EVIL}",
                model="m-2",
                provider="p",
                status=Status.CANCELLED,
            ),
        )
    return plain, evil


def run(
    *argv: str, path: Path, stdin: str = "", tty: bool = False, busy_timeout: float = 5.0
) -> tuple[int, str, str]:
    """`history_cli.main(argv)` in-process: exit code, stdout, stderr."""
    out = _Terminal() if tty else io.StringIO()
    err = io.StringIO()
    code = history_cli.main(
        list(argv),
        history_path=path,
        stdin=io.StringIO(stdin),
        stdout=out,
        stderr=err,
        env={"TERM": "xterm-256color"},
        tz=UTC,
        busy_timeout=busy_timeout,
    )
    return code, out.getvalue(), err.getvalue()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("parrotchat: error: "), lines
    assert "Traceback" not in stderr
    return lines[0]


# -- dispatch and help -----------------------------------------------------------------------


def test_help_names_the_commands_and_each_has_its_own(env: dict[str, str]) -> None:
    main_help = parrotchat("--help", env=env)
    assert main_help.returncode == 0
    for command in ("list", "export", "import", "search"):
        assert re.search(rf"^  {command}\b", main_help.stdout, re.M), command
    export_help = parrotchat("export", "--help", env=env)
    assert export_help.returncode == 0
    assert export_help.stdout.startswith("usage: parrotchat export")
    assert "Without an ID, the last conversation is exported." in " ".join(
        export_help.stdout.split()
    )


def test_a_prompt_is_never_a_command(demo_server: DemoServer, env: dict[str, str]) -> None:
    demo_server.push(Parrot(text="Here is a list."))
    result = parrotchat("-p", "list", env=with_server(env, demo_server))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Here is a list.\n"
    assert demo_server.chat_requests[0].body["messages"][-1]["content"] == "list"


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "parrotchat.db"
    for argv in (["export", "0"], ["export", "3", "--last"], ["list", "-n", "x"], ["search"]):
        with pytest.raises(SystemExit) as exited:
            run(*argv, path=path)
        assert exited.value.code == 2, argv
    assert "not a conversation id: '0'" in capsys.readouterr().err
    code, out, err = run("search", "  ", path=path)
    assert (code, out) == (2, "")
    assert "the search is empty" in one_error_line(err)


# -- list ------------------------------------------------------------------------------------


def test_list_prints_newest_first_in_aligned_inert_columns(env: dict[str, str]) -> None:
    plain, evil = seed(history_path(env))
    result = parrotchat("list", env=env)
    assert result.returncode == 0
    assert result.stderr == ""
    header, first, second = result.stdout.splitlines()
    assert header.split() == ["ID", "UPDATED", "MSGS", "MODEL", "TITLE"]
    assert first.split()[0] == str(evil) and second.split()[0] == str(plain)
    date = r"\d{4}-\d\d-\d\d \d\d:\d\d"
    assert re.fullmatch(f" {plain}  {date}     2  m-1    Explain monads please", second)
    # Text columns start, number columns end, at the same place on every line.
    for column in ("UPDATED", "MODEL", "TITLE"):
        start = header.index(column)
        assert all(line[start - 1] == " " != line[start] for line in (first, second)), column
    end = header.index("MSGS") + len("MSGS")
    assert first[end - 1 : end + 1] == second[end - 1 : end + 1] == "2 "
    assert "\x1b" not in result.stdout and "\x9b" not in result.stdout
    assert "evil ␛[2J␛]52;c;aGk=␇" in first

    as_json = parrotchat("list", "--json", "-n", "1", env=env)
    assert as_json.returncode == 0
    assert "\x1b" not in as_json.stdout and "\x9b" not in as_json.stdout
    [item] = json.loads(as_json.stdout)
    assert item["id"] == evil and item["messages"] == 2 and item["model"] == "m-2"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["updated"])


def test_missing_history_is_friendly_and_creates_nothing(env: dict[str, str]) -> None:
    data = Path(env["XDG_DATA_HOME"])
    listed = parrotchat("list", env=env)
    assert (listed.returncode, listed.stdout) == (0, "")
    assert listed.stderr.startswith("parrotchat: no conversations yet; ")
    exported = parrotchat("export", env=env)
    assert (exported.returncode, exported.stdout) == (1, "")
    assert "no conversation to export" in one_error_line(exported.stderr)
    assert not data.exists()
    # In-process: search, list --json, and an empty but existing database.
    path = history_path(env)
    code, out, err = run("search", "anything", path=path)
    assert (code, out) == (0, "") and "no conversations yet" in err
    assert run("list", "--json", path=path)[:2] == (0, "[]\n")
    assert not data.exists()
    Store(path).close()
    assert run("list", path=path)[:2] == (0, "")
    assert run("export", path=path)[0] == 1


# -- export ----------------------------------------------------------------------------------


def test_export_markdown_is_readable_and_inert(env: dict[str, str]) -> None:
    plain, _evil = seed(history_path(env))
    last = parrotchat("export", env=env)  # no id: the last conversation
    assert last.returncode == 0
    assert last.stderr == ""
    text = last.stdout
    assert text.startswith("# evil ␛[2J")
    assert "## Assistant · m-2 · " in text and " UTC · cancelled" in text
    assert "- Models: m-2 (p)" in text
    assert "keep\nthis\n␛[2J␛]52;c;aGk=␇\ufffd31m␡ text" in text
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)

    code, text, _ = run("export", str(plain), path=history_path(env))
    assert code == 0
    assert "A monad is a\tmonoid.\nTwo lines." in text  # tabs and newlines kept
    assert "## System prompt\n\nBe brief." in text


def test_export_to_a_file_never_overwrites_without_force(
    env: dict[str, str], tmp_path: Path
) -> None:
    plain, _evil = seed(history_path(env))
    target = tmp_path / "chat.json"
    first = parrotchat("export", str(plain), "--format", "json", "-o", str(target), env=env)
    assert first.returncode == 0
    assert first.stdout == ""
    assert first.stderr == f"parrotchat: wrote conversation {plain} to {target}\n"
    assert (
        json.loads(target.read_text("utf-8"))["messages"][0]["content"] == "Explain monads please"
    )

    target.write_text("precious")
    again = parrotchat("export", "-o", str(target), env=env)
    assert (again.returncode, again.stdout) == (2, "")
    assert "already exists; add --force" in one_error_line(again.stderr)
    assert target.read_text() == "precious"
    forced = parrotchat("export", "--last", "-o", str(target), "--force", env=env)
    assert forced.returncode == 0
    assert target.read_text("utf-8").startswith("# evil")

    code, _, err = run("export", "-o", str(tmp_path), path=history_path(env))
    assert code == 2 and "is a folder" in one_error_line(err)
    code, _, err = run("export", "-o", str(tmp_path / "missing" / "x.md"), path=history_path(env))
    assert code == 1 and "cannot write" in one_error_line(err)


def test_an_unknown_id_is_one_sentence_and_exit_1(env: dict[str, str]) -> None:
    seed(history_path(env))
    result = parrotchat("export", "42", env=env)
    assert (result.returncode, result.stdout) == (1, "")
    assert one_error_line(result.stderr) == (
        "parrotchat: error: there is no conversation 42; `parrotchat list` shows the ids"
    )


def test_json_export_escapes_every_control_character(tmp_path: Path) -> None:
    path = tmp_path / "parrotchat.db"
    _plain, evil = seed(path)
    code, text, _ = run("export", str(evil), "--format", "json", path=path)
    assert code == 0
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", text)  # only the layout's newlines
    assert "\\u001b[2J" in text and "\\u009b" in text and "\\u007f" in text
    data = json.loads(text)
    assert data["messages"][1]["content"] == f"keep\nthis\r\n{EVIL} text"  # exact, \r too


# -- import ----------------------------------------------------------------------------------


def test_export_import_export_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    _plain, evil = seed(history_path(env))
    exported = parrotchat("export", str(evil), "--format", "json", env=env)
    assert exported.returncode == 0
    dump = tmp_path / "evil.json"
    dump.write_bytes(exported.stdout.encode("utf-8"))

    from_file = parrotchat("import", str(dump), env=env)
    assert from_file.returncode == 0, from_file.stderr
    new_id = int(from_file.stdout)
    assert new_id == 3
    assert from_file.stderr.startswith("parrotchat: imported “evil ␛[2J")
    assert f"parrotchat --resume {new_id}" in from_file.stderr

    from_stdin = parrotchat("import", "-", env=env, stdin=exported.stdout)
    assert from_stdin.returncode == 0
    assert int(from_stdin.stdout) == 4
    for conversation in (new_id, 4):
        code, again, _ = run(
            "export", str(conversation), "--format", "json", path=history_path(env)
        )
        assert code == 0
        assert again == exported.stdout


MINIMAL = {
    "format": "parrotchat-conversation",
    "version": 1,
    "conversation": {"title": "t", "created": 1.0},
    "messages": [{"role": "user", "content": "hi", "created": 1.0}],
}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "is not valid JSON (line 1, column 2)"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"[" * 100_000, "is not JSON that parrotchat can read"),
        (b'{"format": "other"}', "This is not a parrotchat conversation export."),
        (json.dumps({**MINIMAL, "version": 7}).encode(), "written by a newer parrotchat"),
        (json.dumps({**MINIMAL, "version": True}).encode(), "no valid format version"),
        (
            json.dumps({**MINIMAL, "messages": [{"role": "user", "created": "soon"}]}).encode(),
            "message 1's 'created' is not a time in Unix seconds",
        ),
        (
            json.dumps({**MINIMAL, "messages": [{"role": "user", "created": 1e300}]}).encode(),
            "message 1's 'created' is not a time",
        ),
        (
            # Python cannot show a date before 1970 on every platform, nor after the year 9999.
            json.dumps({**MINIMAL, "messages": [{"role": "user", "created": -1e11}]}).encode(),
            "message 1's 'created' is not a time",
        ),
        (
            json.dumps({**MINIMAL, "messages": [{"role": "u", "created": 1}]}).encode(),
            "message 1 has the unknown role 'u'",
        ),
        (
            json.dumps({**MINIMAL, "messages": [{"role": "user", "created": 1, "tokens": 1e400}]})
            .replace("Infinity", "1e400")
            .encode(),
            "message 1's 'tokens' is not a whole number",
        ),
        (
            json.dumps({**MINIMAL, "messages": [{"role": "user", "created": 1, "tokens": 1e20}]})
            .replace("1e+20", "1e20")
            .encode(),
            "message 1's 'tokens' is not a whole number",
        ),
        (
            json.dumps(
                {**MINIMAL, "messages": [{"role": "user", "created": 1, "tokens": 10**20}]}
            ).encode(),
            "message 1's 'tokens' is out of range (a whole number from 0 to 9223372036854775807)",
        ),
        (
            json.dumps(
                {
                    **MINIMAL,
                    "messages": [
                        {"role": "user", "created": 1, "usage": {"completion_tokens": 10**20}}
                    ],
                }
            ).encode(),
            "message 1's usage's 'completion_tokens' is out of range",
        ),
        (
            json.dumps(
                {**MINIMAL, "messages": [{"role": "user", "created": 1, "tool_calls": {"a": 1}}]}
            ).encode(),
            "message 1's 'tool_calls' is not a list",
        ),
        (
            json.dumps(
                {**MINIMAL, "messages": [{"role": "user", "created": 1, "usage": [1]}]}
            ).encode(),
            "message 1's 'usage' is not an object",
        ),
        (
            json.dumps({**MINIMAL, "conversation": {"created": 1, "model": {"x": 1}}}).encode(),
            "the conversation's 'model' is not text",
        ),
        (
            json.dumps(
                {**MINIMAL, "messages": [{"role": "user", "created": 1, "content": "\ud800"}]}
            ).encode(),
            "not valid Unicode",
        ),
    ],
)
def test_a_bad_file_is_one_sentence_and_writes_nothing(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    source = tmp_path / "in.json"
    source.write_bytes(content)
    path = tmp_path / "data" / "parrotchat.db"
    code, out, err = run("import", str(source), path=path)
    assert (code, out) == (1, "")
    line = one_error_line(err)
    assert expected in line
    assert line.startswith(f"parrotchat: error: {source}")
    assert not path.exists()
    Store(path).close()
    code, _, err = run("import", str(source), path=path)
    assert code == 1
    with Store(path) as store:
        assert store.list_conversations() == []


def test_a_bad_file_from_a_subprocess(env: dict[str, str], tmp_path: Path) -> None:
    missing = parrotchat("import", str(tmp_path / "nope.json"), env=env)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert "cannot read" in one_error_line(missing.stderr)
    wrong = parrotchat("import", "-", env=env, stdin='{"format": "parrotchat-conversation"}')
    assert (wrong.returncode, wrong.stdout) == (1, "")
    assert one_error_line(wrong.stderr).startswith("parrotchat: error: standard input: ")
    assert not Path(env["XDG_DATA_HOME"]).exists()


# -- search ----------------------------------------------------------------------------------


def test_search_marks_matches_with_brackets_in_a_pipe(env: dict[str, str]) -> None:
    plain, _evil = seed(history_path(env))
    result = parrotchat("search", "monoid", env=env)
    assert result.returncode == 0
    assert result.stderr == ""
    title, snippet = result.stdout.splitlines()
    assert title.startswith(f"{plain}  ") and title.endswith("  Explain monads please")
    assert snippet.strip() == "A monad is a [monoid]. Two lines."
    nothing = parrotchat("search", "zebra", env=env)
    assert (nothing.returncode, nothing.stdout) == (0, "")
    assert nothing.stderr == "parrotchat: no conversation matches “zebra”\n"


def test_search_takes_a_word_that_starts_with_a_dash_without_double_dash(
    env: dict[str, str],
) -> None:
    with Store(history_path(env)) as store:
        cid = store.create_conversation()
        store.add_message(cid, Message(Role.USER, "what does ls -la do?"))
    for args in (["-la"], ["-n", "5", "-la"], ["-la", "-n5"], ["--", "-la"]):
        result = parrotchat("search", *args, env=env)
        assert result.returncode == 0, (args, result.stderr)
        assert "what does ls" in result.stdout, args
    bad = parrotchat("search", "-n", "x", "-la", env=env)
    assert bad.returncode == 2


def test_search_is_bold_on_a_terminal_and_inert(tmp_path: Path) -> None:
    path = tmp_path / "parrotchat.db"
    _plain, evil = seed(path)
    code, out, _ = run("search", "evil", path=path, tty=True)
    assert code == 0
    title, snippet = out.splitlines()  # the title, then the prompt that matched
    marked = "\x1b[1mevil\x1b[22m ␛[2J␛]52;c;aGk=␇\ufffd31m␡ title"
    assert title.startswith(f"{evil}  ") and title.endswith(f"  {marked}")
    assert snippet == f"   {marked}"
    assert out.count("\x1b") == 4  # bold on and off twice, nothing from the database


# -- broken databases --------------------------------------------------------------------------


def test_a_corrupt_database_is_reported_and_left_alone(env: dict[str, str]) -> None:
    path = history_path(env)
    path.parent.mkdir(parents=True)
    garbage = b"this is not a database\x00" * 100
    path.write_bytes(garbage)
    for command in (["list"], ["export"]):
        result = parrotchat(*command, env=env)
        assert (result.returncode, result.stdout) == (1, "")
        assert "damaged or not a parrotchat history" in one_error_line(result.stderr)
    for command in (["search", "x"], ["import", "-"]):
        code, out, err = run(*command, path=path, stdin=json.dumps(MINIMAL))
        assert (code, out) == (1, "")
        assert "damaged" in one_error_line(err)
    assert path.read_bytes() == garbage
    assert sorted(p.name for p in path.parent.iterdir()) == ["parrotchat.db"]


def test_a_newer_database_is_refused_and_not_altered(tmp_path: Path) -> None:
    path = tmp_path / "parrotchat.db"
    seed(path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = path.read_bytes()
    for command in (["list"], ["export"], ["import", "-"]):
        code, out, err = run(*command, path=path, stdin=json.dumps(MINIMAL))
        assert (code, out) == (1, "")
        assert "newer parrotchat" in one_error_line(err)
    assert path.read_bytes() == before


def test_a_locked_database_is_busy_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "parrotchat.db"
    seed(path)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        # An exclusive lock in WAL mode keeps even readers out.
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("UPDATE conversations SET title = title")
        for command in (["list"], ["export"], ["search", "monad"]):
            code, out, err = run(*command, path=path, busy_timeout=0.05)
            assert (code, out) == (1, "")
            assert one_error_line(err) == f"parrotchat: error: {BUSY_MESSAGE}"
    finally:
        holder.close()


# -- secrets -----------------------------------------------------------------------------------

KEY = "sk-cli-SECRET-0123456789abcdef"
HEADER_SECRET = "hdr-cli-SECRET-fedcba9876543210"


def test_no_key_or_header_reaches_list_or_exports(
    demo_server: DemoServer, env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'default_provider = "local"\n'
        "[providers.local]\n"
        f'base_url = "{demo_server.base_url}"\n'
        'api_key_env = "CLI_TEST_KEY"\n'
        'model = "parrot"\n'
        f'headers = {{ "X-Custom-Auth" = "{HEADER_SECRET}" }}\n'
    )
    env = {**env, "PARROTCHAT_CONFIG": str(config), "CLI_TEST_KEY": KEY}
    demo_server.push(Parrot(text="Hello there."))
    chat = parrotchat("-p", "hi", env=env)
    assert chat.returncode == 0, chat.stderr
    request = demo_server.chat_requests[0]
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["x-custom-auth"] == HEADER_SECRET

    outputs = [
        parrotchat(*command, env=env)
        for command in (["list", "--json"], ["export"], ["export", "--format", "json"])
    ]
    assert [result.returncode for result in outputs] == [0, 0, 0]
    assert "Hello there." in outputs[1].stdout
    shown = "".join(result.stdout + result.stderr for result in outputs)
    stored = b"".join(p.read_bytes() for p in history_path(env).parent.iterdir())
    for secret in (KEY, HEADER_SECRET, "Bearer", "X-Custom-Auth"):
        assert secret not in shown
        assert secret.encode() not in stored


def test_subprocess_output_is_utf8_whatever_the_locale(env: dict[str, str]) -> None:
    seed(history_path(env))
    result = parrotchat("list", env={**env, "LC_ALL": "C", "PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert "␛[2J" in result.stdout


def test_a_reader_that_leaves_early_is_not_an_error(env: dict[str, str]) -> None:
    with Store(history_path(env)) as store:
        for n in range(300):
            store.create_conversation(title=f"conversation {n}")
    read, write = os.pipe()
    os.close(read)  # the reader has already gone, as after `| head -0`
    result = subprocess.run(
        [sys.executable, "-m", "parrotchat", "list", "-n", "300"],
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=30,
    )
    os.close(write)
    assert result.returncode == 0
    assert result.stderr == ""


def test_bidi_controls_never_reach_list_or_exports(env: dict[str, str]) -> None:
    trojan = "access \u202e\u2066nimda\u2069"
    with Store(history_path(env)) as store:
        cid = store.create_conversation()
        store.add_message(cid, Message(Role.USER, f"title {trojan}"))
        store.add_message(
            cid,
            Message(Role.ASSISTANT, trojan, reasoning=trojan, error=trojan, status=Status.ERROR),
        )
    outputs = [
        parrotchat("list", env=env).stdout,
        parrotchat("export", env=env).stdout,
        parrotchat("export", "--format", "json", env=env).stdout,
        parrotchat("search", "access", env=env).stdout,
    ]
    for output in outputs:
        assert "access" in output
        for control in "\u202e\u2066\u2069":
            assert control not in output
    assert json.loads(outputs[2])["messages"][1]["content"] == trojan


def read_only(data: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`parrotchat ARGS` with `data` read-only: a read-only bind mount for root, else chmod."""
    command = [sys.executable, "-m", "parrotchat", *args]
    if os.geteuid() != 0:
        data.chmod(0o555)
        try:
            return subprocess.run(command, capture_output=True, text=True, env=env, timeout=30)
        finally:
            data.chmod(0o755)
    script = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    wrapped = ["unshare", "-m", "sh", "-c", script, str(data), *command]
    return subprocess.run(wrapped, capture_output=True, text=True, env=env, timeout=30)


def test_a_read_only_data_folder_still_lists_exports_and_searches(env: dict[str, str]) -> None:
    path = history_path(env)
    plain, _evil = seed(path)
    listed = read_only(path.parent, "list", env=env)
    assert (listed.returncode, listed.stderr) == (0, "")
    assert "Explain monads please" in listed.stdout
    exported = read_only(path.parent, "export", str(plain), env=env)
    assert (exported.returncode, exported.stderr) == (0, "")
    assert "A monad is a" in exported.stdout
    found = read_only(path.parent, "search", "monad", env=env)
    assert (found.returncode, found.stderr) == (0, "")
    imported = read_only(path.parent, "import", "-", env=env)
    assert imported.returncode == 1


def test_an_import_over_the_size_cap_is_one_sentence(tmp_path: Path) -> None:
    source = tmp_path / "huge.json"
    with source.open("wb") as file:
        file.truncate(history_cli.MAX_IMPORT_BYTES + 1)
    path = tmp_path / "parrotchat.db"
    code, out, err = run("import", str(source), path=path)
    assert (code, out) == (1, "")
    assert one_error_line(err) == (
        f"parrotchat: error: {source} is larger than 32 MB, more than a parrotchat export "
        "holds; it was not imported"
    )
    code, out, err = run("import", "-", path=path, stdin=" " * (history_cli.MAX_IMPORT_BYTES + 1))
    assert code == 1 and "standard input is larger than 32 MB" in err
    assert not path.exists()


def test_long_titles_are_cut_when_imported_and_listed(tmp_path: Path) -> None:
    path = tmp_path / "parrotchat.db"
    with Store(path) as store:
        store.create_conversation(title="x")
        store._conn.execute("UPDATE conversations SET title = ?", ("old " * 100_000,))
    source = tmp_path / "in.json"
    long = {**MINIMAL, "conversation": {"title": "t" * 1_000_000, "created": 1.0}}
    source.write_text(json.dumps(long))
    code, _, _ = run("import", str(source), path=path)
    assert code == 0
    with Store(path) as store:
        imported = next(r.title for r in store.list_conversations() if r.title.startswith("t"))
    assert imported == "t" * 199 + "…"
    code, out, _ = run("list", path=path)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) < 300


def test_error_sentences_are_inert(tmp_path: Path) -> None:
    code, _, err = run("import", str(tmp_path / "evil\u202e\x1b[2J.json"), path=tmp_path / "db")
    assert code == 1
    assert "\u202e" not in err and "\x1b" not in err
    assert "evil\ufffd␛[2J.json" in one_error_line(err)
