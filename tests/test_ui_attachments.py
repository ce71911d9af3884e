"""Attaching files in the TUI, through Pilot against the real demo server: the `@` picker,
Ctrl+A, chips and their removal, what the server received, each refusal's sentence, a pasted
path, a provider that rejects images, and the chips of a reopened conversation."""

from __future__ import annotations

from pathlib import Path

from attachment_files import make_files
from textual.widgets import Input, OptionList

from parrotchat.core.attachments import AttachmentLimits
from parrotchat.core.conversation import Role, Status
from parrotchat.core.history import LAST
from parrotchat.demo.behaviours import HTTPError
from parrotchat.ui.app import ParrotChatApp
from parrotchat.ui.attachment_chips import AttachmentChip, MessageChips
from parrotchat.ui.file_picker import FilePicker
from parrotchat.ui.testing import (
    history_demo_app,
    offline_demo_app,
    press_now,
    wait_for_reply,
    wait_until,
)


def notices(app: ParrotChatApp) -> list[str]:
    return [notification.message for notification in app._notifications]


async def said(pilot, app: ParrotChatApp, sentence: str) -> None:
    """Wait until the app has shown the notice `sentence`."""
    await wait_until(pilot, lambda: sentence in notices(app), what=sentence)


def chips(app: ParrotChatApp) -> list[str]:
    return [chip.attachment.path for chip in app.attacher.tray.query(AttachmentChip)]


async def pick(pilot, app: ParrotChatApp, query: str) -> None:
    """With the picker open: type `query`, wait for it to list the match first, press Enter."""
    picker = app.screen
    assert isinstance(picker, FilePicker)
    await wait_until(pilot, lambda: not picker.walking, what="the walk to end")
    await pilot.press(*query)
    options = picker.query_one(OptionList)
    await wait_until(pilot, lambda: options.option_count > 0, what="a match")
    await pilot.press("enter")


async def attach_with_at(pilot, app: ParrotChatApp, query: str) -> None:
    before = len(app.attacher.tray.attachments)
    await pilot.press("@")
    await wait_until(pilot, lambda: isinstance(app.screen, FilePicker), what="the picker")
    await pick(pilot, app, query)
    await wait_until(pilot, lambda: len(app.attacher.tray.attachments) > before, what="the chip")


def project_app(demo_server, tmp_path: Path, **kwargs) -> tuple[ParrotChatApp, dict[str, Path]]:
    files = make_files(tmp_path / "project")
    app = offline_demo_app(demo_server.base_url, tmp_path, **kwargs)
    app.attacher.attach_root = tmp_path / "project"
    return app, files


async def send(pilot, app: ParrotChatApp, text: str):
    """Type `text` after what is in the prompt and press Enter; wait for the reply to end."""
    before = len(app.conversation.messages)
    app.prompt.insert(text)
    press_now(pilot, "enter")

    def started() -> bool:
        messages = app.conversation.messages
        stream = app.reply_stream
        return len(messages) >= before + 2 and stream is not None and stream.message is messages[-1]

    await wait_until(pilot, started, what="the reply to start")
    return await wait_for_reply(pilot)


