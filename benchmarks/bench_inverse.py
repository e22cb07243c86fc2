"""Inverse projection (map position -> latent): per-query latency and held-out error.

For each size, latents are structured synthetic 32-D (``latentlab.core.synthetic_latents``) and the
map is their t-SNE (openTSNE, seed 0; reused from bench_projection.py's cache when there, else
fitted here; ``--map umap`` uses UMAP). ``--heldout`` clips are left out of the inverse; their map
positions are inverted and compared with their true latents:

    NMSE = sum |z_hat - z|^2 / sum |z - mean(z_train)|^2      (0 = perfect, 1 = predicting the mean)

Methods, measured in the same run: latentlab's default (local-linear), the same tabulated on a grid
(``InverseProjection.build_raster``: what the GUI uses for single queries), plain inverse-distance kNN
(k=10), snapping to the nearest clip, iLAMP (k=12). Also: PCA's exact in-plane inverse vs a
2-component reconstruction. Latency: one point per call (what a mouse move does), median over
calls, wall clock and CPU time; and the amortised cost in batches of 1000.

    nice -n 15 python benchmarks/bench_inverse.py --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time

import numpy as np

CACHE = os.environ.get("LATENTLAB_BENCH_CACHE", os.path.join(tempfile.gettempdir(), "latentlab-bench"))
METHODS = [
    ("local-linear (default)", "local-linear", None),
    ("kNN inverse-distance k=10", "idw", 10),
    ("snap to nearest clip", "snap", 1),
    ("iLAMP k=12", "ilamp", 12),
]


def _map(z: np.ndarray, n: int, kind: str, tag: str = "") -> tuple[np.ndarray, str]:
    from latentlab.core.projection import fit_projection

    name = {"tsne": "tsne-openTSNE", "umap": "umap-umap-learn"}[kind]
    path = os.path.join(CACHE, f"{tag}{name}-{n}-seed0.npy")
    if os.path.exists(path):
        return np.load(path), f"{name} (cached {path})"
    t = time.perf_counter()
    proj = fit_projection(z, kind, seed=0)
    os.makedirs(CACHE, exist_ok=True)
    np.save(path, proj.coords)
    return proj.coords, f"{proj.backend} fitted in {time.perf_counter() - t:.0f} s"


def _latency(inv, queries: np.ndarray, repeats: int = 3) -> dict:
    walls, cpus = [], []
    for _ in range(repeats):
        per_call = np.empty(len(queries))
        c0 = time.process_time()
        for i, q in enumerate(queries):
            t = time.perf_counter()
            inv.invert(q[None])
            per_call[i] = time.perf_counter() - t
        cpus.append((time.process_time() - c0) / len(queries))
        walls.append(per_call)
    walls = np.concatenate(walls)
    t = time.perf_counter()
    for a in range(0, len(queries), 1000):
        inv.invert(queries[a : a + 1000])
    batched = (time.perf_counter() - t) / len(queries)
    return {
        "median_ms": 1e3 * float(np.median(walls)),
        "p95_ms": 1e3 * float(np.percentile(walls, 95)),
        "cpu_ms": 1e3 * float(np.median(cpus)),
        "batched_ms": 1e3 * batched,
    }


def run_size(n: int, kind: str, heldout: int, n_queries: int, latents: str | None = None) -> dict:
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import fit_projection
    from latentlab.core.synthetic_latents import structured_latents

    if latents:  # real latents (e.g. the demo model's mu): the first n rows
        z = np.load(latents).astype(np.float32)[:n]
        n = len(z)
        coords, how = _map(z, n, kind, tag=os.path.basename(latents) + "-")
    else:
        z, _ = structured_latents(n, 32, seed=0)
        coords, how = _map(z, n, kind)
    rng = np.random.default_rng(1)
    ho = rng.choice(n, heldout, replace=False)
    tr = np.setdiff1d(np.arange(n), ho)
    den = float(np.sum((z[ho] - z[tr].mean(axis=0)) ** 2))
    queries = coords[rng.choice(n, n_queries, replace=False)] + rng.normal(scale=0.5, size=(n_queries, 2))
    proj = fit_projection(z[tr], "precomputed", coords=coords[tr])
    out = {"n": n, "map": how, "heldout": heldout, "methods": {}}
    from scipy.spatial import cKDTree

    tree = cKDTree(coords[tr].astype(np.float64))
    floor = []
    for q in queries:  # what any local method pays first: the KD-tree query itself
        t = time.perf_counter()
        tree.query(q[None], k=10)
        floor.append(time.perf_counter() - t)
    out["kdtree_query_median_ms"] = 1e3 * float(np.median(floor))
    print(f"n={n:>7d} KD-tree query alone (k=10, the floor): {out['kdtree_query_median_ms']:.4f} ms", flush=True)
    for label, method, k in METHODS:
        t = time.perf_counter()
        inv = make_inverse(z[tr], proj, method=method, k=k)
        build = time.perf_counter() - t
        res = inv.invert(coords[ho])
        err = np.sum((res.z - z[ho]) ** 2, axis=1)
        rel_corr = float(np.corrcoef(np.argsort(np.argsort(res.reliability)), np.argsort(np.argsort(err)))[0, 1])
        out["methods"][label] = {
            "nmse": float(err.sum() / den),
            "build_s": build,
            **_latency(inv, queries),
            "reliability_vs_error_spearman": rel_corr,
            "median_reliability": float(np.median(res.reliability)),
        }
        print(_row(n, label, out["methods"][label]), flush=True)
        if method == "local-linear":  # the default again, tabulated: what a mouse move really costs
            label = "local-linear, raster (what the GUI uses)"
            t = time.perf_counter()
            inv.build_raster()
            build = time.perf_counter() - t
            z_r, ok = inv.raster.lookup(coords[ho])
            z_r[~ok] = res.z[~ok]  # outside the grid the exact path answers
            one = [inv.invert(p[None]) for p in coords[ho]]
            exact_nearest = float(np.mean(np.concatenate([o.nearest for o in one]) == res.nearest))
            r = np.concatenate([o.reliability for o in one])
            err_r = np.sum((z_r - z[ho]) ** 2, axis=1)
            rel_corr = float(np.corrcoef(np.argsort(np.argsort(r)), np.argsort(np.argsort(err_r)))[0, 1])
            out["methods"][label] = {
                "nmse": float(err_r.sum() / den),
                "build_s": build,
                "raster_mb": inv.raster.nbytes / 1e6,
                "inside_grid": float(ok.mean()),
                "nearest_agrees": exact_nearest,
                **_latency(inv, queries),
                "reliability_vs_error_spearman": rel_corr,
                "median_reliability": float(np.median(r)),
            }
            m = out["methods"][label]
            print(
                _row(n, label, m) + f"  build {build:.2f} s, {m['raster_mb']:.0f} MB, nearest agrees "
                f"{100 * exact_nearest:.1f} %",
                flush=True,
            )
    # PCA map: exact in-plane inverse keeping the nearest clip's residual vs a 2-component reconstruction
    pca = fit_projection(z[tr], "pca")
    held_xy = pca.transform(z[ho]).astype(np.float64)
    inv = make_inverse(z[tr], pca)
    res = inv.invert(held_xy)
    blend = make_inverse(z[tr], pca, residual="blend").invert(held_xy).z
    two = pca.state["mean"] + held_xy @ pca.state["components"]
    round_trip = float(np.abs(pca.transform(res.z) - held_xy).max())
    out["pca"] = {
        "in_plane_nmse": float(np.sum((res.z - z[ho]) ** 2) / den),
        "blend_residual_nmse": float(np.sum((blend - z[ho]) ** 2) / den),
        "two_component_nmse": float(np.sum((two - z[ho]) ** 2) / den),
        "round_trip_max_abs": round_trip,
        **_latency(inv, held_xy[:n_queries]),
    }
    inv.build_raster()
    raster_one = np.concatenate([inv.invert(q[None]).z for q in held_xy])
    out["pca"]["raster"] = {
        "max_abs_vs_exact": float(np.abs(raster_one - res.z).max()),
        **_latency(inv, held_xy[:n_queries]),
    }
    p = out["pca"]
    print(
        f"n={n:>7d} PCA in-plane, nearest clip's residual: NMSE {p['in_plane_nmse']:.4f}, blended "
        f"residual {p['blend_residual_nmse']:.4f}, 2-component "
        f"{p['two_component_nmse']:.4f}; round trip {round_trip:.1e}; {p['median_ms']:.4f} ms/query; "
        f"with its raster {p['raster']['median_ms']:.4f} ms/query (max |dz| vs exact "
        f"{p['raster']['max_abs_vs_exact']:.1e})",
        flush=True,
    )
    return out


def _row(n, label, m) -> str:
    return (
        f"n={n:>7d} {label:28s} NMSE {m['nmse']:.4f}  latency median {m['median_ms']:.4f} ms "
        f"(p95 {m['p95_ms']:.4f}, cpu {m['cpu_ms']:.4f}, batched {m['batched_ms']:.4f})  "
        f"reliability~error rho {m['reliability_vs_error_spearman']:+.2f}"
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--map", choices=["tsne", "umap"], default="tsne")
    ap.add_argument("--heldout", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=2000, help="single-point calls timed per method")
    ap.add_argument("--latents", help="a .npy of real latents (N, D) instead of synthetic ones")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    print(
        f"# {platform.node()} {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()}, "
        f"numpy {np.__version__}, latents {args.latents or 'synthetic 32-D'}"
    )
    results = [run_size(n, args.map, args.heldout, args.queries, args.latents) for n in args.sizes]
    print(f"# load at end {os.getloadavg()}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
