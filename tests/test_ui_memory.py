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

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from parrotchat.demo.behaviours import Parrot
from parrotchat.ui.render import heap
from parrotchat.ui.testing import history_demo_app, send_prompt, wait_for_reply, wait_until

SIZE = (120, 36)


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
