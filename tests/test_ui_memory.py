"""Views that leave the screen leave memory too: nothing outside them keeps their drawn lines.

The real app against the demo server. Textual keeps an `lru_cache` on a method of each widget's
`StylesCache` (the widget's drawn lines), which held up to 1,024 of them, with their lines,
after their widgets were gone; and the footer's rebuilt keys stayed watched (so alive) for the
whole session. Memory grew with every reply, and Ctrl+N gave none of it back
(`benchmarks/soak.py`).
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from parrotchat.core.conversation import Message, Role
from parrotchat.core.history import LAST
from parrotchat.core.store import Store
from parrotchat.demo.behaviours import Parrot
from parrotchat.ui.render import heap
from parrotchat.ui.testing import (
    history_demo_app,
    history_file,
    send_prompt,
    wait_for_reply,
    wait_until,
)

SIZE = (120, 36)
MARKER = "quokkaberry"
"""A word only the replies of the conversation that Ctrl+N leaves say."""


def _answer(number: int) -> str:
    """A reply of Markdown whose every line and block says `MARKER`."""
    lines = [
        f"Line {line} of {MARKER} reply {number}, long enough to wrap. " * 3 for line in range(30)
    ]
    code = "\n".join(f"{MARKER}_{line} = {line} * {number}" for line in range(20))
    return "\n\n".join(
        [*lines, f"```python\n{code}\n```", f"| {MARKER} | {number} |\n|---|---|\n| a | b |"]
    )


def _holders_of(word: str) -> Iterator[object]:
    """Live containers the collector tracks (strips' segments, caches' entries) that hold a
    string with `word` in it."""
    gc.unfreeze()
    gc.collect()
    for obj in gc.get_objects():
        if any(
            isinstance(item, str) and word in item and item != word
            for item in gc.get_referents(obj)
        ):
            yield obj


async def test_ctrl_n_frees_the_drawn_lines_of_the_views_it_removed(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(Parrot(tokens=300), Parrot(tokens=300))
        for prompt in ("first", "second"):
            await send_prompt(pilot, prompt)
            await wait_for_reply(pilot)
            await pilot.pause()
        caches = [
            weakref.ref(widget._styles_cache)
            for view in app.chat_log.message_views()
            for widget in view.walk_children(with_self=True)
        ]
        assert len(caches) > 4
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.chat_log.message_views())
        await pilot.pause()
        heap.expect_garbage()  # as Ctrl+N says, then settles at a quiet moment
        heap.settle()
        gc.collect()
        alive = [ref for ref in caches if ref() is not None]
    assert not alive, f"{len(alive)} of {len(caches)} removed widgets' line caches are alive"


async def test_the_footer_keeps_no_watchers_of_the_keys_it_rebuilt(demo_server, tmp_path):
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        footer = app.query_one(Footer)
        demo_server.push(*(Parrot(tokens=20) for _ in range(3)))
        for prompt in ("one", "two", "three"):  # each start and end rebuilds the keys
            await send_prompt(pilot, prompt)
            await wait_for_reply(pilot)
            await pilot.pause()
        watchers = getattr(footer, "__watchers")["compact"]
        keys = list(footer.query(FooterKey))
    assert len(watchers) <= len(keys), (len(watchers), len(keys))


async def test_ctrl_n_leaves_nothing_of_the_old_replies_in_the_shared_caches(demo_server, tmp_path):
    """Rich's and Textual's caches (cell widths, split segments, blank strips...) keyed by the
    text drawn held the lines of a conversation long after Ctrl+N took it off the screen."""
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        demo_server.push(*(Parrot(text=_answer(number)) for number in range(3)))
        for prompt in ("one", "two", "three"):
            await send_prompt(pilot, prompt)
            await wait_for_reply(pilot)
            await pilot.pause()
        assert MARKER in app.chat_log.message_views()[-1].message.content
        assert next(_holders_of(MARKER), None) is not None  # drawn: the caches hold it now
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.chat_log.message_views())
        await app.history.drain()  # the last saves hold their messages until written
        await pilot.pause()
        heap.settle()  # as the clear's own settle after the next refresh does
        holders = [type(holder).__name__ for holder in _holders_of(MARKER)]
    assert not holders, f"{len(holders)} objects still hold the old replies' text: {holders[:3]}"


def _cached_entries() -> int:
    return sum(cache.cache_info().currsize for cache in heap.shared_caches())


async def test_ctrl_n_empties_the_caches_of_what_was_drawn(demo_server, tmp_path):
    """Rich's and Textual's `lru_cache`s (cell widths of each line, split segments, styles)
    filled up with the old conversation's lines; Ctrl+N leaves them as a fresh screen has them."""
    app = history_demo_app(demo_server.base_url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        heap.let_go()  # as in a fresh process, whatever the tests before drew in this one
        heap.settle()
        await pilot.pause()
        fresh = _cached_entries()
        demo_server.push(*(Parrot(text=_answer(number)) for number in range(3)))
        for prompt in ("one", "two", "three"):
            await send_prompt(pilot, prompt)
            await wait_for_reply(pilot)
            await pilot.pause()
        drawn = _cached_entries()
        assert drawn > fresh + 500, (fresh, drawn)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.chat_log.message_views())
        await pilot.pause()
        heap.settle()  # as the clear's own settle after the next refresh does
        left = _cached_entries()
    assert left < fresh + (drawn - fresh) // 4, (fresh, drawn, left)


