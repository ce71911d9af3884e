"""Reading, checking and sending attached files (no UI): images by magic bytes, the fence,
each refusal's sentence, the request's content parts, the picker's walk and matching."""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path

import pytest
from attachment_files import gif, jpeg, make_files, png, webp

from parrotchat.core.attachments import (
    Attachment,
    AttachmentError,
    AttachmentLimits,
    check_total,
    fence_for,
    format_size,
    image_size,
    read_attachment,
    read_attachments,
    request_content,
    sniff_image,
)
from parrotchat.core.conversation import Conversation, Message, Role
from parrotchat.core.file_walk import MAX_PATHS, best_matches, walk_files
from parrotchat.demo.received import describe_received

LIMITS = AttachmentLimits()


@pytest.mark.parametrize(
    ("data", "mime", "size"),
    [
        (png(640, 480), "image/png", (640, 480)),
        (gif(3, 7), "image/gif", (3, 7)),
        (jpeg(1920, 1080), "image/jpeg", (1920, 1080)),
        (webp(800, 600), "image/webp", (800, 600)),
    ],
)
def test_images_are_known_by_their_bytes_and_sized_from_headers(
    tmp_path: Path, data: bytes, mime: str, size: tuple[int, int]
) -> None:
    assert sniff_image(data) == mime and image_size(data) == size
    path = tmp_path / "misnamed.txt"  # the extension does not matter
    path.write_bytes(data)
    attachment = read_attachment(path, tmp_path, LIMITS)
    assert (attachment.kind, attachment.mime, attachment.size) == ("image", mime, len(data))
    assert attachment.data_url == f"data:{mime};base64,{base64.b64encode(data).decode()}"


def test_a_file_named_png_that_is_text_is_text(tmp_path: Path) -> None:
    path = tmp_path / "fake.png"
    path.write_text("not an image\n")
    assert read_attachment(path, tmp_path, LIMITS).kind == "text"
    assert sniff_image(b"") is None and image_size(b"GIF8") is None


def test_the_fence_is_longer_than_any_backtick_run_inside() -> None:
    assert fence_for("plain") == "```"
    assert fence_for("```py\nx\n```") == "````"
    assert fence_for("a ````` b") == "``````"


def test_text_goes_fenced_under_its_path_and_images_as_parts(tmp_path: Path) -> None:
    files = make_files(tmp_path)
    notes = read_attachment(files["notes"], tmp_path, LIMITS)
    image = read_attachment(files["image"], tmp_path, LIMITS)
    assert notes.path == "docs/notes.md" and notes.name == "notes.md"
    text_only = request_content("Summarise", [notes])
    assert text_only == (
        "Summarise\n\nFile: docs/notes.md\n````md\n" + files["notes"].read_text() + "````"
    )
    parts = request_content("What is this?", [notes, image])
    assert isinstance(parts, list) and parts[0]["type"] == "text"
    assert parts[0]["text"].startswith("What is this?\n\nFile: docs/notes.md\n")
    assert parts[0]["text"].endswith("Image: img/parrot.png")
    assert parts[1] == {"type": "image_url", "image_url": {"url": image.data_url}}


def test_every_later_request_carries_the_files_again(tmp_path: Path) -> None:
    files = make_files(tmp_path)
    image = read_attachment(files["image"], tmp_path, LIMITS)
    conversation = Conversation()
    conversation.add(Message(Role.USER, "look", attachments=[image]))
    conversation.add(Message(Role.ASSISTANT, "a parrot"))
    conversation.add(Message(Role.USER, "and now?"))
    first = conversation.request_messages()[0]
    assert first["content"][1]["image_url"]["url"] == image.data_url
    json.dumps(conversation.request_messages())  # JSON-ready


def test_an_unanswered_turn_with_images_joins_the_next_as_parts(tmp_path: Path) -> None:
    files = make_files(tmp_path)
    image = read_attachment(files["image"], tmp_path, LIMITS)
    conversation = Conversation()
    conversation.add(Message(Role.USER, "first", attachments=[image]))
    conversation.add(Message(Role.USER, "second"))
    (only,) = conversation.request_messages()
    kinds = [part["type"] for part in only["content"]]
    assert kinds == ["text", "image_url", "text"]


