"""The numbers of the teaching panels: KL per dimension, units, posterior/prior samples, norms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from latentlab.core import teaching
from latentlab.core.errors import LatentSpaceError


def test_kl_per_dim_matches_the_closed_form_by_hand():
    mu = np.array([0.0, 1.0, -2.0, 0.5])
    logvar = np.array([0.0, 0.0, math.log(0.25), math.log(4.0)])
    # 0.5 * (mu^2 + sigma^2 - 1 - log sigma^2), written out per dimension
    want = [0.0, 0.5, 0.5 * (4 + 0.25 - 1 - math.log(0.25)), 0.5 * (0.25 + 4 - 1 - math.log(4.0))]
    np.testing.assert_allclose(teaching.kl_per_dim(mu, logvar), want, rtol=1e-12)
    assert teaching.kl_total(mu, logvar) == pytest.approx(sum(want))


def test_kl_per_dim_matches_a_numerical_integral():
    """The closed form equals E_q[log q - log p] integrated on a grid (one dimension)."""
    m, s = 0.7, 0.4
    z = np.linspace(m - 12 * s, m + 12 * s, 200_001)
    q = np.exp(-0.5 * ((z - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))
    log_ratio = (-0.5 * ((z - m) / s) ** 2 - math.log(s)) - (-0.5 * z**2)
    integral = np.trapezoid(q * log_ratio, z)
    assert teaching.kl_per_dim([m], [2 * math.log(s)])[0] == pytest.approx(integral, rel=1e-6)


def test_kl_of_many_clips_keeps_shape_and_refuses_bad_input():
    rng = np.random.default_rng(0)
    mu, lv = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    assert teaching.kl_per_dim(mu, lv).shape == (5, 3)
    np.testing.assert_allclose(teaching.kl_total(mu, lv), teaching.kl_per_dim(mu, lv).sum(1))
    with pytest.raises(LatentSpaceError, match="one shape"):
        teaching.kl_per_dim(mu, lv[:, :2])
    with pytest.raises(LatentSpaceError, match="NaN"):
        teaching.kl_per_dim([np.nan], [0.0])


def test_unit_report_marks_active_and_collapsed_units_like_eval():
    rng = np.random.default_rng(1)
    n = 500
    mu = np.stack(
        [
            rng.normal(0, 1.0, n),  # informative: varies over the data
            rng.normal(0, 0.05, n),  # variance 0.0025 < 0.01: inactive
            np.zeros(n),
        ],
        1,
    )  # the prior itself
    logvar = np.stack([np.full(n, -2.0), np.full(n, -0.01), np.zeros(n)], 1)
    rep = teaching.unit_report(mu, logvar)
    assert rep.active.tolist() == [True, False, False]
    assert rep.collapsed.tolist() == [False, True, True]
    assert rep.n_active == 1 and rep.n_collapsed == 2
    np.testing.assert_allclose(rep.mu_variance, mu.var(0))
    np.testing.assert_allclose(rep.mean_kl, teaching.kl_per_dim(mu, logvar).mean(0))
    assert rep.mean_kl[2] == pytest.approx(0.0)


def test_a_unit_with_variance_but_no_kl_is_collapsed():
    """The KL rule on its own: mu varies just above the variance threshold, but the mean KL is
    below 0.01 nats, so the unit carries almost nothing and is shown collapsed."""
    mu = np.array([[0.11], [-0.11]])  # variance 0.0121 > 0.01: active by variance
    logvar = np.zeros((2, 1))  # KL = 0.5 * 0.0121 = 0.006 < 0.01 nats
    rep = teaching.unit_report(mu, logvar)
    assert rep.active.tolist() == [True] and rep.collapsed.tolist() == [True]


def test_posterior_samples_have_the_posterior_statistics():
    mu = np.array([1.0, -2.0, 0.0, 3.0])
    logvar = np.log(np.array([0.25, 1.0, 4.0, 0.01]))
    z = teaching.posterior_samples(mu, logvar, 20_000, seed=3)
    assert z.shape == (20_000, 4) and z.dtype == np.float32
    sigma = np.exp(0.5 * logvar)
    # standard errors: sigma / sqrt(n) for the mean, ~sigma / sqrt(2n) for the std; 5 of them
    np.testing.assert_allclose(z.mean(0), mu, atol=5 * sigma.max() / np.sqrt(20_000))
    np.testing.assert_allclose(z.std(0), sigma, rtol=5 / np.sqrt(2 * 20_000))
    np.testing.assert_array_equal(z, teaching.posterior_samples(mu, logvar, 20_000, seed=3))
    assert not np.array_equal(z, teaching.posterior_samples(mu, logvar, 20_000, seed=4))


def test_eps_scale_scales_the_spread_around_the_same_mean():
    mu, logvar = np.array([0.5, -1.0]), np.array([0.0, -2.0])
    z1 = teaching.posterior_samples(mu, logvar, 500, scale=1.0, seed=7)
    z2 = teaching.posterior_samples(mu, logvar, 500, scale=2.5, seed=7)
    np.testing.assert_allclose(z2 - mu, 2.5 * (z1 - mu), rtol=1e-5, atol=1e-6)  # the same eps, scaled
    z0 = teaching.posterior_samples(mu, logvar, 10, scale=0.0)
    np.testing.assert_allclose(z0, np.repeat(mu[None], 10, 0).astype(np.float32))
    with pytest.raises(LatentSpaceError, match="eps scale"):
        teaching.posterior_samples(mu, logvar, 10, scale=-1)
    with pytest.raises(LatentSpaceError, match="one clip"):
        teaching.posterior_samples(mu[None], logvar[None], 10)


def test_prior_samples_are_standard_normal_and_scaled():
    z = teaching.prior_samples(8, 20_000, seed=0)
    assert z.shape == (20_000, 8)
    np.testing.assert_allclose(z.mean(0), 0, atol=5 / np.sqrt(20_000))
    np.testing.assert_allclose(z.std(0), 1, rtol=5 / np.sqrt(40_000))
    # the soap bubble: norms concentrate near sqrt(D)
    assert np.median(np.linalg.norm(z, axis=1)) == pytest.approx(teaching.typical_norm(8), rel=0.05)
    np.testing.assert_allclose(
        teaching.prior_samples(8, 50, scale=0.5, seed=1), 0.5 * teaching.prior_samples(8, 50, seed=1), rtol=1e-6
    )
    with pytest.raises(LatentSpaceError, match="at least one sample"):
        teaching.prior_samples(8, 0)


def test_lerp_dips_below_slerp_between_two_typical_latents():
    d = 16
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(2, d))
    a *= np.sqrt(d) / np.linalg.norm(a)  # both exactly at the typical norm
    b *= np.sqrt(d) / np.linalg.norm(b)
    p = teaching.norm_profile(a, b, 41)
    assert p.typical == pytest.approx(4.0)
    np.testing.assert_allclose(p.slerp, np.sqrt(d), rtol=1e-5)  # slerp stays on the sphere
    assert (p.lerp[1:-1] < p.slerp[1:-1]).all()
    mid = p.lerp[20]  # two nearly orthogonal vectors: the middle of the chord is near sqrt(D / 2)
    cos = a @ b / d
    assert mid == pytest.approx(np.sqrt(d) * np.sqrt((1 + cos) / 2), rel=1e-5)
    assert p.lerp_dip == pytest.approx(np.sqrt(d) - mid, rel=1e-5)
    assert p.lerp[0] == pytest.approx(p.slerp[0]) and p.lerp[-1] == pytest.approx(p.slerp[-1])
