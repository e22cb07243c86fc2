"""Posterior covariances on the map: exact for a linear map, a local least-squares fit otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.errors import LatentSpaceError
from latentlab.core.map_covariance import (
    STRETCH_SLACK,
    ellipse_outlines,
    local_jacobians,
    posterior_ellipses,
    push_covariance,
)
from latentlab.core.neighbours import LatentIndex
from latentlab.core.projection import Projection, fit_projection


def _latents(n=300, d=5, seed=0):
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=(n, d)).astype(np.float32) * [3, 2, 1, 0.5, 0.2]
    logvar = rng.uniform(-3, 0, size=(n, d)).astype(np.float32)
    return mu.astype(np.float32), logvar


def test_pca_map_carries_the_covariance_exactly():
    mu, logvar = _latents()
    proj = fit_projection(mu, "pca")
    ell = posterior_ellipses(proj, mu, logvar, [4, 17])
    a = proj.state["components"]
    for r, i in enumerate([4, 17]):
        np.testing.assert_allclose(ell.covariances[r], a @ np.diag(np.exp(logvar[i].astype(float))) @ a.T, rtol=1e-6)
    np.testing.assert_allclose(ell.centres, proj.coords[[4, 17]])
    assert ell.exact


def test_pca_covariance_matches_sampling_through_transform():
    mu, logvar = _latents()
    proj = fit_projection(mu, "pca")
    ell = posterior_ellipses(proj, mu, logvar, [9])
    rng = np.random.default_rng(1)
    z = mu[9] + np.exp(0.5 * logvar[9]) * rng.normal(size=(20000, mu.shape[1]))
    np.testing.assert_allclose(np.cov(proj.transform(z), rowvar=False), ell.covariances[0], rtol=0.05, atol=1e-3)


def test_local_fit_of_a_linear_map_is_exact():
    """A non-parametric map whose positions happen to be linear in z: the neighbour fit finds that map."""
    mu, logvar = _latents()
    a = np.array([[1.0, -2.0, 0.5, 0.0, 3.0], [0.2, 1.0, -1.0, 2.0, 0.0]])
    proj = Projection("tsne", "test", (mu.astype(np.float64) @ a.T + [4, -1]).astype(np.float32))
    ell = posterior_ellipses(proj, mu, logvar, [0, 50, 299], LatentIndex(mu), k=12)
    assert not ell.exact
    for r, i in enumerate([0, 50, 299]):
        np.testing.assert_allclose(ell.covariances[r], a @ np.diag(np.exp(logvar[i].astype(float))) @ a.T, rtol=1e-3)


def test_local_jacobians_with_few_neighbours_are_smallest_norm():
    lat = np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0]], np.float64)
    xy = np.array([[0, 0], [2, 1], [4, 2]], np.float64)
    j = local_jacobians(lat, xy, [[0, 1, 2]])
    np.testing.assert_allclose(j[0], [[2, 0, 0], [1, 0, 0]], atol=1e-12)


def test_push_covariance_per_clip_and_shared():
    j = np.array([[1.0, 0.0, 1.0], [0.0, 2.0, 0.0]])
    var = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(push_covariance(j, var)[0], [[4, 0], [0, 8]])
    np.testing.assert_allclose(push_covariance(j[None], var), push_covariance(j, var))


def test_ellipse_outline_lies_on_the_sigma_contour():
    cov = np.array([[[4.0, 1.5], [1.5, 1.0]]])
    out = ellipse_outlines([[1.0, -2.0]], cov, n_sigma=2.0, segments=40)
    assert out.shape == (1, 41, 2)
    np.testing.assert_allclose(out[0, 0], out[0, -1])
    d = out[0] - [1.0, -2.0]
    np.testing.assert_allclose(np.einsum("si,ij,sj->s", d, np.linalg.inv(cov[0]), d), 4.0, rtol=1e-9)
    flat = ellipse_outlines([[0.0, 0.0]], np.zeros((1, 2, 2)))
    assert np.isfinite(flat).all() and np.allclose(flat, 0)  # a zero covariance is a point, not NaN


def test_bad_input_is_refused_in_words():
    mu, logvar = _latents(n=20)
    proj = fit_projection(mu, "pca")
    with pytest.raises(LatentSpaceError, match="clip indices"):
        posterior_ellipses(proj, mu, logvar, [25])
    tsne_like = Projection("tsne", "test", proj.coords)
    with pytest.raises(LatentSpaceError, match="latent index"):
        posterior_ellipses(tsne_like, mu, logvar, [1])
    assert posterior_ellipses(tsne_like, mu, logvar, [], LatentIndex(mu)).covariances.shape == (0, 2, 2)


def test_noisy_map_slopes_are_damped_not_amplified():
    """Map positions unrelated to the latent: least squares finds steep chance slopes, the GCV ridge
    damps them (a map that ignores the latent should not stretch the posterior)."""
    rng = np.random.default_rng(0)
    lat = rng.normal(size=(30, 16))
    xy = rng.normal(size=(30, 2)) * 10
    plain = np.linalg.lstsq(lat - lat.mean(0), xy - xy.mean(0), rcond=None)[0].T
    damped = local_jacobians(lat, xy, [np.arange(30)])[0]
    assert np.linalg.norm(damped) < 0.5 * np.linalg.norm(plain)


def test_neighbours_with_one_latent_give_no_slope():
    lat = np.ones((6, 4))
    j = local_jacobians(lat, np.arange(12.0).reshape(6, 2), [np.arange(6), np.arange(6)])
    assert j.shape == (2, 2, 4) and np.all(j == 0)


def test_cached_jacobians_are_reused_and_equal_fresh_ones():
    mu, logvar = _latents(n=120)
    proj = Projection("tsne", "test", np.tanh(mu[:, :2]).astype(np.float32))
    index, cache = LatentIndex(mu), {}
    first = posterior_ellipses(proj, mu, logvar, [1, 2, 3], index, cache=cache)
    assert sorted(cache) == [1, 2, 3]
    cache[2] = np.zeros_like(cache[2])  # a cached J is used as it is, not refitted
    again = posterior_ellipses(proj, mu, logvar, [2, 3, 40], index, cache=cache)
    np.testing.assert_allclose(again.covariances[0], 0)
    np.testing.assert_allclose(again.covariances[1], first.covariances[2])
    fresh = posterior_ellipses(proj, mu, logvar, [40], index)
    np.testing.assert_allclose(again.covariances[2], fresh.covariances[0])


def test_a_torn_neighbourhood_is_no_steeper_than_its_steepest_pair_allows():
    """Neighbours on two islands split along a direction they hardly vary in: the fitted slope there
    would be huge; it is capped at STRETCH_SLACK times the steepest map/latent ratio of a pair."""
    rng = np.random.default_rng(2)
    lat = rng.normal(size=(30, 4)) * [1, 1, 1, 1e-3]
    xy = np.stack([50.0 * (lat[:, 3] > 0), np.zeros(30)], 1) + 0.01 * rng.normal(size=(30, 2))
    plain = np.linalg.lstsq(lat - lat.mean(0), xy - xy.mean(0), rcond=None)[0].T
    j = local_jacobians(lat, xy, [np.arange(30)])[0]
    pairs = [(a, b) for a in range(30) for b in range(a)]
    steepest = max(np.linalg.norm(xy[a] - xy[b]) / np.linalg.norm(lat[a] - lat[b]) for a, b in pairs)
    assert np.linalg.norm(plain, 2) > 10 * STRETCH_SLACK * steepest
    assert np.linalg.norm(j, 2) <= STRETCH_SLACK * steepest * (1 + 1e-9)
