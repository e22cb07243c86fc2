"""What exports need from the model: latents of the exported clips and their reconstructions.

>>> mu = export_latents(store, indices, checkpoint, progress=...)     # (len(indices), D) float32
>>> recon = reconstructor(ClipCodec.from_checkpoint(checkpoint))      # for run_export(reconstruct=...)

Latents come from the store's latent cache when it is complete for this model (keyed by store
fingerprint and weights hash, as ``latentlab embed`` and the explorer write it); otherwise only the
exported clips are encoded (a tag of 50 clips in a store of 100 000 need not encode the store).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from latentlab.core.atomic import read_json
from latentlab.core.export_tables import ExportError
from latentlab.core.latent_cache import load_latents
from latentlab.media.export_clips import ExportCancelled

BATCH = 256


def checkpoint_weights_hash(checkpoint: str | os.PathLike) -> str | None:
    """The weights hash in a checkpoint's ``config.json`` (no torch needed), or None."""
    try:
        return str(read_json(Path(checkpoint) / "config.json")["files"]["model.safetensors"]["blake2b"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def cached_latents(store, checkpoint: str | os.PathLike) -> np.ndarray | None:
    """``(N, D)`` cached mu of every clip of ``store`` under ``checkpoint``, or None if not cached."""
    weights = checkpoint_weights_hash(checkpoint)
    table = load_latents(store, weights) if weights else None
    return None if table is None else np.asarray(table.mu)


def load_export_codec(checkpoint: str | os.PathLike, store, device: str = "auto"):
    """The checkpoint as a :class:`~latentlab.ml.codec.ClipCodec`, checked against the store's clips."""
    from latentlab.ml.checkpoint import CheckpointError
    from latentlab.ml.codec import ClipCodec
    from latentlab.ml.device import DeviceError

    try:
        codec = ClipCodec.from_checkpoint(checkpoint, device=device)
    except (CheckpointError, DeviceError, OSError) as exc:
        raise ExportError(f"cannot load the model {checkpoint}: {exc}") from exc
    want = (codec.frames, codec.height, codec.width, codec.channels)
    if tuple(store.geometry.shape) != want:
        raise ExportError(f"the store's clips are {store.geometry.shape} (T, H, W, C) but the model takes {want}")
    return codec


def export_latents(
    store,
    indices: Sequence[int],
    checkpoint: str | os.PathLike | None = None,
    *,
    codec=None,
    device: str = "auto",
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> np.ndarray:
    """mu ``(len(indices), D)`` float32 of the clips ``indices``: cached, else encoded by the model.

    Give ``checkpoint`` (a folder; loaded only when the cache cannot answer) or a loaded ``codec``.
    """
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    if checkpoint is not None:
        cached = cached_latents(store, checkpoint)
        if cached is not None:
            return cached[idx]
    if codec is None:
        if checkpoint is None:
            raise ExportError("latents are needed: give a checkpoint or a loaded model")
        codec = load_export_codec(checkpoint, store, device)
    mus = []
    for a in range(0, len(idx), BATCH):
        if cancel is not None and cancel():
            raise ExportCancelled("export cancelled")
        mu, _ = codec.encode(store.read(idx[a : a + BATCH]))  # (B, D) each
        mus.append(np.asarray(mu, np.float32))
        if progress is not None:
            progress(
                min(1.0, (a + BATCH) / max(len(idx), 1)), f"encoding clips {min(a + BATCH, len(idx)):,}/{len(idx):,}"
            )
    return np.concatenate(mus) if mus else np.zeros((0, int(codec.latent_dim)), np.float32)


def reconstructor(codec, mu_all: np.ndarray | None = None) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``reconstruct(indices, clips_u8) -> clips_u8`` for ``run_export``: the decoded posterior mean.

    With ``mu_all`` (``(N, D)``, every clip of the store, e.g. the cache), the stored mu is decoded
    and the clips are not encoded again.
    """

    def reconstruct(indices: np.ndarray, clips_u8: np.ndarray) -> np.ndarray:
        if mu_all is not None:
            return codec.decode(np.asarray(mu_all)[np.asarray(indices, np.int64)])  # (B, T, H, W, C)
        return codec.reconstruct(clips_u8)

    return reconstruct
