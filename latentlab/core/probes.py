"""What a latent space tells about known factors: linear probes and k-nearest-neighbour accuracy.

Both are cross-validated (k folds over the given points), so no point is scored by a probe that saw
it. A linear probe's R^2 says how much of a continuous factor (position, size, colour, velocity) a
straight read-out of the latent explains; kNN accuracy says whether clips of one class (a sprite's
shape, a digit) lie among their own kind.
"""

from __future__ import annotations

import numpy as np


def _folds(n: int, k: int, seed: int) -> list[np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return [order[i::k] for i in range(k)]


def linear_probe_r2(x: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 0) -> float:
    """Cross-validated R^2 of a least-squares linear read-out of ``y`` ``(N,)`` from ``x`` ``(N, D)``."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    a = np.concatenate([x, np.ones((len(x), 1))], 1)  # (N, D + 1): with an intercept
    pred = np.empty_like(y)
    for test in _folds(len(y), folds, seed):
        train = np.setdiff1d(np.arange(len(y)), test)
        coef, *_ = np.linalg.lstsq(a[train], y[train], rcond=None)
        pred[test] = a[test] @ coef
    ss_res = float(np.sum((y - pred) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")


def knn_accuracy(x: np.ndarray, labels: np.ndarray, k: int = 10, folds: int = 5, seed: int = 0) -> float:
    """Cross-validated accuracy of a majority vote of the ``k`` nearest points (Euclidean)."""
    from scipy.spatial import cKDTree

    x = np.asarray(x, np.float64)
    labels = np.asarray(labels).astype(np.int64)
    n_classes = int(labels.max()) + 1
    correct = 0
    for test in _folds(len(x), folds, seed):
        train = np.setdiff1d(np.arange(len(x)), test)
        _, nn = cKDTree(x[train]).query(x[test], k=min(k, len(train)))
        votes = labels[train][nn.reshape(len(test), -1)]  # (n_test, k)
        counts = np.apply_along_axis(np.bincount, 1, votes, minlength=n_classes)
        correct += int((counts.argmax(1) == labels[test]).sum())
    return correct / len(x)
