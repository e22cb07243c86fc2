"""``latentlab embed CHECKPOINT STORE``: encode every clip to (mu, log sigma^2), cached beside the store."""

from __future__ import annotations

import argparse
import sys
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from latentlab.commands.options import int_range, shard

    parser.description = (
        "Encode every clip of a clip store with a trained model. The latents are cached in "
        "STORE/latents/<weights hash>/ and keyed by the store's fingerprint: a later run encodes only "
        "clips that are not cached yet (new sources, or the rest of an interrupted run). On a cluster, "
        "run one job per --shard i/N (0-based); the last one to finish merges them, or run --merge."
    )
    parser.add_argument(
        "checkpoint",
        metavar="MODEL",
        help="a latentlab checkpoint folder, a diffusers autoencoder folder, or package.module:factory with --weights",
    )
    parser.add_argument("--weights", metavar="FILE.safetensors", help="state dict for MODEL package.module:factory")
    parser.add_argument("store", metavar="STORE", help="clip store folder")
    parser.add_argument("--batch-size", type=int_range(1, 65_536), default=256, help="clips per batch (default 256)")
    parser.add_argument("--shard", type=shard, metavar="i/N", help="encode only slice i of N (0-based) for a job array")
    parser.add_argument("--device", default="auto", help="auto (GPU when there is one), cpu, cuda, cuda:1, mps")
    parser.add_argument("--merge", action="store_true", help="only merge finished shards into the cache")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from latentlab.core.disk_space import require_free_space
    from latentlab.core.errors import LatentSpaceError, UserError
    from latentlab.core.latent_cache import LatentCache, parse_shard
    from latentlab.media.clip_store import ClipStore, StoreError
    from latentlab.ml.checkpoint import CheckpointError
    from latentlab.ml.device import DeviceError
    from latentlab.ml.embedding import embed_store
    from latentlab.ml.model_loading import ModelSource, open_codec

    def fail(message: str) -> int:
        print(f"latentlab embed: error: {message}", file=sys.stderr)
        return 1

    try:
        shard = parse_shard(args.shard) if args.shard else None
        store = ClipStore.open(args.store)
        codec = open_codec(ModelSource.parse(args.checkpoint, args.weights), device=args.device, store=store)
    except (LatentSpaceError, StoreError, CheckpointError, DeviceError, UserError, OSError) as exc:
        return fail(str(exc))
    g = store.geometry
    if g.shape != (codec.frames, codec.height, codec.width, codec.channels):
        return fail(
            f"the store's clips are {g.shape} (T, H, W, C) but the model takes "
            f"{(codec.frames, codec.height, codec.width, codec.channels)}"
        )
    # mu and log sigma^2 (float32) and a done flag per clip, written once as the cache
    require_free_space(store.path, len(store) * (8 * codec.latent_dim + 1), "the latent cache")
    if args.merge:
        cache = LatentCache(store.path, codec.weights_hash)
        state = cache.state(store, codec.latent_dim)
        cache.save(store, state)
        if state.done.all():
            cache.drop_shards()
        print(f"merged: {int(state.done.sum())} of {len(store)} clips encoded in {cache.folder}")
        return 0 if state.done.all() else 2
    t0 = time.perf_counter()
    with tqdm(unit="clip", file=sys.stderr, disable=args.quiet or None, desc=f"encoding on {codec.device}") as bar:
        count = {"done": 0}  # tqdm's own counter stays 0 when it is disabled (not a terminal)

        def progress(done: int, total: int) -> None:
            count["done"] = done
            bar.total = total
            bar.update(done - bar.n)

        try:
            table = embed_store(codec, store, batch_size=args.batch_size, shard=shard, progress=progress)
        except LatentSpaceError as exc:
            bar.close()
            return fail(str(exc))
        encoded = count["done"]
    folder = LatentCache(store.path, codec.weights_hash).folder
    what = "all clips" if table.complete else f"shard {args.shard} ({len(table)} clips)"
    if hasattr(codec, "describe"):
        print(codec.describe())
    print(
        f"{what}: {encoded} encoded now, {len(table) - encoded} from the cache, D={table.mu.shape[1]}, "
        f"{time.perf_counter() - t0:.1f} s on {codec.device} -> {folder}"
    )
    return 0
