"""A linear encoder and decoder path initialised from whitened PCA ("a linear VAE is PCA").

Probabilistic PCA (Tipping & Bishop 1999) is the linear-Gaussian VAE: its maximum-likelihood decoder is
``x = m + U diag(s) z`` with the top principal directions ``U`` of the data and ``s`` their standard
deviations (less the noise), its posterior mean the whitened coefficients ``diag(1/s) U^T (x - m)``,
and its posterior variance ``sigma^2 / s^2`` per dimension. With ``VAEConfig.linear_path`` the model
starts as exactly that model (fitted on a sample of the training clips by :meth:`LinearPath.fit`),
and the network's nonlinear encoder and decoder are added as residuals whose last layers start at
zero, so training begins at PCA's reconstructions with a latent already distributed like N(0, I) and
every step is spent on what the nonlinear part adds; the linear path itself stays PCA (frozen). On
small sets of a user's real videos a nonlinear model trained from scratch for minutes lost to PCA of
raw pixels by 3 dB; this path is the floor it now starts from. The decoder's output is then a pixel
value (not a logit), clipped to 0..1
when shown.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from latentlab.ml.config import VAEConfig

#: Clips sampled from the training set to fit the initial PCA (its directions settle well before this).
FIT_CLIPS = 2048


class LinearPath(nn.Module):
    """``encode``: clips ``(B, C, T, H, W)`` -> ``(B, D)``; ``decode``: ``(B, D)`` -> clips (pixel values)."""

    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        p, d = math.prod(config.clip_shape), config.latent_dim
        # Frozen: probabilistic PCA is already the best linear model of the clips, and Adam, which moves
        # every weight by about the learning rate, moved the whitening weights (~4e-4 each) by 10 % a
        # step even at 1/50 of the networks' rate (validation PSNR fell by 1.5 dB in six steps).
        self.mean = nn.Parameter(torch.full((p,), 0.5), requires_grad=False)
        self.enc = nn.Parameter(torch.zeros(d, p), requires_grad=False)
        self.dec = nn.Parameter(torch.zeros(p, d), requires_grad=False)

    @torch.no_grad()
    def fit(self, clips: torch.Tensor, sigma: float) -> torch.Tensor:
        """Set the path to whitened PCA of ``clips`` ``(N, C, T, H, W)`` in 0..1 (N may be < D).

        Returns the posterior log-variance of each dimension under probabilistic PCA with noise
        ``sigma`` (``(D,)``; 0, the prior, for dimensions beyond the data's rank): the encoder's start.
        """
        x = clips.reshape(clips.shape[0], -1).to(self.mean.dtype)
        mean = x.mean(0)
        d = self.config.latent_dim
        q = min(d, *x.shape)
        # Exact PCA through the clips' Gram matrix (N x N, N <= FIT_CLIPS): a randomised SVD's
        # approximate subspace started the model 0.003 dB below the PCA it is compared with.
        xc = (x - mean).double()
        evals, evecs = torch.linalg.eigh(xc @ xc.t())  # ascending
        evals, evecs = evals.flip(0)[:q].clamp_min(0), evecs.flip(1)[:, :q]
        s = evals.sqrt()
        v = ((xc.t() @ evecs) / s.clamp_min(1e-12)).to(x.dtype)  # (P, q) orthonormal directions
        s = s.to(x.dtype)
        std = s / math.sqrt(max(1, x.shape[0] - 1))  # sd of each principal coefficient
        std = std.clamp_min(1e-6)
        enc = torch.zeros_like(self.enc)
        dec = torch.zeros_like(self.dec)
        enc[:q] = (v / std).t()  # whitened coefficients: unit variance over the data
        dec[:, :q] = v * std
        self.mean.copy_(mean)
        self.enc.copy_(enc)
        self.dec.copy_(dec)
        logvar = torch.full((d,), 0.0)  # unused dimensions: the prior (KL 0)
        logvar[:q] = 2 * math.log(sigma) - 2 * torch.log(std)  # pPCA: sigma^2 / s^2
        return logvar.clamp(-14.0, 0.0)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return (x.reshape(x.shape[0], -1) - self.mean) @ self.enc.t()

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        out = torch.addmm(self.mean, z, self.dec.t())  # (B, P)
        return out.view(z.shape[0], *self.config.clip_shape)


def linear_path_flops(config: VAEConfig) -> int:
    """FLOPs (2 per multiply-add) of the decoder's linear path for one clip."""
    return 2 * math.prod(config.clip_shape) * config.latent_dim
