"""Loading a real store with a real (tiny, untrained) model, no window: the demo, fields, maps, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.app import dataset as app_dataset
from latentlab.app import demo, loading
from latentlab.media.demo_data import SHAPES, DemoSpec, write_demo_store
from tests.app.conftest import SPEC


def test_the_demo_spec_comes_from_the_checkpoint(checkpoint, tmp_path):
    assert demo.demo_spec(checkpoint) == SPEC
    assert demo.demo_spec(tmp_path) == DemoSpec()  # no config: the default spec


def test_the_demo_store_is_generated_once(checkpoint):
    seen = []
    path = demo.ensure_demo_store(SPEC, progress=lambda f, t: seen.append(f))
    assert seen and seen[-1] == 1.0
    stamp = (path / "manifest.json").stat().st_mtime_ns
    assert demo.ensure_demo_store(SPEC) == path
    assert (path / "manifest.json").stat().st_mtime_ns == stamp


def test_a_demo_store_from_an_older_generator_is_made_again(checkpoint):
    """An upgrade that changes the sample data must not show the new model the old clips."""
    import json

    from latentlab.media.clip_store import ClipStore
    from latentlab.media.demo_data import demo_fingerprint

    path = demo.ensure_demo_store(SPEC)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["sources"][0]["fingerprint"] = "written-by-an-older-generator"
    (path / "manifest.json").write_text(json.dumps(manifest))
    assert demo.ensure_demo_store(SPEC) == path
    store = ClipStore.open(path)
    assert store.sources[0]["fingerprint"] == demo_fingerprint(SPEC) and len(store) == SPEC.n_clips
    stamp = (path / "manifest.json").stat().st_mtime_ns
    assert demo.ensure_demo_store(SPEC) == path  # the current one is kept
    assert (path / "manifest.json").stat().st_mtime_ns == stamp


def test_open_the_demo_with_a_real_model(checkpoint):
    steps = []
    loaded = loading.open_dataset(None, checkpoint, progress=lambda f, t: steps.append(t))
    ds = loaded.dataset
    assert ds.n_clips == SPEC.n_clips and ds.latent_dim == 4 and ds.name == "demo"
    assert any("encoding" in t for t in steps)
    assert list(ds.fields)[:3] == ["shape", "source", "KL"]
    clusters = app_dataset.cluster_field(ds)
    assert clusters.values.shape == (SPEC.n_clips,) and len(clusters.categories) == 8
    assert ds.fields["shape"].categories == tuple(SHAPES)
    assert {"x", "vx", "r"} <= set(ds.fields)
    assert loaded.projection.method == "pca" and loaded.projection.coords.shape == (SPEC.n_clips, 2)
    res = loaded.inverse.invert(loaded.projection.coords[:1])
    assert res.z.shape == (1, 4)
    clip = ds.read_clips(np.array([5]))
    assert ds.codec.reconstruct(clip).shape == clip.shape
    errs = app_dataset.reconstruction_errors(ds)
    assert errs.shape == (SPEC.n_clips,) and np.isfinite(errs).all()
    np.testing.assert_array_equal(app_dataset.reconstruction_errors(ds), errs)  # cached


def test_a_store_that_does_not_fit_the_model_is_refused(checkpoint, tmp_path):
    store = write_demo_store(tmp_path / "big", DemoSpec(n_clips=4, frames=4, size=24))
    with pytest.raises(loading.GeometryMismatch, match="the store big holds clips of 4 frames of 24×24 but the model"):
        loading.open_dataset(store.path, checkpoint)
    with pytest.raises(loading.SessionError, match="not a latentlab checkpoint"):
        loading.open_dataset(store.path, tmp_path)
