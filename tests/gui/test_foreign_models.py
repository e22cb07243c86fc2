"""The explorer on models latentlab did not train: tiny diffusers autoencoders (an image VAE frame by
frame and two video VAEs) and a plain torch module, opened through the session as the window does;
drag the probe, interpolate, export, move a slider."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.app import loading
from latentlab.media.demo_data import DemoSpec, write_demo_store
from tests.foreign_models import save_tiny_diffusers, save_tiny_module
from tests.gui import mouse


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    return write_demo_store(tmp_path_factory.mktemp("byo-gui") / "clips", DemoSpec(n_clips=12, frames=2, size=16))


def _explore(window, qtbot, tmp_path):
    codec, state = window.state.dataset.codec, window.state
    assert state.dataset.message in window.map.caption.text() and "PCA" in state.dataset.message
    qtbot.waitUntil(lambda: window.probe.result is not None, timeout=10000)
    # drag the probe onto clip 7
    p0, target = window.map.probe.pos(), state.coords[7]
    mouse.drag(
        window.map,
        [(p0.x(), p0.y())] + [tuple(p0.x() + t * (target - [p0.x(), p0.y()])) for t in np.linspace(0.2, 1, 5)],
    )
    final = state.probe
    qtbot.waitUntil(lambda: window.probe.result.pos == final, timeout=10000)
    z = state.inverse.invert(np.array([final], np.float64)).z[:1].astype(np.float32)
    np.testing.assert_array_equal(window.probe.decoded.frames, codec.decode(z)[0])
    assert window.probe.decoded.frames.shape == (2, 16, 16, 3)
    assert f"ms on {codec.device}" in window.probe.info.text()
    # interpolate from clip 2 to clip 9 and export it
    p = window.interpolation
    state.select([2])
    p.set_a.click()
    state.select([9])
    p.set_b.click()
    p.steps.setValue(3)
    p.scale.setValue(1)
    exported, failed = [], []
    p.exported.connect(exported.append)
    job = p.export(str(tmp_path / "walk.gif"), ".gif")
    job.failed.connect(lambda msg, tb: failed.append(msg))
    qtbot.waitUntil(lambda: bool(exported or failed), timeout=20000)
    assert exported == [str(tmp_path / "walk.gif")], failed
    from PIL import Image

    with Image.open(tmp_path / "walk.gif") as im:
        assert im.size == (16, 16) and im.n_frames == 3 * 2
    # the sliders are the principal directions of the data's latents
    assert len(window.sliders.sliders) == codec.latent_dim == 11


@pytest.mark.parametrize("class_name", ["AutoencoderKL", "AutoencoderKLWan", "AutoencoderKLCogVideoX"])
def test_explore_a_diffusers_autoencoder(class_name, small_store, tmp_path, open_window, qtbot):
    pytest.importorskip("diffusers")
    folder = save_tiny_diffusers(class_name, tmp_path / class_name)
    loaded = loading.open_dataset(small_store.path, str(folder))
    assert f"diffusers {class_name}" in loaded.dataset.message
    _explore(open_window(loaded), qtbot, tmp_path)


def test_explore_a_torch_module(small_store, tmp_path, open_window, qtbot):
    weights = save_tiny_module(tmp_path / "mine.safetensors")
    loaded = loading.open_dataset(small_store.path, f"tests.foreign_models:tiny_module@{weights}")
    _explore(open_window(loaded), qtbot, tmp_path)


def test_a_pickle_folder_and_a_model_without_a_store_are_refused_in_words(small_store, tmp_path):
    folder = tmp_path / "pickled"
    folder.mkdir()
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04")
    with pytest.raises(loading.SessionError, match="pickle weights .*safetensors"):
        loading.open_dataset(small_store.path, str(folder))
    weights = save_tiny_module(tmp_path / "mine.safetensors")
    with pytest.raises(loading.SessionError, match="open a clip store"):
        loading.open_dataset(None, f"tests.foreign_models:tiny_module@{weights}")


def test_the_elbo_panel_says_a_foreign_model_gives_no_likelihood(small_store, tmp_path, open_window, qtbot):
    weights = save_tiny_module(tmp_path / "mine.safetensors")
    w = open_window(loading.open_dataset(small_store.path, f"tests.foreign_models:tiny_module@{weights}"))
    teach = w.context.teach
    teach.show_panel("elbo")
    w.state.select([3])
    qtbot.waitUntil(lambda: "Clip 3" in teach.elbo.text.text(), timeout=5000)
    assert "needs a VideoVAE checkpoint (this model gives no likelihood)" in teach.elbo.text.text()