async def test_at_picks_a_file_and_the_request_carries_it(demo_server, tmp_path):
    app, files = project_app(demo_server, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        app.prompt.insert("Read ")
        await attach_with_at(pilot, app, "notes")
        assert chips(app) == ["docs/notes.md"]
        assert app.prompt.text == "Read "  # the @ that opened the picker is gone
        assert app.prompt.has_focus
        await attach_with_at(pilot, app, "parrot.png")
        chip = app.attacher.tray.query(AttachmentChip).last()
        assert "parrot.png" in str(chip.render()) and "B" in str(chip.render())

        sent = len(demo_server.chat_requests)
        reply = await send(pilot, app, "please")
        (user,) = demo_server.chat_requests[sent].body["messages"]
        text_part, image_part = user["content"]
        notes = files["notes"].read_text()
        assert text_part == {
            "type": "text",
            "text": f"Read please\n\nFile: docs/notes.md\n````md\n{notes}````\n\n"
            "Image: img/parrot.png",
        }
        assert image_part["type"] == "image_url"
        assert image_part["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGgo")
        assert reply.status is Status.COMPLETE
        assert reply.content.startswith("Squawk! I received 2 files: `docs/notes.md`")
        assert "64×32 image" in reply.content
        # The chips left the prompt for the message.
        assert chips(app) == [] and not app.attacher.tray.display
        view = app.chat_log.message_views()[-2]
        assert view.message.role is Role.USER
        shown = [c.attachment.name for c in view.query_one(MessageChips).query(AttachmentChip)]
        assert shown == ["notes.md", "parrot.png"]

        # The next turn sends the files again, with the history.
        await send(pilot, app, "and then?")
        first = demo_server.chat_requests[sent + 1].body["messages"][0]
        assert first["content"][1] == image_part


async def test_esc_closes_the_picker_and_keeps_the_at(demo_server, tmp_path):
    app, _files = project_app(demo_server, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("h", "i", "space", "@")
        await wait_until(pilot, lambda: isinstance(app.screen, FilePicker), what="the picker")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, FilePicker), what="closed")
        assert app.prompt.text == "hi @" and app.prompt.has_focus and chips(app) == []
        # Inside a word (an e-mail address) `@` is just typed.
        await pilot.press("m", "e", "@")
        await pilot.pause()
        assert not isinstance(app.screen, FilePicker) and app.prompt.text == "hi @me@"