def _long_answer(number: int) -> str:
    """A reply of about 10,000 characters with an emoji (Python keeps it at 4 bytes a
    character) and words only it says."""
    lines = [
        f"Point {line} of reply {number} 🦜, {MARKER}{number} said so plainly."
        for line in range(150)
    ]
    return f"Reply {number}.\n\n" + "\n".join(f"- {line}" for line in lines)


def _full_texts_alive(texts: list[str], ignored: set[int]) -> list[str]:
    """Which of `texts` a live object holds whole, as a string of its own (not the test's
    string itself, and not in the objects whose ids are `ignored`)."""
    wanted = {text: number for number, text in enumerate(texts)}
    found = set()
    gc.unfreeze()
    gc.collect()
    for obj in gc.get_objects():
        if id(obj) in ignored:
            continue
        for item in gc.get_referents(obj):
            if isinstance(item, str) and item in wanted and item is not texts[wanted[item]]:
                found.add(wanted[item])
    gc.freeze()
    return [f"reply {number}" for number in sorted(found)]


async def test_messages_set_aside_keep_their_text_packed_and_scroll_back_exactly(
    demo_server, tmp_path
):
    """A long session kept every old reply's whole text in memory, at 4 bytes a character for
    one emoji; the replies set aside above the screen now keep it compressed, and scrolling
    back, copying and the next request get every character back."""
    app = history_demo_app(demo_server.base_url, tmp_path)
    answers = [_long_answer(number) for number in range(6)]
    async with app.run_test(size=SIZE) as pilot:
        log = app.chat_log
        demo_server.push(*(Parrot(text=answer) for answer in answers))
        for number in range(len(answers)):
            await send_prompt(pilot, f"question {number}")
            await wait_for_reply(pilot)
        await wait_until(pilot, lambda: log.waiting_messages >= 4, what="messages set aside")
        await app.history.drain()  # the last saves hold their messages until written
        await pilot.pause()
        aside = app.conversation.messages[: log.waiting_messages]
        replies_aside = [m for m in aside if m.role is Role.ASSISTANT]
        assert replies_aside and all(m.packed for m in replies_aside)
        set_aside_answers = answers[: len(replies_aside)]
        # The demo server (in this process) keeps the requests it got, which carried them.
        received = {id(m) for r in demo_server.chat_requests for m in r.body["messages"]}
        assert not _full_texts_alive(set_aside_answers, received)
        assert [m.content for m in replies_aside] == set_aside_answers  # read back exactly

        # Scrolling back shows every message again, as it was.
        while log.waiting_messages:
            log.scroll_home(animate=False)
            await pilot.pause()
        await wait_until(pilot, lambda: len(log.message_views()) == 12, what="all messages")
        first = log.message_views()[1]
        assert first.message.content == answers[0] and not first.message.packed
        log.scroll_to_widget(first, animate=False, top=True)
        await pilot.pause()
        shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert f"Point 0 of reply 0 🦜, {MARKER}0 said so plainly." in shown

        # The next request carries every reply whole.
        demo_server.push(Parrot(text="done"))
        await send_prompt(pilot, "and then?")
        await wait_for_reply(pilot)
        sent = [m["content"] for m in demo_server.requests[-1].body["messages"]]
        assert sent[1:12:2] == answers


async def test_a_reopened_long_conversation_keeps_its_older_messages_packed(demo_server, tmp_path):
    """`-c` on a conversation of long replies: the ones waiting above the screen are packed
    once the last screen is painted, and come back whole when scrolled to."""
    answers = [_long_answer(number) for number in range(8)]
    with Store(history_file(tmp_path)) as store:
        cid = store.create_conversation(system_prompt=None, model="parrot", provider="demo")
        for number, answer in enumerate(answers):
            store.add_message(cid, Message(Role.USER, f"question {number}"))
            store.add_message(cid, Message(Role.ASSISTANT, answer, model="parrot"))
    app = history_demo_app(demo_server.base_url, tmp_path, resume=LAST)
    async with app.run_test(size=SIZE) as pilot:
        log = app.chat_log
        await wait_until(pilot, lambda: log.waiting_messages > 4, what="older messages")
        waiting = app.conversation.messages[: log.waiting_messages]
        replies = [m for m in waiting if m.role is Role.ASSISTANT]
        await wait_until(pilot, lambda: all(m.packed for m in replies), what="packed")
        while log.waiting_messages:
            log.scroll_home(animate=False)
            await pilot.pause()
        await wait_until(pilot, lambda: len(log.message_views()) == 16, what="all messages")
        shown = [view.message.content for view in log.message_views()[1::2]]
        assert shown == answers
        assert not any(view.message.packed for view in log.message_views())
