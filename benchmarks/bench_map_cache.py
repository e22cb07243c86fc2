"""What a saved map costs the window: reading it from the map cache and building its inverse
(:func:`latentlab.app.maps.cached_map`), which the window does on the GUI thread up to
``maps.INLINE_CLIPS`` clips instead of fitting the map again. Median of 5 reads after one warm-up.

    nice -n 15 python benchmarks/bench_map_cache.py --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from types import SimpleNamespace

import numpy as np


def measure(n: int, dim: int, repeats: int = 5) -> tuple[float, float]:
    """``(median, min)`` seconds of one cache hit of a t-SNE-like map of ``n`` clips."""
    from latentlab.app import maps
    from latentlab.core.projection import fit_projection

    rng = np.random.default_rng(0)
    mu = rng.normal(size=(n, dim)).astype(np.float32)
    projection = fit_projection(mu, "precomputed", coords=rng.normal(size=(n, 2)).astype(np.float32))
    projection.method = "tsne"
    with tempfile.TemporaryDirectory() as tmp:
        store = SimpleNamespace(path=tmp, fingerprint="f" * 32)
        ds = SimpleNamespace(store=store, model_fingerprint="ab" * 16, mu=mu, n_clips=n)
        cache = maps.map_cache(ds)
        cache.put(cache.key("tsne"), projection)
        assert maps.cached_map(ds, "tsne").reused
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            maps.cached_map(ds, "tsne")
            times.append(time.perf_counter() - t0)
    return float(np.median(times)), min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--dim", type=int, default=64)
    args = ap.parse_args()
    print(f"{platform.processor() or platform.machine()}, numpy {np.__version__}, latents {args.dim}-D")
    for n in args.sizes:
        median, best = measure(n, args.dim)
        print(f"{n:>9,} clips: saved map shown in {1000 * median:.0f} ms (min {1000 * best:.0f} ms)")


if __name__ == "__main__":
    main()
