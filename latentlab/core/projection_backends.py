"""The fitting code behind :func:`latentlab.core.projection.fit_projection`, one function per backend.

Each ``fit_*`` takes checked float32 latents ``(N, D)`` and returns ``(coords (N, 2), backend name,
resolved params, state)``; ``state`` is what :meth:`Projection.transform` needs (PCA's mean and
axes). Progress is ``progress(fraction, coords | None)``; ``cancel()`` is polled between steps and a
True answer raises :class:`ProjectionCancelled`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable

import numpy as np

from latentlab.core.errors import LatentSpaceError, ProjectionCancelled
from latentlab.core.projection_methods import TSNE_BACKENDS

Progress = Callable[[float, "np.ndarray | None"], None] | None
Cancel = Callable[[], bool] | None

#: Fewer clips than this get a PCA map instead of t-SNE / UMAP (both need a neighbourhood).
MIN_NEIGHBOUR_CLIPS = 5
#: t-SNE runs single-threaded below this many clips (see fit_tsne).
SMALL_FOR_THREADS = 10_000


def _check_cancel(cancel: Cancel) -> None:
    if cancel is not None and cancel():
        raise ProjectionCancelled("the projection was cancelled")


def _report(progress: Progress, fraction: float, coords: np.ndarray | None) -> None:
    if progress is not None:
        progress(float(fraction), None if coords is None else np.asarray(coords, dtype=np.float32).copy())


def default_jobs() -> int:
    """Threads for t-SNE / UMAP: all cores (the fit runs in a worker, never on the GUI thread)."""
    return max(1, os.cpu_count() or 1)


def one_blas_thread():
    """Run BLAS single-threaded inside the block.

    A (100k x 32)^T (100k x 32) product took 6.2 s with OpenBLAS's 2 threads and 0.018 s with 1 on
    a 2-core machine whose other core was busy (spinning threads wait for a core that never comes);
    the matrices here are too thin for a second thread to pay anyway.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # a scikit-learn dependency; without it, BLAS keeps its own setting
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


# --------------------------------------------------------------------------------------------- PCA
def pca_state(latents: np.ndarray) -> dict:
    """Mean ``(D,)`` and orthonormal axes ``(2, D)`` (float64) of the PCA plane of ``latents``."""
    from sklearn.decomposition import PCA

    n, d = latents.shape
    k = min(2, n, d)
    x = latents.astype(np.float64)
    mean = x.mean(axis=0)
    if n < 2 or not np.any(x.std(axis=0) > 0):
        axes = np.eye(d)[:2]  # no spread to find axes in: the first two latent dimensions
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 explained-variance ratio of a flat axis
            # covariance_eigh: eigh of the (D, D) covariance, one pass over the data. "auto" picked a
            # full SVD of the (N, D) matrix: 19 s for 100k x 32 on a busy 2-core machine.
            solver = "covariance_eigh" if n >= d else "full"
            with one_blas_thread():
                try:
                    pca = PCA(n_components=k, svd_solver=solver).fit(x)
                except ValueError:  # scikit-learn < 1.5 has no covariance_eigh
                    pca = PCA(n_components=k, svd_solver="full").fit(x)
        axes = pca.components_.astype(np.float64)
        if k < 2:  # complete the plane with a unit vector orthogonal to the first axis
            e = np.eye(d)[np.argmin(np.abs(axes[0]))]
            e = e - (e @ axes[0]) * axes[0]
            axes = np.vstack([axes, e / np.linalg.norm(e)])
    return {"mean": mean, "components": axes}


def pca_coords(latents: np.ndarray, state: dict) -> np.ndarray:
    """Coordinates of ``latents`` in the PCA plane: ``(latents - mean) @ axes.T`` as ``(N, 2)``."""
    return ((latents.astype(np.float64) - state["mean"]) @ state["components"].T).astype(np.float32)


def fit_pca(latents, seed, progress, cancel, params):
    if params:
        raise LatentSpaceError(f"PCA takes no parameters; got {sorted(params)}")
    state = pca_state(latents)
    coords = pca_coords(latents, state)
    _report(progress, 1.0, coords)
    return coords, "sklearn-pca", {"seed": seed}, state


# ------------------------------------------------------------------------------------------- t-SNE
TSNE_DEFAULTS = dict(
    perplexity=30.0,
    n_iter=500,
    early_exaggeration_iter=250,
    exaggeration=12.0,
    backend="auto",
    n_jobs=None,
    update_every=25,
)


def fit_tsne(latents, seed, progress, cancel, params):
    unknown = set(params) - set(TSNE_DEFAULTS)
    if unknown:
        raise LatentSpaceError(f"unknown t-SNE parameters {sorted(unknown)}; known: {sorted(TSNE_DEFAULTS)}")
    p = {**TSNE_DEFAULTS, **params}
    # Below ~10k clips an iteration is too short to pay for waking threads: n_jobs=2 measured 4x
    # slower than 1 on 1000 clips (77 s vs 21 s) on a busy 2-core machine.
    p["n_jobs"] = int(p["n_jobs"] or (default_jobs() if latents.shape[0] >= SMALL_FOR_THREADS else 1))
    backend = p.pop("backend")
    if backend not in TSNE_BACKENDS:
        raise LatentSpaceError(f"t-SNE backend must be 'auto', 'openTSNE' or 'sklearn', not {backend!r}")
    have_open = _has_module("openTSNE")
    if backend == "openTSNE" and not have_open:
        raise LatentSpaceError("openTSNE is not installed (pip install openTSNE); use backend='sklearn'")
    use_open = have_open and backend != "sklearn"
    with one_blas_thread():  # the t-SNE libraries bring their own threads (n_jobs)
        if use_open:
            coords = _fit_opentsne(latents, seed, progress, cancel, p)
        else:
            coords = _fit_sklearn_tsne(latents, seed, progress, cancel, p)
    p["seed"] = seed
    return coords, ("openTSNE" if use_open else "sklearn-tsne"), p, {}


