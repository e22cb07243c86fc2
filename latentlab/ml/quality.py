"""How good a model's latent space is, measured as a user sees it (``latentlab eval``, ``benchmarks/``).

* reconstruction PSNR beside two baselines fitted on training clips: the mean clip and PCA of raw
  pixels with as many dimensions as the latent (:mod:`latentlab.core.baselines`);
* the posterior: mean sigma of q(z|x) (over all units, and over the active ones), and how far the
  aggregate posterior (the moments of the clips' q(z|x) mixed) lies from the prior N(0, I), as the
  KL between the Gaussian with those moments and N(0, I);
* factor probes where the clips have known factors: linear R^2 from mu for continuous factors, kNN
  accuracy from mu for the class factor (:mod:`latentlab.core.probes`);
* with a :class:`~latentlab.ml.judge.Judge`: the class read from reconstructions, and from clips
  decoded from prior samples z ~ N(0, I) (share called one class with confidence >= 0.9, and which
  classes appear).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from latentlab.core.baselines import PixelPCA, mean_clip_psnr, psnr_u8
from latentlab.core.clip_stats import high_frequency_energy, motion_energy
from latentlab.core.probes import knn_accuracy, linear_probe_r2
from latentlab.ml.judge import Judge

ACTIVE_VARIANCE = 0.01  # a unit is active when Var(mu_d) over the data exceeds this (metrics.py's rule)
CONFIDENT = 0.9


@dataclass
class QualityReport:
    n_eval: int
    psnr: float
    pca_psnr: float
    mean_clip_psnr: float
    mean_sigma: float
    mean_sigma_active: float
    active_units: int
    aggregate_kl: float  # KL(N(m, S) || N(0, I)) of the aggregate posterior's moments, nats
    aggregate_mean_norm: float
    median_mu_norm: float
    # fine detail and motion of reconstructions (and prior samples) relative to the originals (1 = the same)
    detail_ratio: float = float("nan")
    motion_ratio: float = float("nan")
    prior_detail_ratio: float = float("nan")
    probes_r2: dict[str, float] = field(default_factory=dict)
    knn_class: float | None = None
    judge_real: float | None = None
    judge_recon: float | None = None
    prior_confident: float | None = None
    prior_classes: list[int] | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def aggregate_posterior_kl(mu: np.ndarray, logvar: np.ndarray) -> tuple[float, float]:
    """KL(N(m, S) || N(0, I)) where m, S are the mean and covariance of the mixture of the clips'
    posteriors, and the norm of m."""
    mu = np.asarray(mu, np.float64)
    m = mu.mean(0)
    s = np.cov(mu, rowvar=False) + np.diag(np.exp(np.asarray(logvar, np.float64)).mean(0))
    d = len(m)
    sign, logdet = np.linalg.slogdet(s)
    kl = 0.5 * (np.trace(s) + m @ m - d - logdet)
    return float(kl), float(np.linalg.norm(m))


def model_quality(
    codec,
    eval_clips: np.ndarray,
    fit_clips: np.ndarray,
    factors: dict[str, np.ndarray] | None = None,
    class_factor: str | None = None,
    judge: Judge | None = None,
    n_prior: int = 1000,
    seed: int = 0,
) -> tuple[QualityReport, dict[str, np.ndarray]]:
    """Measure ``codec`` (a :class:`~latentlab.ml.codec.ClipCodec`) on ``eval_clips`` (never trained on).

    ``fit_clips`` (training clips) fit the baselines. ``factors`` maps factor names to per-clip values
    of ``eval_clips``; ``class_factor`` names the discrete one. Returns the report and the arrays
    behind it (``mu``, ``logvar``, ``recon``, ``prior``) for pictures.
    """
    mu, logvar = codec.encode(eval_clips)
    recon = codec.decode(mu)
    pca = PixelPCA.fit(fit_clips, codec.latent_dim, seed)
    var = mu.var(0)
    active = var > ACTIVE_VARIANCE
    sigma = np.exp(0.5 * logvar)
    agg_kl, agg_norm = aggregate_posterior_kl(mu, logvar)
    report = QualityReport(
        n_eval=len(eval_clips),
        psnr=psnr_u8(recon, eval_clips),
        pca_psnr=psnr_u8(pca.reconstruct(eval_clips), eval_clips),
        mean_clip_psnr=mean_clip_psnr(fit_clips, eval_clips),
        mean_sigma=float(sigma.mean()),
        mean_sigma_active=float(sigma[:, active].mean()) if active.any() else float("nan"),
        active_units=int(active.sum()),
        aggregate_kl=agg_kl,
        aggregate_mean_norm=agg_norm,
        median_mu_norm=float(np.median(np.linalg.norm(mu, axis=1))),
    )
    hf, motion = high_frequency_energy(eval_clips), motion_energy(eval_clips)
    report.detail_ratio = high_frequency_energy(recon) / max(hf, 1e-9)
    report.motion_ratio = motion_energy(recon) / max(motion, 1e-9)
    for name, values in (factors or {}).items():
        if name == class_factor:
            continue
        report.probes_r2[name] = linear_probe_r2(mu, values, seed=seed)
    arrays = {"mu": mu, "logvar": logvar, "recon": recon}
    if class_factor is not None and factors is not None:
        labels = np.asarray(factors[class_factor]).astype(np.int64)
        report.knn_class = knn_accuracy(mu, labels, k=10, seed=seed)
        if judge is not None:
            report.judge_real = float((judge.probabilities(eval_clips).argmax(1) == labels).mean())
            report.judge_recon = float((judge.probabilities(recon).argmax(1) == labels).mean())
    if n_prior > 0:
        z = np.random.default_rng(seed).standard_normal((n_prior, codec.latent_dim)).astype(np.float32)
        prior = codec.decode(z)
        arrays["prior"] = prior
        report.prior_detail_ratio = high_frequency_energy(prior) / max(hf, 1e-9)
    if judge is not None and n_prior > 0:
        p = judge.probabilities(prior)
        confident = p.max(1) >= CONFIDENT
        report.prior_confident = float(confident.mean())
        report.prior_classes = np.bincount(p.argmax(1)[confident], minlength=judge.n_classes).tolist()
    return report, arrays
