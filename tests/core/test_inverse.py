"""Inverse projection: exact PCA round trip, residual kept, local methods, reliability, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.errors import LatentSpaceError
from latentlab.core.inverse import LOCAL_METHODS, make_inverse
from latentlab.core.projection import fit_projection
from latentlab.core.synthetic_latents import structured_latents


@pytest.fixture(scope="module")
def latents():
    return structured_latents(400, 16, n_clusters=4, seed=5)[0]


def test_pca_inverse_round_trip_is_exact(latents):
    proj = fit_projection(latents, "pca")
    points = np.random.default_rng(0).uniform(-4, 4, size=(50, 2))
    for residual in ("nearest", "blend"):
        res = make_inverse(latents, proj, residual=residual).invert(points)
        np.testing.assert_allclose(proj.transform(res.z), points, atol=1e-5)


def test_pca_in_plane_move_keeps_the_anchor_residual(latents):
    proj = fit_projection(latents, "pca")
    inv = make_inverse(latents, proj)
    w = proj.state["components"]  # (2, D)
    anchor = 17
    res = inv.invert(proj.coords[anchor] + np.array([0.7, -0.3]), anchor=anchor)

    def residual(z):
        c = z.astype(np.float64) - proj.state["mean"]
        return c - (c @ w.T) @ w

    np.testing.assert_allclose(residual(res.z[0]), residual(latents[anchor]), atol=1e-5)
    np.testing.assert_allclose(res.z[0] - latents[anchor], np.array([0.7, -0.3]) @ w, atol=1e-5)
    # at the anchor's own position the latent comes back unchanged
    np.testing.assert_allclose(inv.invert(proj.coords[anchor], anchor=anchor).z[0], latents[anchor], atol=1e-5)
    # default anchor: the nearest clip in the map
    near = inv.invert(proj.coords[anchor] + 1e-4)
    assert near.nearest[0] == anchor
    np.testing.assert_allclose(near.z[0], latents[anchor], atol=1e-3)


@pytest.mark.parametrize("method", LOCAL_METHODS)
def test_local_methods_reconstruct_held_out_clips_better_than_the_mean(latents, method):
    proj = fit_projection(latents, "pca")  # any map will do: used as precomputed coordinates
    coords = proj.coords
    train = fit_projection(latents[:350], "precomputed", coords=coords[:350])
    inv = make_inverse(latents[:350], train, method=method)
    res = inv.invert(coords[350:])
    assert res.z.shape == (50, 16) and res.z.dtype == np.float32
    nmse = np.sum((res.z - latents[350:]) ** 2) / np.sum((latents[350:] - latents[:350].mean(0)) ** 2)
    assert nmse < 0.8
    # on top of a training clip every local method returns that clip's latent
    on = inv.invert(coords[:5])
    np.testing.assert_allclose(on.z, latents[:5], atol=1e-4)
    np.testing.assert_array_equal(on.nearest, np.arange(5))


def test_local_linear_is_no_worse_than_knn_on_a_smooth_map():
    # a map that is a smooth function of the latent: the linear term should help
    rng = np.random.default_rng(0)
    u = rng.uniform(-1, 1, size=(3000, 2))
    z = np.concatenate([u, np.sin(3 * u), u**2], axis=1).astype(np.float32)  # (N, 6)
    proj = fit_projection(z[:2700], "precomputed", coords=u[:2700])
    err = {}
    for method in ("local-linear", "idw", "snap"):
        res = make_inverse(z[:2700], proj, method=method).invert(u[2700:])
        err[method] = np.mean((res.z - z[2700:]) ** 2)
    assert err["local-linear"] <= err["idw"] < err["snap"]


def test_reliability_is_high_on_data_and_low_far_away(latents):
    proj = fit_projection(latents, "pca")
    for p in (proj, fit_projection(latents, "precomputed", coords=proj.coords)):
        inv = make_inverse(latents, p)
        on = inv.invert(p.coords[:50])
        far = inv.invert(p.coords[:5] + 1000.0)
        assert np.all((on.reliability >= 0) & (on.reliability <= 1))
        assert np.median(on.reliability) > 0.7
        assert np.all(far.reliability < 0.01)
        assert np.all(far.map_distance > 900)


def test_degenerate_inputs(latents):
    with pytest.raises(LatentSpaceError, match="no clips"):
        make_inverse(np.zeros((0, 4), np.float32), fit_projection(np.zeros((0, 4), np.float32), "pca"))
    one = latents[:1]
    res = make_inverse(one, fit_projection(one, "pca")).invert([[3.0, 3.0]])
    assert res.z.shape == (1, 16) and np.isfinite(res.z).all() and res.nearest[0] == 0
    two = latents[:2]
    for method in ("pca", "tsne"):
        proj = fit_projection(two, method)
        res = make_inverse(two, proj).invert(proj.coords)
        np.testing.assert_allclose(res.z, two, atol=1e-5)
    dup = np.repeat(latents[:3], 4, axis=0)
    proj = fit_projection(dup, "precomputed", coords=np.repeat(np.eye(3, 2), 4, axis=0))
    res = make_inverse(dup, proj).invert([[0.5, 0.5], [1.0, 0.0]])
    assert np.isfinite(res.z).all() and np.isfinite(res.reliability).all()
    low = np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32)  # identity map
    res = make_inverse(low, fit_projection(low, "pca")).invert([[0.25, -0.5]])
    np.testing.assert_allclose(res.z[0], [0.25, -0.5], atol=1e-6)


def test_bad_input_raises_our_error(latents):
    proj = fit_projection(latents, "pca")
    inv = make_inverse(latents, proj)
    with pytest.raises(LatentSpaceError, match=r"\(Q, 2\)"):
        inv.invert(np.zeros((3, 3)))
    with pytest.raises(LatentSpaceError, match="NaN"):
        inv.invert([[np.nan, 0.0]])
    with pytest.raises(LatentSpaceError, match="does not exist"):
        inv.invert([[0.0, 0.0]], anchor=10_000)
    with pytest.raises(LatentSpaceError, match="400 clips but 10 latents"):
        make_inverse(latents[:10], proj)
    with pytest.raises(LatentSpaceError, match="unknown inverse method"):
        make_inverse(latents, proj, method="magic")