async def test_the_picker_filters_and_skips_ignored_files(demo_server, tmp_path):
    app, _files = project_app(demo_server, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+a")
        await wait_until(pilot, lambda: isinstance(app.screen, FilePicker), what="the picker")
        picker = app.screen
        assert isinstance(picker, FilePicker)
        await wait_until(pilot, lambda: not picker.walking, what="the walk to end")
        options = picker.query_one(OptionList)
        listed = {str(options.get_option_at_index(i).id) for i in range(options.option_count)}
        assert listed == {
            "bin/blob.dat",
            "docs/café.txt",
            "docs/notes.md",
            "img/parrot.png",
            "src/tool.py",
        }
        await pilot.press("t", "o", "o", "l")
        await wait_until(pilot, lambda: options.option_count == 1, what="the filter")
        assert picker.query_one(Input).value == "tool"
        await pilot.press("enter")
        await wait_until(pilot, lambda: chips(app) == ["src/tool.py"], what="the chip")


async def test_backspace_on_a_focused_chip_removes_it(demo_server, tmp_path):
    app, _files = project_app(demo_server, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await attach_with_at(pilot, app, "notes")
        await attach_with_at(pilot, app, "tool")
        first, second = app.attacher.tray.query(AttachmentChip)
        await pilot.press("shift+tab")  # from the prompt to the chip nearest it
        assert second.has_focus
        await pilot.press("shift+tab")
        assert first.has_focus
        await pilot.press("backspace")
        await wait_until(pilot, lambda: chips(app) == ["src/tool.py"], what="the removal")
        assert app.attacher.tray.query_one(AttachmentChip) is second and second.has_focus
        await pilot.press("delete")
        await wait_until(pilot, lambda: chips(app) == [], what="the second removal")
        assert app.prompt.has_focus and not app.attacher.tray.display

        sent = len(demo_server.chat_requests)
        await send(pilot, app, "nothing attached")
        body = demo_server.chat_requests[sent].body
        assert body["messages"] == [{"role": "user", "content": "nothing attached"}]


async def test_each_bad_file_is_one_sentence_and_nothing_is_sent(demo_server, tmp_path):
    app, files = project_app(demo_server, tmp_path)
    app.session.settings.attachments = AttachmentLimits(max_file=1024, max_message=60)
    async with app.run_test(size=(120, 36)) as pilot:
        expected = {
            "binary": "bin/blob.dat is a binary file; only text files and PNG, JPEG, GIF or WebP"
            " images can be attached.",
            "latin1": "docs/café.txt is not UTF-8 text; convert it to UTF-8 to attach it.",
        }
        big = app.attacher.attach_root / "big.txt"
        big.write_text("x" * 1025)
        files["big"] = big
        expected["big"] = (
            "big.txt is larger than the 1 KB limit per file (max_file_kb in the [attachments]"
            " config table)."
        )
        files["unreadable"] = Path("/proc/self/mem")  # a file that fails to read, even for root
        expected["unreadable"] = (
            "/proc/self/mem cannot be read (Input/output error); check its permissions."
        )
        for key, sentence in expected.items():
            await app.attacher.attach_path(files[key])
            await said(pilot, app, sentence)
        assert chips(app) == []
        await app.attacher.attach_path(files["notes"])  # 39 bytes
        await app.attacher.attach_path(files["notes"])  # the same file again: said, not doubled
        await said(pilot, app, "docs/notes.md is attached already.")
        await app.attacher.attach_path(files["image"])  # 33 bytes more: over 60 B a message
        await said(
            pilot,
            app,
            "The attached files come to 72 B, over the 60 B limit per message"
            " (max_message_kb in the [attachments] config table); remove some.",
        )
        assert chips(app) == ["docs/notes.md"]

        # The file vanishes before the prompt is sent: one sentence, the text stays.
        files["notes"].unlink()
        sent = len(demo_server.chat_requests)
        app.prompt.insert("my question")
        await pilot.press("enter")
        await said(pilot, app, "docs/notes.md no longer exists; remove it or attach it again.")
        assert app.prompt.text == "my question" and chips(app) == ["docs/notes.md"]
        assert len(demo_server.chat_requests) == sent and app.conversation.messages == []


async def test_a_pasted_path_offers_ctrl_a(demo_server, tmp_path):
    from textual import events

    app, files = project_app(demo_server, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        app.prompt.insert("see ")
        app.post_message(events.Paste(f"'{files['script']}'"))
        await said(pilot, app, "tool.py is a file: press Ctrl+A to attach it.")
        await pilot.press("ctrl+a")
        await wait_until(pilot, lambda: chips(app) == ["src/tool.py"], what="the chip")
        assert app.prompt.text == "see "  # the pasted path made way for the chip
        # Pasted text that names no file is just text.
        app.post_message(events.Paste("not/a/file.txt"))
        await pilot.pause()
        assert len(notices(app)) == 1 and app.prompt.text == "see not/a/file.txt"


async def test_a_provider_that_rejects_images_keeps_the_message_for_retry(demo_server, tmp_path):
    app, _files = project_app(demo_server, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await attach_with_at(pilot, app, "parrot.png")
        error = {"error": {"message": "This model does not support image input.", "code": 400}}
        demo_server.push(HTTPError(400, error))
        sent = len(demo_server.chat_requests)
        reply = await send(pilot, app, "what bird?")
        assert reply.status is Status.ERROR
        assert "This model does not support image input." in (reply.error or "")
        assert "\n" not in (reply.error or "")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: len(demo_server.chat_requests) > sent + 1, what="retry")
        retried = await wait_for_reply(pilot)
        assert retried.status is Status.COMPLETE
        again = demo_server.chat_requests[sent + 1].body["messages"][0]["content"]
        assert again[1]["type"] == "image_url"


async def test_a_reopened_conversation_shows_its_chips(demo_server, tmp_path):
    files = make_files(tmp_path / "project")
    app = history_demo_app(demo_server.base_url, tmp_path)
    app.attacher.attach_root = tmp_path / "project"
    async with app.run_test(size=(120, 36)) as pilot:
        await attach_with_at(pilot, app, "notes")
        await send(pilot, app, "keep this")
    files["notes"].unlink()  # reopening needs the history only
    again = history_demo_app(demo_server.base_url, tmp_path, resume=LAST)
    async with again.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: again.chat_log.message_views(), what="the messages")
        user = again.chat_log.message_views()[0]
        (chip,) = user.query_one(MessageChips).query(AttachmentChip)
        assert chip.attachment.path == "docs/notes.md" and not chip.can_focus
        sent = len(demo_server.chat_requests)
        await send(pilot, again, "still there?")
        first = demo_server.chat_requests[sent].body["messages"][0]
        assert "File: docs/notes.md\n" in first["content"]


async def test_the_palette_offers_attaching(demo_server, tmp_path):
    from textual.command import CommandPalette

    app, _files = project_app(demo_server, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.press(*"Attach a file")
        await wait_until(
            pilot,
            lambda: (
                "Attach a file"
                in str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
            ),
            what="the command listed",
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FilePicker), what="the picker")
        await pick(pilot, app, "tool")
        await wait_until(pilot, lambda: chips(app) == ["src/tool.py"], what="the chip")
