"""The procedural demo dataset: deterministic bytes, stored factors, chunk independence."""

from __future__ import annotations

import hashlib

import numpy as np

from latentlab.media.clip_store import ClipStore
from latentlab.media.demo_data import FACTOR_NAMES, DemoSpec, generate_clips, write_demo_store


def digest(store: ClipStore) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(store.clips).tobytes())
    h.update(np.ascontiguousarray(store.table).tobytes())
    return h.hexdigest()


def test_same_spec_same_bytes_and_different_seed_differs(tmp_path):
    spec = DemoSpec(n_clips=1200, frames=4, size=32, seed=7)
    progress = []
    a = write_demo_store(tmp_path / "a", spec, progress=lambda done, total: progress.append((done, total)))
    b = write_demo_store(tmp_path / "b", spec)
    c = write_demo_store(tmp_path / "c", DemoSpec(n_clips=1200, frames=4, size=32, seed=8))
    assert digest(a) == digest(b) != digest(c)
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert progress == [(1000, 1200), (1200, 1200)]


def test_factors_are_stored_and_plausible(tmp_path):
    store = write_demo_store(tmp_path / "s", DemoSpec(n_clips=300, frames=8, size=32, seed=1))
    f = store.factors()
    assert list(f) == list(FACTOR_NAMES) and all(len(v) == 300 for v in f.values())
    assert set(np.unique(f["shape"])) <= {0, 1, 2, 3}
    assert ((f["x"] > 0) & (f["x"] < 1) & (f["size"] >= 0.17) & (f["size"] <= 0.33)).all()
    # the sprite is where the factors say: brightest pixels near (x, y) in the first frame
    clip = store[0].astype(np.float32).sum(-1)[0]  # (H, W) of frame 0
    ys, xs = np.nonzero(clip > clip.max() * 0.8)
    assert abs(xs.mean() / 32 - f["x"][0]) < 0.1 and abs(ys.mean() / 32 - f["y"][0]) < 0.1
    assert store.geometry.shape == (8, 32, 32, 3)


def test_any_range_can_be_generated_on_its_own():
    spec = DemoSpec(n_clips=600, frames=3, size=16, seed=3)
    whole, fw = generate_clips(spec, 0, 600)
    parts = [generate_clips(spec, a, b - a) for a, b in ((0, 100), (100, 333), (333, 600))]
    assert np.array_equal(whole, np.concatenate([p[0] for p in parts]))
    assert np.array_equal(fw["vx"], np.concatenate([p[1]["vx"] for p in parts]))


def test_velocity_and_position_are_the_middle_frames():
    spec = DemoSpec(n_clips=50, frames=8, size=32, seed=4)
    clips, f = generate_clips(spec, 0, 50)
    moving = np.flatnonzero((np.abs(f["vx"]) > 0.02) & (f["x_mid"] > 0.35) & (f["x_mid"] < 0.65))
    i = moving[0]
    # sprite centre (mean x of bright pixels) in frames 3 and 5: two frames of vx apart, around x_mid
    cx = [np.nonzero(clips[i, k].sum(-1) > clips[i, k].sum(-1).max() * 0.5)[1].mean() / 32 for k in (3, 4, 5)]
    assert abs(cx[1] + 0.5 / 32 - f["x_mid"][i]) < 0.05
    assert np.sign(cx[2] - cx[0]) == np.sign(f["vx"][i])