def _fit_opentsne(x, seed, progress, cancel, p):
    import openTSNE
    from openTSNE.tsne import OptimizationInterrupt

    n_iter, ee_iter, every = int(p["n_iter"]), int(p["early_exaggeration_iter"]), max(1, int(p["update_every"]))
    total = max(1, n_iter + ee_iter)
    # The PCA start layout is a real (if crude) map: show it at once, before the neighbour search.
    init = openTSNE.initialization.pca(x, random_state=seed)
    _report(progress, 0.0, init)
    _check_cancel(cancel)
    affinities = openTSNE.affinity.PerplexityBasedNN(
        x, perplexity=float(p["perplexity"]), n_jobs=p["n_jobs"], random_state=seed
    )
    _report(progress, 0.1, None)
    _check_cancel(cancel)
    emb = openTSNE.TSNEEmbedding(init, affinities, n_jobs=p["n_jobs"], random_state=seed)

    def phase(offset):
        def callback(iteration, error, embedding):
            _report(progress, 0.1 + 0.9 * (offset + iteration) / total, embedding)
            return bool(cancel is not None and cancel())  # True stops openTSNE's optimiser

        return [callback]

    try:
        if ee_iter > 0:
            emb = emb.optimize(
                n_iter=ee_iter,
                exaggeration=float(p["exaggeration"]),
                momentum=0.5,
                callbacks=phase(0),
                callbacks_every_iters=every,
                propagate_exception=True,
            )
        if n_iter > 0:
            emb = emb.optimize(
                n_iter=n_iter,
                exaggeration=1.0,
                momentum=0.8,
                callbacks=phase(ee_iter),
                callbacks_every_iters=every,
                propagate_exception=True,
            )
    except OptimizationInterrupt:
        raise ProjectionCancelled("the t-SNE fit was cancelled") from None
    coords = np.asarray(emb, dtype=np.float32)
    _report(progress, 1.0, coords)
    return coords


def _fit_sklearn_tsne(x, seed, progress, cancel, p):
    from sklearn.manifold import TSNE

    # scikit-learn's TSNE has no callback: progress is reported at start and end only, and
    # cancel() is polled before and after the fit (documented in fit_projection).
    _report(progress, 0.0, None)
    _check_cancel(cancel)
    tsne = TSNE(
        n_components=2,
        perplexity=float(p["perplexity"]),
        early_exaggeration=float(p["exaggeration"]),
        max_iter=max(250, int(p["n_iter"]) + int(p["early_exaggeration_iter"])),
        init="pca",
        learning_rate="auto",
        random_state=seed,
        n_jobs=p["n_jobs"],
    )
    coords = tsne.fit_transform(x.astype(np.float64)).astype(np.float32)
    _check_cancel(cancel)
    _report(progress, 1.0, coords)
    return coords


# -------------------------------------------------------------------------------------------- UMAP
# No n_jobs: umap-learn runs single-threaded whenever random_state is fixed, and we always fix it.
UMAP_DEFAULTS = dict(n_neighbors=15, min_dist=0.1, n_epochs=None, metric="euclidean")


def fit_umap(latents, seed, progress, cancel, params):
    unknown = set(params) - set(UMAP_DEFAULTS)
    if unknown:
        raise LatentSpaceError(f"unknown UMAP parameters {sorted(unknown)}; known: {sorted(UMAP_DEFAULTS)}")
    if not _has_module("umap"):
        raise LatentSpaceError(
            "UMAP is not installed here (umap-learn is one of latentlab's dependencies: "
            "pip install umap-learn). PCA and t-SNE work without it."
        )
    p = {**UMAP_DEFAULTS, **params}
    p["n_neighbors"] = min(int(p["n_neighbors"]), latents.shape[0] - 1)
    _report(progress, 0.0, None)
    _check_cancel(cancel)
    with warnings.catch_warnings():
        # umap-learn warns that a fixed random_state forces one thread and about numba: noise to a user
        warnings.simplefilter("ignore")
        import umap

        reducer = umap.UMAP(
            n_components=2,
            n_neighbors=int(p["n_neighbors"]),
            min_dist=float(p["min_dist"]),
            n_epochs=p["n_epochs"],
            metric=p["metric"],
            random_state=seed,
        )
        # umap-learn offers no per-epoch callback: progress at start and end, cancel polled around the fit.
        coords = np.asarray(reducer.fit_transform(latents), dtype=np.float32)
    _check_cancel(cancel)
    _report(progress, 1.0, coords)
    p["seed"] = seed
    p["umap_version"] = getattr(umap, "__version__", "?")
    return coords, "umap-learn", p, {}


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
