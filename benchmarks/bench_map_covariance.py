"""Local directions at the probe and posterior ellipses on the map: time at 100k clips, and how well
the local linear map behind the t-SNE ellipses predicts held-out neighbours.

Timing: structured synthetic latents (``structured_latents(n, 32)``), posterior std 0.05; the probe's
analysis (kNN k=50 + SVD) and the ellipses of 500 selected clips on a PCA map (exact) and on a
non-linear map (local fits; the time does not depend on which non-linear map).

Quality: for clips of a t-SNE map, the local linear map is fitted on k neighbours and predicts the
map positions of the next 10; plain least squares vs the GCV-chosen ridge the explorer uses, with the
median 1-sigma ellipse radius each gives. ``--npz FILE`` reads ``mu``, ``logvar`` and ``coords`` (a
map of real latents); without it a t-SNE of ``--quality-n`` synthetic latents is fitted first.

    nice -n 15 python benchmarks/bench_map_covariance.py --n 100000
    nice -n 15 python benchmarks/bench_map_covariance.py --npz demo_tsne.npz
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def _timing(n: int, repeat: int) -> None:
    from latentlab.core.local_directions import LOCAL_K, probe_directions
    from latentlab.core.map_covariance import posterior_ellipses
    from latentlab.core.neighbours import LatentIndex
    from latentlab.core.projection import Projection, fit_projection
    from latentlab.core.synthetic_latents import structured_latents

    mu, _ = structured_latents(n, 32, seed=0)
    logvar = np.full_like(mu, 2 * np.log(0.05))
    t = time.perf_counter()
    index = LatentIndex(mu)
    print(f"index build {time.perf_counter() - t:.2f} s")
    rng = np.random.default_rng(0)
    probes = mu[rng.choice(n, repeat)] + 0.1 * rng.normal(size=(repeat, 32)).astype(np.float32)
    t = time.perf_counter()
    for z in probes:
        probe_directions(index, mu, z)
    print(f"probe directions (k={LOCAL_K}): {1000 * (time.perf_counter() - t) / repeat:.1f} ms per probe position")
    pca = fit_projection(mu, "pca")
    warped = Projection("tsne", "test", (np.tanh(pca.coords / 3) * 50).astype(np.float32))
    sel = np.sort(rng.choice(n, 500, replace=False))
    for name, proj in (("PCA (exact)", pca), ("non-linear (local fits)", warped)):
        t = time.perf_counter()
        posterior_ellipses(proj, mu, logvar, sel, index)
        print(f"ellipses of 500 clips, {name}: {1000 * (time.perf_counter() - t):.0f} ms")


def _radius(j: np.ndarray, var: np.ndarray) -> float:
    cov = j.T @ np.diag(var) @ j
    return float(np.sqrt(np.sqrt(max(np.linalg.det(cov), 0.0))))


def _quality(mu, logvar, coords, k: int, clips: int) -> None:
    from scipy.spatial import cKDTree

    from latentlab.core.map_covariance import local_jacobians, ridge_gcv

    mu, coords = mu.astype(np.float64), coords.astype(np.float64)
    tree = cKDTree(mu)
    pick = np.random.default_rng(1).choice(len(mu), min(clips, len(mu)), replace=False)
    one_nn = np.median(cKDTree(coords).query(coords[pick], k=2)[0][:, 1])
    print(f"{len(mu)} clips, {mu.shape[1]}-D; median map distance to the nearest clip {one_nn:.3g}")
    fits = {
        "least squares": lambda x, y: np.linalg.lstsq(x, y, rcond=None)[0],
        "GCV ridge": lambda x, y: ridge_gcv(x[None], y[None])[0],
        "GCV ridge + cap": None,  # what the explorer draws: local_jacobians
        "no slope (J = 0)": lambda x, y: np.zeros((x.shape[1], 2)),
    }
    nb = tree.query(mu[pick], k=k + 10)[1]
    for name, fit in fits.items():
        errs, radii = [], []
        for c, row in zip(pick, nb):
            train, test = row[:k], row[k:]
            mx, my = mu[train].mean(0), coords[train].mean(0)
            j = fit(mu[train] - mx, coords[train] - my) if fit else local_jacobians(mu, coords, train[None])[0].T
            errs.append(np.median(np.linalg.norm((mu[test] - mx) @ j + my - coords[test], axis=1)))
            radii.append(_radius(j, np.exp(logvar[c].astype(np.float64))))
        p50, p90, p99 = np.percentile(radii, [50, 90, 99])
        print(
            f"k={k} {name:18s} held-out error {np.median(errs):7.3f}   "
            f"1-sigma radius p50 {p50:.3g} p90 {p90:.3g} p99 {p99:.3g}"
        )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--npz", help="mu, logvar and coords of a real map for the quality part")
    ap.add_argument("--quality-n", type=int, default=3000)
    ap.add_argument("--k", type=int, nargs="+", default=[30, 60])
    args = ap.parse_args(argv)
    print(f"# {os.cpu_count()} cores, load {os.getloadavg()}")
    _timing(args.n, args.repeat)
    if args.npz:
        d = np.load(args.npz)
        mu, logvar, coords = d["mu"], d["logvar"], d["coords"]
    else:
        from latentlab.core.projection import fit_projection
        from latentlab.core.synthetic_latents import structured_latents

        mu, _ = structured_latents(args.quality_n, 32, seed=0)
        logvar = np.full_like(mu, 2 * np.log(0.05))
        t = time.perf_counter()
        coords = fit_projection(mu, "tsne").coords
        print(f"t-SNE of {args.quality_n} synthetic latents: {time.perf_counter() - t:.0f} s")
    for k in args.k:
        _quality(mu, logvar, coords, k, clips=300)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
