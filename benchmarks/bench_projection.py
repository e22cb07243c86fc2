"""Projection fit times: PCA, t-SNE (openTSNE and scikit-learn), UMAP, at 10k and 100k latents.

Each fit runs in its own subprocess under a wall-clock cap (``--limit`` seconds); a fit that does
not finish is recorded honestly as "> limit". Latents: structured synthetic 32-D
(``latentlab.core.synthetic_latents``), and the demo model's real latents when ``--latents FILE.npy``
is given. Also measures the time to the first intermediate t-SNE layout (openTSNE): the PCA start
layout (shown at once) and the first optimised layout.

    nice -n 15 python benchmarks/bench_projection.py --sizes 10000 100000 --limit 900
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

CACHE = os.environ.get("LATENTLAB_BENCH_CACHE", os.path.join(tempfile.gettempdir(), "latentlab-bench"))


def _latents(n: int, path: str | None) -> np.ndarray:
    if path:
        z = np.load(path).astype(np.float32)
        reps = int(np.ceil(n / len(z)))
        return np.concatenate([z] * reps)[:n] if reps > 1 else z[:n]
    from latentlab.core.synthetic_latents import structured_latents

    return structured_latents(n, 32, seed=0)[0]


def one(method: str, backend: str, n: int, latents_path: str | None) -> dict:
    """Fit once in this process and return timings (run by the parent in a subprocess)."""
    from latentlab.core.projection import fit_projection

    z = _latents(n, latents_path)
    params = {"backend": backend} if method == "tsne" else {}
    out: dict = {"method": method, "backend": backend, "n": n}
    if method == "umap":  # the first UMAP fit in a process pays numba's JIT: measure it apart
        t = time.perf_counter()
        fit_projection(z[:1000], "umap", seed=0)
        out["jit_warmup_s"] = time.perf_counter() - t
    if method == "pca":  # imports (sklearn) apart from the fit itself
        fit_projection(z[:100], "pca", seed=0)
    firsts: dict = {}
    c0 = time.process_time()  # CPU seconds of all threads: less sensitive to other users of the cores
    t0 = time.perf_counter()

    def progress(fraction, coords):
        if coords is not None:
            firsts.setdefault("first_layout_s", time.perf_counter() - t0)
            if fraction > 0.1:
                firsts.setdefault("first_optimised_layout_s", time.perf_counter() - t0)

    proj = fit_projection(z, method, seed=0, progress=progress, **params)
    out.update(seconds=time.perf_counter() - t0, cpu_s=time.process_time() - c0, actual_backend=proj.backend, **firsts)
    if latents_path is None:  # keep the map: bench_inverse.py measures inverses on the same maps
        os.makedirs(CACHE, exist_ok=True)
        np.save(os.path.join(CACHE, f"{method}-{proj.backend}-{n}-seed0.npy"), proj.coords)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--limit", type=float, default=900.0, help="cap per fit in seconds (default 900)")
    ap.add_argument("--latents", help="a .npy of real latents (e.g. the demo model's mu) instead of synthetic")
    ap.add_argument("--only", nargs="*", help="subset of: pca tsne-openTSNE tsne-sklearn umap")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--one", nargs=3, metavar=("METHOD", "BACKEND", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], int(args.one[2]), args.latents)))
        return 0
    runs = [("pca", "sklearn-pca"), ("tsne", "openTSNE"), ("tsne", "sklearn"), ("umap", "umap-learn")]
    if args.only:
        runs = [r for r in runs if r[0] in args.only or f"{r[0]}-{r[1]}" in args.only]
    print(
        f"# {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()}, latents {'real ' + args.latents if args.latents else 'synthetic 32-D'}"
    )
    results = []
    for n in args.sizes:
        for method, backend in runs:
            cmd = [sys.executable, __file__, "--one", method, backend, str(n)]
            if args.latents:
                cmd += ["--latents", args.latents]
            load0 = os.getloadavg()[0]
            t = time.perf_counter()
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.limit)
                if proc.returncode != 0:
                    res = {"method": method, "backend": backend, "n": n, "error": proc.stderr.strip()[-300:]}
                else:
                    res = json.loads(proc.stdout.strip().splitlines()[-1])
            except subprocess.TimeoutExpired:
                res = {
                    "method": method,
                    "backend": backend,
                    "n": n,
                    "seconds": None,
                    "note": f"> {args.limit:.0f} s (cap)",
                }
            res["wall_s"] = time.perf_counter() - t
            res["load_before"] = load0
            results.append(res)
            print(_row(res), flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return 0


def _row(r: dict) -> str:
    sec = f"{r['seconds']:.2f} s" if r.get("seconds") is not None else r.get("note", r.get("error", "?"))
    extra = "".join(
        f", {k}={r[k]:.2f}"
        for k in ("cpu_s", "first_layout_s", "first_optimised_layout_s", "jit_warmup_s")
        if r.get(k) is not None
    )
    return f"{r['method']:5s} {r['backend']:12s} n={r['n']:>7d}: {sec}{extra} (load {r['load_before']:.1f})"


if __name__ == "__main__":
    sys.exit(main())
