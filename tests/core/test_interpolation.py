"""lerp / slerp / paths / traversals."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.errors import LatentSpaceError
from latentlab.core.interpolation import lerp, path, slerp, traversal, traversal_range


def test_lerp_ends_and_midpoint():
    a, b = np.zeros(4), np.arange(4.0)
    out = lerp(a, b, 5)
    assert out.shape == (5, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out[[0, -1]], [a, b])
    np.testing.assert_allclose(out[2], b / 2)


def test_slerp_keeps_the_norm_profile():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=32), rng.normal(size=32)
    b *= 2.0 * np.linalg.norm(a) / np.linalg.norm(b)  # different norms: the profile must be linear
    out = slerp(a, b, 11).astype(np.float64)
    norms = np.linalg.norm(out, axis=1)
    np.testing.assert_allclose(norms, np.linspace(np.linalg.norm(a), np.linalg.norm(b), 11), rtol=1e-5)
    np.testing.assert_allclose(out[[0, -1]], [a, b], atol=1e-5)
    # equal norms: constant norm, while lerp dips in the middle
    b = b / 2.0
    assert np.ptp(np.linalg.norm(slerp(a, b, 21), axis=1)) < 1e-4
    assert np.linalg.norm(lerp(a, b, 21)[10]) < 0.9 * np.linalg.norm(a)
    # angles are evenly spaced along the great circle
    u = out / norms[:, None]
    steps = np.arccos(np.clip(np.sum(u[1:] * u[:-1], axis=1), -1, 1))
    np.testing.assert_allclose(steps, steps.mean(), rtol=1e-3)


def test_slerp_degenerate_endpoints():
    a = np.array([1.0, 0.0, 0.0])
    np.testing.assert_allclose(slerp(a, 3 * a, 3), [[1, 0, 0], [2, 0, 0], [3, 0, 0]], atol=1e-6)  # parallel
    opp = slerp(a, -a, 5)
    assert np.isfinite(opp).all()
    np.testing.assert_allclose(np.linalg.norm(opp, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(slerp(np.zeros(3), a, 3), lerp(np.zeros(3), a, 3))  # origin: the line
    assert slerp(a, a, 1).shape == (1, 3)


def test_path_through_waypoints_at_constant_speed():
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 3.0]])
    out = path(pts, 9, "lerp")
    np.testing.assert_allclose(out[[0, -1]], pts[[0, -1]])
    np.testing.assert_allclose(np.linalg.norm(np.diff(out, axis=0), axis=1), 0.5, atol=1e-6)
    assert path(pts, 9, "slerp").shape == (9, 2)
    np.testing.assert_allclose(path(pts[:1], 4), np.repeat(pts[:1], 4, 0))
    with pytest.raises(LatentSpaceError, match="lerp"):
        path(pts, 4, "cubic")


def test_traversal_and_ranges():
    z = np.arange(5.0)
    out = traversal(z, 2, [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(out[:, 2], [-1, 0, 1])
    np.testing.assert_allclose(np.delete(out, 2, axis=1), np.repeat(np.delete(z, 2)[None], 3, 0))
    assert traversal_range(3, "prior", k=2.5) == (-2.5, 2.5)
    lat = np.random.default_rng(0).normal(size=(1000, 4))
    lo, hi = traversal_range(1, "minmax", lat)
    assert lo == pytest.approx(lat[:, 1].min(), rel=1e-6) and hi == pytest.approx(lat[:, 1].max(), rel=1e-6)
    lo, hi = traversal_range(1, "quantile", lat, q=(0.1, 0.9))
    assert lo == pytest.approx(np.quantile(lat[:, 1].astype(np.float32), 0.1), rel=1e-5)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: lerp(np.zeros(3), np.zeros(4), 3), "same size"),
        (lambda: lerp(np.zeros(3), np.ones(3), 0), "at least 1"),
        (lambda: slerp([np.nan, 0], [1, 0], 3), "NaN"),
        (lambda: traversal(np.zeros(3), 5, [0.0]), "does not exist"),
        (lambda: traversal_range(0, "minmax"), "needs the clips"),
        (lambda: traversal_range(0, "sideways"), "mode"),
        (lambda: traversal_range(0, "quantile", np.zeros((3, 2)), q=(0.9, 0.1)), "quantiles"),
        (lambda: path(np.zeros((0, 3)), 3), "no path points"),
    ],
)
def test_bad_input_raises_our_error(call, words):
    with pytest.raises(LatentSpaceError, match=words):
        call()
