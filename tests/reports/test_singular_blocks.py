"""The audit's singular-block test decides as LAPACK does."""

from __future__ import annotations

import numpy as np

from reports.singular_blocks import SINGULAR, singular_block


def test_small_blocks_decide_as_lapack_does():
    """The audit's closed-form check of one or two classes gives LAPACK's decision, also
    for blocks whose least eigenvalue lies at the cut."""
    rng = np.random.default_rng(12)
    checked = 0
    for size in (3, 5, 8):
        for _ in range(300):
            rows = rng.integers(0, 2, size=(rng.integers(1, size + 1), size)).astype(float)
            _, singular, vt = np.linalg.svd(rows, full_matrices=False)
            basis = vt[: int(np.sum(singular > 1e-9 * max(1.0, singular[0])))]
            residual = np.eye(size) - basis.T @ basis
            for index in [(i,) for i in range(size)] + [
                (i, j) for i in range(size) for j in range(i + 1, size)
            ]:
                want = np.linalg.eigvalsh(residual[np.ix_(index, index)])[0] < SINGULAR
                assert singular_block(residual, index) == want
                checked += 1
    at_cut = np.array([[SINGULAR, 0.0], [0.0, 1.0]])
    assert singular_block(at_cut, (0, 1)) == (np.linalg.eigvalsh(at_cut)[0] < SINGULAR)
    assert singular_block(at_cut, (0,)) is False
    assert checked > 10_000
