"""ELBO terms as plain functions, in nats per clip (the teaching panel shows them too).

For a clip x and a diagonal Gaussian posterior q(z|x) = N(mu, diag(exp(logvar))):

* KL(q(z|x) || N(0, I)) = sum_d 0.5 * (mu_d^2 + exp(logvar_d) - 1 - logvar_d)   (closed form)
* Gaussian reconstruction NLL with fixed sigma:
  0.5 * sum((x - x_hat)^2) / sigma^2 + N * log(sigma * sqrt(2 pi)), N = pixels x channels
* Bernoulli reconstruction NLL: binary cross-entropy of the decoder logits, summed over pixels.

The loss is NLL + beta * KL; with beta = 1 it is the negative ELBO, an upper bound of -log p(x).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from latentlab.ml.config import VAEConfig


def kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q || N(0, 1)) of every latent dimension, ``(B, D)`` nats."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) per clip, ``(B,)`` nats."""
    return kl_per_dim(mu, logvar).sum(1)


def gaussian_nll(x: torch.Tensor, mean: torch.Tensor, sigma: float | torch.Tensor) -> torch.Tensor:
    """-log N(x; mean, sigma^2 I) per clip, ``(B,)`` nats; ``x``, ``mean`` ``(B, ...)`` in 0..1.

    ``sigma`` may be a learnt scalar tensor: the gradient then reaches it too.
    """
    n = x[0].numel()
    sq = (x - mean).pow(2).flatten(1).sum(1)  # (B,)
    log_sigma = torch.log(sigma) if isinstance(sigma, torch.Tensor) else math.log(sigma)
    return 0.5 * sq / sigma**2 + n * (log_sigma + 0.5 * math.log(2 * math.pi))


def decoded_mean(raw: torch.Tensor, config: VAEConfig) -> torch.Tensor:
    """The mean clip from the decoder's raw output: the sigmoid of logits, or, for a model with a
    linear path (:mod:`latentlab.ml.linear_path`), the pixel values themselves (not clipped: the
    likelihood sees the linear model's own mean)."""
    return raw if config.linear_path else torch.sigmoid(raw)


def bernoulli_nll(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """-log Bernoulli(x; sigmoid(logits)) per clip, ``(B,)`` nats (x may be fractional)."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def reconstruction_nll(
    x: torch.Tensor, logits: torch.Tensor, config: VAEConfig, sigma: float | torch.Tensor | None = None
) -> torch.Tensor:
    """Reconstruction NLL per clip ``(B,)`` under the config's likelihood.

    ``sigma``: the Gaussian's std. dev. (a model's :attr:`~latentlab.ml.model.VideoVAE.sigma`, learnt
    or fixed); ``None`` means the config's fixed ``sigma``.
    """
    if config.likelihood == "bernoulli":
        return bernoulli_nll(x, logits)
    return gaussian_nll(x, decoded_mean(logits, config), config.sigma if sigma is None else sigma)


def elbo_terms(
    x: torch.Tensor,
    logits: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    config: VAEConfig,
    sigma: float | torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Batch means of the per-clip terms: ``nll``, ``kl`` (nats per clip) and ``mse`` (per pixel).

    ``x`` and ``logits`` are ``(B, C, T, H, W)``; ``mu``, ``logvar`` ``(B, D)``; ``sigma`` as for
    :func:`reconstruction_nll`.
    """
    nll = reconstruction_nll(x, logits, config, sigma).mean()
    kl = kl_divergence(mu, logvar).mean()
    with torch.no_grad():
        mse = (decoded_mean(logits, config).clamp(0.0, 1.0) - x).pow(2).mean()
    return {"nll": nll, "kl": kl, "mse": mse}


def vae_loss(
    x: torch.Tensor,
    logits: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    config: VAEConfig,
    sigma: float | torch.Tensor,
    beta: float,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The training objective ``NLL + beta * KL`` (batch mean, nats per clip) and its terms
    (:func:`elbo_terms` plus ``loss``): the one place the loss is computed."""
    terms = elbo_terms(x, logits, mu, logvar, config, sigma)
    total = terms["nll"] + beta * terms["kl"]
    return total, {**terms, "loss": total}


def psnr_from_mse(mse: float | torch.Tensor, peak: float = 1.0):
    """Peak signal-to-noise ratio in dB of a mean squared error on a 0..peak scale."""
    if isinstance(mse, torch.Tensor):
        return 10.0 * torch.log10(peak**2 / mse.clamp_min(1e-12))
    return 10.0 * math.log10(peak**2 / max(float(mse), 1e-12))
