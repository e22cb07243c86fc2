"""A loaded dataset and its per-clip fields: k-means clusters, reconstruction error. No Qt here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentlab.core.explorer_state import ClipField, Dataset
from latentlab.core.frame_rate import FALLBACK_FPS, usable_fps
from latentlab.core.protocols import Cancel, InverseMap, MapProjection, Progress
from latentlab.paths import user_data_dir

N_CLUSTERS = 8


@dataclass
class Loaded:
    """What a load job hands to the window: the dataset and its first (PCA) map with inverse."""

    dataset: Dataset
    projection: MapProjection
    inverse: InverseMap
    store_path: str = ""
    checkpoint: str = ""
    sample: bool = False  # a generated sample dataset: the window then shows its t-SNE map too


def cluster_field(dataset: Dataset, k: int = N_CLUSTERS) -> ClipField:
    """k-means clusters of the latents as a colour field (one thread: OpenMP spinning on a busy
    2-core machine made it 10x slower)."""
    from threadpoolctl import threadpool_limits

    from latentlab.core.neighbours import kmeans_labels

    k = max(1, min(k, dataset.n_clips))
    cached = Path(dataset.cache_dir) / f"clusters-k{k}.npy" if dataset.cache_dir else None
    labels = None
    if cached is not None and cached.is_file():
        labels = np.load(cached)
        labels = labels if labels.shape == (dataset.n_clips,) else None
    if labels is None:
        with threadpool_limits(1):
            labels = kmeans_labels(dataset.mu, k, seed=0)
        if cached is not None:
            from latentlab.core.atomic import atomic_open

            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                with atomic_open(cached, "wb") as fh:
                    np.save(fh, np.asarray(labels))
            except OSError:
                pass
    return ClipField("cluster", np.asarray(labels), tuple(f"cluster {i}" for i in range(k)))


def make_dataset(
    name: str,
    mu: np.ndarray,
    logvar: np.ndarray,
    codec,
    store=None,
    read_clips: Callable | None = None,
    fps: float | None = None,
    clusters: bool = True,
) -> Dataset:
    """A :class:`Dataset` with its latent index and per-clip fields (source, factors, KL, and the
    k-means ``cluster`` unless ``clusters`` is False: then :func:`cluster_field` adds it later)."""
    from latentlab.core.neighbours import LatentIndex

    mu, logvar = np.asarray(mu, np.float32), np.asarray(logvar, np.float32)
    if read_clips is None:
        read_clips = store.read
    if fps is None:
        fps = float(np.median(store.table["fps"])) if store is not None and len(store) else FALLBACK_FPS
    ds = Dataset(
        name=name,
        mu=mu,
        logvar=logvar,
        codec=codec,
        read_clips=read_clips,
        index=LatentIndex(mu),
        fps=usable_fps(fps),
        store=store,
    )
    fields: dict[str, ClipField] = {}
    if store is not None:
        sources = [Path(str(s.get("path", "?"))).name for s in store.sources]
        fields["source"] = ClipField("source", np.asarray(store.table["source_id"]), tuple(sources))
        from latentlab.media.sample_data import SAMPLE_DATASETS

        classes = {s.class_factor: tuple(s.class_names) for s in SAMPLE_DATASETS.values()}
        for fname, values in store.factors().items():
            fields[fname] = ClipField(fname, np.asarray(values), classes.get(fname))
    if clusters and ds.n_clips >= 2:
        fields["cluster"] = cluster_field(ds)
    fields["KL"] = ClipField("KL", ds.kl_per_clip())
    # Order: the most telling first (the class a sample dataset shows, else the source videos).
    order = ["shape", "digit", "cluster", "source", "KL"]
    ds.fields = {k: fields[k] for k in order if k in fields} | {k: v for k, v in fields.items() if k not in order}
    return ds


def reconstruction_errors(
    dataset: Dataset, progress: Progress | None = None, cancel: Cancel | None = None, batch: int = 64
) -> np.ndarray:
    """Per-clip reconstruction MSE ``(N,)`` (uint8 scale), cached per store and model weights."""
    cache = None
    weights = getattr(dataset.codec, "weights_hash", None)
    if dataset.store is not None and weights:
        cache = user_data_dir() / "recon-errors" / f"{dataset.store.fingerprint}-{weights}.npy"
        if cache.is_file():
            errs = np.load(cache)
            if errs.shape == (dataset.n_clips,):
                return errs
    errs = np.empty(dataset.n_clips, np.float32)
    for lo in range(0, dataset.n_clips, batch):
        if cancel is not None and cancel():
            raise InterruptedError("cancelled")
        idx = np.arange(lo, min(lo + batch, dataset.n_clips))
        clips = dataset.read_clips(idx)
        # The posterior means are already known (the map is made of them): decoding them is what
        # codec.reconstruct would do after encoding the clips again, at half the cost.
        recon = dataset.codec.decode(dataset.mu[idx])
        errs[idx] = np.mean((clips.astype(np.float32) - recon.astype(np.float32)) ** 2, axis=(1, 2, 3, 4))
        if progress is not None:
            progress((idx[-1] + 1) / dataset.n_clips, f"{idx[-1] + 1:,}/{dataset.n_clips:,} clips decoded")
    if cache is not None:
        from latentlab.core.atomic import atomic_open

        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(cache, "wb") as fh:
            np.save(fh, errs)
    return errs
