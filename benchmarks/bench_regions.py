"""Map regions (core/map_regions.py): time to find and name the regions of a map of 100 k and 1 M clips.

Structured synthetic 32-D latents (clusters on a curved manifold) projected by PCA; the median of
a few runs (wall and CPU time) of :func:`find_regions` and of :func:`describe_regions` (label field with 12 categories
and a source field of 40 videos). The goal is at most 100 ms at 100 k clips on a 2-core machine.

    nice -n 10 python benchmarks/bench_regions.py --n 100000 1000000
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    sys.path.insert(0, os.path.dirname(__file__))
    from bench_util import timed

    from latentlab.core.explorer_state import ClipField
    from latentlab.core.map_regions import describe_regions, find_regions
    from latentlab.core.synthetic_latents import structured_latents

    print(f"# {os.cpu_count()} cores, load {os.getloadavg()}")
    for n in args.n:
        z, clusters = structured_latents(n, 32, seed=0)
        z -= z.mean(0)
        _, _, vt = np.linalg.svd(z[:20_000], full_matrices=False)  # PCA axes from a sample: quick at 1 M
        coords = (z @ vt[:2].T).astype(np.float32)
        fields = {
            "shape": ClipField("shape", clusters, tuple(f"class {i}" for i in range(clusters.max() + 1))),
            "source": ClipField("source", np.arange(n) % 40, tuple(f"video{i}.mp4" for i in range(40))),
        }
        regions = find_regions(coords)
        cpu = time.process_time()
        for _ in range(args.repeat):
            find_regions(coords)
        find_cpu_ms = (time.process_time() - cpu) / args.repeat * 1000  # steadier than wall time on a busy machine
        find_ms = timed(lambda c=coords: find_regions(c), args.repeat)
        name_ms = timed(lambda r=regions, f=fields: describe_regions(r, f), args.repeat)
        purity = np.mean([np.bincount(clusters[regions.labels == r]).max() / s for r, s in enumerate(regions.sizes)])
        print(
            f"n={n:>9,}: find_regions {find_ms:6.1f} ms (CPU {find_cpu_ms:5.1f} ms), "
            f"describe_regions {name_ms:6.1f} ms, "
            f"{len(regions)} regions holding {regions.sizes.sum() / n:.0%} of the clips, mean purity {purity:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
