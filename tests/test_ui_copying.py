"""Taking text out of the chat: mouse selection, the message cursor, code blocks, the keys screen.

The real app on the real demo server, driven through Pilot (`ui.testing`); copies land in
`app.clipboard`, which is what Textual sends out as OSC 52.
"""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.geometry import Offset
from textual.selection import Selection

from parrotchat.core.code_blocks import code_blocks
from parrotchat.core.conversation import Message, Role, Status
from parrotchat.demo import DemoServer
from parrotchat.demo.behaviours import Parrot, Script, chunk, sse
from parrotchat.ui.app import ParrotChatApp
from parrotchat.ui.keys_help import KeysScreen
from parrotchat.ui.message_view import MessageView
from parrotchat.ui.render.markdown_view import MarkdownView
from parrotchat.ui.testing import (
    offline_demo_app,
    press_now,
    send_prompt,
    wait_for_rendered,
    wait_for_reply,
    wait_until,
)

TWO_BLOCKS = (
    "Two ways to do it.\n\n"
    "```python\nprint('first')\n```\n\n"
    "And the shell one, with odd bytes kept:\n\n"
    '```bash\nfor f in *.txt; do\n\techo "café 🦜 $f"   \n\ndone | sort -u\n```\n\n'
    "That is all.\n"
)
SECOND_BLOCK = 'for f in *.txt; do\n\techo "café 🦜 $f"   \n\ndone | sort -u'


def notices(app: ParrotChatApp) -> list[str]:
    return [notification.message for notification in app._notifications]


def answer_of(app: ParrotChatApp, index: int) -> MarkdownView:
    """The answer view of the `index`-th message on screen."""
    answer = app.chat_log.message_views()[index].answer
    assert answer is not None
    return answer


async def ask(pilot, server: DemoServer, prompt: str, answer: str) -> Message:
    """Send `prompt`, the server answering `answer`; wait until it is on screen."""
    server.push(Parrot(text=answer))
    await send_prompt(pilot, prompt)
    reply = await wait_for_reply(pilot)
    await wait_for_rendered(pilot, reply)
    await pilot.pause()  # the last layout: the answer's height is final
    return reply


async def test_a_drag_across_two_messages_copies_exactly_the_words_under_it(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await ask(pilot, demo_server, "first", "Alpha bravo charlie delta echo.")
        await ask(pilot, demo_server, "second", "Foxtrot golf hotel india juliet.")
        first, second = answer_of(app, 1), answer_of(app, 3)
        start = first.render_line(0).text.index("charlie")
        end = second.render_line(0).text.index("golf") + len("golf")

        await pilot.mouse_down(first, offset=(start, 0))
        await pilot.hover(first, offset=(start + 3, 0))
        await pilot.hover(second, offset=(end, 0))
        await pilot.mouse_up(second, offset=(end, 0))
        await pilot.pause()

        views = app.chat_log.message_views()
        stats = str(views[1].query_one(".stats").render())
        role = str(views[3].query_one(".role").render())
        expected = f"charlie delta echo.\n{stats}\nYou\nsecond\n{role}\nFoxtrot golf"
        assert app.screen.get_selected_text() == expected
        await pilot.press("ctrl+c")
        assert app.clipboard == expected
        assert "Copied 6 lines" in notices(app)[-1]


async def test_a_selection_inside_an_answer_is_the_text_shown_unwrapped(demo_server, tmp_path):
    paragraph = " ".join(["squawk"] * 30) + " end."
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(60, 40)) as pilot:
        await ask(pilot, demo_server, "wrap", f"{paragraph}\n\n```python\n    indented = 1\n```\n")
        answer = answer_of(app, 1)
        assert answer.render_line(1).text.strip(), "the paragraph wraps"
        lines = [answer.render_line(y).text for y in range(answer.size.height)]
        last = max(y for y, text in enumerate(lines) if "indented" in text)

        await pilot.mouse_down(answer, offset=(0, 0))
        await pilot.hover(answer, offset=(30, last))
        await pilot.mouse_up(answer, offset=(30, last))
        await pilot.press("ctrl+c")
        # One line for the paragraph, the code's own indentation, no padding or margins.
        assert app.clipboard == f"{paragraph}\n\n    indented = 1"


