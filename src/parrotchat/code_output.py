"""Print mode's `--extract-code` (`-x`): only the answer's code blocks reach stdout, at the end.

`parrotchat -p -x "a bash one-liner to ..." | sh` must never run half a command: the answer is
kept while it streams and its code blocks are written once it is complete. A failed or
interrupted answer writes nothing; an answer cut off (at the token limit) leaves out a block it
ends inside.
"""

from __future__ import annotations

from typing import TextIO

__all__ = ["CodeOutput", "write_code"]


class CodeOutput:
    """Stands in for stdout while the answer streams: keeps the text, writes no byte of it."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        """
        Args:
            out: Where the code blocks go once the answer is complete (stdout).
            err: Where a note goes if the answer has no code block.
        """
        self.out: TextIO = out
        self.err: TextIO = err
        self._parts: list[str] = []

    @property
    def text(self) -> str:
        """Everything written so far: the answer as print mode would have shown it."""
        return "".join(self._parts)

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        """Nothing goes out before the answer is complete."""

    def finish(self, *, complete: bool) -> None:
        """Write the code blocks to stdout, separated by a blank line.

        Args:
            complete: The answer ended as the model meant (not cut off at the token limit).
        """
        # Here, not at the top: the Markdown parser is a large import that print mode
        # without `-x` never needs (start-up).
        from parrotchat.core.code_blocks import code_blocks, code_text

        text = self.text
        code = code_text(text, complete=complete)
        if not code:
            found = code_blocks(text)
            why = "its code block was cut off" if found else "it has no code block"
            print(f"parrotchat: nothing printed: {why}", file=self.err, flush=True)
            return
        self.out.write(code)
        self.out.flush()


def write_code(out: object, *, complete: bool) -> None:
    """If print mode's stdout is a `CodeOutput` (`-x`), write the complete answer's code now."""
    if isinstance(out, CodeOutput):
        out.finish(complete=complete)
