"""The 2-D maps of a dataset: the first one, a saved one, a new fit (each with its inverse). No Qt here.

Maps are cached per store and model (``<data>/maps/<store>-<weights>/<method>.json``) so that a
t-SNE fit, minutes on 2 cores, is paid once; ``latentlab map`` writes its maps beside the store's
latents, where the window finds them too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from latentlab.app.dataset import Loaded
from latentlab.core.explorer_state import Dataset
from latentlab.core.projection_methods import available_methods
from latentlab.core.protocols import Cancel, InverseMap, MapProjection


def first_map(dataset: Dataset, method: str = "pca", cache: Path | None = None) -> Loaded:
    """Fit ``method`` on the dataset's means (or load the fit cached in ``cache``) and build its inverse.

    The cache saves the start-up the ~2 s import of scikit-learn that a PCA fit costs.
    """
    from latentlab.core.errors import LatentSpaceError
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import Projection

    if cache is not None and (cache / f"{method}.json").is_file():
        try:
            projection = Projection.load(cache / f"{method}.json", latents=dataset.mu)
            if projection.coords.shape == (dataset.n_clips, 2):
                return Loaded(dataset, projection, make_inverse(dataset.mu, projection))
        except LatentSpaceError:
            pass  # unreadable: fit again and overwrite
    projection, inverse = fit_map(dataset.mu, method)
    if cache is not None:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            projection.save(cache, method)
        except OSError:
            pass  # a read-only data folder only costs the refit next time
    return Loaded(dataset, projection, inverse)


def available_projections() -> tuple[str, ...]:
    """The map methods this installation can fit: UMAP only when umap-learn is installed
    (``pip install umap-learn``); t-SNE always (scikit-learn, or openTSNE when installed)."""
    return available_methods()


def _map_files(dataset: Dataset, method: str) -> list[Path]:
    """Where a map of ``method`` with default parameters may already be saved for this store and
    model: the window's cache (``<data>/maps/<store>-<weights>/<method>.json``) and what
    ``latentlab map`` wrote (``STORE/latents/<weights>/projections/<method>-seed0.json``)."""
    files = []
    if dataset.cache_dir is not None:
        cache = Path(dataset.cache_dir)
        files.append(cache / f"{method}.json")
        weights16 = cache.name.partition("-")[2]
        if dataset.store is not None and weights16:
            files.append(Path(dataset.store.path) / "latents" / weights16 / "projections" / f"{method}-seed0.json")
    return files


def cached_map(dataset: Dataset, method: str) -> tuple[MapProjection, InverseMap] | None:
    """``(projection, inverse)`` of a map saved earlier for this store, model and method, or ``None``."""
    from latentlab.core.errors import LatentSpaceError
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import Projection

    for path in _map_files(dataset, method):
        if not path.is_file():
            continue
        try:
            projection = Projection.load(path, latents=dataset.mu)
        except LatentSpaceError:
            continue
        if projection.coords.shape == (dataset.n_clips, 2):
            return projection, make_inverse(dataset.mu, projection)
    return None


def map_for(
    dataset: Dataset,
    method: str,
    progress=None,
    cancel: Cancel | None = None,
) -> tuple[MapProjection, InverseMap, bool]:
    """``(projection, inverse, reused)``: a saved map of ``method`` when there is one (a t-SNE fit
    costs minutes on 2 cores; switching stores and back must not repeat it), else a fit that is
    then saved in the window's cache."""
    hit = cached_map(dataset, method)
    if hit is not None:
        return (*hit, True)
    projection, inverse = fit_map(dataset.mu, method, progress=progress, cancel=cancel)
    if dataset.cache_dir is not None and projection.method == method:
        try:
            Path(dataset.cache_dir).mkdir(parents=True, exist_ok=True)
            projection.save(dataset.cache_dir, method)
        except OSError:
            pass  # a read-only data folder only costs the refit next time
    return projection, inverse, False


def fit_map(
    mu: np.ndarray, method: str, progress=None, cancel: Cancel | None = None, seed: int = 0
) -> tuple[MapProjection, InverseMap]:
    """``(projection, inverse)`` of ``mu`` with the latent service (any method it knows)."""
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import fit_projection

    projection = fit_projection(mu, method, seed=seed, progress=progress, cancel=cancel)
    return projection, make_inverse(mu, projection)
