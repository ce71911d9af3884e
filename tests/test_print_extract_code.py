"""`parrotchat -p -x`: only the answer's code blocks on stdout, as a real subprocess."""

from __future__ import annotations

import subprocess

from cli_helpers import parrotchat, with_server

from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import Parrot, Script, chunk, sse

ANSWER = (
    'Run this:\n\n```bash\nfor f in *.txt; do\n  wc -l "$f"\ndone\n```\n\n'
    "Or, in Python:\n\n- like so:\n\n  ```python\n  print('hi')\n  ```\n\nDone.\n"
)


def test_only_the_code_blocks_separated_by_a_blank_line(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    demo_server.push(Parrot(text=ANSWER))
    result = parrotchat("-p", "a loop", "-x", env=with_server(clean_env, demo_server))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "for f in *.txt; do\n  wc -l \"$f\"\ndone\n\nprint('hi')\n"
    assert result.stderr == ""


def test_the_code_can_be_piped_into_a_shell(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    demo_server.push(Parrot(text="Here you go:\n\n```sh\necho piped-and-run\n```\n"))
    code = parrotchat("-p", "an echo", "--extract-code", env=with_server(clean_env, demo_server))
    ran = subprocess.run(["sh"], input=code.stdout, capture_output=True, text=True, check=True)
    assert ran.stdout == "piped-and-run\n"


def test_an_answer_without_code_prints_nothing_and_says_so(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    demo_server.push(Parrot(text="No code, only `inline` words."))
    result = parrotchat("-p", "hi", "-x", env=with_server(clean_env, demo_server))
    assert result.returncode == 0
    assert result.stdout == ""
    assert result.stderr == "parrotchat: nothing printed: it has no code block\n"


def test_a_failed_answer_prints_no_code_at_all(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    # The stream dies inside a command: none of it may reach a shell.
    partial = "```sh\necho one\n```\n\n```sh\nrm -rf /tmp/parrot"
    demo_server.push(Script([sse(chunk(content=partial)), sse({"error": {"message": "boom"}})]))
    result = parrotchat("-p", "hi", "-x", env=with_server(clean_env, demo_server))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "boom" in result.stderr


def test_an_answer_cut_at_the_token_limit_leaves_out_the_unfinished_block(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    text = "```sh\necho one\n```\n\n```sh\necho tw"
    demo_server.push(Parrot(text=text, finish_reason="length"))
    result = parrotchat("-p", "hi", "-x", env=with_server(clean_env, demo_server))
    assert result.returncode == 0
    assert result.stdout == "echo one\n"
    assert "token limit" in result.stderr


def test_control_characters_in_code_are_neutralised_unless_raw(
    demo_server: DemoServer, clean_env: dict[str, str]
) -> None:
    text = "```\nprintf '\x1b[31mred'\n```\n"
    env = with_server(clean_env, demo_server)
    demo_server.push(Parrot(text=text))
    assert parrotchat("-p", "hi", "-x", env=env).stdout == "printf '␛[31mred'\n"
    demo_server.push(Parrot(text=text))
    assert parrotchat("-p", "hi", "-x", "--raw", env=env).stdout == "printf '\x1b[31mred'\n"


def test_extract_code_goes_with_print_mode_only(clean_env: dict[str, str]) -> None:
    result = parrotchat("-x", env=clean_env)
    assert result.returncode == 2
    assert "--extract-code and --no-history go with -p/--print" in result.stderr
