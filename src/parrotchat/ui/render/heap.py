"""Keep the garbage collector's full passes short: long-lived objects are set aside.

A full collection walks every tracked object: 90k at startup (modules, widgets) take 23 ms,
and each finished reply adds its widgets and cached lines, so full passes that land while a
reply streams stalled the app for 80 ms (32k tokens) to 470 ms (below 50 long replies).
Whatever survives a quiet moment (the app started, a reply finished, a conversation opened) is
moved to the permanent generation, which full passes skip; `expect_garbage` makes the next
settle look at them again when many may have died (the log was cleared, views removed).
"""

from __future__ import annotations

import gc

__all__ = ["expect_garbage", "settle"]

LOOK_AGAIN_EVERY = 20
"""Every so many settles, the set-aside objects are looked at again whatever happened: things
removed without `expect_garbage` (a dialog, a notification) are freed then."""

_garbage_expected = False
_settles = 0


def settle() -> None:
    """Collect what is garbage now, then exempt every surviving object from later passes.

    After `expect_garbage` (and every `LOOK_AGAIN_EVERY` settles), the set-aside objects are
    looked at again first.
    """
    global _garbage_expected, _settles
    _settles += 1
    if _garbage_expected or _settles % LOOK_AGAIN_EVERY == 0:
        _garbage_expected = False
        gc.unfreeze()
    gc.collect()
    gc.freeze()


def expect_garbage() -> None:
    """Some set-aside objects died (a view removed): the next `settle` frees them.

    Not at once: unfreezing now would make every pass while a reply streams walk them all.
    """
    global _garbage_expected
    _garbage_expected = True
