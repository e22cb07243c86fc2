"""The up-conv decoder: a token MLP at patch resolution, then two upsampling convolutions.

Why it exists
-------------
The token decoder (:mod:`latentlab.ml.token_decoder`) decodes each 4 x 4 pixel patch of each frame
as a linear function of its own token. Patches never see each other, so its clips show a 4 x 4
grid and, away from the data (prior samples), a dot pattern with 8x the high-frequency energy of
real clips. This decoder keeps the token trunk, where the FLOPs run as large GEMMs even at batch
1, but ends it in a small feature map per frame (``head`` channels at patch resolution) that two
steps of 2x nearest-neighbour upsampling and a 3 x 3 convolution bring to full size. Every pixel
then mixes neighbouring tokens, so no patch boundary can show; resize-convolution rather than
transposed convolution, because the latter's uneven kernel overlap draws a checkerboard (Odena et al.
2016, "Deconvolution and Checkerboard Artifacts"), which showed in prior samples of a first version;
and the last layers' weights are shared by every position, so an edge drawn in one place is drawn the
same way everywhere.

Layout (``F`` = ``config.frame_code``, ``D`` = ``config.latent_dim``, ``G`` = 16, ``p`` = 4)::

    u  = relu(z W_z + b_z)                        (B, F)      the clip code, once per clip
    a, s, g, c = u W_m + b_m                      (B, F), (B, F), (B, G), (B, C)
    h1 = relu(E + a)                              (B, N, F)   E: a learned embedding per token (t, y, x)
    h2 = relu(h1 (W_2 * (1 + s)) + b_2)           (B, N, F)   GEMM, weights modulated per clip
    h3 = relu(h2 W_3 + b_3)                       (B, N, F)   GEMM
    f  = relu(h3 W_4 + b_4)                       (B, N, 2G)  GEMM to the head's feature map
    -> (B*T, 2G, H/p, W/p) -> up2, relu(conv3x3) (B*T, G, H/2, W/2) -> * (1 + g) -> up2, conv3x3 + c

The per-clip gain ``g`` on the last layer's inputs and the bias ``c`` give z a multiplicative route to
colour, as the token decoder's output gain did. With ``p = 2`` (frames whose sides are not multiples
of 4) the head has one transposed convolution.

Cost for the demo clip (8 x 32 x 32 x 3, F = 192): 0.108 GFLOP per clip (:func:`upconv_decoder_flops`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from latentlab.ml.config import VAEConfig
from latentlab.ml.token_decoder import _fourier_embedding, patch_size, token_count

HEAD = 16  # channels entering the last transposed convolution


def _up_steps(config: VAEConfig) -> int:
    return int(math.log2(patch_size(config)))


class UpconvDecoder(nn.Module):
    """Latents ``(B, D)`` -> clip logits ``(B, C, T, H, W)``: token GEMMs, then transposed convolutions."""

    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        f, d, c = config.frame_code, config.latent_dim, config.channels
        self.p = patch_size(config)
        self.n_gain = HEAD if _up_steps(config) > 1 else 2 * HEAD  # channels entering the last layer
        self.z_in = nn.Linear(d, f)
        self.modulation = nn.Linear(f, 2 * f + self.n_gain + c)  # a, s, g, c
        self.embedding = nn.Parameter(_fourier_embedding(config, f, torch.Generator().manual_seed(0)))  # (N, F)
        self.w2 = nn.Linear(f, f)
        self.w3 = nn.Linear(f, f)
        self.w4 = nn.Linear(f, 2 * HEAD)
        ups: list[nn.Module] = []
        c_in = 2 * HEAD
        for i in range(_up_steps(config)):
            last = i == _up_steps(config) - 1
            ups.append(nn.Conv2d(c_in, c if last else HEAD, 3, padding=1))  # after a 2x nearest upsampling
            c_in = HEAD
        self.ups = nn.ModuleList(ups)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for lin in (self.z_in, self.w2, self.w3, self.w4, *self.ups[:-1]):
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            nn.init.zeros_(lin.bias)
        last = self.ups[-1]
        nn.init.kaiming_normal_(last.weight, nonlinearity="linear")
        nn.init.constant_(last.bias, -2.5)  # start from a dark clip: most pixels are background
        nn.init.normal_(self.modulation.weight, std=0.3 / math.sqrt(self.config.frame_code))
        nn.init.zeros_(self.modulation.bias)

    @torch.no_grad()
    def zero_output(self) -> None:
        """Make the output exactly zero (the last convolution and the colour bias), for a residual."""
        nn.init.zeros_(self.ups[-1].weight)
        nn.init.zeros_(self.ups[-1].bias)
        c = self.config.channels
        nn.init.zeros_(self.modulation.weight[-c:])
        nn.init.zeros_(self.modulation.bias[-c:])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        cfg, f = self.config, self.config.frame_code
        b, t, c = z.shape[0], cfg.frames, cfg.channels
        hp, wp = cfg.height // self.p, cfg.width // self.p
        u = torch.addmm(self.z_in.bias, z, self.z_in.weight.t()).relu_()  # (B, F)
        mod = torch.addmm(self.modulation.bias, u, self.modulation.weight.t())  # (B, 2F + G + C)
        a, s, g, cb = mod.split([f, f, self.n_gain, c], dim=1)
        if b == 1:  # live decoding: plain 2-D GEMMs
            w2 = self.w2.weight * (s + 1.0).t()  # (F_out, F_in)
            h = (self.embedding + a).relu_()  # (N, F)
            h = torch.addmm(self.w2.bias, h, w2.t()).relu_()
            h = torch.addmm(self.w3.bias, h, self.w3.weight.t()).relu_()
            h = torch.addmm(self.w4.bias, h, self.w4.weight.t()).relu_()  # (N, 2G)
        else:
            w2 = self.w2.weight * (s + 1.0)[:, :, None]  # (B, F_out, F_in)
            h = (self.embedding + a[:, None, :]).relu_()  # (B, N, F)
            h = torch.baddbmm(self.w2.bias[None, None, :], h, w2.transpose(1, 2)).relu_()
            h = self.w3(h).relu_()
            h = self.w4(h).relu_()  # (B, N, 2G)
        h = h.reshape(b * t, hp, wp, 2 * HEAD).permute(0, 3, 1, 2)  # (B*T, 2G, H/p, W/p)
        for up in self.ups[:-1]:
            h = up(_double(h)).relu_()  # (B*T, G, 2h, 2w)
        gain = (g + 1.0).repeat_interleave(t, dim=0)[:, :, None, None]  # (B*T, G, 1, 1)
        y = self.ups[-1](_double(h * gain))  # (B*T, C, H, W)
        y = y + cb.repeat_interleave(t, dim=0)[:, :, None, None]
        return y.view(b, t, c, cfg.height, cfg.width).transpose(1, 2)  # (B, C, T, H, W)


def _double(h: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour 2x upsampling ``(N, C, h, w)`` -> ``(N, C, 2h, 2w)``."""
    return h.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)


def upconv_decoder_flops(config: VAEConfig) -> int:
    """FLOPs (2 per multiply-add) of decoding one clip with :class:`UpconvDecoder`."""
    f, d, c = config.frame_code, config.latent_dim, config.channels
    n = token_count(config)
    n_gain = HEAD if _up_steps(config) > 1 else 2 * HEAD
    per_clip = d * f + f * (2 * f + n_gain + c)
    per_token = 2 * f * f + f * 2 * HEAD
    hp, wp = config.height // patch_size(config), config.width // patch_size(config)
    conv, c_in, h, w = 0, 2 * HEAD, hp, wp
    for i in range(_up_steps(config)):
        c_out = c if i == _up_steps(config) - 1 else HEAD
        h, w = 2 * h, 2 * w
        conv += h * w * c_in * c_out * 9  # 3x3 conv after the 2x upsampling
        c_in = HEAD
    return 2 * (per_clip + n * per_token + config.frames * conv)
