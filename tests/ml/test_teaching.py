"""ELBO terms of one clip (ml/teaching.py) against the trainer's loss and the closed-form KL."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from latentlab.core import teaching as core_teaching
from latentlab.ml import metrics
from latentlab.ml.codec import ClipCodec
from latentlab.ml.data import to_model_layout
from latentlab.ml.losses import reconstruction_nll
from latentlab.ml.model import VideoVAE
from latentlab.ml.teaching import clip_elbo, codec_clip_elbo
from latentlab.ml.trainer import model_loss


def _model(config, seed=0):
    torch.manual_seed(seed)
    model = VideoVAE(config)
    with torch.no_grad():  # a posterior that is not the prior, so every KL term is non-trivial
        model.enc_mlp[-1].bias[: config.latent_dim].copy_(torch.linspace(-1, 1, config.latent_dim))
        model.enc_mlp[-1].bias[config.latent_dim :].copy_(torch.linspace(-2, 0.5, config.latent_dim))
    return model.eval()


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_elbo_terms_equal_the_trainers_loss_terms_for_the_same_clip_and_z(tiny_config, tiny_store, likelihood):
    cfg = replace(tiny_config, likelihood=likelihood, beta=1.0)
    model = _model(cfg)
    clip = tiny_store[3]  # (T, H, W, C) uint8
    x = to_model_layout(torch.from_numpy(np.array(clip[None])))  # (1, C, T, H, W)
    with torch.no_grad():  # eval mode: the trainer's forward uses z = mu
        _, trainer = model_loss(model, model, x, 1.0, None)
    got = clip_elbo(model, clip, n_samples=0)
    assert got.nll == pytest.approx(trainer["nll"], rel=1e-5)
    assert got.nll_at_mean == pytest.approx(trainer["nll"], rel=1e-5)
    assert got.kl == pytest.approx(trainer["kl"], rel=1e-5)
    assert -got.elbo == pytest.approx(trainer["loss"], rel=1e-5)
    assert got.likelihood == likelihood and got.n_values == clip.size
    assert not model.training


def test_kl_per_dim_is_the_closed_form_of_the_encoders_posterior(tiny_config, tiny_store):
    model = _model(tiny_config)
    got = clip_elbo(model, tiny_store[5], n_samples=4)
    with torch.no_grad():
        mu, logvar = model.encode(to_model_layout(torch.from_numpy(np.array(tiny_store[5][None]))))
    np.testing.assert_allclose(got.mu, mu[0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(
        got.kl_per_dim, core_teaching.kl_per_dim(mu[0].numpy(), logvar[0].numpy()), rtol=1e-5, atol=1e-7
    )
    assert got.kl == pytest.approx(float(got.kl_per_dim.sum()))
    assert (got.kl_per_dim > 0).all()


def test_sampled_reconstruction_term_is_the_mean_over_seeded_samples(tiny_config, tiny_store):
    model = _model(tiny_config)
    clip = tiny_store[7]
    a = clip_elbo(model, clip, n_samples=8, seed=1)
    assert a.nll == clip_elbo(model, clip, n_samples=8, seed=1).nll  # seeded: repeatable
    b = clip_elbo(model, clip, n_samples=8, seed=2)
    assert a.nll != b.nll  # another seed, other samples
    assert a.nll_sem > 0 and abs(a.nll - b.nll) < 10 * max(a.nll_sem, b.nll_sem)
    # by hand: the same eps as model.reparameterize draws, one sample at a time
    x = to_model_layout(torch.from_numpy(np.array(clip[None])))
    with torch.no_grad():
        mu, logvar = model.encode(x)
        gen = torch.Generator().manual_seed(1)
        z = model.reparameterize(mu.expand(8, -1), logvar.expand(8, -1), gen)
        by_hand = np.mean(
            [float(reconstruction_nll(x, model.decode_logits(z[i : i + 1]), model.config)[0]) for i in range(8)]
        )
    assert a.nll == pytest.approx(by_hand, rel=1e-5)


def test_codec_path_and_a_stand_in_codec(tiny_config, tiny_store):
    model = _model(tiny_config)
    codec = ClipCodec(model, tiny_config.to_dict(), "hash")
    got = codec_clip_elbo(codec, tiny_store[0], n_samples=0)
    assert got.kl == pytest.approx(clip_elbo(model, tiny_store[0], 0).kl)
    assert codec_clip_elbo(object(), tiny_store[0]) is None
    with pytest.raises(ValueError, match="uint8 of shape"):
        clip_elbo(model, tiny_store[0][:2])


def test_core_active_threshold_is_evals():
    assert core_teaching.ACTIVE_UNIT_THRESHOLD == metrics.ACTIVE_UNIT_THRESHOLD
