"""2-D maps of latents: PCA, t-SNE, UMAP or user coordinates, reproducible and placeable.

>>> proj = fit_projection(latents, "tsne", seed=0, progress=on_progress, cancel=stop_requested)
>>> proj.coords            # (N, 2) float32
>>> proj.transform(new)    # (M, 2): new clips placed without refitting

Degenerate input gives a normal result with a ``message`` for the user (0 or 1 clips, latents of
<= 2 dimensions shown as they are, too few clips for t-SNE's perplexity, all clips identical);
unusable input (NaN latents, unknown method, bad coordinates) raises :class:`LatentSpaceError`.
A cancelled fit raises :class:`ProjectionCancelled` (a ``LatentSpaceError``).

Out-of-sample placement: PCA and the identity map are exact; t-SNE, UMAP and user coordinates
place a new latent at the inverse-distance weighted mean of the map positions of its
``PLACEMENT_K`` nearest clips in latent space (openTSNE's own ``transform`` costs ~0.8 s a call,
scikit-learn's t-SNE has none).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from latentlab.core import projection_backends as backends
from latentlab.core.arrays import as_latents
from latentlab.core.atomic import atomic_open, read_json, write_json_atomic
from latentlab.core.errors import Cancelled, LatentSpaceError
from latentlab.core.projection_methods import LINEAR_METHODS, METHODS, NEIGHBOUR_METHODS
from latentlab.core.user_coords import check_coords, load_coords

PLACEMENT_K = 10
FORMAT = "latentlab-projection"


@dataclass
class Projection:
    """A fitted 2-D map of ``N`` latents.

    Attributes
    ----------
    method
        What was actually done: ``"pca"``, ``"tsne"``, ``"umap"``, ``"precomputed"``, ``"identity"``
        (latents of <= 2 dimensions) or ``"none"`` (no clips).
    backend
        The library: ``"sklearn-pca"``, ``"openTSNE"``, ``"sklearn-tsne"``, ``"umap-learn"``,
        ``"identity"``, ``"precomputed"``.
    coords
        ``(N, 2)`` float32 map positions.
    params
        Every parameter of the fit, the seed included: refitting with them gives the same map.
    message
        A note for the user (e.g. why t-SNE's perplexity was lowered), or None.
    state
        What ``transform`` needs for PCA: ``mean (D,)``, ``components (2, D)`` (orthonormal rows).
    """

    method: str
    backend: str
    coords: np.ndarray
    params: dict = field(default_factory=dict)
    message: str | None = None
    seconds: float = 0.0
    state: dict = field(default_factory=dict)
    _reference: np.ndarray | None = field(default=None, repr=False, compare=False)
    _tree: object = field(default=None, repr=False, compare=False)

    @property
    def is_linear(self) -> bool:
        """True when the map is a linear function of the latent (PCA, identity)."""
        return self.method in LINEAR_METHODS

    def attach_latents(self, latents) -> None:
        """Give a loaded projection the latents it was fitted on, so ``transform`` can place new ones."""
        lat = as_latents(latents)
        if lat.shape[0] != self.coords.shape[0]:
            raise LatentSpaceError(f"the map has {self.coords.shape[0]} clips but {lat.shape[0]} latents were given")
        self._reference, self._tree = lat, None

    def transform(self, new_latents) -> np.ndarray:
        """Place new latents ``(M, D)`` on this map without refitting; returns ``(M, 2)`` float32."""
        new = as_latents(new_latents, name="new latents")
        if self.method == "pca":
            d = self.state["components"].shape[1]
            _check_dim(new, d)
            return backends.pca_coords(new, self.state)
        if self.method == "identity":
            _check_dim(new, int(self.params.get("dim", new.shape[1])))
            return _identity(new)
        ref = self._reference
        if ref is None:
            raise LatentSpaceError("this map was loaded without its latents: attach_latents() them to place new clips")
        if ref.shape[0] == 0:
            raise LatentSpaceError("the map has no clips to place new ones near")
        _check_dim(new, ref.shape[1])
        if self._tree is None:
            from scipy.spatial import cKDTree

            self._tree = cKDTree(ref)
        k = min(PLACEMENT_K, ref.shape[0])
        dist, idx = self._tree.query(new, k=k)
        dist, idx = dist.reshape(len(new), k), idx.reshape(len(new), k)
        w = 1.0 / np.maximum(dist, 1e-12) ** 2
        exact = dist[:, 0] <= 1e-12  # on top of a clip: its own position, not a blend
        w[exact] = 0.0
        w[exact, 0] = 1.0
        w /= w.sum(axis=1, keepdims=True)
        return np.einsum("qk,qkc->qc", w, self.coords[idx].astype(np.float64)).astype(np.float32)

    # ------------------------------------------------------------------------------ persistence
    def to_dict(self, *, include_coords: bool = True) -> dict:
        """A JSON-able dict (coords as nested lists unless ``include_coords`` is False)."""
        d = {
            "format": FORMAT,
            "version": 1,
            "method": self.method,
            "backend": self.backend,
            "params": _jsonable(self.params),
            "message": self.message,
            "seconds": self.seconds,
            "n": int(self.coords.shape[0]),
            "state": {k: np.asarray(v).tolist() for k, v in self.state.items()},
        }
        if include_coords:
            d["coords"] = self.coords.tolist()
        return d

    @classmethod
    def from_dict(cls, d: dict, *, coords=None, latents=None) -> Projection:
        """Rebuild a projection from :meth:`to_dict` output (``coords`` given separately if left out)."""
        try:
            if d.get("format") != FORMAT:
                raise LatentSpaceError("this is not a saved latentlab projection")
            xy = np.asarray(d["coords"] if coords is None else coords, dtype=np.float32).reshape(-1, 2)
            if xy.shape[0] != int(d.get("n", xy.shape[0])):
                raise LatentSpaceError(f"the saved map has {d['n']} clips but {xy.shape[0]} positions")
            state = {k: np.asarray(v, dtype=np.float64) for k, v in d.get("state", {}).items()}
            proj = cls(
                d["method"],
                d["backend"],
                xy,
                dict(d.get("params", {})),
                d.get("message"),
                float(d.get("seconds", 0.0)),
                state,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LatentSpaceError(f"the saved projection is incomplete or damaged: {exc}") from None
        if latents is not None:
            proj.attach_latents(latents)
        return proj

    def save(self, folder: str | os.PathLike, name: str | None = None) -> Path:
        """Write ``<name>.json`` + ``<name>.coords.npy`` into ``folder`` atomically; return the JSON path."""
        folder = Path(folder)
        name = name or f"{self.method}-seed{self.params.get('seed', 0)}"
        with atomic_open(folder / f"{name}.coords.npy", "wb") as fh:
            np.save(fh, self.coords)
        path = folder / f"{name}.json"
        write_json_atomic(path, self.to_dict(include_coords=False))
        return path

    @classmethod
    def load(cls, json_path: str | os.PathLike, *, latents=None) -> Projection:
        """Read a projection written by :meth:`save`."""
        json_path = Path(json_path)
        npy = json_path.with_name(json_path.name[: -len(".json")] + ".coords.npy")
        try:
            d = read_json(json_path)
            coords = np.load(npy, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise LatentSpaceError(f"cannot read the projection {json_path}: {exc}") from None
        return cls.from_dict(d, coords=coords, latents=latents)


def fit_projection(
    latents, method: str, *, seed: int = 0, coords=None, progress=None, cancel=None, **params
) -> Projection:
    """Fit a 2-D map of ``latents``.

    Parameters
    ----------
    latents
        ``(N, D)`` float32 latents (the means, mu).
    method
        ``"pca"``, ``"tsne"``, ``"umap"`` (needs umap-learn) or ``"precomputed"`` (give ``coords``).
    seed
        Random seed; the same latents, method, params and seed give the same map.
    coords
        ``(N, 2)`` user coordinates for ``"precomputed"`` (see :func:`load_coords`).
    progress
        ``progress(fraction, coords (N, 2) | None)``, called with intermediate layouts (openTSNE
        every ``update_every`` iterations; scikit-learn t-SNE and UMAP report only start and end).
    cancel
        ``cancel() -> bool``, polled between steps; True makes the fit raise :class:`ProjectionCancelled`.
    **params
        t-SNE: ``perplexity=30, n_iter=500, early_exaggeration_iter=250, exaggeration=12,
        backend="auto"|"openTSNE"|"sklearn", n_jobs, update_every=25``;
        UMAP: ``n_neighbors=15, min_dist=0.1, n_epochs, metric``.

    Raises
    ------
    LatentSpaceError
        For unusable input, with the reason in words; :class:`ProjectionCancelled` when cancelled.
    """
    if method not in METHODS:
        raise LatentSpaceError(f"unknown projection {method!r}; choose one of {', '.join(METHODS)}")
    lat = as_latents(latents)
    n, d = lat.shape
    t0 = time.perf_counter()
    if method == "precomputed":
        xy = check_coords(coords, n)
        if params:
            raise LatentSpaceError(f"precomputed coordinates take no parameters; got {sorted(params)}")
        proj = Projection("precomputed", "precomputed", xy, {"seed": seed})
    elif n == 0:
        proj = Projection("none", "identity", np.zeros((0, 2), np.float32), {"seed": seed}, "no clips to show")
    elif d <= 2:
        proj = Projection(
            "identity",
            "identity",
            _identity(lat),
            {"seed": seed, "dim": d},
            f"the latents have {d} dimension{'s' if d > 1 else ''}: shown as they are",
        )
    else:
        proj = _fit_reducing(lat, method, seed, progress, cancel, params)
    if not proj.is_linear:
        proj._reference = lat
    proj.seconds = time.perf_counter() - t0
    return proj


def _fit_reducing(lat, method, seed, progress, cancel, params) -> Projection:
    n = lat.shape[0]
    notes = []
    if n == 1:
        notes.append("1 clip: shown at the centre")
    if method in NEIGHBOUR_METHODS and n < backends.MIN_NEIGHBOUR_CLIPS:
        notes.append(f"{n} clips are too few for {'t-SNE' if method == 'tsne' else 'UMAP'}: shown with PCA")
        method, params = "pca", {}
    if np.ptp(lat, axis=0).max() == 0 and n > 1:
        notes.append("all clips have the same latent: they sit on one point")
        if method != "pca":
            method, params = "pca", {}
    if method == "tsne":
        wanted = float(params.get("perplexity", backends.TSNE_DEFAULTS["perplexity"]))
        most = (n - 1) / 3.0  # t-SNE looks at 3 x perplexity neighbours
        if wanted > most:
            params = {**params, "perplexity": most}
            notes.append(f"perplexity lowered from {wanted:g} to {most:.3g}: there are only {n} clips")
    if method == "umap":
        wanted = int(params.get("n_neighbors", backends.UMAP_DEFAULTS["n_neighbors"]))
        if wanted > n - 1:
            notes.append(f"UMAP neighbours lowered from {wanted} to {n - 1}: there are only {n} clips")
    fit = {"pca": backends.fit_pca, "tsne": backends.fit_tsne, "umap": backends.fit_umap}[method]
    try:
        coords, backend, resolved, state = fit(lat, seed, progress, cancel, dict(params))
    except LatentSpaceError:
        raise
    except MemoryError:
        raise LatentSpaceError(f"not enough memory to fit {method} on {n} clips") from None
    except Exception as exc:  # a backend's own error, reworded: never a raw library exception
        raise LatentSpaceError(f"the {method} fit failed on {n} clips: {exc}") from exc
    if not np.isfinite(coords).all():
        raise LatentSpaceError(f"the {method} fit produced NaN positions (try another seed or PCA)")
    return Projection(method, backend, coords, resolved, "; ".join(notes) or None, state=state)


def _identity(lat: np.ndarray) -> np.ndarray:
    out = np.zeros((lat.shape[0], 2), np.float32)
    out[:, : lat.shape[1]] = lat[:, :2]
    return out


def _check_dim(new: np.ndarray, d: int) -> None:
    if new.shape[1] != d:
        raise LatentSpaceError(f"new latents have {new.shape[1]} dimensions, the map was fitted on {d}")


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


__all__ = ["Projection", "fit_projection", "load_coords", "LatentSpaceError", "Cancelled", "METHODS"]
