"""Loading a real store with a real (tiny, untrained) model, and the scripted screenshot."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import asdict

import numpy as np
import pytest

from latentlab.gui import session
from latentlab.media.demo_data import SHAPES, DemoSpec, write_demo_store

SPEC = DemoSpec(n_clips=48, frames=4, size=16, seed=3)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    import torch

    from latentlab.ml.checkpoint import save_checkpoint
    from latentlab.ml.config import VAEConfig
    from latentlab.ml.model import VideoVAE

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "tiny"
    model = VideoVAE(VAEConfig(frames=4, height=16, width=16, latent_dim=4, base_width=4, frame_code=16))
    save_checkpoint(path, model, data={"demo_spec": asdict(SPEC)})
    return path


def test_the_demo_spec_comes_from_the_checkpoint(checkpoint, tmp_path):
    assert session.demo_spec(checkpoint) == SPEC
    assert session.demo_spec(tmp_path) == DemoSpec()  # no config: the default spec


def test_the_demo_store_is_generated_once(checkpoint):
    seen = []
    path = session.ensure_demo_store(SPEC, progress=lambda f, t: seen.append(f))
    assert seen and seen[-1] == 1.0
    stamp = (path / "manifest.json").stat().st_mtime_ns
    assert session.ensure_demo_store(SPEC) == path
    assert (path / "manifest.json").stat().st_mtime_ns == stamp


def test_open_the_demo_with_a_real_model(checkpoint):
    steps = []
    loaded = session.open_dataset(None, checkpoint, progress=lambda f, t: steps.append(t))
    ds = loaded.dataset
    assert ds.n_clips == SPEC.n_clips and ds.latent_dim == 4 and ds.name == "demo"
    assert any("encoding" in t for t in steps)
    assert list(ds.fields)[:3] == ["shape", "source", "KL"]
    clusters = session.cluster_field(ds)
    assert clusters.values.shape == (SPEC.n_clips,) and len(clusters.categories) == 8
    assert ds.fields["shape"].categories == tuple(SHAPES)
    assert {"x", "vx", "r"} <= set(ds.fields)
    assert loaded.projection.method == "pca" and loaded.projection.coords.shape == (SPEC.n_clips, 2)
    res = loaded.inverse.invert(loaded.projection.coords[:1])
    assert res.z.shape == (1, 4)
    clip = ds.read_clips(np.array([5]))
    assert ds.codec.reconstruct(clip).shape == clip.shape
    errs = session.reconstruction_errors(ds)
    assert errs.shape == (SPEC.n_clips,) and np.isfinite(errs).all()
    np.testing.assert_array_equal(session.reconstruction_errors(ds), errs)  # cached


def test_cached_latents_show_the_map_before_the_model_loads(checkpoint, qtbot, settings):
    first = session.open_dataset(None, checkpoint)  # encodes and caches latents and the PCA map
    loaded = session.open_dataset(None, checkpoint)
    assert loaded.dataset.codec is None  # nothing needed torch: the map comes from the cache
    from latentlab.paths import user_data_dir

    assert list((user_data_dir() / "maps").glob("*/pca.json"))
    np.testing.assert_array_equal(loaded.projection.coords, first.projection.coords)
    from latentlab.gui.main_window import MainWindow

    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.status.dialogs_enabled = False
    w.show()
    w.show_loaded(loaded)
    assert w.map.groups and "loading the model" in w.player.numbers.text()
    qtbot.waitUntil(lambda: w.player.index == w.state.current and w.probe.result is not None, timeout=60000)
    qtbot.waitUntil(lambda: "cluster" in w.state.dataset.fields, timeout=60000)
    assert w.colour_combo.findText("cluster") >= 0
    w.close()


def test_a_store_that_does_not_fit_the_model_is_refused(checkpoint, tmp_path):
    store = write_demo_store(tmp_path / "big", DemoSpec(n_clips=4, frames=4, size=24))
    with pytest.raises(session.GeometryMismatch, match="the store big holds clips of 4 frames of 24×24 but the model"):
        session.open_dataset(store.path, checkpoint)
    with pytest.raises(session.SessionError, match="not a latentlab checkpoint"):
        session.open_dataset(store.path, tmp_path)


@pytest.mark.slow
def test_scripted_screenshot_end_to_end(checkpoint, tmp_path):
    store = write_demo_store(tmp_path / "store", SPEC)
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "latentlab", "explore", "--store", str(store.path),
                           "--checkpoint", str(checkpoint), "--screenshot", str(out), "--timeout", "120"],
                          capture_output=True, text=True, env=env, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    from PIL import Image

    with Image.open(out) as im:
        assert im.size == (1440, 900)
        assert len(np.unique(np.asarray(im.convert("RGB")).reshape(-1, 3), axis=0)) > 50  # rendered, not blank


def test_explore_rejects_bad_paths(tmp_path, capsys):
    from latentlab.cli import main

    assert main(["explore", "--store", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["explore", "--screenshot", str(tmp_path / "x.txt")]) == 2
