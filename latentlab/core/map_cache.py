"""The 2-D maps fitted for one store and model, kept beside the store's latent cache.

A t-SNE fit costs minutes on 2 cores; the window and ``latentlab map`` both read and write this one
cache, so a map is fitted once::

    STORE/latents/<weights_hash[:16]>/maps/
      <store16>-<method>-<key16>.coords.npy   (N, 2) float32 map positions (read with allow_pickle=False)
      <store16>-<method>-<key16>.json         written last, atomically: format, the full key, the
                                              projection's metadata (backend, resolved params, PCA axes,
                                              fit seconds)

The key is the store fingerprint, the model's weights hash, the method, its parameters (defaults
filled in, so ``--perplexity 30`` and the default are one map) and the seed; ``key16`` is a hash of
it and the JSON repeats it in full. A damaged file, or one whose key is not the one asked for, is
ignored with a one-line note (the caller fits again and overwrites it); nothing here is unpickled.
Saving a map removes the maps of earlier states of the store (``store16`` differs): they can never be
asked for again, as a changed store has a new fingerprint.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from latentlab.core.atomic import atomic_open, read_json, write_json_atomic
from latentlab.core.errors import LatentSpaceError
from latentlab.core.fingerprint import text_fingerprint
from latentlab.core.projection import Projection
from latentlab.core.projection_backends import TSNE_DEFAULTS, UMAP_DEFAULTS

FORMAT = "latentlab-map-cache"
_STALE_NAME = re.compile(r"[0-9a-f]{16}-[a-z]+-[0-9a-f]{16}\.(json|coords\.npy)")  # only what put() writes
VERSION = 1
FOLDER = "maps"
#: Each method's parameters with their defaults; parameters that do not change the map (threads,
#: how often progress is reported) are left out of the key.
KEY_DEFAULTS = {
    "pca": {},
    "tsne": {k: v for k, v in TSNE_DEFAULTS.items() if k not in ("n_jobs", "update_every")},
    "umap": dict(UMAP_DEFAULTS),
    "precomputed": {},
}


@dataclass(frozen=True)
class MapKey:
    """What a cached map is a map of: change any field and it is another map."""

    store_fingerprint: str
    model_fingerprint: str
    method: str
    params_json: str  # the parameters with their defaults, as sorted JSON
    seed: int

    def as_dict(self) -> dict:
        return {
            "version": VERSION,
            "store_fingerprint": self.store_fingerprint,
            "model_fingerprint": self.model_fingerprint,
            "method": self.method,
            "params": json.loads(self.params_json),
            "seed": self.seed,
        }

    @property
    def name(self) -> str:
        """The files' stem: the store state, the method (for a person reading the folder) and a hash of
        the whole key."""
        digest = text_fingerprint(json.dumps(self.as_dict(), sort_keys=True))
        return f"{self.store_fingerprint[:16]}-{self.method}-{digest[:16]}"


@dataclass
class MapLookup:
    """The answer of :meth:`MapCache.get`: the saved map, or ``None`` and maybe a note saying why a
    file that was there could not be used."""

    projection: Projection | None = None
    note: str | None = None
    path: Path | None = field(default=None, repr=False)


def key_params(method: str, params: dict | None = None) -> dict:
    """``params`` with ``method``'s defaults filled in, each value of a default's type (30 == 30.0)."""
    defaults = KEY_DEFAULTS.get(method, {})
    out = dict(defaults)
    for k, v in (params or {}).items():
        if k in ("n_jobs", "update_every"):
            continue
        d = defaults.get(k)
        if v is not None and isinstance(d, float) and not isinstance(v, bool):
            v = float(v)
        elif v is not None and isinstance(d, int) and not isinstance(d, bool) and not isinstance(v, bool):
            v = int(v)
        out[k] = v.item() if isinstance(v, np.generic) else v
    return out


class MapCache:
    """The maps of one store state and one model (see the module docstring for the files)."""

    def __init__(self, folder: str | os.PathLike, store_fingerprint: str, model_fingerprint: str) -> None:
        self.folder = Path(folder)
        self.store_fingerprint, self.model_fingerprint = str(store_fingerprint), str(model_fingerprint)

    @classmethod
    def beside(cls, store_path: str | os.PathLike, store_fingerprint: str, weights_hash: str) -> MapCache:
        """The cache in ``STORE/latents/<weights_hash[:16]>/maps``, beside that model's latents."""
        from latentlab.core.latent_cache import LatentCache

        return cls(LatentCache(store_path, weights_hash).folder / FOLDER, store_fingerprint, weights_hash)

    def key(self, method: str, params: dict | None = None, seed: int = 0) -> MapKey:
        text = json.dumps(key_params(method, params), sort_keys=True, default=str)
        return MapKey(self.store_fingerprint, self.model_fingerprint, method, text, int(seed))

    def path(self, key: MapKey) -> Path:
        """The JSON file of ``key`` (its coordinates sit beside it in ``.coords.npy``)."""
        return self.folder / f"{key.name}.json"

    def get(self, key: MapKey, latents) -> MapLookup:
        """The map saved for ``key``, attached to ``latents`` ``(N, D)``; a miss when there is none,
        and a one-line note with the miss when a file was there but damaged or not this key's."""
        path = self.path(key)
        if not path.is_file():
            return MapLookup()
        n = int(np.shape(latents)[0])
        try:
            meta = read_json(path)
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise LatentSpaceError("not a latentlab map cache file")
            if meta.get("key") != key.as_dict():
                raise LatentSpaceError("it holds another map (its key differs)")
            coords = np.load(path.with_suffix(".coords.npy"), allow_pickle=False)
            if coords.dtype != np.float32 or coords.shape != (n, 2):
                raise LatentSpaceError(f"its positions are {coords.dtype} {coords.shape}, not float32 ({n}, 2)")
            if not np.isfinite(coords).all():
                raise LatentSpaceError("its positions are not all finite")
            projection = Projection.from_dict(meta.get("projection") or {}, coords=coords, latents=latents)
        except (OSError, ValueError, TypeError, LatentSpaceError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return MapLookup(note=f"ignored the saved map {path.name} ({reason}): fitting it again", path=path)
        return MapLookup(projection, path=path)

    def put(self, key: MapKey, projection: Projection) -> Path:
        """Save ``projection`` under ``key`` (coordinates first, the JSON last, both atomically);
        returns the JSON path. Raises OSError where the folder cannot be written."""
        path = self.path(key)
        with atomic_open(path.with_suffix(".coords.npy"), "wb") as fh:
            np.save(fh, np.ascontiguousarray(projection.coords, dtype=np.float32), allow_pickle=False)
        meta = {"format": FORMAT, "version": VERSION, "key": key.as_dict()}
        meta["projection"] = projection.to_dict(include_coords=False)
        write_json_atomic(path, meta)
        self._drop_stale()
        return path

    def _drop_stale(self) -> None:
        """Remove the maps of other states of the store (best effort: a file in use stays)."""
        mine = f"{self.store_fingerprint[:16]}-"
        for p in self.folder.glob("*-*-*.*"):
            if _STALE_NAME.fullmatch(p.name) and not p.name.startswith(mine):
                try:
                    p.unlink()
                except OSError:
                    pass
