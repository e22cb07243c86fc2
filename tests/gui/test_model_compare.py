"""Comparing a second checkpoint on the open store: two maps, linked picking, reconstructions, KL bars."""

from __future__ import annotations

import os

import numpy as np
import pytest

from latentlab.media.demo_data import DemoSpec, write_demo_store

WAIT_MS = 120_000
N_CLIPS = 40


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    return write_demo_store(tmp_path_factory.mktemp("store") / "sprites", DemoSpec(n_clips=N_CLIPS, frames=4, size=16))


def _checkpoint(path, frames=4, size=16, latent_dim=4, beta=1.0, seed=0):
    """An untrained tiny model saved as a normal bundle (enough to compare geometry and plumbing)."""
    import torch

    from latentlab.ml.checkpoint import save_checkpoint
    from latentlab.ml.config import VAEConfig
    from latentlab.ml.model import VideoVAE

    torch.manual_seed(seed)
    config = VAEConfig(
        frames=frames, height=size, width=size, latent_dim=latent_dim, base_width=4, frame_code=16, beta=beta
    )
    save_checkpoint(path, VideoVAE(config))
    return str(path)


@pytest.fixture
def opened(qtbot, window, tiny_store, tmp_path, monkeypatch):
    """The window showing the tiny store with model A (latent 4, beta 1)."""
    monkeypatch.setenv("LATENTLAB_TORCH_THREADS", "1")
    a = _checkpoint(tmp_path / "beta1", latent_dim=4, beta=1.0)
    window.open(str(tiny_store.path), a)
    qtbot.waitUntil(lambda: window.checkpoint == a and window.state.dataset.codec is not None, timeout=WAIT_MS)
    return window


def test_compare_shows_two_maps_linked_reconstructions_and_kl_bars(qtbot, opened, tmp_path):
    window = opened
    compare = window.context.compare
    assert compare.action in window.file_menu.actions()
    b = _checkpoint(tmp_path / "beta4", latent_dim=6, beta=4.0, seed=1)
    with qtbot.waitSignal(compare.opened, timeout=WAIT_MS) as got:
        compare.open_checkpoint(b)
    view = got.args[0]
    assert view is compare.view and view.isVisible()
    assert view.point_count("a") == view.point_count("b") == N_CLIPS
    assert view.sides["a"].coords.shape == view.sides["b"].coords.shape == (N_CLIPS, 2)
    assert len(view.kl_bars["a"].opts["height"]) == 4 and len(view.kl_bars["b"].opts["height"]) == 6
    assert "beta 1" in view.titles["a"].text() and "beta 4" in view.titles["b"].text()
    assert view.titles["b"].text().startswith("beta4: 6 latents")

    view.pick(7)  # as a click on either map does
    assert window.state.current == 7 and list(window.state.selection) == [7]
    for side in ("a", "b"):
        np.testing.assert_allclose(view.current_marks[side].data["x"], [view.sides[side].coords[7, 0]])
        np.testing.assert_allclose(view.marks[side].data["y"], [view.sides[side].coords[7, 1]])
    qtbot.waitUntil(
        lambda: all(v.tag == 7 for v in (view.original, view.recons["a"], view.recons["b"])), timeout=WAIT_MS
    )
    assert view.recons["a"].frames.shape == view.recons["b"].frames.shape == (4, 16, 16, 3)
    assert not np.array_equal(view.recons["a"].frames, view.recons["b"].frames)  # two different models

    window.state.select([1, 2, 3])  # a selection made in the main window shows in both maps
    assert len(view.marks["a"].data) == len(view.marks["b"].data) == 3
    if os.environ.get("LATENTLAB_SHOTS"):
        view.grab().save(os.path.join(os.environ["LATENTLAB_SHOTS"], "model_compare.png"))
    compare.close_view()  # closed views stop listening to the shared decode worker
    assert compare.view is None and not view._listening
    window.state.set_current(4)


def test_a_checkpoint_for_other_clips_gives_a_clear_message(qtbot, opened, tmp_path):
    compare = opened.context.compare
    other = _checkpoint(tmp_path / "big", frames=8, size=32)
    with qtbot.waitSignal(compare.failed, timeout=WAIT_MS) as got:
        compare.open_checkpoint(other)
    assert "takes clips of 8 x 32 x 32 x 3" in got.args[0] and "store holds 4 x 16 x 16 x 3" in got.args[0]
    assert compare.view is None and "takes clips of 8 x 32 x 32 x 3" in opened.status.last_error


def test_compare_needs_an_open_store(qtbot, window, tmp_path):
    compare = window.context.compare  # the window fixture shows clips without a store
    with qtbot.waitSignal(compare.failed, timeout=1000) as got:
        compare.open_checkpoint(str(tmp_path / "whatever"))
    assert "open a clip store" in got.args[0] and compare.view is None


def test_the_compare_window_closes_from_the_keyboard(window, qtbot):
    from PySide6.QtCore import Qt

    from latentlab.app.model_compare import ModelSide
    from latentlab.core.projection import fit_projection
    from latentlab.gui.training.model_compare_view import ModelCompareView

    ds = window.state.dataset
    sides = [
        ModelSide(name, "", ds.mu, ds.logvar, fit_projection(ds.mu, "pca").coords, ds.codec, 1.0) for name in ("a", "b")
    ]
    for key, mods in (
        (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier),
    ):
        view = ModelCompareView(window, *sides)
        qtbot.addWidget(view)
        view.show()
        view.activateWindow()
        qtbot.waitUntil(view.isActiveWindow, timeout=5000)
        qtbot.keyClick(view, key, mods)
        assert not view.isVisible()
