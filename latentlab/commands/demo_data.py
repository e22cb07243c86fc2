"""``latentlab demo-data -o STORE [--kind sprites|digits]``: write a procedural sample dataset."""

from __future__ import annotations

import argparse
import sys

KINDS = ("sprites", "digits")  # = latentlab.media.sample_data.SAMPLE_DATASETS (kept import-free for --help)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Write a procedural sample dataset with its ground-truth factors to a new clip store: 'sprites' "
        "(bouncing sprites: shape, size, position, velocity, colour) or 'digits' (moving handwritten digits "
        "from scikit-learn's set: digit, position, velocity). The same arguments always give the same bytes."
    )
    parser.add_argument("-o", "--output", required=True, metavar="STORE", help="new clip store folder")
    parser.add_argument("--kind", choices=KINDS, default="sprites", help="which dataset (default sprites)")
    parser.add_argument("--n", type=int, default=20_000, help="number of clips (default 20000)")
    parser.add_argument("--frames", type=int, default=8, help="frames per clip (default 8)")
    parser.add_argument("--size", type=int, default=32,
                        help="frame width and height in pixels (default 32, the bundled models' size)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--images", choices=("train", "test"), default="train",
                        help="digits only: scikit-learn's digit images to draw from: 'train' (4 of every 5, what "
                             "the bundled model saw) or 'test' (the fifth, held out)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from latentlab.media.clip_store import StoreError
    from latentlab.media.sample_data import SAMPLE_DATASETS

    if args.n < 1 or args.frames < 1 or args.size < 8:
        print("latentlab demo-data: error: --n and --frames must be at least 1, --size at least 8", file=sys.stderr)
        return 1
    sample = SAMPLE_DATASETS[args.kind]
    params = dict(n_clips=args.n, frames=args.frames, size=args.size, seed=args.seed)
    if args.kind == "digits":
        params["images"] = args.images
    spec = sample.spec(**params)
    with tqdm(total=args.n, unit="clip", file=sys.stderr, disable=args.quiet or None) as bar:
        def progress(done: int, total: int) -> None:
            bar.update(done - bar.n)

        try:
            store = sample.write_store(args.output, spec, progress=progress)
        except StoreError as exc:
            bar.close()
            print(f"latentlab demo-data: error: {exc}", file=sys.stderr)
            return 1
    print(f"wrote {len(store)} {args.kind} clips of {store.geometry.shape} (T, H, W, C) to {store.path}")
    return 0
