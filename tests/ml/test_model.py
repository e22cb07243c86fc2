import dataclasses
import math

import numpy as np
import pytest
import torch

from latentlab.ml.config import ConfigError, VAEConfig
from latentlab.ml.losses import bernoulli_nll, gaussian_nll, kl_divergence, kl_per_dim, psnr_from_mse
from latentlab.ml.model import VideoVAE, decoder_flops, encoder_flops


@pytest.mark.parametrize("decoder", ["upconv", "tokens", "conv"])
def test_shapes(tiny_config, decoder):
    tiny_config = dataclasses.replace(tiny_config, decoder=decoder)
    torch.manual_seed(0)
    m = VideoVAE(tiny_config)
    x = torch.rand(3, *tiny_config.clip_shape)  # (B, C, T, H, W)
    mu, logvar = m.encode(x)
    assert mu.shape == logvar.shape == (3, 4)
    assert m.decode(mu).shape == x.shape
    assert m.reconstruct(x).shape == x.shape
    assert m.sample_prior(5).shape == (5, *tiny_config.clip_shape)
    path = m.interpolate(x[0], x[1], steps=6)
    assert path.shape == (1, 6, *tiny_config.clip_shape)
    # the ends of an interpolation are the reconstructions of its clips
    torch.testing.assert_close(path[0, 0], m.reconstruct(x[:1])[0])
    out = m.decode(torch.randn(2, 4) * 10)
    assert out.min() >= 0 and out.max() <= 1


def test_non_square_and_grey_and_64px():
    for cfg in (
        VAEConfig(frames=2, height=16, width=32, channels=1, latent_dim=3, base_width=4, frame_code=8),
        VAEConfig(frames=2, height=64, width=64, latent_dim=3, base_width=4, frame_code=8),
    ):
        m = VideoVAE(cfg)
        x = torch.rand(2, *cfg.clip_shape)
        assert m.decode(m.encode(x)[0]).shape == x.shape


def test_loss_is_finite_and_uses_beta(tiny_config):
    torch.manual_seed(0)
    m = VideoVAE(tiny_config)
    x = torch.rand(4, *tiny_config.clip_shape)
    g = torch.Generator().manual_seed(1)
    loss0, t0 = m.loss(x, beta=0.0, generator=g)
    g = torch.Generator().manual_seed(1)
    loss1, t1 = m.loss(x, beta=2.0, generator=g)
    assert math.isfinite(t0["loss"]) and math.isfinite(t1["loss"])
    assert t1["loss"] == pytest.approx(t1["nll"] + 2.0 * t1["kl"], rel=1e-5)
    assert t0["loss"] == pytest.approx(t0["nll"], rel=1e-6)


def test_kl_closed_form():
    # KL(N(mu, s^2) || N(0, 1)) = log(1/s) + (s^2 + mu^2) / 2 - 1/2, checked for known values
    mu = torch.tensor([[0.0, 1.0, -2.0]])
    s = torch.tensor([[1.0, 0.5, 2.0]])
    expected = torch.log(1 / s) + (s**2 + mu**2) / 2 - 0.5
    got = kl_per_dim(mu, torch.log(s**2))
    torch.testing.assert_close(got, expected)
    assert float(kl_per_dim(torch.zeros(1, 1), torch.zeros(1, 1))) == 0.0  # posterior == prior
    torch.testing.assert_close(kl_divergence(mu, torch.log(s**2)), expected.sum(1))
    # and against torch.distributions
    q = torch.distributions.Normal(mu, s)
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(s))
    torch.testing.assert_close(got, torch.distributions.kl_divergence(q, p))


def test_likelihoods_against_torch_distributions():
    x = torch.rand(2, 3, 2, 4, 4)
    mean = torch.rand_like(x)
    ref = -torch.distributions.Normal(mean, 0.1).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(gaussian_nll(x, mean, 0.1), ref)
    logits = torch.randn_like(x)
    ref = -torch.distributions.Bernoulli(logits=logits).log_prob(x.round()).flatten(1).sum(1)
    torch.testing.assert_close(bernoulli_nll(x.round(), logits), ref)
    assert psnr_from_mse(0.01) == pytest.approx(20.0)


