"""``latentlab demo-data -o STORE``: write the procedural sprite dataset to a new clip store."""

from __future__ import annotations

import argparse
import sys


def bundled_geometry() -> tuple[int, int]:
    """``(frames, size)`` of the clips the bundled demo model takes (read from its config.json, no
    torch), so that a store made with the defaults opens with it; ``(8, 32)`` if it is missing."""
    import json

    from latentlab.paths import demo_checkpoint_dir

    try:
        model = json.loads((demo_checkpoint_dir() / "config.json").read_text(encoding="utf-8"))["model"]
        return int(model["frames"]), int(model["height"])
    except (OSError, ValueError, KeyError, TypeError):
        return 8, 32


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Write the procedural bouncing-sprite dataset (with its ground-truth factors: shape, size, "
        "position, velocity, colour) to a new clip store. The same arguments always give the same bytes."
    )
    parser.add_argument("-o", "--output", required=True, metavar="STORE", help="new clip store folder")
    parser.add_argument("--n", type=int, default=20_000, help="number of clips (default 20000)")
    frames, size = bundled_geometry()
    parser.add_argument("--frames", type=int, default=frames,
                        help=f"frames per clip (default {frames}: what the bundled model takes)")
    parser.add_argument("--size", type=int, default=size,
                        help=f"frame width and height in pixels (default {size}: what the bundled model takes)")
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
