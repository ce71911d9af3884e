"""The chat session with attached files: stored with the prompt, kept by an edit (a new
branch), sent again on every request."""

from __future__ import annotations

from attachment_files import make_files
from test_session import session_on

from parrotchat.core.attachments import AttachmentLimits, read_attachment
from parrotchat.core.store import Store


async def test_an_edited_prompt_keeps_its_files(demo_server, tmp_path):
    files = make_files(tmp_path / "project")
    notes = read_attachment(files["notes"], tmp_path / "project", AttachmentLimits())
    session, _view, path = session_on(demo_server, tmp_path)
    await session.wait(await session.send("summarise", [notes]))
    sent = len(demo_server.chat_requests)
    await session.wait(await session.edit(0, "summarise in French"))
    await session.aclose()
    (user,) = demo_server.chat_requests[sent].body["messages"]
    assert user["content"].startswith("summarise in French\n\nFile: docs/notes.md\n````md\n")
    with Store(path) as store:
        _record, tree, _active = store.load_tree(store.last_conversation_id() or 0)
    prompts = [m for m in tree if m.role.value == "user"]
    assert [m.content for m in prompts] == ["summarise", "summarise in French"]
    assert [m.attachments for m in prompts] == [[notes], [notes]]
