"""Keep the garbage collector's full passes short: long-lived objects are set aside.

A full collection walks every tracked object: 90k at startup (modules, widgets) take 23 ms,
and each finished reply adds its widgets and cached lines, so full passes that land while a
reply streams stalled the app for 80 ms (32k tokens) to 470 ms (below 50 long replies).
Whatever survives a quiet moment (the app started, a reply finished, a conversation opened) is
moved to the permanent generation, which full passes skip; `expect_garbage` makes the next
settle look at them again when many may have died (the log was cleared, views removed). Such a
settle also drops a Textual cache that kept removed widgets' drawn lines, so a long session
stays flat.
"""

from __future__ import annotations

import gc

from textual._styles_cache import StylesCache

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
    looked_again = _garbage_expected or _settles % LOOK_AGAIN_EVERY == 0
    if looked_again:
        _garbage_expected = False
        _forget_styles_caches()
        gc.unfreeze()
    gc.collect()
    gc.freeze()


def _forget_styles_caches() -> None:
    """Let go of the drawn lines of widgets that are gone.

    Textual (8.x) caches `StylesCache.get_inner_outer` with `lru_cache(1024)` on the instance
    method, so the cache keeps up to 1,024 widgets' `StylesCache` objects, each with the
    lines it drew, long after their widgets were removed: memory grew with every reply set
    aside and Ctrl+N gave none back. Clearing it costs a few `Style`s made again.
    """
    cached = getattr(StylesCache, "get_inner_outer", None)
    cache_clear = getattr(cached, "cache_clear", None)
    if cache_clear is not None:
        cache_clear()


def expect_garbage() -> None:
    """Some set-aside objects died (a view removed): the next `settle` frees them.

    Not at once: unfreezing now would make every pass while a reply streams walk them all.
    """
    global _garbage_expected
    _garbage_expected = True
