"""Linear probes, kNN accuracy, the PCA and mean-clip baselines, detail and motion energy."""

from __future__ import annotations

import numpy as np

from latentlab.core.baselines import PixelPCA, mean_clip_psnr, psnr_u8
from latentlab.core.clip_stats import high_frequency_energy, motion_energy
from latentlab.core.probes import knn_accuracy, linear_probe_r2


def test_linear_probe_reads_a_linear_factor_and_not_noise():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((600, 8))
    assert linear_probe_r2(x, x @ rng.standard_normal(8) + 3.0) > 0.999
    assert linear_probe_r2(x, rng.standard_normal(600)) < 0.05  # cross-validated: no credit for fitting noise
    # a uniform factor bent into a Gaussian (what a VAE's prior does to it): R^2 about 0.955
    u = rng.uniform(size=4000)
    from scipy.stats import norm

    assert 0.94 < linear_probe_r2(norm.ppf(u)[:, None], u) < 0.97


def test_knn_accuracy_sees_clusters_and_chance():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, 800)
    centres = rng.standard_normal((4, 5)) * 10
    x = centres[labels] + rng.standard_normal((800, 5))
    assert knn_accuracy(x, labels) > 0.99
    assert abs(knn_accuracy(rng.standard_normal((800, 5)), labels) - 0.25) < 0.08


def test_pca_baseline_is_exact_on_data_of_its_rank_and_mean_clip_is_the_floor():
    rng = np.random.default_rng(2)
    basis = rng.uniform(0, 1, (3, 2 * 4 * 4 * 3))
    clips = np.clip(np.rint((rng.uniform(0, 1, (200, 3)) @ basis) * 40 + 30), 0, 255).astype(np.uint8)
    clips = clips.reshape(200, 2, 4, 4, 3)
    pca = PixelPCA.fit(clips[:150], 3)
    assert psnr_u8(pca.reconstruct(clips[150:]), clips[150:]) > 45  # only the uint8 rounding is lost
    assert mean_clip_psnr(clips[:150], clips[150:]) < psnr_u8(pca.reconstruct(clips[150:]), clips[150:])


def test_detail_and_motion_energy():
    flat = np.full((4, 3, 8, 8, 3), 100, np.uint8)
    checker = flat.copy()
    checker[:, :, ::2, ::2] = 200
    assert high_frequency_energy(flat) == 0 and high_frequency_energy(checker) > 100
    moving = flat.copy()
    moving[:, 1] = 110
    assert motion_energy(flat) == 0 and motion_energy(moving) == 10.0  # up 10, then down 10
