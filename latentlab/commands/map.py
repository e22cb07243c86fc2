"""``latentlab map STORE``: fit a 2-D map (PCA, t-SNE, UMAP or your coordinates) of cached latents.

``latentlab project STORE`` is the command's old name and still works.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from latentlab.commands.options import SEED, float_range, int_range
    from latentlab.core.projection_methods import METHODS, TSNE_BACKENDS

    parser.description = (
        "Project a store's cached latents (from `latentlab embed`) to 2-D and save the map beside "
        "them (STORE/latents/<weights hash>/maps/<store>-<method>-<key>.json + .coords.npy). A map saved for the "
        "same store, model, method, parameters and seed is reused (the output says so); --refit fits it "
        "again. The explorer reads and writes the same maps (those of default parameters and seed 0)."
    )
    parser.add_argument("store", metavar="STORE", help="clip store folder with cached latents")
    parser.add_argument("--checkpoint", help="the model whose latents to use (needed when several are cached)")
    parser.add_argument("--method", default="pca", choices=METHODS)
    parser.add_argument("--seed", type=SEED, default=0)
    parser.add_argument(
        "--perplexity", type=float_range(0.0, 10_000.0, low_open=True), help="t-SNE perplexity (default 30)"
    )
    parser.add_argument("--backend", choices=TSNE_BACKENDS, help="t-SNE library (default auto)")
    parser.add_argument("--n-neighbors", type=int_range(2, 10_000), help="UMAP neighbours (default 15)")
    parser.add_argument("--min-dist", type=float_range(0.0, 1.0), help="UMAP min_dist (default 0.1)")
    parser.add_argument("--coords", help="CSV or NPY of (N, 2) positions for --method precomputed")
    parser.add_argument("--refit", action="store_true", help="fit again even when this map is saved already")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from latentlab.core.atomic import read_json
    from latentlab.core.errors import LatentSpaceError
    from latentlab.core.fingerprint import text_fingerprint
    from latentlab.core.latent_cache import LatentCache
    from latentlab.core.map_cache import MapCache
    from latentlab.core.projection import fit_projection, load_coords
    from latentlab.media.clip_store import ClipStore, StoreError

    def fail(message: str) -> int:
        print(f"latentlab map: error: {message}", file=sys.stderr)
        return 1

    try:
        store = ClipStore.open(args.store)
    except StoreError as exc:
        return fail(str(exc))
    tables = []
    if args.checkpoint:
        try:
            files = read_json(Path(args.checkpoint) / "config.json").get("files", {})
            hashes = [files["model.safetensors"]["blake2b"]]
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            return fail(f"{args.checkpoint} is not a latentlab checkpoint (config.json with the weights hash)")
    else:
        hashes = []
        for m in sorted((store.path / "latents").glob("*/manifest.json")):
            try:
                hashes.append(read_json(m)["weights_hash"])
            except (OSError, ValueError, KeyError, TypeError):  # a damaged or foreign cache: not ours to use
                print(f"latentlab map: skipping {m.parent}: not a readable latent cache", file=sys.stderr)
    for h in hashes:
        table = LatentCache(store.path, h).load(store)
        if table is not None:
            tables.append((h, table))
    if not tables:
        return fail("no up-to-date latents for this store: run `latentlab embed CHECKPOINT STORE` first")
    if len(tables) > 1:
        return fail("latents of several models are cached here: choose one with --checkpoint")
    weights_hash, table = tables[0]
    params = {
        k: v
        for k, v in (
            ("perplexity", args.perplexity),
            ("backend", args.backend),
            ("n_neighbors", args.n_neighbors),
            ("min_dist", args.min_dist),
        )
        if v is not None
    }
    try:
        coords = load_coords(args.coords, n=len(table)) if args.coords else None
    except LatentSpaceError as exc:
        return fail(str(exc))
    cache = MapCache.beside(store.path, store.fingerprint, weights_hash)
    given = {"coords": text_fingerprint(coords.tobytes().hex())} if coords is not None else {}
    key = cache.key(args.method, {**params, **given}, args.seed)
    saved = cache.get(key, table.mu) if not args.refit else None
    if saved is not None and saved.note:
        print(f"latentlab map: {saved.note}", file=sys.stderr)
    if saved is not None and saved.projection is not None:
        proj = saved.projection
        print(
            f"{proj.method} by {proj.backend} of {len(table)} clips: reused the map saved after a "
            f"{proj.seconds:.2f} s fit (--refit fits it again) -> {saved.path}"
        )
        return 0
    with tqdm(total=100, unit="%", file=sys.stderr, disable=args.quiet or None, desc=args.method) as bar:

        def progress(fraction: float, coords) -> None:
            bar.update(int(100 * fraction) - bar.n)

        try:
            proj = fit_projection(table.mu, args.method, seed=args.seed, coords=coords, progress=progress, **params)
        except LatentSpaceError as exc:
            bar.close()
            return fail(str(exc))
    try:
        out = cache.put(key, proj)
    except OSError as exc:
        return fail(f"cannot save the projection: {exc}")
    note = f" ({proj.message})" if proj.message else ""
    print(f"{proj.method} by {proj.backend} of {len(table)} clips in {proj.seconds:.2f} s{note} -> {out}")
    return 0
