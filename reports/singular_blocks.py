"""The disclosure audit's numerical test: is a block of its residual projector singular?

`disclosure.exposed_classes` asks, for each set of small classes, whether some combination
of released rows lives on those classes alone: whether the set's block of the residual (the
projector onto what the rows cannot see) has a zero eigenvalue. It asks thousands of times a
release, mostly of one or two classes, so those are answered here without LAPACK's call.
"""

from __future__ import annotations

import math

import numpy as np

SINGULAR = 1e-8  # an eigenvalue this small is zero: the rows pin that combination down
# A closed-form eigenvalue this far from SINGULAR is on the side LAPACK's is: both are
# within about 1e-16 of the true one (the residual is a projector, its entries in [-1, 1]).
CLEAR_OF_CUT = 1e-12


def singular_block(residual: np.ndarray, index: tuple[int, ...]) -> bool:
    """Whether the block of `residual` on `index` has its least eigenvalue under SINGULAR,
    decided as LAPACK decides it. One class is its own eigenvalue (as LAPACK returns it);
    two have theirs in closed form, taken where clear of the cut; others go to LAPACK."""
    if len(index) == 1:
        return bool(residual[index[0], index[0]] < SINGULAR)
    if len(index) == 2:
        i, j = index
        a, b, c = residual[i, i], residual[j, i], residual[j, j]  # the lower triangle
        least = (a + c) / 2.0 - math.hypot((a - c) / 2.0, b)
        if abs(least - SINGULAR) > CLEAR_OF_CUT:
            return bool(least < SINGULAR)
    block = residual[np.ix_(index, index)]
    return bool(np.linalg.eigvalsh(block)[0] < SINGULAR)
