"""The token decoder: a clip decoder whose FLOPs are all in three large matrix products.

Why it exists
-------------
Live dragging decodes one clip at a time (batch 1). The conv decoder of :mod:`latentlab.ml.model`
spends most of its batch-1 time on per-op overhead and thin transposed convolutions: 47 MFLOP took
about 5x its matmul roof on the 2-core reference CPU (``BENCHMARKS.md``). This decoder treats a clip
as ``N = T * (H / p) * (W / p)`` tokens, one per ``p x p`` pixel patch of one frame (``p = 4``), and
runs the same small MLP on every token, conditioned on z. Each layer is then one GEMM with N rows
(512 for the demo clip), which the CPU runs near its peak even at batch 1.

Layout (``F`` = ``config.frame_code``, ``D`` = ``config.latent_dim``, ``K = p * p * C``)::

    u  = relu(z W_z + b_z)                        (B, F)      the clip code, computed once per clip
    a, s, g, c = u W_m + b_m                      (B, F), (B, F), (B, K), (B, K)
    h1 = relu(E + a)                              (B, N, F)   E: a learned embedding per token (t, y, x)
    h2 = relu(h1 (W_2 * (1 + s)) + b_2)           (B, N, F)   GEMM, weights modulated per clip
    h3 = relu(h2 W_3 + b_3)                       (B, N, F)   GEMM
    logits = h3 (W_o * (1 + g)) + b_o + c         (B, N, K)   GEMM; K = (channel, patch row, patch column)
    -> (B, C, T, H, W)                                        one copy puts the patches in place

It is a spatial-broadcast decoder at patch resolution (every token sees z and where and when it is,
as in Watters et al. 2019, "Spatial Broadcast Decoder", which helps a VAE lay position out linearly),
with StyleGAN2-style weight modulation: scaling a GEMM's weight columns per clip costs F^2
multiplications instead of N * F, and gives z a multiplicative route to colour (the output gain g,
one per pixel channel of the patch), which plain additive conditioning learns slowly.

Cost for the demo clip (8 x 32 x 32 x 3, F = 256): 0.147 GFLOP per clip, 0.44 M parameters; for
8 x 64 x 64 x 3, 0.58 GFLOP (inside the 1 GFLOP live-decoding budget).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from latentlab.ml.config import VAEConfig


def patch_size(config: VAEConfig) -> int:
    """Side ``p`` of the square pixel patch one token decodes: 4, or 2 when a side is not a multiple of 4."""
    return 4 if config.height % 4 == 0 and config.width % 4 == 0 else 2


def token_count(config: VAEConfig) -> int:
    """``N``: tokens per clip, one per patch per frame."""
    p = patch_size(config)
    return config.frames * (config.height // p) * (config.width // p)


def _fourier_embedding(config: VAEConfig, width: int, generator: torch.Generator) -> torch.Tensor:
    """Initial token embeddings ``(N, F)``: random Fourier features of each token's (t, y, x).

    Nearby tokens start with similar embeddings, so the MLP begins smooth in space and time;
    training then moves each embedding freely.
    """
    p = patch_size(config)
    t = torch.linspace(-1, 1, config.frames)
    y = torch.linspace(-1, 1, config.height // p)
    x = torch.linspace(-1, 1, config.width // p)
    grid = torch.stack(torch.meshgrid(t, y, x, indexing="ij"), -1).reshape(-1, 3)  # (N, 3)
    freqs = torch.randn(3, width // 2, generator=generator) * 3.0  # (3, F/2)
    phase = grid @ freqs  # (N, F/2)
    emb = torch.cat([phase.sin(), phase.cos()], 1)  # (N, F or F-1)
    if emb.shape[1] < width:
        emb = torch.cat([emb, torch.zeros(emb.shape[0], width - emb.shape[1])], 1)
    return emb * math.sqrt(2.0)  # unit mean square, like a He-initialised layer's input


class TokenDecoder(nn.Module):
    """Latents ``(B, D)`` -> clip logits ``(B, C, T, H, W)`` through per-token GEMMs."""

    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        f, d = config.frame_code, config.latent_dim
        self.p = patch_size(config)
        self.k = self.p * self.p * config.channels
        n = token_count(config)
        self.z_in = nn.Linear(d, f)
        self.modulation = nn.Linear(f, 2 * f + 2 * self.k)  # a, s, g, c
        # The embedding's initial frequencies come from their own seed, not the global RNG.
        self.embedding = nn.Parameter(_fourier_embedding(config, f, torch.Generator().manual_seed(0)))  # (N, F)
        self.w2 = nn.Linear(f, f)
        self.w3 = nn.Linear(f, f)
        self.out = nn.Linear(f, self.k)
        # Where each logit of the (N, K) GEMM output goes in the flat (C, T, H, W) clip: one
        # index_select then lays a batch-1 clip out (2x faster than a 7-D permute copy).
        hp, wp = config.height // self.p, config.width // self.p
        order = torch.arange(n * self.k).view(config.frames, hp, wp, config.channels, self.p, self.p)
        self.register_buffer("layout", order.permute(3, 0, 1, 4, 2, 5).reshape(-1), persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for lin in (self.z_in, self.w2, self.w3):
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            nn.init.zeros_(lin.bias)
        nn.init.kaiming_normal_(self.out.weight, nonlinearity="linear")
        # Start from a dark clip (most pixels are background), as the conv decoder does.
        nn.init.constant_(self.out.bias, -2.5)
        # Small modulation at first (no saddle at zero, no wild gains either).
        nn.init.normal_(self.modulation.weight, std=0.3 / math.sqrt(self.config.frame_code))
        nn.init.zeros_(self.modulation.bias)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        cfg, f, k, p = self.config, self.config.frame_code, self.k, self.p
        b = z.shape[0]
        u = torch.addmm(self.z_in.bias, z, self.z_in.weight.t()).relu_()  # (B, F)
        mod = torch.addmm(self.modulation.bias, u, self.modulation.weight.t())  # (B, 2F + 2K)
        a, s, g, c = mod.split([f, f, k, k], dim=1)  # (B, F), (B, F), (B, K), (B, K)
        bo = self.out.bias + c  # (B, K)
        if b == 1:  # live decoding: plain 2-D GEMMs, no batch bookkeeping
            w2 = self.w2.weight * (s + 1.0).t()  # (F_out, F_in): output features scaled for this clip
            wo = self.out.weight * (g + 1.0).t()  # (K, F)
            h = (self.embedding + a).relu_()  # (N, F)
            h = torch.addmm(self.w2.bias, h, w2.t()).relu_()  # (N, F)
            h = torch.addmm(self.w3.bias, h, self.w3.weight.t()).relu_()  # (N, F)
            o = torch.addmm(bo[0], h, wo.t())  # (N, K)
            return o.view(-1).index_select(0, self.layout).view(1, *self.config.clip_shape)  # (1, C, T, H, W)
        else:
            w2 = self.w2.weight * (s + 1.0)[:, :, None]  # (B, F_out, F_in)
            wo = self.out.weight * (g + 1.0)[:, :, None]  # (B, K, F)
            h = (self.embedding + a[:, None, :]).relu_()  # (B, N, F)
            h = torch.baddbmm(self.w2.bias[None, None, :], h, w2.transpose(1, 2)).relu_()  # (B, N, F)
            h = self.w3(h).relu_()  # (B, N, F)
            o = torch.baddbmm(bo[:, None, :], h, wo.transpose(1, 2))  # (B, N, K)
        hp, wp = cfg.height // p, cfg.width // p
        o = o.view(b, cfg.frames, hp, wp, cfg.channels, p, p)  # (B, T, H/p, W/p, C, p, p)
        return o.permute(0, 4, 1, 2, 5, 3, 6).reshape(b, cfg.channels, cfg.frames, cfg.height, cfg.width)


def token_decoder_flops(config: VAEConfig) -> int:
    """FLOPs (2 per multiply-add) of decoding one clip with :class:`TokenDecoder`."""
    f, d = config.frame_code, config.latent_dim
    k = patch_size(config) ** 2 * config.channels
    n = token_count(config)
    per_clip = d * f + f * (2 * f + 2 * k)  # z_in, modulation (the weight scaling is elementwise)
    per_token = f * f + f * f + f * k  # w2, w3, out
    return 2 * (per_clip + n * per_token)
