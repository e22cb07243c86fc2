"""The 2-D maps of a dataset: the first one, a saved one, a new fit (each with its inverse). No Qt here.

Every fitted map is saved in the store's map cache (:mod:`latentlab.core.map_cache`, beside the
model's latents) under the store, model, method, parameters and seed, so a t-SNE fit, minutes on 2
cores, is paid once: the window and ``latentlab map`` read and write the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from latentlab.app.dataset import Loaded
from latentlab.core.explorer_state import Dataset
from latentlab.core.projection_methods import available_methods
from latentlab.core.protocols import Cancel, InverseMap, MapProjection

if TYPE_CHECKING:
    from latentlab.core.map_cache import MapCache

#: Up to this many clips the window reads a saved map on the GUI thread, so it shows at once (reading
#: it and building its inverse: ~0.03 s at 10 k clips, 0.11 s at 100 k, benchmarks/bench_map_cache.py;
#: the sample datasets' 20 k stay under a frame or two); a larger saved map is read by a job, still
#: without a fit, so that the window never stalls for it.
INLINE_CLIPS = 20_000


@dataclass
class MapResult:
    """A map ready to show: ``reused`` when it was read from the cache rather than fitted; ``note``
    says why a saved file was ignored or the new map could not be saved (one line), or is None."""

    projection: MapProjection | None  # None only for a miss that carries a note (see cached_map)
    inverse: InverseMap | None
    reused: bool
    note: str | None = None


def map_cache(dataset: Dataset) -> MapCache | None:
    """The cache of ``dataset``'s maps, or None when it has no store on disk or no model fingerprint
    (then every map is fitted, as for the tiny datasets of the tests)."""
    from latentlab.core.errors import LatentSpaceError
    from latentlab.core.map_cache import MapCache

    store = dataset.store
    path = getattr(store, "path", None)
    if store is None or path is None or not dataset.model_fingerprint:
        return None
    try:
        return MapCache.beside(path, store.fingerprint, dataset.model_fingerprint)
    except LatentSpaceError:  # not a hex weights hash: such a model's latents are not cached either
        return None


def cached_map(dataset: Dataset, method: str) -> MapResult | None:
    """The map of ``method`` (default parameters, seed 0) saved for this store and model, or None; a
    miss may still carry a note (a damaged file was ignored) in a result whose projection is None.

    Reads two small files and builds the inverse: fast enough for the GUI thread up to
    :data:`INLINE_CLIPS` clips."""
    from latentlab.core.errors import LatentSpaceError
    from latentlab.core.inverse import make_inverse

    cache = map_cache(dataset)
    if cache is None:
        return None
    hit = cache.get(cache.key(method), dataset.mu)
    if hit.projection is None:
        return MapResult(None, None, False, hit.note) if hit.note else None
    try:
        return MapResult(hit.projection, make_inverse(dataset.mu, hit.projection), True)
    except LatentSpaceError as exc:
        return MapResult(None, None, False, f"ignored the saved {method} map ({exc}): fitting it again")


def map_for(dataset: Dataset, method: str, progress=None, cancel: Cancel | None = None) -> MapResult:
    """The map of ``method``: the saved one when there is one, else a fit that is then saved."""
    hit = cached_map(dataset, method)
    if hit is not None and hit.projection is not None:
        return hit
    projection, inverse = fit_map(dataset.mu, method, progress=progress, cancel=cancel)
    note = hit.note if hit is not None else None
    return MapResult(projection, inverse, False, _save(dataset, method, projection) or note)


def first_map(dataset: Dataset, method: str = "pca") -> Loaded:
    """The map a dataset opens on: the saved one (which spares the start-up the ~2 s import of
    scikit-learn that a PCA fit costs) or a fit, saved for next time."""
    result = map_for(dataset, method)
    return Loaded(dataset, result.projection, result.inverse)


def _save(dataset: Dataset, method: str, projection: MapProjection) -> str | None:
    """Save a fitted map in the dataset's cache; a note when that failed (a read-only store only
    costs the fit next time)."""
    cache = map_cache(dataset)
    if cache is None or projection.method != method:
        return None  # too few clips for t-SNE gave a PCA map: not the map the key names
    try:
        cache.put(cache.key(method), projection)
    except OSError as exc:
        return f"the map could not be saved for next time ({exc.strerror or exc})"
    return None


def available_projections() -> tuple[str, ...]:
    """The map methods this installation can fit (PCA, t-SNE and UMAP: umap-learn is a dependency;
    a set-up without it is not offered UMAP)."""
    return available_methods()


def fit_map(
    mu: np.ndarray, method: str, progress=None, cancel: Cancel | None = None, seed: int = 0
) -> tuple[MapProjection, InverseMap]:
    """``(projection, inverse)`` of ``mu`` with the latent service (any method it knows)."""
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import fit_projection

    projection = fit_projection(mu, method, seed=seed, progress=progress, cancel=cancel)
    return projection, make_inverse(mu, projection)
