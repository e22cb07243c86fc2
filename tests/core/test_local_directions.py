"""Local principal directions: the axes along which the nearest clips vary, with their spread."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.errors import LatentSpaceError
from latentlab.core.local_directions import local_directions, probe_directions
from latentlab.core.neighbours import LatentIndex


def _stretched(n=400, d=6, seed=0):
    """Latents spread 3 : 1 : 0.1 along three known orthonormal axes of a random rotation."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    axes = q.T[:3]
    lat = rng.normal(size=(n, 3)) * [3.0, 1.0, 0.1] @ axes + 5.0
    return lat.astype(np.float32), axes


def test_directions_recover_the_axes_of_the_spread():
    lat, axes = _stretched()
    loc = local_directions(lat, np.arange(len(lat)), lat[0], m=2)
    assert loc.directions.shape == (2, 6)
    for v, a in zip(loc.directions, axes[:2]):
        assert abs(abs(v @ a) - 1) < 0.01
    np.testing.assert_allclose(loc.std, [3.0, 1.0], rtol=0.1)
    np.testing.assert_allclose(loc.directions @ loc.directions.T, np.eye(2), atol=1e-9)
    assert loc.explained[0] > loc.explained[1] > 0 and loc.explained.sum() <= 1
    assert loc.explained[0] == pytest.approx(9 / (9 + 1 + 0.01), abs=0.03)


def test_directions_match_the_covariance_eigenvectors_and_are_signed():
    lat, _ = _stretched(d=5, seed=3)
    nb = np.arange(50)
    loc = local_directions(lat, nb, lat[0], m=4)
    lam, vec = np.linalg.eigh(np.cov(lat[nb].astype(np.float64), rowvar=False))
    order = np.argsort(lam)[::-1][:3]  # the fourth and fifth axes have no spread (rank 3)
    assert loc.m == 3  # the flat directions are left out
    np.testing.assert_allclose(loc.std**2, lam[order], rtol=1e-6)
    for v, e in zip(loc.directions, vec[:, order].T):
        np.testing.assert_allclose(v, e * np.sign(e[np.argmax(np.abs(e))]), atol=1e-6)
        assert v[np.argmax(np.abs(v))] > 0


def test_latent_moves_in_units_of_local_std():
    lat, _ = _stretched()
    centre = lat[7] + 0.5
    loc = local_directions(lat, np.arange(100), centre, m=2)
    np.testing.assert_allclose(loc.latent([0, 0]), centre, atol=1e-5)
    z = loc.latent([2.0, -1.0])
    np.testing.assert_allclose(z, centre + 2 * loc.std[0] * loc.directions[0] - loc.std[1] * loc.directions[1], 1e-5)
    with pytest.raises(LatentSpaceError, match="2 slider values"):
        loc.latent([1, 2, 3])


def test_probe_directions_use_the_k_nearest_clips():
    lat, _ = _stretched()
    index = LatentIndex(lat)
    z = lat[3] + 0.01
    loc = probe_directions(index, lat, z, k=30, m=3)
    nearest = np.argsort(np.linalg.norm(lat - z, axis=1))[:30]
    assert sorted(loc.neighbours) == sorted(nearest)
    direct = local_directions(lat, nearest, z, m=3)
    np.testing.assert_allclose(loc.directions, direct.directions, atol=1e-9)
    np.testing.assert_allclose(loc.centre, z)


def test_degenerate_neighbourhoods_give_fewer_directions():
    lat = np.zeros((5, 4), np.float32)
    assert local_directions(lat, np.arange(5), lat[0]).m == 0  # all the same latent
    assert local_directions(lat, [0], lat[0]).m == 0
    two = np.array([[0, 0, 0], [1, 0, 0]], np.float32)
    loc = local_directions(two, [0, 1], two[0])
    assert loc.m == 1 and loc.explained[0] == pytest.approx(1.0)
    with pytest.raises(LatentSpaceError, match="neighbour indices"):
        local_directions(two, [0, 5], two[0])
    with pytest.raises(LatentSpaceError, match="centre"):
        local_directions(two, [0, 1], [np.nan, 0, 0])
