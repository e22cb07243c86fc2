"""The token decoder: batch-1 fast path, FLOP count, odd geometries, legacy configs."""

import pytest
import torch

from latentlab.ml.config import VAEConfig
from latentlab.ml.conv_decoder import ConvDecoder
from latentlab.ml.model import VideoVAE, decoder_flops
from latentlab.ml.token_decoder import TokenDecoder, patch_size, token_count


def test_the_default_decoder_is_upconv_and_old_configs_mean_conv():
    assert VAEConfig().decoder == "upconv"
    legacy = VAEConfig().to_dict()
    del legacy["decoder"]  # a config.json written before the field existed
    assert VAEConfig.from_dict(legacy).decoder == "conv"
    m = VideoVAE(VAEConfig.from_dict({**legacy, "base_width": 4, "frame_code": 8}))
    assert isinstance(m.decoder, ConvDecoder)


def test_batch_one_path_equals_the_batched_path(tiny_config):
    torch.manual_seed(0)
    dec = TokenDecoder(tiny_config)
    with torch.no_grad():  # give the modulation real weight so that per-clip weights differ
        dec.modulation.weight.normal_(std=0.5)
        dec.modulation.bias.normal_(std=0.5)
    z = torch.randn(3, tiny_config.latent_dim)
    batched = dec(z)  # (3, C, T, H, W)
    singles = torch.cat([dec(z[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(batched, singles, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(batched[0], batched[1])


def test_patches_land_where_their_token_says():
    # With everything but the output bias zeroed, the logits are the bias laid out per patch:
    # bias index (c, py, px) must appear at channel c, row py, column px of every patch.
    cfg = VAEConfig(frames=2, height=8, width=12, channels=3, latent_dim=2, base_width=4, frame_code=8)
    dec = TokenDecoder(cfg)
    p = patch_size(cfg)
    with torch.no_grad():
        for prm in dec.parameters():
            prm.zero_()
        dec.out.bias.copy_(torch.arange(dec.k, dtype=torch.float32))
    out = dec(torch.zeros(1, 2))[0]  # (C, T, H, W)
    for c in range(3):
        for y in range(cfg.height):
            for x in range(cfg.width):
                assert out[c, 1, y, x] == c * p * p + (y % p) * p + (x % p)


@pytest.mark.parametrize("geometry", [(2, 16, 32, 1), (3, 12, 10, 3), (2, 64, 64, 3)])
def test_odd_geometries_decode_to_the_clip_shape(geometry):
    t, h, w, c = geometry
    for decoder in ("tokens", "upconv"):
        cfg = VAEConfig(
            frames=t, height=h, width=w, channels=c, latent_dim=3, base_width=4, frame_code=8, decoder=decoder
        )
        m = VideoVAE(cfg)
        x = torch.rand(2, *cfg.clip_shape)
        assert m.decode(m.encode(x)[0]).shape == x.shape
        assert m.decode(torch.zeros(1, 3)).shape == (1, *cfg.clip_shape)
    assert patch_size(cfg) == (2 if w == 10 else 4)
    assert m.decoder.embedding.shape == (token_count(cfg), 8)


@pytest.mark.parametrize("batch", [1, 3])
def test_flop_count_matches_torch(batch):
    from torch.utils.flop_counter import FlopCounterMode

    cfg = VAEConfig(frames=2, height=16, width=16, latent_dim=3, base_width=4, frame_code=16)
    m = VideoVAE(cfg)
    with FlopCounterMode(display=False) as fc:
        m.decode(torch.zeros(batch, 3))
    assert fc.get_total_flops() == batch * decoder_flops(cfg)


def test_demo_geometry_cost_is_inside_the_live_budget():
    demo = VAEConfig(base_width=16, frame_code=256, decoder="tokens")
    assert decoder_flops(demo) == pytest.approx(0.147e9, rel=0.01)  # the figure the docstring states
    assert decoder_flops(VAEConfig(height=64, width=64, decoder="tokens")) <= 1.0e9
    upconv = VAEConfig(base_width=16, frame_code=192)
    assert decoder_flops(upconv) == pytest.approx(0.108e9, rel=0.01)  # upconv_decoder.py's docstring
    assert decoder_flops(VAEConfig(height=64, width=64, frame_code=192)) <= 1.0e9
