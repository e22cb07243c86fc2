"""The numbers the teaching panels show, in numpy: KL per dimension, active and collapsed units,
posterior and prior samples, and the norm of lerp and slerp paths against the prior's typical norm.

For a diagonal Gaussian posterior q(z|x) = N(mu, diag(sigma^2)) and the prior N(0, I), the KL
divergence splits over dimensions in closed form:

    KL(q || p) = sum_d 0.5 * (mu_d^2 + sigma_d^2 - 1 - log sigma_d^2)

A unit is *active* when its posterior mean varies over the data (variance of mu_d above
``ACTIVE_UNIT_THRESHOLD``, the rule of Burda et al. 2016 that ``latentlab eval`` reports); a unit
whose mean KL over the data is below ``COLLAPSED_KL`` nats carries (almost) no information either:
the encoder outputs the prior there whatever the clip, and the decoder learnt to ignore it.
A unit that fails either test is shown as *collapsed*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentlab.core.arrays import as_latents
from latentlab.core.errors import LatentSpaceError
from latentlab.core.interpolation import lerp, slerp

#: Same value as ``latentlab.ml.metrics.ACTIVE_UNIT_THRESHOLD`` (a test keeps them equal; core
#: cannot import ml).
ACTIVE_UNIT_THRESHOLD = 0.01
#: Mean KL (nats over the data) below which a unit counts as collapsed.
COLLAPSED_KL = 0.01


def _pair(mu, logvar) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(mu, np.float64)
    lv = np.asarray(logvar, np.float64)
    if m.shape != lv.shape or m.ndim not in (1, 2) or m.size == 0:
        raise LatentSpaceError(
            f"mu and logvar must be non-empty (D,) or (N, D) arrays of one shape; got {m.shape} and {lv.shape}"
        )
    if not (np.isfinite(m).all() and np.isfinite(lv).all()):
        raise LatentSpaceError("mu or logvar hold NaN or infinite values")
    return m, lv


def kl_per_dim(mu, logvar) -> np.ndarray:
    """KL(N(mu_d, exp(logvar_d)) || N(0, 1)) of every dimension, in nats.

    ``mu``, ``logvar`` are ``(D,)`` (one clip) or ``(N, D)``; the result has the same shape.
    """
    m, lv = _pair(mu, logvar)
    return 0.5 * (m**2 + np.exp(lv) - 1.0 - lv)


def kl_total(mu, logvar) -> float | np.ndarray:
    """KL(q(z|x) || N(0, I)) in nats: a float for one clip ``(D,)``, ``(N,)`` for ``(N, D)``."""
    kl = kl_per_dim(mu, logvar).sum(-1)
    return float(kl) if np.ndim(kl) == 0 else kl


@dataclass(frozen=True)
class UnitReport:
    """What each latent unit does over a dataset.

    Attributes
    ----------
    mean_kl
        ``(D,)`` mean KL per dimension over the clips, nats.
    mu_variance
        ``(D,)`` variance of the posterior mean over the clips.
    active
        ``(D,)`` bool, ``mu_variance > ACTIVE_UNIT_THRESHOLD`` (``latentlab eval``'s rule).
    collapsed
        ``(D,)`` bool: not active, or ``mean_kl < COLLAPSED_KL``.
    """

    mean_kl: np.ndarray
    mu_variance: np.ndarray
    active: np.ndarray
    collapsed: np.ndarray

    @property
    def n_active(self) -> int:
        return int(self.active.sum())

    @property
    def n_collapsed(self) -> int:
        return int(self.collapsed.sum())


def unit_report(mu, logvar) -> UnitReport:
    """Active and collapsed units of the posteriors ``mu``, ``logvar`` ``(N, D)`` of a dataset."""
    m, lv = _pair(mu, logvar)
    if m.ndim != 2:
        raise LatentSpaceError(f"unit_report needs the latents of many clips, (N, D); got {m.shape}")
    mean_kl = kl_per_dim(m, lv).mean(0)
    var = m.var(0) if m.shape[0] > 1 else np.zeros(m.shape[1])
    active = var > ACTIVE_UNIT_THRESHOLD
    return UnitReport(mean_kl, var, active, ~active | (mean_kl < COLLAPSED_KL))


def _rng_inputs(n, scale) -> tuple[int, float]:
    try:
        n, scale = int(n), float(scale)
    except (TypeError, ValueError):
        raise LatentSpaceError(f"the sample count and eps scale must be numbers, got {n!r} and {scale!r}") from None
    if n < 1:
        raise LatentSpaceError(f"draw at least one sample, not {n}")
    if not (np.isfinite(scale) and scale >= 0):
        raise LatentSpaceError(f"the eps scale must be a finite number >= 0, got {scale}")
    return n, scale


def posterior_samples(mu, logvar, n: int, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """``n`` reparameterised samples ``z = mu + sigma * (scale * eps)``, ``eps ~ N(0, I)``.

    ``mu``, ``logvar`` are one clip's ``(D,)``; returns ``(n, D)`` float32. ``scale`` 1 is the
    posterior itself; 0 collapses the cloud onto the mean; the same seed gives the same eps.
    """
    m, lv = _pair(mu, logvar)
    if m.ndim != 1:
        raise LatentSpaceError(f"posterior samples are drawn for one clip, (D,); got {m.shape}")
    n, scale = _rng_inputs(n, scale)
    eps = np.random.default_rng(seed).standard_normal((n, m.size))  # (n, D)
    return (m + np.exp(0.5 * lv) * scale * eps).astype(np.float32)


def prior_samples(dim: int, n: int, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """``n`` samples ``z = scale * eps`` of the prior N(0, I) in ``dim`` dimensions: ``(n, dim)`` float32."""
    n, scale = _rng_inputs(n, scale)
    if int(dim) < 1:
        raise LatentSpaceError(f"the latent needs at least one dimension, not {dim}")
    return (scale * np.random.default_rng(seed).standard_normal((n, int(dim)))).astype(np.float32)


def typical_norm(dim: int) -> float:
    """``sqrt(D)``: where almost all of N(0, I)'s mass lies in ``D`` dimensions (the soap bubble)."""
    return float(np.sqrt(int(dim)))


@dataclass(frozen=True)
class NormProfile:
    """``||z||`` along the lerp and slerp paths between two latents.

    ``t`` ``(n,)`` runs from 0 to 1; ``lerp``, ``slerp`` ``(n,)`` are the norms; ``typical`` is
    ``sqrt(D)``.
    """

    t: np.ndarray
    lerp: np.ndarray
    slerp: np.ndarray
    typical: float

    @property
    def lerp_dip(self) -> float:
        """How far the straight line sinks below the straight line between the end norms, at most."""
        ends = (1 - self.t) * self.lerp[0] + self.t * self.lerp[-1]
        return float((ends - self.lerp).max())


def norm_profile(z0, z1, n: int = 41) -> NormProfile:
    """Norms along the lerp and slerp paths from ``z0`` to ``z1`` (``(D,)`` each), ``n`` steps."""
    a = as_latents(z0, name="start latent", allow_empty=False)
    t = np.linspace(0.0, 1.0, max(2, int(n)))
    lp, sp = lerp(z0, z1, t.size), slerp(z0, z1, t.size)  # (n, D) each
    return NormProfile(
        t,
        np.linalg.norm(lp.astype(np.float64), axis=1),
        np.linalg.norm(sp.astype(np.float64), axis=1),
        typical_norm(a.shape[1]),
    )
