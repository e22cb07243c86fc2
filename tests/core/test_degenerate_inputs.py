"""Every public entry point, fed every degenerate input: a result or a LatentSpaceError, nothing else."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core import interpolation, neighbours
from latentlab.core.errors import LatentSpaceError
from latentlab.core.inverse import make_inverse
from latentlab.core.projection import fit_projection

FAST = dict(n_iter=30, early_exaggeration_iter=20)
rng = np.random.default_rng(0)
INPUTS = {
    "0 clips": np.zeros((0, 6), np.float32),
    "1 clip": rng.normal(size=(1, 6)).astype(np.float32),
    "2 clips": rng.normal(size=(2, 6)).astype(np.float32),
    "6 clips (perplexity)": rng.normal(size=(6, 6)).astype(np.float32),
    "duplicates": np.repeat(rng.normal(size=(3, 6)), 5, axis=0).astype(np.float32),
    "all identical": np.ones((12, 6), np.float32),
    "NaN": np.where(np.arange(60).reshape(10, 6) == 7, np.nan, 1.0).astype(np.float32),
    "inf": np.full((4, 6), np.inf, np.float32),
}


def _calls(z):
    def project_and_invert(method):
        proj = fit_projection(z, method, **(FAST if method == "tsne" else {}))
        return make_inverse(z, proj).invert(np.array([[0.0, 0.0], [1.0, -1.0]]))

    yield "pca+inverse", lambda: project_and_invert("pca")
    yield "tsne+inverse", lambda: project_and_invert("tsne")
    yield "index", lambda: neighbours.LatentIndex(z).knn(np.zeros(6), 3)
    yield "kmeans", lambda: neighbours.kmeans_labels(z, 3)
    yield "duplicates", lambda: neighbours.near_duplicate_groups(z, 0.1)
    yield "diverse", lambda: neighbours.diverse_subset(z, 4)
    labels = np.full(len(z), -1)
    labels[:1] = 0
    yield "tags", lambda: neighbours.suggest_tags(z, labels)
    yield "path", lambda: interpolation.path(z, 5, "slerp")
    yield "range", lambda: interpolation.traversal_range(0, "quantile", z)


@pytest.mark.parametrize("name", list(INPUTS))
def test_result_or_our_error(name):
    z = INPUTS[name]
    for what, call in _calls(z):
        try:
            out = call()
        except LatentSpaceError as exc:
            assert str(exc), f"{what} on {name}: empty message"
            continue
        except Exception as exc:  # pragma: no cover - this is the failure being tested for
            pytest.fail(f"{what} on {name} raised a raw {type(exc).__name__}: {exc}")
        if name in ("NaN", "inf"):
            pytest.fail(f"{what} accepted {name} latents and returned {type(out).__name__}")
