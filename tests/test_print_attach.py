"""`parrotchat -p ... -a FILE` as a subprocess against the demo server: what is sent, and exit
code 2 with one sentence for a file that cannot be attached."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from attachment_files import make_files
from cli_helpers import history_path, parrotchat, with_server

from parrotchat.core.store import Store
from parrotchat.demo import DemoServer


def run(
    *args: str, env: dict[str, str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return parrotchat(*args, env=env, cwd=cwd, stdin=stdin)


def test_attach_sends_text_and_image_parts_next_to_stdin(
    demo_server: DemoServer, clean_env: dict[str, str], tmp_path: Path
) -> None:
    files = make_files(tmp_path / "project")
    env = with_server(clean_env, demo_server)
    result = run(
        "-p", "Explain", "-a", "docs/notes.md", "--attach", "img/parrot.png",
        env=env, cwd=tmp_path / "project", stdin="piped words\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Squawk! I received 2 files: `docs/notes.md` (39 B, 6 lines)")
    (user,) = demo_server.chat_requests[-1].body["messages"]
    text, image = user["content"]
    notes = files["notes"].read_text()
    assert text["text"] == (
        f"Explain\n\npiped words\n\n\nFile: docs/notes.md\n````md\n{notes}````\n\n"
        "Image: img/parrot.png"
    )
    assert image["image_url"]["url"].startswith("data:image/png;base64,")
    with Store(history_path(env)) as store:
        _record, messages = store.load_conversation(store.last_conversation_id() or 0)
    assert [a.path for a in messages[0].attachments] == ["docs/notes.md", "img/parrot.png"]


def test_files_alone_make_a_prompt(
    demo_server: DemoServer, clean_env: dict[str, str], tmp_path: Path
) -> None:
    make_files(tmp_path / "project")
    result = run(
        "-p", "", "-a", "src/tool.py", env=with_server(clean_env, demo_server),
        cwd=tmp_path / "project",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Squawk! I received 1 file: `src/tool.py` (15 B, 1 line).")


@pytest.mark.parametrize(
    ("name", "sentence"),
    [
        ("bin/blob.dat", "bin/blob.dat is a binary file; only text files and PNG, JPEG, GIF or"
         " WebP images can be attached."),
        ("docs/café.txt", "docs/café.txt is not UTF-8 text; convert it to UTF-8 to attach it."),
        ("missing.txt", "missing.txt no longer exists; remove it or attach it again."),
        ("docs", "docs is not a file; attach a file, not a folder."),
    ],
)  # fmt: skip
def test_a_bad_attachment_is_one_sentence_and_exit_2(
    demo_server: DemoServer, clean_env: dict[str, str], tmp_path: Path, name: str, sentence: str
) -> None:
    make_files(tmp_path / "project")
    sent = len(demo_server.chat_requests)
    result = run(
        "-p", "hi", "-a", name, env=with_server(clean_env, demo_server), cwd=tmp_path / "project"
    )
    assert result.returncode == 2
    assert result.stderr == f"parrotchat: error: {sentence}\n"
    assert result.stdout == "" and len(demo_server.chat_requests) == sent


def test_the_size_caps_come_from_the_config(
    demo_server: DemoServer, clean_env: dict[str, str], tmp_path: Path
) -> None:
    make_files(tmp_path / "project")
    config = tmp_path / "config.toml"
    config.write_text("[attachments]\nmax_file_kb = 1\nmax_message_kb = 1\n")
    env = with_server(clean_env, demo_server)
    (tmp_path / "project" / "half.txt").write_text("x" * 600)
    result = run(
        "--config", str(config), "-p", "hi", "-a", "half.txt", "-a", "src/../half.txt",
        env=env, cwd=tmp_path / "project",
    )  # fmt: skip
    # 600 bytes fit the file cap; twice they pass the message cap.
    assert result.returncode == 2
    assert "over the 1 KB limit per message (max_message_kb" in result.stderr
    (tmp_path / "project" / "big.txt").write_text("x" * 1025)
    result = run(
        "--config", str(config), "-p", "hi", "-a", "big.txt", env=env, cwd=tmp_path / "project"
    )
    assert result.returncode == 2 and "larger than the 1 KB limit per file" in result.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[attachments]\nmax_file_kb = 0\n")
    result = run("--config", str(bad), "-p", "hi", env=env, cwd=tmp_path)
    assert result.returncode == 2 and "attachments.max_file_kb" in result.stderr


def test_attach_needs_print_mode(clean_env: dict[str, str], tmp_path: Path) -> None:
    result = run("-a", "x.txt", env=clean_env, cwd=tmp_path)
    assert result.returncode == 2
    assert "-a/--attach, --extract-code and --no-history go with -p/--print" in result.stderr
