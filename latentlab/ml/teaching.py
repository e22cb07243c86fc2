"""The two ELBO terms of one clip, through the very loss functions the trainer uses.

    ELBO(x) = E_q(z|x)[log p(x|z)] - KL(q(z|x) || N(0, I))

The KL term is exact (closed form, :func:`latentlab.ml.losses.kl_per_dim`); the reconstruction term
is estimated with ``S`` reparameterised samples ``z = mu + sigma * eps`` (seeded), and also given
at ``z = mu`` (what the trainer computes in eval mode). The likelihood p(x|z) is the one in the
model config (Gaussian with fixed ``sigma`` or Bernoulli), through
:func:`latentlab.ml.losses.reconstruction_nll`: nothing is re-derived here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from latentlab.ml.data import to_model_layout
from latentlab.ml.losses import kl_per_dim, reconstruction_nll
from latentlab.ml.model import VideoVAE


@dataclass(frozen=True)
class ClipElbo:
    """ELBO terms of one clip, in nats.

    Attributes
    ----------
    nll
        Monte-Carlo estimate of ``-E_q[log p(x|z)]`` over ``n_samples`` samples of z.
    nll_sem
        Its standard error (0 for one sample).
    nll_at_mean
        ``-log p(x | z = mu)``: the trainer's reconstruction term in eval mode.
    kl
        ``KL(q(z|x) || N(0, I))``, exact.
    kl_per_dim
        ``(D,)`` the KL of each dimension (sums to ``kl``).
    mu, logvar
        ``(D,)`` the posterior parameters the encoder gave this clip.
    n_samples, seed
        How the expectation was estimated.
    likelihood, sigma, n_values, beta
        From the model config: ``"gaussian"`` or ``"bernoulli"``, the Gaussian's sigma, the number
        of values in a clip (T x H x W x C) and the KL weight the model was trained with.
    """

    nll: float
    nll_sem: float
    nll_at_mean: float
    kl: float
    kl_per_dim: np.ndarray
    mu: np.ndarray
    logvar: np.ndarray
    n_samples: int
    seed: int
    likelihood: str
    sigma: float
    n_values: int
    beta: float

    @property
    def reconstruction(self) -> float:
        """``E_q[log p(x|z)]`` (estimated), nats: the first ELBO term."""
        return -self.nll

    @property
    def elbo(self) -> float:
        """``E_q[log p(x|z)] - KL``, nats: a lower bound of ``log p(x)``."""
        return -self.nll - self.kl


@torch.inference_mode()
def clip_elbo(model: VideoVAE, clip_u8: np.ndarray, n_samples: int = 16, seed: int = 0) -> ClipElbo:
    """ELBO terms of one clip ``(T, H, W, C)`` uint8 under ``model`` (put in eval mode for the call).

    ``n_samples`` 0 uses only ``z = mu`` for the expectation (then ``nll == nll_at_mean``).
    """
    clip = np.asarray(clip_u8)
    if clip.ndim == 4:
        clip = clip[None]
    cfg = model.config
    want = (1, cfg.frames, cfg.height, cfg.width, cfg.channels)
    if clip.shape != want or clip.dtype != np.uint8:
        raise ValueError(f"the clip must be uint8 of shape {want[1:]} (T, H, W, C); got {clip.dtype} {clip.shape[1:]}")
    was_training = model.training
    model.eval()
    try:
        dev = next(model.parameters()).device
        x = to_model_layout(
            torch.from_numpy(np.array(clip)), dev
        )  # (1, C, T, H, W); a copy: the store's memmap is read-only
        mu, logvar = model.encode(x)  # (1, D) each
        nll_mean = float(reconstruction_nll(x, model.decode_logits(mu), cfg, model.sigma)[0])
        s = max(0, int(n_samples))
        if s:
            gen = torch.Generator(device=dev)
            gen.manual_seed(int(seed))
            z = model.reparameterize(mu.expand(s, -1), logvar.expand(s, -1), gen)  # (S, D)
            nlls = reconstruction_nll(
                x.expand(s, *x.shape[1:]), model.decode_logits(z), cfg, model.sigma
            ).double()  # (S,)
            nll = float(nlls.mean())
            sem = float(nlls.std() / np.sqrt(s)) if s > 1 else 0.0
        else:
            nll, sem = nll_mean, 0.0
        kld = kl_per_dim(mu, logvar)[0].double().cpu().numpy()  # (D,)
    finally:
        model.train(was_training)
    return ClipElbo(
        nll=nll,
        nll_sem=sem,
        nll_at_mean=nll_mean,
        kl=float(kld.sum()),
        kl_per_dim=kld,
        mu=mu[0].float().cpu().numpy(),
        logvar=logvar[0].float().cpu().numpy(),
        n_samples=s,
        seed=int(seed),
        likelihood=cfg.likelihood,
        sigma=model.sigma_value(),
        n_values=int(np.prod(clip.shape[1:])),
        beta=float(cfg.beta),
    )


def codec_clip_elbo(codec, clip_u8: np.ndarray, n_samples: int = 16, seed: int = 0) -> ClipElbo | None:
    """:func:`clip_elbo` with the model of a :class:`~latentlab.ml.codec.ClipCodec`; ``None`` when the
    codec has no VideoVAE behind it (a stand-in model cannot give a likelihood)."""
    model = getattr(codec, "model", None)
    if not isinstance(model, VideoVAE):
        return None
    return clip_elbo(model, clip_u8, n_samples, seed)
