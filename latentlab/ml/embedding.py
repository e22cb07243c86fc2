"""Encode every clip of a store to (mu, log sigma^2), incrementally, through the latent cache.

>>> codec = ClipCodec.from_checkpoint("checkpoints/demo")          # doctest: +SKIP
>>> table = embed_store(codec, store, progress=lambda done, total: ...)
>>> table.mu.shape                                                 # (N, D)

Only clips not yet in the cache are encoded (new sources, an interrupted run's remainder). A long
run saves its progress every ``save_every`` clips, so an interrupted or cancelled run resumes
where it stopped. ``shard=(i, N)`` encodes one contiguous slice for a job array; the slices are
kept as shard files and merged into the cache by the last shard to finish, by any later
non-shard run, or by ``latentlab embed --merge``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from latentlab.core.errors import EmbeddingCancelled, LatentSpaceError
from latentlab.core.latent_cache import CacheState, LatentCache, LatentTable, shard_rows


def embed_store(
    codec,
    store,
    *,
    batch_size: int = 256,
    shard: tuple[int, int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    save_every: int = 20_000,
) -> LatentTable:
    """Latents of every clip of ``store`` under ``codec`` (cached beside the store).

    Parameters
    ----------
    codec
        Has ``encode(clips_u8 (B, T, H, W, C)) -> (mu (B, D), logvar (B, D))``, ``weights_hash``
        and ``latent_dim`` (a :class:`latentlab.ml.codec.ClipCodec`).
    store
        A :class:`latentlab.media.clip_store.ClipStore`.
    shard
        ``(i, N)``: encode only slice ``i`` of ``N``. Returns that slice (``table.indices`` set),
        or the whole table if this shard completed the store.
    progress
        ``progress(done, total)`` after every batch (clips to encode in this run).
    cancel
        Polled between batches; True saves what was encoded and raises :class:`EmbeddingCancelled`.

    Raises
    ------
    LatentSpaceError
        The model does not fit the store's clips, or it produced NaN latents.
    """
    if batch_size < 1:
        raise LatentSpaceError(f"batch size must be at least 1, got {batch_size}")
    cache = LatentCache(store.path, codec.weights_hash)
    dim = int(codec.latent_dim)
    if shard is None:
        ready = cache.load(store)
        if ready is not None:
            cache.drop_shards()
            return ready
        state = cache.state(store, dim)  # reuses cached sources and any finished shard files
        todo = state.missing
        _encode_rows(
            codec, store, state, todo, batch_size, progress, cancel, save_every, lambda: cache.save(store, state)
        )
        cache.save(store, state)
        cache.drop_shards()
        return LatentTable(state.mu, state.logvar, store.fingerprint, cache.weights_hash)

    rows = shard_rows(len(store), shard)
    state = cache.state(store, dim)  # main cache + earlier saves of any shard, this one included
    todo = rows[~state.done[rows]]

    def save_shard():
        have = rows[state.done[rows]]
        cache.write_shard(store, shard, have, state.mu[have], state.logvar[have])

    _encode_rows(codec, store, state, todo, batch_size, progress, cancel, save_every, save_shard)
    save_shard()
    # Shards of a job array start together: re-read what the others have finished since this one
    # started, so that whichever finishes last merges everything into the cache.
    state = cache.state(store, dim)
    if state.done.all():
        cache.save(store, state)
        cache.drop_shards()
        return LatentTable(state.mu, state.logvar, store.fingerprint, cache.weights_hash)
    return LatentTable(state.mu[rows], state.logvar[rows], store.fingerprint, cache.weights_hash, indices=rows)


def _encode_rows(codec, store, state: CacheState, todo: np.ndarray, batch_size, progress, cancel, save_every, save):
    total = int(todo.size)
    if progress is not None:
        progress(0, total)
    since_save, last_save = 0, time.monotonic()
    for a in range(0, total, batch_size):
        if cancel is not None and cancel():
            save()
            raise EmbeddingCancelled(f"encoding was cancelled after {a} of {total} clips (they are kept)")
        rows = todo[a : a + batch_size]
        clips = store.read(rows)  # (b, T, H, W, C) uint8
        try:
            mu, logvar = codec.encode(clips)
        except (ValueError, RuntimeError) as exc:
            raise LatentSpaceError(f"the model cannot encode this store's clips: {exc}") from exc
        mu, logvar = np.asarray(mu, np.float32), np.asarray(logvar, np.float32)
        if mu.shape != (len(rows), state.mu.shape[1]) or logvar.shape != mu.shape:
            want = (len(rows), state.mu.shape[1])
            raise LatentSpaceError(f"the model returned latents of shape {mu.shape}, expected {want}")
        bad = ~(np.isfinite(mu).all(axis=1) & np.isfinite(logvar).all(axis=1))
        if bad.any():
            save()
            raise LatentSpaceError(
                f"the model produced NaN or infinite latents for clips {rows[bad][:5].tolist()}; "
                "the checkpoint may be broken"
            )
        state.mu[rows], state.logvar[rows], state.done[rows] = mu, logvar, True
        since_save += len(rows)
        if since_save >= save_every or time.monotonic() - last_save > 300:
            save()
            since_save, last_save = 0, time.monotonic()
        if progress is not None:
            progress(min(a + batch_size, total), total)
