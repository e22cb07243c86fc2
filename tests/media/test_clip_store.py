"""The clip store format: round trip, appends, crash safety, and clear refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from latentlab.media.clip_store import MANIFEST, ClipGeometry, ClipStore, StoreError

GEOM = ClipGeometry(4, 8, 6, 3)


def clips(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, *GEOM.shape), dtype=np.uint8)


def add(store: ClipStore, path: str, data: np.ndarray, fingerprint: str = "f") -> None:
    with store.appender({"path": path, "fingerprint": fingerprint}) as app:
        app.append_batch(data, start_frame=np.arange(len(data)) * 4, fps=np.full(len(data), 12.0))


def test_round_trip_and_reopen(tmp_path):
    store = ClipStore.create(tmp_path / "s", GEOM, attrs={"note": "x"})
    assert len(store) == 0 and store.read([]).shape == (0, *GEOM.shape)
    a, b = clips(5, 1), clips(3, 2)
    add(store, "a.mp4", a)
    add(store, "b.mp4", b)
    again = ClipStore.open(tmp_path / "s")
    assert len(again) == 8 and again.geometry == GEOM and again.attrs == {"note": "x"}
    assert np.array_equal(again.read(range(8)), np.concatenate([a, b]))
    assert np.array_equal(again[6], b[1])
    assert again.table["source_id"].tolist() == [0] * 5 + [1] * 3
    assert again.table["start_frame"][:3].tolist() == [0, 4, 8] and again.source_path(6) == "b.mp4"
    assert [(s["path"], s["first_clip"], s["n_clips"]) for s in again.sources] == [("a.mp4", 0, 5), ("b.mp4", 5, 3)]
    with pytest.raises(IndexError):
        again.read([8])


def test_fingerprint_follows_content_and_same_path_replaces(tmp_path):
    store = ClipStore.create(tmp_path / "s", GEOM)
    add(store, "a.mp4", clips(5, 1), "v1")
    add(store, "b.mp4", clips(3, 2), "v1")
    fp = store.fingerprint
    add(store, "a.mp4", clips(2, 3), "v2")  # a changed: its 5 old clips go
    assert len(store) == 5 and store.fingerprint != fp
    assert [(s["path"], s["n_clips"], s["id"]) for s in store.sources] == [("b.mp4", 3, 0), ("a.mp4", 2, 1)]
    assert np.array_equal(store.read([3, 4]), clips(2, 3)) and np.array_equal(store[0], clips(3, 2)[0])
    assert store.remove_sources(["b.mp4"]) == 3 and len(ClipStore.open(tmp_path / "s")) == 2


def test_an_appender_that_fails_leaves_the_store_as_it_was(tmp_path):
    store = ClipStore.create(tmp_path / "s", GEOM)
    add(store, "a.mp4", clips(5, 1))
    fp = store.fingerprint
    with pytest.raises(RuntimeError):
        with store.appender({"path": "b.mp4", "fingerprint": "x"}) as app:
            app.append_batch(clips(4, 2))
            raise RuntimeError("decoder died")
    again = ClipStore.open(tmp_path / "s")
    assert len(again) == 5 and again.fingerprint == fp and len(again.sources) == 1


def test_a_killed_writer_leaves_an_uncommitted_tail_that_is_ignored_then_dropped(tmp_path):
    store = ClipStore.create(tmp_path / "s", GEOM)
    add(store, "a.mp4", clips(5, 1))
    m = json.loads((tmp_path / "s" / MANIFEST).read_text())
    with open(tmp_path / "s" / m["data_file"], "ab") as fh:  # what a process killed mid-append leaves
        fh.write(clips(2, 9).tobytes()[:-100])
    with open(tmp_path / "s" / m["table_file"], "ab") as fh:
        fh.write(b"\1" * 50)
    again = ClipStore.open(tmp_path / "s")
    assert len(again) == 5 and np.array_equal(again.read(range(5)), clips(5, 1))
    add(again, "b.mp4", clips(3, 2))
    final = ClipStore.open(tmp_path / "s")
    assert len(final) == 8 and np.array_equal(final.read([5, 6, 7]), clips(3, 2))
    assert final.table["source_id"].tolist() == [0] * 5 + [1] * 3


def test_refusals_say_why(tmp_path):
    with pytest.raises(StoreError, match="no manifest.json"):
        ClipStore.open(tmp_path)
    store = ClipStore.create(tmp_path / "s", GEOM)
    with pytest.raises(StoreError, match="already holds a clip store"):
        ClipStore.create(tmp_path / "s", GEOM)
    with pytest.raises(StoreError, match="cannot add clips of shape"):
        ClipStore.create(tmp_path / "s", ClipGeometry(8, 8, 6, 3), exist_ok=True)
    with pytest.raises(StoreError, match="uint8 of shape"):
        with store.appender({"path": "x"}) as app:
            app.append_batch(np.zeros((1, 4, 8, 6, 1), np.uint8))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "photo.jpg").write_bytes(b"x")
    with pytest.raises(StoreError, match="not empty"):
        ClipStore.create(tmp_path / "full", GEOM)
    with pytest.raises(StoreError, match="channels"):
        ClipGeometry(4, 8, 8, 2)


def test_future_version_and_garbage_manifests_are_rejected(tmp_path):
    store = ClipStore.create(tmp_path / "s", GEOM)
    add(store, "a.mp4", clips(2))
    mpath = tmp_path / "s" / MANIFEST
    m = json.loads(mpath.read_text())
    mpath.write_text(json.dumps(dict(m, version=99)))
    with pytest.raises(StoreError, match="newer latentlab"):
        ClipStore.open(tmp_path / "s")
    mpath.write_text("{ this is not json")
    with pytest.raises(StoreError, match="cannot be read"):
        ClipStore.open(tmp_path / "s")
    mpath.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(StoreError, match="not a latentlab clip-store manifest"):
        ClipStore.open(tmp_path / "s")
    mpath.write_text(json.dumps(dict(m, n_clips=50)))  # claims more clips than the files hold
    with pytest.raises(StoreError, match="damaged"):
        ClipStore.open(tmp_path / "s")


def test_second_writer_is_refused(tmp_path):
    store = ClipStore.create(tmp_path / "s", GEOM)
    with store.appender({"path": "a"}):
        with pytest.raises(StoreError, match="another latentlab process"):
            with ClipStore.open(tmp_path / "s").appender({"path": "b"}):
                pass


def test_a_writer_killed_between_replace_and_compaction_is_healed_by_the_next(tmp_path, monkeypatch):
    """Replacing a changed source commits the new version first, then compacts the old one away; a
    crash in between leaves both listed. The next writer must drop the stale version."""
    from latentlab.media import clip_store_writer as cs

    store = ClipStore.create(tmp_path / "s", GEOM)
    old, new, other = clips(5, 1), clips(3, 2), clips(2, 3)
    add(store, "a.mp4", old, fingerprint="v1")
    real = cs.rewrite_without
    monkeypatch.setattr(cs, "rewrite_without", lambda st, drop: 0)  # "killed" before compaction
    add(store, "a.mp4", new, fingerprint="v2")
    assert [s["fingerprint"] for s in ClipStore.open(store.path).sources] == ["v1", "v2"]
    monkeypatch.setattr(cs, "rewrite_without", real)
    add(store, "b.mp4", other)
    healed = ClipStore.open(store.path)
    assert [(s["path"], s["fingerprint"], s["n_clips"]) for s in healed.sources] == [
        ("a.mp4", "v2", 3),
        ("b.mp4", "f", 2),
    ]
    assert np.array_equal(healed.read(range(5)), np.concatenate([new, other]))
    assert healed.table["source_id"].tolist() == [0, 0, 0, 1, 1]


def test_sources_without_a_path_never_replace_each_other(tmp_path):
    store = ClipStore.create(tmp_path / "s", GEOM)
    for seed in (1, 2):
        with store.appender({"fingerprint": f"gen{seed}"}) as app:
            app.append_batch(clips(2, seed), fps=np.full(2, 12.0))
    assert len(ClipStore.open(store.path)) == 4


def test_files_of_an_interrupted_compaction_are_removed_by_the_next_writer(tmp_path):
    store = ClipStore.create(tmp_path / "s", GEOM)
    add(store, "a.mp4", clips(2, 1))
    orphans = [store.path / "clips-000009.u8", store.path / "table-000009.bin"]
    for f in orphans:
        f.write_bytes(b"half a compaction")
    add(store, "b.mp4", clips(2, 2))
    assert not any(f.exists() for f in orphans)
    again = ClipStore.open(store.path)
    assert len(again) == 4 and (store.path / again.manifest["data_file"]).exists()


def test_clip_keys_are_unique_and_survive_compaction(tmp_path):
    store = ClipStore.create(tmp_path / "s", GEOM)
    add(store, "a.mp4", clips(3, 1), "fa")
    with store.appender({"path": "b.mp4", "fingerprint": "fb"}) as app:  # shared start frames
        app.append_batch(clips(2, 2), start_frame=np.zeros(2, np.int64), fps=np.full(2, 12.0))
    keys = store.clip_keys()
    assert keys.tolist() == ["fa:0:0", "fa:4:1", "fa:8:2", "fb:0:0", "fb:0:1"]
    store.remove_sources(["a.mp4"])  # indices shift, keys of b's clips do not
    assert ClipStore.open(tmp_path / "s").clip_keys().tolist() == ["fb:0:0", "fb:0:1"]
