"""Evaluation of a VAE on clips of a store: ELBO terms, MSE/PSNR, KL per dimension, active units.

Everything is computed in batches under ``torch.inference_mode`` and returned as plain Python
numbers and lists, ready for JSON, the CLI and the GUI.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from latentlab.media.clip_store import ClipStore
from latentlab.ml.data import to_model_layout
from latentlab.ml.losses import kl_per_dim, psnr_from_mse, reconstruction_nll
from latentlab.ml.model import VideoVAE

#: A latent unit is *active* when the variance of its posterior mean over the data exceeds this
#: (Burda et al. 2016, "Importance Weighted Autoencoders").
ACTIVE_UNIT_THRESHOLD = 0.01


def _device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.inference_mode()
def evaluate_elbo(
    model: VideoVAE, store: ClipStore, indices: Sequence[int] | np.ndarray, batch_size: int = 256, seed: int = 0
) -> dict:
    """Validation metrics ``val_nll``, ``val_kl``, ``val_loss`` (nats per clip, z sampled with a
    fixed seed), ``val_mse`` and ``val_psnr`` (reconstruction from the posterior mean)."""
    idx = np.asarray(indices, dtype=np.int64)
    if idx.size == 0:
        return {}
    was_training = model.training
    model.eval()
    dev = _device(model)
    gen = torch.Generator(device=dev)
    gen.manual_seed(seed)
    nll = kl = sq = 0.0
    for a in range(0, len(idx), batch_size):
        x = to_model_layout(torch.from_numpy(store.read(idx[a : a + batch_size])), dev)  # (B, C, T, H, W)
        mu, logvar = model.encode(x)
        z = model.reparameterize(mu, logvar, gen)
        nll += float(reconstruction_nll(x, model.decode_logits(z), model.config, model.sigma).sum())
        kl += float(kl_per_dim(mu, logvar).sum())
        sq += float((model.decode(mu) - x).pow(2).mean(dim=(1, 2, 3, 4)).sum())
    model.train(was_training)
    n = len(idx)
    out = {"val_nll": nll / n, "val_kl": kl / n, "val_loss": (nll + model.config.beta * kl) / n, "val_mse": sq / n}
    out["val_psnr"] = psnr_from_mse(out["val_mse"])
    return out


@torch.inference_mode()
def evaluate_full(
    model: VideoVAE, store: ClipStore, indices: Sequence[int] | np.ndarray, batch_size: int = 256, seed: int = 0
) -> tuple[dict, np.ndarray]:
    """The ``latentlab eval`` report and the posterior means ``mu`` ``(N, D)``.

    Report keys: ``n_clips``, ``mse``, ``psnr`` (mean over clips of the clip-level MSE),
    ``psnr_per_frame`` (list over T), ``nll``, ``kl``, ``elbo`` (nats per clip), ``kl_per_dim``
    (list over D, nats), ``mu_variance`` (list over D), ``active_units`` and ``active_threshold``.
    """
    idx = np.asarray(indices, dtype=np.int64)
    dev = _device(model)
    model.eval()
    cfg = model.config
    gen = torch.Generator(device=dev)
    gen.manual_seed(seed)
    nll = 0.0
    kl_dim = torch.zeros(cfg.latent_dim, dtype=torch.float64)
    sq_frame = torch.zeros(cfg.frames, dtype=torch.float64)
    mus = []
    for a in range(0, len(idx), batch_size):
        x = to_model_layout(torch.from_numpy(store.read(idx[a : a + batch_size])), dev)  # (B, C, T, H, W)
        mu, logvar = model.encode(x)
        z = model.reparameterize(mu, logvar, gen)
        nll += float(reconstruction_nll(x, model.decode_logits(z), cfg, model.sigma).sum())
        kl_dim += kl_per_dim(mu, logvar).sum(0).double().cpu()
        sq_frame += (model.decode(mu) - x).pow(2).mean(dim=(1, 3, 4)).sum(0).double().cpu()  # (T,)
        mus.append(mu.float().cpu().numpy())
    n = max(1, len(idx))
    mu_all = np.concatenate(mus) if mus else np.zeros((0, cfg.latent_dim), np.float32)
    var = mu_all.var(0) if len(mu_all) > 1 else np.zeros(cfg.latent_dim)
    mse_frame = (sq_frame / n).tolist()
    mse = float(np.mean(mse_frame))
    kl_list = (kl_dim / n).tolist()
    report = {
        "n_clips": int(len(idx)),
        "mse": mse,
        "psnr": psnr_from_mse(mse),
        "psnr_per_frame": [psnr_from_mse(m) for m in mse_frame],
        "nll": nll / n,
        "kl": float(sum(kl_list)),
        "elbo": -(nll / n + float(sum(kl_list))),
        "kl_per_dim": kl_list,
        "mu_variance": [float(v) for v in var],
        "active_units": int((var > ACTIVE_UNIT_THRESHOLD).sum()),
        "active_threshold": ACTIVE_UNIT_THRESHOLD,
        "latent_dim": cfg.latent_dim,
    }
    return report, mu_all
