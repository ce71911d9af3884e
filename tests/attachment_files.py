"""Small files to attach in the tests: images with real headers, text, binary, not UTF-8."""

from __future__ import annotations

import struct
from pathlib import Path


def png(width: int, height: int) -> bytes:
    """A PNG signature and IHDR chunk (enough for its type and size)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\0\0\0\0"


def gif(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00;"


def jpeg(width: int, height: int) -> bytes:
    """SOI, an APP0 segment, then a baseline start-of-frame with the size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def webp(width: int, height: int) -> bytes:
    """A VP8X (extended) WebP header."""
    chunk = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    chunk += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def make_files(folder: Path) -> dict[str, Path]:
    """A small project in `folder`: text, an image, binary, Latin-1, and ignored folders."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "notes": ("docs/notes.md", b"# Notes\n\nFirst line\n```py\nprint(1)\n```\n"),
        "script": ("src/tool.py", b"print('hello')\n"),
        "image": ("img/parrot.png", png(64, 32)),
        "binary": ("bin/blob.dat", bytes(range(256)) * 4),
        "latin1": ("docs/caf\u00e9.txt", "caf\u00e9 cr\u00e8me\n".encode("latin-1")),
    }
    out = {}
    for key, (relative, data) in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out[key] = path
    for hidden in (".git/config", "node_modules/pkg/index.js", ".venv/lib/x.py", "dist/out.js"):
        path = folder / hidden
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("skip me\n")
    (folder / ".gitignore").write_text("# build output\nsecret*.txt\nlogs/\n")
    (folder / "secret-keys.txt").write_text("ignored by .gitignore\n")
    (folder / "logs").mkdir(exist_ok=True)
    (folder / "logs" / "today.log").write_text("ignored folder\n")
    return out
