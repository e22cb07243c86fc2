"""What the map's poster layer costs per view change (Qt-free part): deciding whether the view shows
posters over all clips, and drawing 300 of them into a screen-sized image.

    nice -n 15 python benchmarks/bench_posters.py --n 100000
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_util import timed  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--size", type=int, nargs=2, default=(1200, 800), help="the view in pixels")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args(argv)
    from latentlab.core.point_splat import Viewport
    from latentlab.core.poster_cache import Poster
    from latentlab.core.poster_layout import MAX_POSTERS, POSTER_PX, compose_posters, plan_posters

    w, h = args.size
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(args.n, 2)).astype(np.float32)
    print(f"# {os.cpu_count()} cores, load {os.getloadavg()}, {args.n:,} clips, view {w}x{h}")
    whole = Viewport(-4, 4, -4 * h / w, 4 * h / w, w, h)
    ms = timed(lambda: plan_posters(coords, whole), args.repeat)
    print(f"zoomed out (no posters): plan {ms:.2f} ms")
    # A view with MAX_POSTERS clips on a grid, far enough apart: the most the layer ever draws.
    side = int(np.sqrt(MAX_POSTERS))
    grid = np.stack(np.meshgrid(np.arange(side), np.arange(side)), -1).reshape(-1, 2) * (POSTER_PX + 4.0)
    sparse = np.concatenate([coords + 1e5, grid.astype(np.float32)])  # the other clips far out of view
    view = Viewport(-POSTER_PX, float(w - POSTER_PX), -POSTER_PX, float(h - POSTER_PX), w, h)
    plan = plan_posters(sparse, view)
    ms = timed(lambda: plan_posters(sparse, view), args.repeat)
    print(f"zoomed in ({len(plan.indices)} posters): plan {ms:.2f} ms")
    clip = rng.integers(0, 255, (16, 64, 64, 3), dtype=np.uint8)
    posters = [Poster.of_clip(clip).small for _ in plan.indices]
    borders = np.zeros((len(posters), 4), np.uint8)
    borders[::10] = 255
    ms = timed(lambda: compose_posters(plan, posters, borders), args.repeat)
    print(f"compose {len(posters)} posters into {w}x{h}: {ms:.2f} ms")
    ms = timed(lambda: Poster.of_clip(clip), args.repeat)
    print(f"one poster from a 16x64x64 clip: {ms * 1000:.0f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
