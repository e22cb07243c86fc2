"""A small video VAE for short clips, built so that decoding is cheap enough for live dragging.

Architecture (why it looks like this)
-------------------------------------
Encoder: every frame goes through the same 2-D conv stack (stride-2 4x4 convolutions down to about
4x4 pixels, with two CoordConv channels holding pixel x and y so that position is easy to read
out), plus the per-channel max and mean of the frame (a linear route for clip-wide colour); the
per-frame features are *concatenated in time order* and an MLP maps them to ``mu`` and
``log sigma^2`` of a diagonal Gaussian q(z|x). Concatenation (not pooling) keeps the order of
frames, so the encoder sees motion. The encoder runs once per clip and may be the heavier half.

Decoder (``config.decoder``):

* ``"tokens"`` (the default, :mod:`latentlab.ml.token_decoder`): one token per 4x4 pixel patch of
  each frame, and the same z-modulated MLP on every token, so all its FLOPs are three GEMMs with
  ``N = T * H * W / 16`` rows (512 for the demo clip). At batch 1 (live dragging) it runs at
  1.2x its matmul roof on one CPU thread where the conv decoder below ran at 4.3-4.6x (every
  figure in ``BENCHMARKS.md``), and it learnt as fast per epoch in the demo's training runs.
* ``"conv"`` (the first design; checkpoints written before ``decoder`` existed use it):
  z -> MLP -> one code per frame (the MLP's second layer adds a learned embedding of the frame
  index, so one z gives a whole trajectory) -> a shared per-frame 2-D decoder of stride-2 4x4
  transposed convolutions up to full size -> 3x3 conv, plus a per-frame *colour mix* (a C x K
  matrix and bias computed from the frame code, applied as a 1x1 conv to the K last feature maps).
  A 3-D transposed-conv decoder of the same FLOPs ran about half as fast on CPU (oneDNN is far
  better tuned for 2-D); a full-resolution spatial-broadcast decoder costs 5-10x more.

Why the colour routes: in pilot runs colour stayed grey for thousands of steps (encoder and decoder
both ignored it: a saddle); the frame statistics in the encoder, a multiplicative colour route in
the decoder (the conv decoder's colour mix, the token decoder's per-clip output gain) and a small
initial posterior variance (log sigma^2 = -5, so the decoder is not drowned in unit noise before it
has learnt to use weak signals) fixed that.

Cost (multiply-add = 2 FLOPs; :func:`decoder_flops` computes it, a test checks it against
torch's FLOP counter, ``benchmarks/bench_model.py`` times it), base_width 16, frame_code 256,
latent_dim 16:

============================  ======================  ===================  ================
clip                          token decoder / clip    conv decoder / clip  encoder / clip
============================  ======================  ===================  ================
8 x 32 x 32 x 3 (demo model)  0.147 GFLOP             0.047 GFLOP          0.027 GFLOP
8 x 64 x 64 x 3               0.58 GFLOP              0.138 GFLOP          0.110 GFLOP
============================  ======================  ===================  ================

so an 8x64x64x3 clip decodes inside the 1 GFLOP budget for live decoding with either decoder.
The token decoder spends 3x the conv decoder's FLOPs on the demo clip and still decodes faster
(1.9 vs 2.2 ms on one thread), because its FLOPs run at the CPU's matmul speed.

The API follows pythae's spirit: :meth:`VideoVAE.encode`, :meth:`~VideoVAE.decode`,
:meth:`~VideoVAE.reconstruct`, :meth:`~VideoVAE.sample_prior`, :meth:`~VideoVAE.interpolate`; the
loss terms live in :mod:`latentlab.ml.losses`. Clips inside the network are float tensors in 0..1
laid out ``(B, C, T, H, W)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from latentlab.ml.config import VAEConfig
from latentlab.ml.losses import elbo_terms
from latentlab.ml.token_decoder import TokenDecoder, token_decoder_flops
from latentlab.ml.upconv_decoder import UpconvDecoder, upconv_decoder_flops


# The learnt likelihood's std. dev. stays above 1/1000 of the pixel range (below the uint8 step, so a
# perfect fit cannot drive the NLL to minus infinity).
_LOG_SIGMA_MIN = math.log(1e-3)


def _encoder_channels(cfg: VAEConfig) -> list[int]:
    w = cfg.base_width
    return [min(w * (1 << i), 4 * w) for i in range(cfg.n_scales)]  # e.g. 32, 64, 128


def _decoder_channels(cfg: VAEConfig) -> list[int]:
    # Widest at the coarsest scale, halving towards full resolution (cheap where pixels are many).
    w = cfg.base_width
    return [max(4 * w >> i, w) for i in range(cfg.n_scales + 1)]  # e.g. 64, 32, 16, 16 for w=16


def _coords(h: int, w: int, device, dtype) -> torch.Tensor:
    ys = torch.linspace(-1.0, 1.0, h, device=device, dtype=dtype)
    xs = torch.linspace(-1.0, 1.0, w, device=device, dtype=dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy])  # (2, H, W)


class FrameEncoder(nn.Module):
    """Shared per-frame conv stack: ``(N, C, H, W)`` -> ``(N, frame_code)``."""

    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        chans = _encoder_channels(cfg)
        layers: list[nn.Module] = []
        c_in = cfg.channels + 2  # + CoordConv x, y
        for c in chans:
            layers += [nn.Conv2d(c_in, c, 4, stride=2, padding=1), nn.ReLU(inplace=True)]
            c_in = c
        self.convs = nn.Sequential(*layers)
        s = 1 << cfg.n_scales
        # + per-channel max and mean of the frame: a direct, linear route for clip-wide colour and
        # brightness. Without it colour sits behind a saddle (encoder and decoder both ignore it
        # at first) and stayed unlearnt for thousands of steps in pilot runs.
        self.out = nn.Linear(c_in * (cfg.height // s) * (cfg.width // s) + 2 * cfg.channels, cfg.frame_code)
        self.register_buffer("coords", _coords(cfg.height, cfg.width, None, torch.float32), persistent=False)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        n = frames.shape[0]
        xy = self.coords.to(frames.dtype).expand(n, -1, -1, -1)  # (N, 2, H, W)
        h = self.convs(torch.cat([frames, xy], 1))  # (N, C', h, w)
        stats = torch.cat([frames.amax(dim=(2, 3)), frames.mean(dim=(2, 3))], 1)  # (N, 2C)
        return torch.relu(self.out(torch.cat([h.flatten(1), stats], 1)))  # (N, F)


class FrameDecoder(nn.Module):
    """Shared per-frame transposed-conv stack: ``(N, frame_code)`` -> ``(N, C, H, W)`` logits."""

    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        chans = _decoder_channels(cfg)
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
        # Start from a dark frame (most pixels are background): the first steps then learn the
        # sprite instead of spending thousands of nats pulling every pixel down from grey 0.5.
        nn.init.constant_(self.out.bias, -2.5)

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.inp(code)).view(-1, self.c0, self.h0, self.w0)  # (N, C0, h0, w0)
        h = self.ups(h)  # (N, K, H, W)
        n, c = h.shape[0], self.out.out_channels
        mix = self.mix(code).view(n, c, self.k_last + 1)  # (N, C, K + 1)
        dynamic = torch.bmm(mix[:, :, :-1], h.flatten(2)).view(n, c, *h.shape[2:])  # (N, C, H, W)
        return self.out(h) + dynamic + mix[:, :, -1, None, None]


@dataclass
class VAEOutput:
    """Everything one forward pass computes (tensors keep their graph)."""

    logits: torch.Tensor  # (B, C, T, H, W), before the sigmoid
    mu: torch.Tensor  # (B, D)
    logvar: torch.Tensor  # (B, D)
    z: torch.Tensor  # (B, D)
    sigma: torch.Tensor | float  # the likelihood's std. dev. (a learnt scalar tensor, or the config's)

    @property
    def recon(self) -> torch.Tensor:
        """The decoded mean clip in 0..1, ``(B, C, T, H, W)``."""
        return torch.sigmoid(self.logits)


class VideoVAE(nn.Module):
    """Video VAE: ``(B, C, T, H, W)`` clips in 0..1 <-> latents ``(B, D)``.

    Parameters
    ----------
    config
        The :class:`~latentlab.ml.config.VAEConfig`; kept as ``self.config``.
    """

    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        t, f, d = config.frames, config.frame_code, config.latent_dim
        self.frame_encoder = FrameEncoder(config)
        self.enc_mlp = nn.Sequential(nn.Linear(t * f, f), nn.ReLU(inplace=True), nn.Linear(f, 2 * d))
        if config.learn_sigma:  # log of the Gaussian likelihood's std. dev., learnt with the weights
            self.log_sigma = nn.Parameter(torch.tensor(math.log(config.sigma)))
        if config.decoder == "upconv":
            self.upconv_decoder = UpconvDecoder(config)
        elif config.decoder == "tokens":
            self.token_decoder = TokenDecoder(config)
        else:  # "conv"
            self.dec_in = nn.Linear(d, f)
            self.time_embedding = nn.Parameter(torch.zeros(t, f))  # added per frame in the decoder MLP
            self.dec_mid = nn.Linear(f, f)
            self.frame_decoder = FrameDecoder(config)
        self._init_weights()

    def _init_weights(self) -> None:
        # He initialisation keeps activations at unit scale through the ReLU stacks (PyTorch's
        # default shrinks them ~2x per layer, which made colour take thousands of steps to appear).
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)
        last = self.enc_mlp[-1]  # mu small, and a small posterior variance (logvar -5) at first:
        nn.init.normal_(last.weight, std=0.01)  # with unit noise the decoder could not use weak
        nn.init.constant_(last.bias[self.config.latent_dim:], -5.0)  # signals such as colour
        if self.config.decoder == "upconv":
            self.upconv_decoder.reset_parameters()
            return
        if self.config.decoder == "tokens":
            self.token_decoder.reset_parameters()
            return
        nn.init.normal_(self.time_embedding, std=0.5)
        mix, out = self.frame_decoder.mix, self.frame_decoder.out
        nn.init.normal_(mix.weight, std=0.3 / self.config.frame_code**0.5)  # small, not zero: no saddle
        nn.init.kaiming_normal_(out.weight, nonlinearity="linear")
        nn.init.constant_(out.bias, -2.5)  # a dark frame, like most of every clip

    # ------------------------------------------------------------------------------ encoder
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior parameters of clips ``x`` ``(B, C, T, H, W)``: ``mu, logvar`` each ``(B, D)``."""
        b, c, t, h, w = x.shape
        frames = x.transpose(1, 2).reshape(b * t, c, h, w)  # (B*T, C, H, W)
        feats = self.frame_encoder(frames).view(b, -1)  # (B, T*F), frames in time order
        mu, logvar = self.enc_mlp(feats).chunk(2, dim=1)  # (B, D) each
        return mu, logvar.clamp(-30.0, 20.0)  # keeps exp() finite in half precision and at init

    @staticmethod
    def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator=None) -> torch.Tensor:
        """``z = mu + sigma * eps`` with ``eps ~ N(0, I)``; gradients flow to mu and logvar."""
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps

    # ------------------------------------------------------------------------------ decoder
    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Decoder output before the sigmoid, ``(B, C, T, H, W)``."""
        cfg = self.config
        if cfg.decoder == "upconv":
            return self.upconv_decoder(z)
        if cfg.decoder == "tokens":
            return self.token_decoder(z)
        b = z.shape[0]
        h = torch.relu(self.dec_in(z))  # (B, F)
        g = torch.relu(self.dec_mid(h)[:, None, :] + self.time_embedding)  # (B, T, F)
        frames = self.frame_decoder(g.reshape(b * cfg.frames, -1))  # (B*T, C, H, W)
        return frames.view(b, cfg.frames, cfg.channels, cfg.height, cfg.width).transpose(1, 2)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The mean clip of p(x|z) in 0..1, ``(B, C, T, H, W)``."""
        return torch.sigmoid(self.decode_logits(z))

    # ------------------------------------------------------------------------------ whole model
    def forward(self, x: torch.Tensor, generator=None) -> VAEOutput:
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar, generator) if self.training else mu
        return VAEOutput(self.decode_logits(z), mu, logvar, z, self.sigma)

    @property
    def sigma(self) -> torch.Tensor | float:
        """Standard deviation of the Gaussian likelihood: the learnt one, or the config's fixed one."""
        if self.config.learn_sigma:
            return self.log_sigma.clamp(_LOG_SIGMA_MIN, 0.0).exp()
        return self.config.sigma

    def sigma_value(self) -> float:
        """:attr:`sigma` as a plain number (for reports and the teaching panels)."""
        return float(torch.as_tensor(self.sigma).detach())

    def loss(self, x: torch.Tensor, beta: float | None = None, generator=None) -> tuple[torch.Tensor, dict]:
        """Batch-mean of ``NLL + beta * KL`` (nats per clip) and the detached terms as floats."""
        out = self(x, generator)
        terms = elbo_terms(x, out.logits, out.mu, out.logvar, self.config, out.sigma)
        b = self.config.beta if beta is None else beta
        total = terms["nll"] + b * terms["kl"]
        metrics = {k: float(v.detach()) for k, v in terms.items()}
        metrics["loss"] = float(total.detach())
        return total, metrics

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Decode the posterior mean of ``x``: ``(B, C, T, H, W)`` in 0..1."""
        return self.decode(self.encode(x)[0])

    @torch.no_grad()
    def sample_prior(self, n: int, generator=None) -> torch.Tensor:
        """``n`` clips decoded from z ~ N(0, I): ``(n, C, T, H, W)``."""
        p = next(self.parameters())
        z = torch.randn(n, self.config.latent_dim, generator=generator, device=p.device, dtype=p.dtype)
        return self.decode(z)

    @torch.no_grad()
    def interpolate(self, x0: torch.Tensor, x1: torch.Tensor, steps: int = 8) -> torch.Tensor:
        """Decode ``steps`` points on the line between the posterior means of two clips.

        ``x0``, ``x1`` are single clips ``(C, T, H, W)`` or batches ``(B, C, T, H, W)``; the result
        is ``(B, steps, C, T, H, W)`` (``B`` = 1 for single clips).
        """
        if x0.dim() == 4:
            x0, x1 = x0[None], x1[None]
        mu0, mu1 = self.encode(x0)[0], self.encode(x1)[0]  # (B, D)
        a = torch.linspace(0, 1, steps, device=mu0.device, dtype=mu0.dtype)[None, :, None]  # (1, S, 1)
        z = (1 - a) * mu0[:, None] + a * mu1[:, None]  # (B, S, D)
        out = self.decode(z.reshape(-1, z.shape[-1]))  # (B*S, C, T, H, W)
        return out.view(z.shape[0], steps, *out.shape[1:])


def decoder_flops(config: VAEConfig) -> int:
    """FLOPs (2 per multiply-add) of decoding one clip, counting linear and conv layers."""
    if config.decoder == "upconv":
        return upconv_decoder_flops(config)
    if config.decoder == "tokens":
        return token_decoder_flops(config)
    f, t = config.frame_code, config.frames
    chans = _decoder_channels(config)
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


def encoder_flops(config: VAEConfig) -> int:
    """FLOPs (2 per multiply-add) of encoding one clip."""
    f, t = config.frame_code, config.frames
    h, w, c_in = config.height, config.width, config.channels + 2
    per_frame = 0
    for c in _encoder_channels(config):
        h, w = h // 2, w // 2
        per_frame += c_in * c * 16 * h * w
        c_in = c
    per_frame += (c_in * h * w + 2 * config.channels) * f
    return 2 * (t * per_frame + t * f * f + f * 2 * config.latent_dim)
