"""Keep the garbage collector's full passes short: long-lived objects are set aside.

A full collection walks every tracked object: 90k at startup (modules, widgets) take 23 ms,
and each finished reply adds its widgets and cached lines, so full passes that land while a
reply streams stalled the app for 80 ms (32k tokens) to 470 ms (below 50 long replies).
Whatever survives a quiet moment (the app started, a reply finished, a conversation opened) is
moved to the permanent generation, which full passes skip; `expect_garbage` makes the next
settle look at them again when many may have died (the log was cleared, views removed). Such a
settle also drops a Textual cache that kept removed widgets' drawn lines, so a long session
stays flat.

When a whole conversation leaves the screen (Ctrl+N, another one opened), `let_go` makes the
next settle also empty the process-wide caches of Rich, Textual and parrotchat (`lru_cache`s
keyed by the text and lines drawn: cell widths, split segments, code blocks of whole
messages...), which otherwise keep thousands of the old conversation's strings and strips,
and hand the freed pages back to the system (glibc's `malloc_trim`).
A finished reply's settle hands the free pages back too (`settle(trim=True)`).
"""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import Callable, Iterator

from textual._styles_cache import StylesCache

__all__ = ["expect_garbage", "let_go", "settle", "shared_caches"]

LOOK_AGAIN_EVERY = 20
"""Every so many settles, the set-aside objects are looked at again whatever happened: things
removed without `expect_garbage` (a dialog, a notification) are freed then."""
CACHE_OWNERS = ("rich", "textual", "parrotchat", "markdown_it", "pygments")
"""Packages whose module-level and class-level `lru_cache`s `let_go` empties."""
KEPT_CACHES = frozenset({"parrotchat.ui.render.code_theme.code_style"})
"""Caches whose answers are compared by identity (a new `CodeStyle` object means the theme
changed and every answer is drawn anew): they hold no text and stay."""

_garbage_expected = False
_caches_to_empty = False
_settles = 0
_found: tuple[int, list[functools._lru_cache_wrapper[object]]] = (0, [])
"""The shared caches found, and how many modules were loaded then (looked for again if more)."""


def settle(trim: bool = False) -> None:
    """Collect what is garbage now, then exempt every surviving object from later passes.

    After `expect_garbage` (and every `LOOK_AGAIN_EVERY` settles), the set-aside objects are
    looked at again first; after `let_go`, the shared caches are emptied too. After `let_go`,
    or with `trim` (a reply finished: its request's large strings are gone), glibc's free pages
    are handed back to the system (a few ms with a fragmented heap, so not at every settle).
    """
    global _garbage_expected, _caches_to_empty, _settles
    _settles += 1
    looked_again = _garbage_expected or _settles % LOOK_AGAIN_EVERY == 0
    emptied = _caches_to_empty
    if looked_again:
        _garbage_expected = _caches_to_empty = False
        _forget_styles_caches()
        if emptied:
            for cache in shared_caches():
                cache.cache_clear()
        gc.unfreeze()
    gc.collect()
    gc.freeze()
    if (emptied or trim) and (malloc_trim := _malloc_trim()) is not None:
        malloc_trim(0)


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


def shared_caches() -> list[functools._lru_cache_wrapper[object]]:
    """The `lru_cache`s of `CACHE_OWNERS`' modules and of the classes they define.

    Each is bounded, but together they hold tens of thousands of entries once a long
    conversation was drawn (Rich's `Segment._split_cells` alone keeps 16,384 split lines,
    `cached_cell_len` 4,096 strings); they refill within a few frames.
    """
    global _found
    modules, caches = _found
    if modules != len(sys.modules):
        caches = list(_find_caches())
        _found = len(sys.modules), caches
    return caches


def _find_caches() -> Iterator[functools._lru_cache_wrapper[object]]:
    seen: set[int] = set()
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".", 1)[0] not in CACHE_OWNERS:
            continue
        for value in list(vars(module).values()):
            candidates = [value]
            if isinstance(value, type) and value.__module__ == name:
                # Methods, classmethods and staticmethods of the classes the module defines.
                candidates = [getattr(item, "__func__", item) for item in vars(value).values()]
            for cache in candidates:
                if (
                    isinstance(cache, functools._lru_cache_wrapper)
                    and id(cache) not in seen
                    and str(getattr(cache, "__module__", "")).split(".", 1)[0] in CACHE_OWNERS
                    # Unbounded ones load something once (Unicode tables, a parser): kept.
                    and cache.cache_info().maxsize is not None
                    and f"{cache.__module__}.{cache.__qualname__}" not in KEPT_CACHES
                ):
                    seen.add(id(cache))
                    yield cache


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None elsewhere (macOS, musl, Windows).

    Hands the free pages in the middle of glibc's heap back to the system: without it, the
    memory a conversation used stays counted in the process's RSS after it is gone. Looked up
    on first use: `ctypes` costs the start-up a few milliseconds."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


def expect_garbage() -> None:
    """Some set-aside objects died (a view removed): the next `settle` frees them.

    Not at once: unfreezing now would make every pass while a reply streams walk them all.
    """
    global _garbage_expected
    _garbage_expected = True


def let_go() -> None:
    """A whole conversation left the screen: the next `settle` also empties the shared caches
    and hands the freed memory back to the system (not during a reply: only at a clear)."""
    global _caches_to_empty
    expect_garbage()
    _caches_to_empty = True
