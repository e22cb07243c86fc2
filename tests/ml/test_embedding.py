"""embed_store + the latent cache with a stand-in codec (no torch), and the embed/project CLI."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.errors import EmbeddingCancelled, LatentSpaceError
from latentlab.core.latent_cache import LatentCache, load_latents, parse_shard, shard_rows
from latentlab.media.clip_store import ClipGeometry, ClipStore
from latentlab.ml.embedding import embed_store

GEOM = ClipGeometry(2, 4, 4, 3)


class FakeCodec:
    """Deterministic encode: mu = per-channel means of a few pixel groups; counts what it encodes."""

    latent_dim = 6
    weights_hash = "ab" * 16

    def __init__(self, nan_after: int | None = None) -> None:
        self.encoded = 0
        self.nan_after = nan_after

    def encode(self, clips_u8):
        x = clips_u8.reshape(len(clips_u8), -1).astype(np.float32) / 255.0  # (B, 96)
        mu = np.stack([x[:, j::6].mean(axis=1) for j in range(6)], axis=1)
        if self.nan_after is not None and self.encoded + len(x) > self.nan_after:
            mu[:] = np.nan
        self.encoded += len(x)
        return mu, -np.abs(mu)


def add_source(store: ClipStore, name: str, n: int, seed: int) -> np.ndarray:
    clips = np.random.default_rng(seed).integers(0, 256, size=(n, *GEOM.shape), dtype=np.uint8)
    with store.appender({"path": name, "fingerprint": f"fp-{name}-{seed}"}) as app:
        app.append_batch(clips)
    return clips


def expected(clips):
    return FakeCodec().encode(clips)[0]


@pytest.fixture
def store(tmp_path):
    s = ClipStore.create(tmp_path / "store", GEOM)
    s.clips_by_source = {"a.mp4": add_source(s, "a.mp4", 37, 1), "b.mp4": add_source(s, "b.mp4", 20, 2)}
    return s


def test_embed_caches_and_reuses(store):
    codec = FakeCodec()
    ticks = []
    table = embed_store(codec, store, batch_size=8, progress=lambda d, t: ticks.append((d, t)))
    assert table.complete and table.mu.shape == (57, 6) and codec.encoded == 57
    np.testing.assert_allclose(table.mu, expected(np.asarray(store.clips)), atol=1e-6)
    assert ticks[0] == (0, 57) and ticks[-1] == (57, 57)
    again = FakeCodec()
    table2 = embed_store(again, store)
    assert again.encoded == 0
    np.testing.assert_array_equal(table2.mu, table.mu)
    assert load_latents(store, codec.weights_hash) is not None


def test_new_clips_are_encoded_incrementally_and_removed_ones_never_stale(store):
    embed_store(FakeCodec(), store)
    add_source(store, "c.mp4", 11, 3)
    assert load_latents(store, FakeCodec.weights_hash) is None  # the store changed: no stale table
    codec = FakeCodec()
    table = embed_store(codec, store)
    assert codec.encoded == 11 and len(table) == 68
    np.testing.assert_allclose(table.mu, expected(np.asarray(store.clips)), atol=1e-6)
    store.remove_sources(["a.mp4"])  # rows shift: cached latents must follow their clips
    codec = FakeCodec()
    table = embed_store(codec, store)
    assert codec.encoded == 0 and len(table) == 31
    np.testing.assert_allclose(table.mu, expected(np.asarray(store.clips)), atol=1e-6)


def test_another_model_gets_its_own_cache(store):
    embed_store(FakeCodec(), store)
    other = FakeCodec()
    other.weights_hash = "cd" * 16
    embed_store(other, store)
    assert other.encoded == 57
    assert len(list((store.path / "latents").iterdir())) == 2


def test_cancel_keeps_progress_and_resumes(store):
    codec = FakeCodec()
    calls = []
    with pytest.raises(EmbeddingCancelled):
        embed_store(codec, store, batch_size=10, save_every=10, cancel=lambda: calls.append(1) or len(calls) > 3)
    assert codec.encoded == 30
    rest = FakeCodec()
    table = embed_store(rest, store, batch_size=10)
    assert rest.encoded == 27
    np.testing.assert_allclose(table.mu, expected(np.asarray(store.clips)), atol=1e-6)


def test_shards_merge_into_the_same_cache(store):
    codecs = [FakeCodec() for _ in range(3)]
    parts = [embed_store(c, store, shard=(i, 3), batch_size=7) for i, c in enumerate(codecs)]
    assert [c.encoded for c in codecs] == [19, 19, 19]
    assert not parts[0].complete and parts[0].indices.tolist() == list(range(19))
    assert parts[-1].complete  # the last shard merged everything
    np.testing.assert_allclose(parts[-1].mu, expected(np.asarray(store.clips)), atol=1e-6)
    assert not any((store.path / "latents" / ("ab" * 8) / "shards").iterdir())
    after = FakeCodec()
    embed_store(after, store)
    assert after.encoded == 0
    # a shard run again encodes nothing
    again = FakeCodec()
    embed_store(again, store, shard=(1, 3))
    assert again.encoded == 0


def test_shard_parsing_and_rows():
    assert parse_shard("2/8") == (2, 8)
    for bad in ("8/8", "x", "1/0", "-1/3"):
        with pytest.raises(LatentSpaceError):
            parse_shard(bad)
    rows = [shard_rows(10, (i, 3)) for i in range(3)]
    assert np.concatenate(rows).tolist() == list(range(10))


def test_nan_latents_and_broken_cache_files(store):
    with pytest.raises(LatentSpaceError, match="NaN"):
        embed_store(FakeCodec(nan_after=20), store, batch_size=10)
    cache = LatentCache(store.path, FakeCodec.weights_hash)
    (cache.folder / "manifest.json").write_text("{broken")
    codec = FakeCodec()
    table = embed_store(codec, store)  # an unreadable cache is rebuilt, never trusted
    assert codec.encoded == 57 and table.complete
    with pytest.raises(LatentSpaceError, match="hex"):
        LatentCache(store.path, "not a hash!")


def test_empty_store(tmp_path):
    s = ClipStore.create(tmp_path / "empty", GEOM)
    table = embed_store(FakeCodec(), s)
    assert table.mu.shape == (0, 6)


def test_project_command_writes_a_map_beside_the_latents(store, capsys):
    from latentlab.cli import main
    from latentlab.core.map_cache import MapCache

    assert main(["map", str(store.path), "-q"]) == 1
    assert "latentlab embed" in capsys.readouterr().err
    table = embed_store(FakeCodec(), store)
    assert main(["map", str(store.path), "--method", "pca", "-q"]) == 0
    out = capsys.readouterr().out
    assert "sklearn-pca" in out
    cache = MapCache.beside(store.path, store.fingerprint, FakeCodec.weights_hash)
    assert cache.folder == store.path / "latents" / ("ab" * 8) / "maps"
    proj = cache.get(cache.key("pca"), table.mu).projection
    assert proj.coords.shape == (57, 2)
    assert main(["map", str(store.path), "--method", "precomputed", "--coords", "nope.csv", "-q"]) == 1
    assert "does not exist" in capsys.readouterr().err
    broken = store.path / "latents" / "0123456789abcdef"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json")  # a damaged cache beside the good one
    assert main(["map", str(store.path), "--method", "pca", "-q"]) == 0
    assert "skipping" in capsys.readouterr().err


@pytest.mark.slow
def test_real_demo_model_end_to_end(tmp_path):
    """demo data -> the bundled demo model -> embed (cached) -> PCA map -> inverse -> decode."""
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import fit_projection
    from latentlab.media.demo_data import DemoSpec, write_demo_store
    from latentlab.paths import demo_checkpoint_dir

    ckpt = demo_checkpoint_dir()
    if not (ckpt / "model.safetensors").is_file():
        pytest.skip("no bundled demo checkpoint yet")
    from latentlab.ml.codec import ClipCodec

    codec = ClipCodec.from_checkpoint(ckpt, device="cpu")
    spec = DemoSpec(n_clips=48, frames=codec.frames, size=codec.height, seed=1)
    store = write_demo_store(tmp_path / "demo", spec)
    table = embed_store(codec, store, batch_size=16)
    assert table.mu.shape == (48, codec.latent_dim) and np.isfinite(table.mu).all()
    assert load_latents(store, codec.weights_hash) is not None
    proj = fit_projection(table.mu, "pca")
    res = make_inverse(table.mu, proj).invert(proj.coords[3])
    np.testing.assert_allclose(res.z[0], table.mu[3], atol=1e-5)
    frames = codec.decode(res.z)
    assert frames.shape == (1, *store.geometry.shape) and frames.dtype == np.uint8


def test_the_last_shard_to_finish_merges_even_if_the_others_started_with_it(store):
    """A job array starts every shard at once: the one that finishes last must see the others' files."""

    class StartsTheOtherShard(FakeCodec):
        def encode(self, clips_u8):
            if self.encoded == 0:  # shard 1 runs and finishes while shard 0 is under way
                embed_store(FakeCodec(), store, shard=(1, 2), batch_size=7)
            return super().encode(clips_u8)

    last = embed_store(StartsTheOtherShard(), store, shard=(0, 2), batch_size=7)
    assert last.complete
    np.testing.assert_allclose(last.mu, expected(np.asarray(store.clips)), atol=1e-6)
    after = FakeCodec()
    embed_store(after, store)
    assert after.encoded == 0


def test_a_reader_racing_a_writer_reads_the_new_files(store, monkeypatch):
    """A writer replaces the manifest and removes the old arrays between a reader's manifest read and
    its array read: the reader reads the manifest again instead of reporting "no cache"."""
    codec = FakeCodec()
    table = embed_store(codec, store)
    cache = LatentCache(store.path, codec.weights_hash)
    real_manifest = LatentCache._manifest
    raced = []

    def manifest_then_rewrite(self):
        m = real_manifest(self)
        if not raced:  # the first time only: a writer gets in between
            raced.append(True)
            cache.save(store, cache.state(store, codec.latent_dim))  # new file names, old ones removed
        return m

    monkeypatch.setattr(LatentCache, "_manifest", manifest_then_rewrite)
    got = cache.load(store)
    assert raced and got is not None
    np.testing.assert_array_equal(got.mu, table.mu)