def test_each_bad_file_is_one_sentence(tmp_path: Path) -> None:
    files = make_files(tmp_path)

    def refusal(path: Path, limits: AttachmentLimits = LIMITS) -> str:
        with pytest.raises(AttachmentError) as caught:
            read_attachment(path, tmp_path, limits)
        sentence = str(caught.value)
        assert sentence.endswith(".") and "\n" not in sentence
        return sentence

    assert "bin/blob.dat is a binary file" in refusal(files["binary"])
    assert "is not UTF-8 text" in refusal(files["latin1"])
    assert "gone.txt no longer exists" in refusal(tmp_path / "gone.txt")
    assert "is not a file" in refusal(tmp_path / "docs")
    small = AttachmentLimits(max_file=10)
    assert "larger than the 10 B limit per file (max_file_kb" in refusal(files["notes"], small)
    # A file that exists but fails to read (even for root): /proc/self/mem at offset 0.
    assert "/proc/self/mem cannot be read" in refusal(Path("/proc/self/mem"))


def test_the_total_per_message_is_capped(tmp_path: Path) -> None:
    files = make_files(tmp_path)
    limits = AttachmentLimits(max_file=1024, max_message=40)
    notes = read_attachment(files["notes"], tmp_path, limits)
    with pytest.raises(AttachmentError, match="over the 40 B limit per message"):
        check_total([notes, notes], limits)
    with pytest.raises(AttachmentError, match="max_message_kb"):
        read_attachments([files["notes"], files["script"]], tmp_path, limits)


def test_sizes_read_well() -> None:
    assert [format_size(n) for n in (0, 1023, 1024, 1536, 3 * 1024 * 1024)] == [
        "0 B",
        "1023 B",
        "1 KB",
        "1.5 KB",
        "3 MB",
    ]


def test_the_parrot_says_what_it_received(tmp_path: Path) -> None:
    files = make_files(tmp_path)
    attached = [read_attachment(files[k], tmp_path, LIMITS) for k in ("notes", "image")]
    message = {"role": "user", "content": request_content("hi", attached)}
    said = describe_received(message)
    notes_size = files["notes"].stat().st_size
    assert said == (
        f"Squawk! I received 2 files: `docs/notes.md` ({notes_size} B, 6 lines),"
        f" `img/parrot.png` (64×32 image, {len(png(64, 32))} B)."
    )
    assert describe_received({"role": "user", "content": "no files"}) is None


def test_the_walk_skips_hidden_ignored_and_build_folders(tmp_path: Path) -> None:
    make_files(tmp_path)
    found = [path for batch in walk_files(tmp_path) for path in batch]
    assert sorted(found) == sorted(
        ["docs/notes.md", "src/tool.py", "img/parrot.png", "bin/blob.dat", "docs/café.txt"]
    )


def test_the_walk_stops_at_its_cap_and_on_request(tmp_path: Path) -> None:
    for n in range(30):
        (tmp_path / f"f{n:02d}.txt").write_text("x")
    assert sum(len(b) for b in walk_files(tmp_path, limit=12, batch=5)) == 12
    stop = threading.Event()
    batches = walk_files(tmp_path, batch=5, stop=stop)
    next(batches)
    stop.set()
    assert list(batches) == []
    assert MAX_PATHS == 50_000


def test_matching_ranks_names_before_scattered_letters() -> None:
    paths = ["src/parrotchat/core/session.py", "tests/test_session.py", "docs/some_ess.md"]
    assert best_matches("session", paths) == [paths[0], "tests/test_session.py"]  # name starts
    assert best_matches("SES", paths)[-1] == "docs/some_ess.md"
    assert best_matches("", paths, limit=2) == paths[:2]
    assert best_matches("zzz", paths) == []


def test_an_attachment_knows_its_digest() -> None:
    attachment = Attachment.from_bytes("a/b.txt", b"hello", "text", "text/plain")
    assert attachment.name == "b.txt" and attachment.size == 5
    assert attachment.sha256.startswith("2cf24dba")
