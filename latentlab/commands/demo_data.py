"""``latentlab demo-data -o STORE``: write the procedural sprite dataset to a new clip store."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Write the procedural bouncing-sprite dataset (with its ground-truth factors: shape, size, "
        "position, velocity, colour) to a new clip store. The same arguments always give the same bytes."
    )
    parser.add_argument("-o", "--output", required=True, metavar="STORE", help="new clip store folder")
    parser.add_argument("--n", type=int, default=20_000, help="number of clips (default 20000)")
    parser.add_argument("--frames", type=int, default=8, help="frames per clip (default 8)")
    parser.add_argument("--size", type=int, default=64, help="frame width and height in pixels (default 64)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from latentlab.media.clip_store import StoreError
    from latentlab.media.demo_data import DemoSpec, write_demo_store

    if args.n < 1 or args.frames < 1 or args.size < 4:
        print("latentlab demo-data: error: --n and --frames must be at least 1, --size at least 4", file=sys.stderr)
        return 1
    spec = DemoSpec(n_clips=args.n, frames=args.frames, size=args.size, seed=args.seed)
    with tqdm(total=spec.n_clips, unit="clip", file=sys.stderr, disable=args.quiet or None) as bar:
        def progress(done: int, total: int) -> None:
            bar.update(done - bar.n)

        try:
            store = write_demo_store(args.output, spec, progress=progress)
        except StoreError as exc:
            bar.close()
            print(f"latentlab demo-data: error: {exc}", file=sys.stderr)
            return 1
    print(f"wrote {len(store)} clips of {store.geometry.shape} (T, H, W, C) to {store.path}")
    return 0
