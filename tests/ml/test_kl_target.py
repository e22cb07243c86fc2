"""The rate target: beta adapted so that the KL settles at the nats asked for."""

from __future__ import annotations

import math

import pytest

from latentlab.ml.checkpoint import read_config
from latentlab.ml.kl_target import BETA_MAX, BETA_MIN, MAX_STEP, KLTarget
from latentlab.ml.trainer import Trainer, TrainSettings
from tests.ml.test_trainer import SETTINGS, Recorder, _weights


def test_beta_rises_above_the_target_falls_below_and_stays_bounded():
    up, down = KLTarget(10.0, 2.0), KLTarget(10.0, 2.0)
    for _ in range(100):
        up.update(15.0)
        down.update(5.0)
    assert up.beta > 2.0 > down.beta
    assert math.isclose(up.beta, 2.0 * math.exp(100 * up.gain * 0.5))
    at = KLTarget(10.0, 2.0)
    at.update(10.0)
    assert at.beta == 2.0
    at.update(float("nan"))  # a bad batch leaves beta where it was
    assert at.beta == 2.0
    far = KLTarget(1.0, 1.0, gain=1.0)
    for _ in range(1000):
        far.update(1e9)
    assert far.beta == BETA_MAX
    assert KLTarget(1.0, 0.0).beta == BETA_MIN


@pytest.mark.parametrize("nats", [0.0, -1.0, float("inf"), float("nan")])
def test_a_target_that_is_not_a_positive_number_is_refused(nats):
    with pytest.raises(ValueError, match="positive number of nats"):
        KLTarget(nats, 1.0)


def test_training_with_a_target_adapts_beta_keeps_it_and_resumes_from_it(tmp_path, tiny_config, tiny_store):
    """A target far below the KL the model starts at pushes beta up after the warm-up; the checkpoint
    keeps the beta reached; a run cut and resumed ends with the same weights as one that was not."""
    s = TrainSettings(**{**SETTINGS.to_dict(), "kl_target": 0.01})
    rec = Recorder()
    Trainer(tiny_config, tiny_store, tmp_path / "full", s).fit([rec])
    betas = [m["beta"] for _, m in rec.steps]
    warm = [b for (step, _), b in zip(rec.steps, betas) if step / len(betas) <= s.kl_warmup]
    assert warm[-1] <= tiny_config.beta  # the warm-up ramps to the starting beta, not past it
    assert betas[-1] > 2 * tiny_config.beta and betas == sorted(betas)  # KL above target all along: up
    assert betas[-1] == pytest.approx(betas[-2] * math.exp(MAX_STEP))  # far above: the largest step
    assert read_config(tmp_path / "full")["model"]["beta"] == pytest.approx(betas[-1] * math.exp(MAX_STEP))
    cut = Trainer(tiny_config, tiny_store, tmp_path / "cut", s)
    rec_cut = Recorder(cancel_at=15, trainer=cut)
    cut.fit([rec_cut])
    Trainer(tiny_config, tiny_store, tmp_path / "cut", s, resume=True).fit()
    assert _weights(tmp_path / "cut") == _weights(tmp_path / "full")
