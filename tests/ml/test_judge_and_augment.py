"""The judge (a clip classifier for model quality), augmentation, and the quality report."""

from __future__ import annotations

import numpy as np
import torch

from latentlab.ml.augment import augment, check_augmentations


def _two_class_clips(n: int, seed: int = 0):
    """Bright square on the left or on the right: an easy class for the judge."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    clips = np.zeros((n, 4, 16, 16, 3), np.uint8)
    for i in range(n):
        x0 = 2 if y[i] == 0 else 9
        clips[i, :, 5:10, x0 : x0 + 5] = 200
    return clips, y


def test_judge_learns_an_easy_class_and_keeps_it_under_blur():
    from latentlab.ml.judge import blur_clips, train_judge

    clips, y = _two_class_clips(300)
    judge = train_judge(clips, y, 2, steps=60, batch=32)
    assert judge.real_accuracy > 0.9
    blurred = blur_clips(clips[:50], 1.2)
    assert blurred.mean() > 0 and not np.array_equal(blurred, clips[:50])
    assert (judge.probabilities(blurred).argmax(1) == y[:50]).mean() > 0.9
    p = judge.probabilities(clips[:10])
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-5)


def test_augmentations_change_what_they_say_and_nothing_else():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(64, 3, 4, 8, 8)
    assert augment(x, (), g) is x
    flipped = augment(x, ("flip",), g)
    same = (flipped == x).flatten(1).all(1)
    mirrored = (flipped == x.flip(-1)).flatten(1).all(1)
    assert (same | mirrored).all() and 10 < int(mirrored.sum()) < 54
    rev = augment(x, ("reverse",), g)
    assert ((rev == x).flatten(1).all(1) | (rev == x.flip(2)).flatten(1).all(1)).all()
    shifted = augment(x, ("crop",), g)
    assert shifted.shape == x.shape and not torch.equal(shifted, x)
    timed = augment(x, ("time",), g)
    assert timed.shape == x.shape
    for a, b in zip(timed, x):  # each clip is its frames shifted by -1, 0 or +1 with the end repeated
        assert any(torch.equal(a, b[:, (torch.arange(4) + s).clamp(0, 3)]) for s in (-1, 0, 1))
    import pytest

    with pytest.raises(ValueError, match="unknown augmentation rotate"):
        check_augmentations(["flip", "rotate"])


def test_quality_report_on_a_tiny_model(tiny_config):
    from latentlab.media.demo_data import DemoSpec, generate_clips
    from latentlab.ml.codec import ClipCodec
    from latentlab.ml.model import VideoVAE
    from latentlab.ml.quality import model_quality

    torch.manual_seed(0)
    codec = ClipCodec(VideoVAE(tiny_config), {}, "x")
    clips, f = generate_clips(DemoSpec(n_clips=80, frames=4, size=16, seed=1), 0, 80)
    report, arrays = model_quality(
        codec, clips[:40], clips[40:], {k: f[k][:40] for k in ("shape", "x_mid")}, "shape", None, n_prior=20
    )
    assert report.n_eval == 40 and np.isfinite(report.psnr) and np.isfinite(report.pca_psnr)
    assert 0 <= report.knn_class <= 1 and "x_mid" in report.probes_r2 and "shape" not in report.probes_r2
    assert arrays["prior"].shape == (20, 4, 16, 16, 3) and report.prior_confident is None


def test_the_cli_knows_the_same_augmentations_as_ml():
    import argparse

    import pytest

    from latentlab.commands.train import augment_list
    from latentlab.ml.augment import AUGMENTATIONS

    assert augment_list(",".join(AUGMENTATIONS)) == ",".join(AUGMENTATIONS)
    with pytest.raises(argparse.ArgumentTypeError, match="unknown augmentation spin"):
        augment_list("flip,spin")
