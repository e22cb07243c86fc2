"""The inverse raster: single-query lookups agree with the exact inverse, find the true nearest clip,
return a clip's own latent on top of it, stay exact for PCA, and fall back outside the grid."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.inverse import make_inverse
from latentlab.core.projection import fit_projection
from latentlab.core.synthetic_latents import structured_latents


@pytest.fixture(scope="module")
def tsne_like():
    """Latents with a nonlinear 2-D map (a curved embedding of the first two PCA axes)."""
    z = structured_latents(600, 16, n_clusters=4, seed=3)[0]
    pc = fit_projection(z, "pca").coords
    coords = np.c_[pc[:, 0] + 0.3 * pc[:, 1] ** 2, pc[:, 1] + 0.2 * np.sin(pc[:, 0])]
    return z, fit_projection(z, "precomputed", coords=coords)


def _queries(coords, n=300, seed=0):
    rng = np.random.default_rng(seed)
    return coords[rng.choice(len(coords), n)] + rng.normal(scale=0.2 * coords.std(), size=(n, 2))


def test_single_lookups_match_the_exact_inverse_and_its_nearest_clip(tsne_like):
    z, proj = tsne_like
    inv = make_inverse(z, proj)
    q = _queries(proj.coords)
    exact = inv.invert(q)  # batched: always the exact path
    assert inv.build_raster() and inv.raster is not None
    got = [inv.invert(p[None]) for p in q]
    z_raster = np.concatenate([g.z for g in got])
    scale = np.mean(np.sum((exact.z - z.mean(axis=0)) ** 2, axis=1))
    rel = np.mean(np.sum((z_raster - exact.z) ** 2, axis=1)) / scale
    assert rel < 0.02, rel  # the grid's interpolation error is small against the latent spread
    assert np.array_equal(np.concatenate([g.nearest for g in got]), exact.nearest)
    np.testing.assert_allclose(np.concatenate([g.map_distance for g in got]), exact.map_distance, rtol=1e-5)
    r = np.concatenate([g.reliability for g in got])
    assert np.all((r >= 0) & (r <= 1)) and np.corrcoef(r, exact.reliability)[0, 1] > 0.9


def test_on_top_of_a_clip_the_lookup_is_that_clip(tsne_like):
    z, proj = tsne_like
    inv = make_inverse(z, proj)
    inv.build_raster()
    for i in (0, 17, 333):
        res = inv.invert(proj.coords[i][None])
        assert res.nearest[0] == i
        np.testing.assert_allclose(res.z[0], z[i], atol=1e-5)


def test_pca_lookups_stay_exact_and_keep_the_anchor_residual(tsne_like):
    z, _ = tsne_like
    pca = fit_projection(z, "pca")
    inv = make_inverse(z, pca)
    q = _queries(pca.coords, 100, seed=1)
    exact = inv.invert(q)
    inv.build_raster()
    got = np.concatenate([inv.invert(p[None]).z for p in q])
    np.testing.assert_allclose(got, exact.z, atol=1e-5)
    np.testing.assert_allclose(pca.transform(got), q, atol=1e-4)
    anchored = inv.invert(q[0][None], anchor=5).z[0]
    np.testing.assert_allclose(anchored, make_inverse(z, pca).invert(q[0][None], anchor=5).z[0], atol=1e-5)


def test_outside_the_grid_falls_back_to_the_exact_path(tsne_like):
    z, proj = tsne_like
    inv = make_inverse(z, proj)
    far = proj.coords.max(axis=0) + 100 * proj.coords.std()
    before = inv.invert(far[None])
    inv.build_raster()
    after = inv.invert(far[None])
    np.testing.assert_array_equal(after.z, before.z)
    assert after.reliability[0] < 0.01


def test_cancelled_or_inapplicable_builds_attach_nothing(tsne_like):
    z, proj = tsne_like
    inv = make_inverse(z, proj)
    assert not inv.build_raster(cancelled=lambda: True) and inv.raster is None
    assert not make_inverse(z, proj, method="snap").build_raster()
    assert not make_inverse(z, fit_projection(z, "pca"), residual="blend").build_raster()
    one = make_inverse(z[:1], fit_projection(z[:1], "pca"))
    assert not one.build_raster() and one.invert([[0.0, 0.0]]).z.shape == (1, 16)


def test_a_huge_map_grows_its_cells_to_stay_within_the_node_budget(tsne_like):
    z, proj = tsne_like
    inv = make_inverse(z, proj)
    assert inv.build_raster(max_nodes=500)
    assert inv.raster.gx * inv.raster.gy <= 500 * 1.1


def test_cells_with_full_candidate_lists_ask_the_tree(tsne_like, monkeypatch):
    from latentlab.core import inverse_raster

    monkeypatch.setattr(inverse_raster, "MAX_CANDIDATES", 2)  # most lists are full now
    z, proj = tsne_like
    inv = make_inverse(z, proj)
    q = _queries(proj.coords, 200, seed=3)
    exact = inv.invert(q)
    inv.build_raster()
    assert inv.raster.cell_full.mean() > 0.5
    assert np.array_equal(np.concatenate([inv.invert(p[None]).nearest for p in q]), exact.nearest)