async def test_double_click_selects_a_word_and_triple_click_the_whole_answer(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        prompt = "what do parrots want?"
        reply = await ask(pilot, demo_server, prompt, "Polly wants a **cracker** now.\n\nMore.")
        answer = answer_of(app, 1)
        x = answer.render_line(0).text.index("cracker") + 2
        await pilot.click(answer, offset=(x, 0), times=2)
        assert app.screen.get_selected_text() == "cracker"
        user_text = app.chat_log.message_views()[0].query_one(".user-text")
        await pilot.click(user_text, offset=(prompt.index("parrots") + 3, 0), times=2)
        assert app.screen.get_selected_text() == "parrots"
        await pilot.click(answer, offset=(x, 0), times=3)
        assert app.screen.get_selected_text() == "Polly wants a cracker now.\n\nMore."
        assert reply.content.startswith("Polly wants a **cracker**")
        # A new width wraps the lines anew: a selection made on the old lines goes.
        await pilot.click(answer, offset=(x, 0), times=2)
        await pilot.resize_terminal(90, 30)
        await pilot.pause()
        assert app.screen.selections == {}


async def test_a_selection_survives_2000_tokens_streamed_below_it_while_following(
    demo_server, tmp_path
):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await ask(pilot, demo_server, "one", "The first answer.")
        await ask(pilot, demo_server, "two", "Keep these words selected please.")
        answer = answer_of(app, 3)
        x = answer.render_line(0).text.index("these")
        last = x + len("these words") - 1  # within one widget the pointer's character counts
        await pilot.mouse_down(answer, offset=(x, 0))
        await pilot.hover(answer, offset=(last, 0))
        await pilot.mouse_up(answer, offset=(last, 0))
        assert app.screen.get_selected_text() == "these words"
        selections = dict(app.screen.selections)

        # Sent as Enter sends it (typing in the prompt would move its cursor, and that clears
        # any selection on the screen, as in Textual everywhere). At a fast provider's pace:
        # at full speed the whole reply can be read before anyone looks while it streams.
        demo_server.push(Parrot(tokens=2000, tokens_per_second=2000))
        await app.send("now a long answer, 2000 tokens")
        reply = app.conversation.messages[-1]
        await wait_until(pilot, lambda: len(reply.content) > 20)
        assert app.streaming and app.screen.selections == selections
        await wait_for_reply(pilot, timeout=60)
        await wait_for_rendered(pilot, reply, timeout=30)
        assert reply.tokens == 2000
        log = app.chat_log
        assert log.following and log.scroll_y == log.max_scroll_y > 100
        assert app.screen.selections == selections
        await pilot.press("ctrl+c")
        assert app.clipboard == "these words"


async def test_a_message_holding_the_selection_or_the_focus_is_not_set_aside(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    long_answer = "\n\n".join(f"Paragraph {k}." for k in range(20))
    messages = [
        Message(role, f"{role} {n}" if role is Role.USER else f"Answer {n}.\n\n{long_answer}")
        for n in range(6)
        for role in (Role.USER, Role.ASSISTANT)
    ]
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.chat_log

        async def add(*added: Message) -> None:
            for message in added:
                await log.add_message(message)
                await pilot.pause()

        await add(*messages[:4])
        held = log.message_views()[3]
        assert held.answer is not None
        app.screen.selections = {held.answer: Selection(Offset(0, 0), Offset(6, 0))}
        await add(*messages[4:8])
        assert log.waiting_messages == 3  # the oldest went, as usual: up to the selection
        assert held.is_attached and app.screen.get_selected_text() == "Answer"

        app.screen.clear_selection()
        focused = log.message_views()[-1]
        focused.focus(scroll_visible=False)  # as a click does: the view keeps following
        await add(*messages[8:])
        assert not held.is_attached and focused.is_attached and app.focused is focused
        assert log.waiting_messages == 7


async def test_alt_up_up_2_copies_the_second_code_block_of_the_earlier_reply(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await ask(pilot, demo_server, "show me code", TWO_BLOCKS)
        await ask(pilot, demo_server, "thanks", "You are welcome.")
        app.prompt.focus()
        await pilot.press("alt+up")
        assert app.focused is app.chat_log.message_views()[3]
        await pilot.press("up")
        assert app.focused is app.chat_log.message_views()[1]
        await pilot.press("2")
        assert app.clipboard == SECOND_BLOCK
        assert notices(app)[-1] == "Copied code block 2 · 4 lines"
        await pilot.press("1")
        assert app.clipboard == "print('first')"
        await pilot.press("3")
        assert app.clipboard == "print('first')"
        assert notices(app)[-1] == "Message 2 has 2 code blocks."


async def test_c_copies_the_raw_markdown_the_screen_shows_neutralised(demo_server, tmp_path):
    raw = "Colours: \x1b[31mred\x1b[0m and a clipboard write \x1b]52;c;aGk=\x07 here.\n\n`ok`"
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        demo_server.push(Script([sse(chunk(raw))]))
        await send_prompt(pilot, "escape sequences")
        reply = await wait_for_reply(pilot)
        assert reply.content == raw
        answer = answer_of(app, 1)

        def shown() -> str:
            return "".join(answer.render_line(y).text for y in range(answer.size.height))

        await wait_until(pilot, lambda: "␛[31m" in shown(), what="the answer on screen")
        assert "\x1b" not in shown()

        await pilot.press("alt+up")
        await pilot.press("c")
        assert app.clipboard == raw
        assert notices(app)[-1] == f"Copied message 2 · {len(raw):,} characters"
        await pilot.press("shift+up")
        await pilot.press("c")
        assert app.clipboard == "escape sequences"


async def test_code_blocks_show_labels_while_focused_and_a_click_copies(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await ask(pilot, demo_server, "code", TWO_BLOCKS)
        answer = answer_of(app, 1)

        def label_lines() -> dict[int, str]:
            lines = (answer.render_line(y).text for y in range(answer.size.height))
            return {y: text for y, text in enumerate(lines) if text.rstrip().endswith("]")}

        assert label_lines() == {}
        await pilot.press("alt+up")
        labels = label_lines()
        assert [text.split()[-2:] for text in labels.values()] == [
            ["[1", "python]"],
            ["[2", "bash]"],
        ]
        y = max(labels)
        await pilot.click(answer, offset=(answer.size.width - 3, y))
        assert app.clipboard == SECOND_BLOCK
        assert notices(app)[-1] == "Copied code block 2 · 4 lines"
        await pilot.press("escape")
        assert app.focused is app.prompt
        assert label_lines() == {}


async def test_esc_or_typing_goes_back_to_the_prompt_even_while_a_reply_streams(
    demo_server, tmp_path
):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, demo_server, "hello", "Hello there.")
        await pilot.press("alt+up")
        assert isinstance(app.focused, MessageView)
        await pilot.press("h", "i")
        assert app.focused is app.prompt and app.prompt.text == "hi"
        await pilot.press("alt+up")
        assert isinstance(app.focused, MessageView)
        app.focused.post_message(events.Paste(" there"))  # a paste is typing too
        await wait_until(pilot, lambda: app.prompt.text == "hi there")
        assert app.focused is app.prompt

        app.prompt.clear()
        demo_server.push(Script([sse(chunk("still talking"))], end="hang"))
        reply = await send_prompt(pilot, "talk")
        await wait_until(pilot, lambda: reply.content == "still talking")
        press_now(pilot, "alt+up")
        await wait_until(pilot, lambda: isinstance(app.focused, MessageView))
        press_now(pilot, "escape")
        await wait_until(pilot, lambda: app.focused is app.prompt)
        assert app.streaming and reply.status is Status.STREAMING
        press_now(pilot, "escape")  # from the prompt, Esc stops the reply as ever
        await wait_for_reply(pilot)
        assert reply.status is Status.CANCELLED


async def test_the_cursor_moves_between_replies_and_down_past_the_newest_returns(
    demo_server, tmp_path
):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, demo_server, "one", "Reply one.")
        await ask(pilot, demo_server, "two", "Reply two.")
        views = app.chat_log.message_views()
        await pilot.press("alt+up", "k")
        assert app.focused is views[1]
        await pilot.press("k")  # no reply above: it stays
        assert app.focused is views[1]
        await pilot.press("shift+up")
        assert app.focused is views[0]
        await pilot.press("j", "down")
        assert app.focused is views[3]
        await pilot.press("down")
        assert app.focused is app.prompt


async def test_up_through_a_long_conversation_brings_back_the_messages_set_aside(
    demo_server, tmp_path
):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    messages = []
    for n in range(40):
        messages.append(Message(Role.USER, f"question {n}"))
        body = "\n\n".join(f"Paragraph {k} of answer {n}." for k in range(6))
        messages.append(Message(Role.ASSISTANT, f"{body}\n\n```\ncode of {n}\n```", model="parrot"))
    async with app.run_test(size=(100, 30)) as pilot:
        app.conversation.messages = list(messages)
        await app.chat_log.show_messages(messages)
        await pilot.pause()
        log = app.chat_log
        assert log.waiting_messages > 0
        await pilot.press("alt+up")
        for _ in range(39):
            await pilot.press("up")
        focused = app.focused
        assert isinstance(focused, MessageView) and focused.message is messages[1]
        assert log.message_number(focused) == 2
        await pilot.press("1")
        assert app.clipboard == "code of 0"


async def test_the_keys_screen_lists_the_keys_in_use_as_remapped(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        app.set_keymap({"copy_message": "y", "show_keys": "f5"})
        await pilot.press("f1")
        assert not isinstance(app.screen, KeysScreen)
        await pilot.press("f5")
        assert isinstance(app.screen, KeysScreen)
        titles = [title for title, _rows in app.screen.sections]
        assert titles[:3] == ["Prompt", "Everywhere", "A focused message"]
        keys = {title: {text: keys for keys, text in rows} for title, rows in app.screen.sections}
        assert keys["A focused message"]["Copy the message's Markdown"] == "y"
        assert keys["A focused message"]["Copy its code block 1, 2, … 9"] == "1 … 9"
        assert keys["Prompt"]["Focus the newest message: then copy it, or its code blocks"] == (
            "Alt+↑"
        )
        assert keys["Everywhere"]["Every key"] == "F5"
        assert "Ctrl+C" in app.screen.text() and "Copy selected text" in app.screen.text()
        await pilot.press("escape")
        assert not isinstance(app.screen, KeysScreen)

        await pilot.press("question_mark")  # in the empty prompt: the keys screen
        assert isinstance(app.screen, KeysScreen)
        await pilot.press("escape")
        await pilot.press("w", "h", "y", "question_mark")  # in a prompt with text: typed
        assert app.prompt.text == "why?" and not isinstance(app.screen, KeysScreen)


async def test_the_palette_offers_the_focused_messages_copies(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await ask(pilot, demo_server, "code", TWO_BLOCKS)
        await pilot.press("alt+up")
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        assert "Copy message 2" in commands
        block = commands["Copy code block 2 of message 2"]
        assert block.help == "bash, 4 lines (2)"
        block.callback()
        assert app.clipboard == SECOND_BLOCK == code_blocks(TWO_BLOCKS)[1].text


async def test_ctrl_o_copies_the_last_reply_with_a_notice(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        reply = await ask(pilot, demo_server, "hi", "# Title\n\n**bold**")
        await pilot.press("ctrl+o")
        assert app.clipboard == reply.content
        assert notices(app)[-1] == "Copied the last reply · 17 characters"


def test_a_selection_state_is_the_screen_selection(tmp_path: Path) -> None:
    # Textual's `Selection` is what the screen hands `MarkdownView.get_selection`.
    assert Selection(Offset(1, 0), None).get_span(0) == (1, -1)


async def test_selection_in_the_prompt_still_copies_and_says_so(demo_server, tmp_path):
    app = offline_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        app.prompt.load_text("a draft\nto copy")
        app.prompt.select_all()
        await pilot.press("ctrl+c")
        assert app.clipboard == "a draft\nto copy"
        assert notices(app)[-1] == "Copied 2 lines, 15 characters"
