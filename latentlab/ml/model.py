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

* ``"upconv"`` (the default, :mod:`latentlab.ml.upconv_decoder`): the token trunk below, then
  nearest-neighbour upsampling and 3x3 convolutions, so no pixel belongs to one token alone.
* ``"tokens"`` (:mod:`latentlab.ml.token_decoder`): one token per 4x4 pixel patch of
  each frame, and the same z-modulated MLP on every token, so all its FLOPs are three GEMMs with
  ``N = T * H * W / 16`` rows (512 for the demo clip). At batch 1 (live dragging) it runs at
  1.2x its matmul roof on one CPU thread where the conv decoder below ran at 4.3-4.6x (every
  figure in ``BENCHMARKS.md``), and it learnt as fast per epoch in the demo's training runs.
* ``"conv"`` (the first design; checkpoints written before ``decoder`` existed use it):
  per-frame transposed convolutions, :mod:`latentlab.ml.conv_decoder`.

With ``config.linear_path`` the encoder and decoder each also have a linear path initialised from
whitened PCA of the training clips (:mod:`latentlab.ml.linear_path`), and the networks above become
residuals whose last layers start at zero: the model starts as probabilistic PCA.

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
from latentlab.ml.conv_decoder import ConvDecoder, conv_decoder_flops, rename_legacy_keys
from latentlab.ml.linear_path import LinearPath, linear_path_flops
from latentlab.ml.losses import decoded_mean, vae_loss
from latentlab.ml.token_decoder import TokenDecoder, token_decoder_flops
from latentlab.ml.upconv_decoder import UpconvDecoder, upconv_decoder_flops

# The learnt likelihood's std. dev. stays above 1/1000 of the pixel range (below the uint8 step, so a
# perfect fit cannot drive the NLL to minus infinity).
_LOG_SIGMA_MIN = math.log(1e-3)
# With a linear path, the networks' outputs are added at this scale. Their last layers start at zero,
# and Adam's first steps move every weight by about the learning rate whatever its gradient: at full
# scale six steps cut validation PSNR on real footage from 25.7 to 20.3 dB (from PCA to far below it).
RESIDUAL_SCALE = 0.05


def _encoder_channels(cfg: VAEConfig) -> list[int]:
    w = cfg.base_width
    return [min(w * (1 << i), 4 * w) for i in range(cfg.n_scales)]  # e.g. 32, 64, 128


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


@dataclass
class VAEOutput:
    """Everything one forward pass computes (tensors keep their graph)."""

    logits: torch.Tensor  # (B, C, T, H, W): the decoder's raw output (see VideoVAE.decode_logits)
    mu: torch.Tensor  # (B, D)
    logvar: torch.Tensor  # (B, D)
    z: torch.Tensor  # (B, D)
    sigma: torch.Tensor | float  # the likelihood's std. dev. (a learnt scalar tensor, or the config's)
    config: VAEConfig

    @property
    def recon(self) -> torch.Tensor:
        """The decoded mean clip in 0..1, ``(B, C, T, H, W)``."""
        return decoded_mean(self.logits, self.config).clamp(0.0, 1.0)


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
        decoders = {"upconv": UpconvDecoder, "tokens": TokenDecoder, "conv": ConvDecoder}
        self.decoder = decoders[config.decoder](config)
        if config.linear_path:
            self.linear_path = LinearPath(config)
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
        nn.init.constant_(last.bias[self.config.latent_dim :], -5.0)  # signals such as colour
        self.decoder.reset_parameters()
        if self.config.linear_path:
            # The networks are residuals of the linear path that start at exactly zero: their last layers
            # are zero, so the first steps already train them (a zero gate in front would not: its
            # gradient is the residual's correlation with the error, ~0 for a random residual, and in a
            # run on real footage the gates stayed below 0.01 for 500 steps).
            nn.init.zeros_(last.weight[: self.config.latent_dim])
            nn.init.zeros_(last.bias[: self.config.latent_dim])
            self.decoder.zero_output()

    @torch.no_grad()
    def fit_linear_path(self, clips: torch.Tensor) -> None:
        """Start the linear path as whitened PCA of ``clips`` ``(N, C, T, H, W)`` in 0..1, and the
        encoder's posterior variance at probabilistic PCA's (a no-op without ``config.linear_path``)."""
        if not self.config.linear_path:
            return
        logvar = self.linear_path.fit(clips, self.sigma_value())
        self.enc_mlp[-1].bias[self.config.latent_dim :] = logvar.to(self.enc_mlp[-1].bias.dtype)

    # ------------------------------------------------------------------------------ encoder
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior parameters of clips ``x`` ``(B, C, T, H, W)``: ``mu, logvar`` each ``(B, D)``."""
        b, c, t, h, w = x.shape
        frames = x.transpose(1, 2).reshape(b * t, c, h, w)  # (B*T, C, H, W)
        feats = self.frame_encoder(frames).view(b, -1)  # (B, T*F), frames in time order
        mu, logvar = self.enc_mlp(feats).chunk(2, dim=1)  # (B, D) each
        if self.config.linear_path:
            mu = self.linear_path.encode(x) + RESIDUAL_SCALE * mu
        return mu, logvar.clamp(-30.0, 20.0)  # keeps exp() finite in half precision and at init

    @staticmethod
    def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator=None) -> torch.Tensor:
        """``z = mu + sigma * eps`` with ``eps ~ N(0, I)``; gradients flow to mu and logvar."""
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps

    # ------------------------------------------------------------------------------ decoder
    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's raw output ``(B, C, T, H, W)``: logits before the sigmoid, or with
        ``config.linear_path`` pixel values (:func:`~latentlab.ml.losses.decoded_mean` maps either
        to the mean clip)."""
        out = self.decoder(z)
        if self.config.linear_path:
            out = self.linear_path.decode(z) + RESIDUAL_SCALE * out
        return out

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The mean clip of p(x|z) in 0..1, ``(B, C, T, H, W)``."""
        return decoded_mean(self.decode_logits(z), self.config).clamp(0.0, 1.0)

    # ------------------------------------------------------------------------------ whole model
    def forward(self, x: torch.Tensor, generator=None) -> VAEOutput:
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar, generator) if self.training else mu
        return VAEOutput(self.decode_logits(z), mu, logvar, z, self.sigma, self.config)

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
        total, terms = vae_loss(
            x, out.logits, out.mu, out.logvar, self.config, out.sigma, self.config.beta if beta is None else beta
        )
        return total, {k: float(v.detach()) for k, v in terms.items()}

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
    flops = {"upconv": upconv_decoder_flops, "tokens": token_decoder_flops, "conv": conv_decoder_flops}
    extra = linear_path_flops(config) if config.linear_path else 0
    return flops[config.decoder](config) + extra


def upgrade_state(state: dict) -> dict:
    """Weights saved before every decoder was the submodule ``decoder`` (``upconv_decoder.*``,
    ``token_decoder.*``, the conv decoder's top-level names), renamed for this version (in place)."""
    rename_legacy_keys(state, "")
    for old in ("upconv_decoder.", "token_decoder.", "conv_decoder."):
        for key in [k for k in state if k.startswith(old)]:
            state["decoder." + key[len(old) :]] = state.pop(key)
    return state


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