def test_overfitting_one_batch_drives_loss_down(tiny_config, tiny_store):
    from latentlab.ml.data import to_model_layout

    torch.manual_seed(0)
    m = VideoVAE(tiny_config)
    x = to_model_layout(torch.from_numpy(tiny_store.read(range(8))))  # a fixed batch (B, C, T, H, W)
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    first = None
    for _ in range(150):
        loss, terms = m.loss(x, beta=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = first if first is not None else terms["loss"]
    assert terms["loss"] < first - 0.5 * abs(first)
    assert terms["mse"] < 0.01


def test_flops_budget_documented():
    cfg64 = VAEConfig(height=64, width=64)
    assert decoder_flops(cfg64) <= 1.0e9  # the live-decoding budget for 8x64x64x3
    assert encoder_flops(cfg64) > 0
    # the formula counts what the layers do: compare with a profile of the conv/linear layers
    from torch.utils.flop_counter import FlopCounterMode

    for decoder, size in (("conv", 16), ("tokens", 16), ("upconv", 16), ("upconv", 12)):  # 12: one 2x step
        cfg = VAEConfig(frames=2, height=size, width=size, latent_dim=3, base_width=4, frame_code=8, decoder=decoder)
        m = VideoVAE(cfg)
        with FlopCounterMode(display=False) as fc:
            m.decode(torch.zeros(1, 3))
        assert fc.get_total_flops() == pytest.approx(decoder_flops(cfg), rel=0.02)


@pytest.mark.parametrize(
    "bad",
    [
        dict(channels=2),
        dict(latent_dim=0),
        dict(height=18),
        dict(likelihood="x"),
        dict(beta=-1.0),
        dict(sigma=0.0),
        dict(frames=1.5),
        dict(decoder="transformer"),
    ],
)
def test_bad_configs_are_refused(bad):
    with pytest.raises(ConfigError):
        VAEConfig(**bad)


def test_config_round_trip():
    cfg = VAEConfig(latent_dim=7)
    assert VAEConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="unknown keys"):
        VAEConfig.from_dict({**cfg.to_dict(), "foo": 1})
    with pytest.raises(ConfigError, match="lacks keys"):
        VAEConfig.from_dict({"frames": 8})
    assert np.isfinite(decoder_flops(cfg))


def test_learnt_sigma_is_a_weight_that_the_loss_trains(tiny_config):
    torch.manual_seed(0)
    m = VideoVAE(tiny_config)  # learn_sigma is the default
    assert tiny_config.learn_sigma and float(m.sigma.detach()) == pytest.approx(tiny_config.sigma)
    x = torch.rand(4, *tiny_config.clip_shape)
    loss, _ = m.loss(x, beta=1.0, generator=torch.Generator().manual_seed(0))
    loss.backward()
    assert m.log_sigma.grad is not None and float(m.log_sigma.grad) != 0.0
    # the reconstructions are poor (MSE >> sigma^2): the gradient pushes sigma up
    assert float(m.log_sigma.grad) < 0
    fixed = VideoVAE(dataclasses.replace(tiny_config, learn_sigma=False))
    assert fixed.sigma == tiny_config.sigma and not hasattr(fixed, "log_sigma")


def test_legacy_config_means_fixed_sigma_and_conv_decoder():
    cfg = VAEConfig().to_dict()
    del cfg["learn_sigma"], cfg["decoder"]
    old = VAEConfig.from_dict(cfg)
    assert old.learn_sigma is False and old.decoder == "conv"


def test_upconv_batch_of_one_equals_the_batched_path():
    cfg = VAEConfig(frames=3, height=16, width=16, latent_dim=5, base_width=4, frame_code=16)
    torch.manual_seed(1)
    m = VideoVAE(cfg).eval()
    z = torch.randn(4, 5)
    with torch.no_grad():
        batched = m.decode_logits(z)
        single = torch.cat([m.decode_logits(z[i : i + 1]) for i in range(4)])
    torch.testing.assert_close(batched, single, rtol=1e-5, atol=1e-5)


def test_upconv_decoder_pixels_mix_neighbouring_tokens():
    """The token decoder computes each pixel from one token (its 4x4 patch), so patch borders can
    jump; the up-conv decoder's last layers draw every pixel from several neighbouring tokens."""
    cfg = VAEConfig(frames=1, height=16, width=16, latent_dim=3, base_width=4, frame_code=16)
    counts = {}
    for decoder in ("tokens", "upconv"):
        torch.manual_seed(0)
        m = VideoVAE(dataclasses.replace(cfg, decoder=decoder))
        dec = m.decoder
        y = m.decode_logits(torch.randn(1, 3))  # (1, C, 1, 16, 16)
        (grad,) = torch.autograd.grad(y[0, 0, 0, 4, 4], dec.embedding)  # pixel at a patch corner
        counts[decoder] = int((grad.abs().sum(1) > 0).sum())  # tokens that reach it
    assert counts["tokens"] == 1
    assert counts["upconv"] >= 4
