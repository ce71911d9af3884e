"""`core.code_blocks`: the code blocks of a Markdown text, as the answer view renders them."""

from __future__ import annotations

from parrotchat.core.code_blocks import CodeBlock, code_blocks, code_text


def test_fenced_blocks_in_order_with_their_language_and_exact_text() -> None:
    source = (
        "Intro with `inline code`.\n\n"
        "```python\ndef f(x):\n    return x  \n\n\n# end\n```\n\n"
        "Between.\n\n"
        "~~~bash title=run.sh\necho 'hi'\n~~~\n"
    )
    assert code_blocks(source) == [
        CodeBlock("python", "def f(x):\n    return x  \n\n\n# end"),
        CodeBlock("bash", "echo 'hi'"),
    ]


def test_fences_inside_lists_and_quotes_lose_the_container_indentation_only() -> None:
    source = (
        "1. Install:\n\n"
        "   ```sh\n   pip install x\n     --upgrade\n   ```\n\n"
        "> ~~~\n> quoted\n> ~~~\n"
    )
    blocks = code_blocks(source)
    assert blocks == [CodeBlock("sh", "pip install x\n  --upgrade"), CodeBlock("", "quoted")]


def test_a_longer_fence_holds_a_shorter_one_and_indented_code_counts() -> None:
    source = "````markdown\n```js\nx()\n```\n````\n\nText.\n\n    indented()\n    more()\n"
    assert code_blocks(source) == [
        CodeBlock("markdown", "```js\nx()\n```"),
        CodeBlock("", "indented()\nmore()"),
    ]


def test_an_unclosed_fence_at_the_end_of_a_streaming_reply() -> None:
    source = "Here:\n\n```python\nprint(1)\nprint("
    (block,) = code_blocks(source)
    assert block == CodeBlock("python", "print(1)\nprint(", closed=False)
    assert code_blocks("```\n```") == [CodeBlock("", "", closed=True)]
    # A shorter run of backticks inside a longer fence does not close it.
    assert code_blocks("````\n```\n") == [CodeBlock("", "```", closed=False)]
    assert code_blocks("- a\n\n  ```sh\n  ls\n  ```\n")[0].closed


def test_control_characters_and_crlf_are_kept_as_the_model_sent_them() -> None:
    source = "```\r\necho \x1b[31mred\x1b[0m\r\n```\r\n"
    assert code_blocks(source) == [CodeBlock("", "echo \x1b[31mred\x1b[0m")]


def test_no_code_blocks() -> None:
    assert code_blocks("Just `inline` text.\n\n- a list\n") == []
    assert code_text("Nothing here.") == ""


def test_code_text_separates_blocks_with_a_blank_line() -> None:
    source = "```sh\nls\n```\ntext\n```\npwd\ncd /\n```\n```sh\nrm -rf /tmp/x"
    assert code_text(source) == "ls\n\npwd\ncd /\n\nrm -rf /tmp/x\n"
    # An answer cut off inside a fence: the partial command is left out.
    assert code_text(source, complete=False) == "ls\n\npwd\ncd /\n"


def test_line_count() -> None:
    assert CodeBlock("", "a\nb").line_count == 2
    assert CodeBlock("", "").line_count == 1
