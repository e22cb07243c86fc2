"""The first decoder design (``VAEConfig.decoder == "conv"``): per-frame transposed convolutions.

z -> MLP -> one code per frame (the MLP's second layer adds a learned embedding of the frame index,
so one z gives a whole trajectory) -> a shared per-frame 2-D decoder of stride-2 4x4 transposed
convolutions up to full size -> 3x3 conv, plus a per-frame *colour mix* (a C x K matrix and bias
computed from the frame code, applied as a 1x1 conv to the K last feature maps). A 3-D
transposed-conv decoder of the same FLOPs ran about half as fast on CPU (oneDNN is far better tuned
for 2-D); a full-resolution spatial-broadcast decoder costs 5-10x more. Checkpoints written before
``decoder`` existed use it; new models use :mod:`latentlab.ml.upconv_decoder`, whose transposed
convolutions here would draw a checkerboard in prior samples.
"""

from __future__ import annotations

import torch
from torch import nn

from latentlab.ml.config import VAEConfig


def decoder_channels(cfg: VAEConfig) -> list[int]:
    """Widest at the coarsest scale, halving towards full resolution (cheap where pixels are many)."""
    w = cfg.base_width
    return [max(4 * w >> i, w) for i in range(cfg.n_scales + 1)]  # e.g. 64, 32, 16, 16 for w=16


class FrameDecoder(nn.Module):
    """Shared per-frame transposed-conv stack: ``(N, frame_code)`` -> ``(N, C, H, W)`` logits."""

    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        chans = decoder_channels(cfg)
        s = 1 << cfg.n_scales
        self.h0, self.w0, self.c0 = cfg.height // s, cfg.width // s, chans[0]
        self.inp = nn.Linear(cfg.frame_code, self.c0 * self.h0 * self.w0)
        layers: list[nn.Module] = []
        for c_in, c_out in zip(chans[:-1], chans[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1), nn.ReLU(inplace=True)]
        self.ups = nn.Sequential(*layers)
        # A per-frame colour mix: the frame code sets a (C x K) matrix and a bias that map the K
        # last feature maps to output channels, added to the static 3x3 conv. It is a direct,
        # multiplicative route for clip-wide properties (colour, brightness) that plain
        # convolutions learn very slowly (colour stayed grey for thousands of steps in pilots).
        self.k_last = chans[-1]
        self.mix = nn.Linear(cfg.frame_code, cfg.channels * (chans[-1] + 1))
        self.out = nn.Conv2d(chans[-1], cfg.channels, 3, padding=1)

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.inp(code)).view(-1, self.c0, self.h0, self.w0)  # (N, C0, h0, w0)
        h = self.ups(h)  # (N, K, H, W)
        n, c = h.shape[0], self.out.out_channels
        mix = self.mix(code).view(n, c, self.k_last + 1)  # (N, C, K + 1)
        dynamic = torch.bmm(mix[:, :, :-1], h.flatten(2)).view(n, c, *h.shape[2:])  # (N, C, H, W)
        return self.out(h) + dynamic + mix[:, :, -1, None, None]


class ConvDecoder(nn.Module):
    """Latents ``(B, D)`` -> clip logits ``(B, C, T, H, W)``: an MLP per frame, then :class:`FrameDecoder`."""

    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        t, f, d = config.frames, config.frame_code, config.latent_dim
        self.dec_in = nn.Linear(d, f)
        self.time_embedding = nn.Parameter(torch.zeros(t, f))  # added per frame in the decoder MLP
        self.dec_mid = nn.Linear(f, f)
        self.frame_decoder = FrameDecoder(config)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in self.modules():
            if isinstance(module, (nn.ConvTranspose2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)
        nn.init.normal_(self.time_embedding, std=0.5)
        mix, out = self.frame_decoder.mix, self.frame_decoder.out
        nn.init.normal_(mix.weight, std=0.3 / self.config.frame_code**0.5)  # small, not zero: no saddle
        nn.init.kaiming_normal_(out.weight, nonlinearity="linear")
        nn.init.constant_(out.bias, -2.5)  # a dark frame, like most of every clip

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        cfg, b = self.config, z.shape[0]
        h = torch.relu(self.dec_in(z))  # (B, F)
        g = torch.relu(self.dec_mid(h)[:, None, :] + self.time_embedding)  # (B, T, F)
        frames = self.frame_decoder(g.reshape(b * cfg.frames, -1))  # (B*T, C, H, W)
        return frames.view(b, cfg.frames, cfg.channels, cfg.height, cfg.width).transpose(1, 2)


def conv_decoder_flops(config: VAEConfig) -> int:
    """FLOPs (2 per multiply-add) of decoding one clip with :class:`ConvDecoder`."""
    f, t = config.frame_code, config.frames
    chans = decoder_channels(config)
    s = 1 << config.n_scales
    h, w = config.height // s, config.width // s
    macs = config.latent_dim * f + f * f  # dec_in, dec_mid (once per clip, per frame for mid)
    macs += (t - 1) * f * f
    per_frame = f * chans[0] * h * w
    for c_in, c_out in zip(chans[:-1], chans[1:]):
        h, w = 2 * h, 2 * w
        per_frame += c_in * c_out * 4 * h * w  # 4x4 stride-2 transposed conv: 4 taps per output
    k, c = chans[-1], config.channels
    per_frame += f * c * (k + 1) + k * c * 10 * h * w  # colour mix (1x1, dynamic) + 3x3 output conv
    return 2 * (macs + t * per_frame)


def rename_legacy_keys(state: dict, prefix: str) -> None:
    """Checkpoints written before this module existed kept the conv decoder's weights at the model's
    top level (``dec_in.weight``, ``frame_decoder.out.bias``, ...): move them under ``conv_decoder.``."""
    for key in list(state):
        rest = key[len(prefix) :]
        if key.startswith(prefix) and rest.split(".")[0] in ("dec_in", "time_embedding", "dec_mid", "frame_decoder"):
            state[f"{prefix}conv_decoder.{rest}"] = state.pop(key)
