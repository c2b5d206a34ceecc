"""Pausing CPython's cyclic garbage collector around work that allocates many objects.

Building a release, rendering a leadership PDF and the first view of a large organisation
page each allocate hundreds of thousands of small objects (parsed scores, page dicts, layout
boxes) that stay alive until the work ends and form no reference cycles. While they pile
up, the collector runs over and over, walks all of them and frees nothing: a quarter of a
200-team release build's CPU was spent there. Reference counting still frees everything
else as usual, and the collector resumes (and catches up) when the work ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block; as it was after it (also on error). Nested or
    overlapping blocks (threads) leave it paused until the outermost one ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
