"""``latentlab demo-data -o STORE [--kind sprites|digits]``: write a procedural sample dataset."""

from __future__ import annotations

import argparse
import sys

KINDS = ("sprites", "digits")  # = latentlab.media.sample_data.SAMPLE_DATASETS (kept import-free for --help)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from latentlab.commands.options import SEED, int_range

    parser.description = (
        "Write a procedural sample dataset with its ground-truth factors to a new clip store: 'sprites' "
        "(bouncing sprites: shape, size, position, velocity, colour) or 'digits' (moving handwritten digits "
        "from scikit-learn's set: digit, position, velocity). The same arguments always give the same bytes."
    )
    parser.add_argument("-o", "--output", required=True, metavar="STORE", help="new clip store folder")
    parser.add_argument("--kind", choices=KINDS, default="sprites", help="which dataset (default sprites)")
    parser.add_argument("--n", type=int_range(1, 10**9), default=20_000, help="number of clips (default 20000)")
    parser.add_argument("--frames", type=int_range(1, 1024), default=8, help="frames per clip (default 8)")
    parser.add_argument(
        "--size",
        type=int_range(8, 1024),
        default=32,
        help="frame width and height in pixels (default 32, the bundled models' size)",
    )
    parser.add_argument("--seed", type=SEED, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--images",
        choices=("train", "test"),
        default="train",
        help="digits only: scikit-learn's digit images to draw from: 'train' (4 of every 5, what "
        "the bundled model saw) or 'test' (the fifth, held out)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from latentlab.core.disk_space import require_free_space
    from latentlab.core.output_guard import STORE, output_lock, refuse_foreign_output
    from latentlab.media.clip_store import StoreError
    from latentlab.media.sample_data import SAMPLE_DATASETS

    sample = SAMPLE_DATASETS[args.kind]
    params = dict(n_clips=args.n, frames=args.frames, size=args.size, seed=args.seed)
    if args.kind == "digits":
        params["images"] = args.images
    spec = sample.spec(**params)
    refuse_foreign_output(args.output, allowed=(STORE,))  # an existing store: refused below, by name
    # clips (uint8 RGB) + one table record per clip (6 base columns and a few float32 factors)
    require_free_space(
        args.output,
        args.n * (args.frames * args.size * args.size * 3 + 96),
        f"{args.n} clips of {args.frames}x{args.size}x{args.size}x3",
    )
    with output_lock(args.output), tqdm(total=args.n, unit="clip", file=sys.stderr, disable=args.quiet or None) as bar:

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
