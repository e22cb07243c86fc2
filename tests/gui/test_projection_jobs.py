"""Map fits from the window: cancelling gives the previous map back, a newer choice wins, UMAP is
offered where it is installed (saved maps: test_map_cache_window.py)."""

from __future__ import annotations

import threading

import numpy as np

from latentlab.app import maps
from latentlab.core.inverse import make_inverse
from latentlab.core.projection import fit_projection


def tsne_like(mu, coords):
    projection = fit_projection(mu, "precomputed", coords=coords)
    projection.method = "tsne"
    return projection


def test_cancelling_a_fit_gives_the_previous_map_back(window, qtbot, monkeypatch):
    n = window.state.dataset.n_clips
    half = np.random.default_rng(0).normal(size=(n, 2)).astype(np.float32) * 50
    previewed = threading.Event()

    def slow_fit(mu, method, progress=None, cancel=None, seed=0):
        progress(0.5, half)
        previewed.set()
        while not cancel():
            threading.Event().wait(0.01)
        raise InterruptedError("cancelled")

    monkeypatch.setattr(maps, "fit_map", slow_fit)
    pca = window.state.projection
    window.projection_combo.setCurrentText("tsne")
    qtbot.waitUntil(lambda: previewed.is_set() and np.allclose(window.map.coords, half), timeout=10000)
    assert window.fitting()
    window.status.cancel.click()  # the status bar's Cancel, as the user does
    qtbot.waitUntil(lambda: not window.fitting(), timeout=10000)
    assert window.state.projection is pca and window.projection_combo.currentText() == "pca"
    np.testing.assert_allclose(window.map.coords, pca.coords)  # not the half-fitted layout
    assert "cancelled" in window.statusBar().currentMessage()


def test_umap_is_offered_only_when_installed(window, monkeypatch):
    import importlib.util

    items = [window.projection_combo.itemText(i) for i in range(window.projection_combo.count())]
    assert items == list(maps.available_projections())
    assert "umap" in items  # a dependency: the default set-up offers it
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "umap" else real(name, *a))
    assert maps.available_projections() == ("pca", "tsne")


def test_choosing_another_method_mid_fit_keeps_the_new_choice(window, qtbot, monkeypatch):
    started = threading.Event()

    def slow_fit(mu, method, progress=None, cancel=None, seed=0):
        if method == "tsne":
            started.set()
            while not cancel():
                threading.Event().wait(0.01)
            raise InterruptedError("cancelled")
        projection = fit_projection(mu, "pca")
        return projection, make_inverse(mu, projection)

    monkeypatch.setattr(maps, "fit_map", slow_fit)
    window.projection_combo.setCurrentText("tsne")
    qtbot.waitUntil(started.is_set, timeout=10000)
    window.projection_combo.setCurrentText("pca")  # changed their mind: the t-SNE fit is cancelled
    qtbot.waitUntil(lambda: not window.fitting() and not window.runner.jobs, timeout=10000)
    assert window.projection_combo.currentText() == "pca" and window.state.projection.method == "pca"
    np.testing.assert_allclose(window.map.coords, window.state.projection.coords)


def test_a_fit_asked_for_by_code_shows_its_method_in_the_box(window, qtbot, monkeypatch):
    """explore --projection tsne fits through set_projection, not the box: the box must follow the map."""
    n = window.state.dataset.n_clips
    coords = np.random.default_rng(2).normal(size=(n, 2)).astype(np.float32)

    def fake_fit(mu, method, progress=None, cancel=None, seed=0):
        projection = tsne_like(mu, coords)
        return projection, make_inverse(mu, projection)

    monkeypatch.setattr(maps, "fit_map", fake_fit)
    assert window.projection_combo.currentText() == "pca"
    window.set_projection("tsne")
    qtbot.waitUntil(lambda: not window.fitting() and window.state.projection.method == "tsne", timeout=10000)
    assert window.projection_combo.currentText() == "tsne"


def test_sample_data_opens_on_its_tsne_map_and_other_data_on_pca(qtbot, settings, loaded, monkeypatch):
    """Open sample data shows the map that separates its classes (t-SNE); a user's store stays on PCA,
    and so does a window told so (explore --projection pca)."""
    from dataclasses import replace

    from latentlab.gui.main_window import MainWindow

    fits = []

    def fake_fit(mu, method, progress=None, cancel=None, seed=0):
        fits.append(method)
        projection = tsne_like(mu, np.asarray(loaded.projection.coords))
        return projection, make_inverse(mu, projection)

    monkeypatch.setattr(maps, "fit_map", fake_fit)
    monkeypatch.setattr(maps, "available_projections", lambda: ("pca", "tsne"))
    for sample, sample_map, expected in ((True, "tsne", ["tsne"]), (False, "tsne", []), (True, None, [])):
        fits.clear()
        w = MainWindow(settings=settings)
        qtbot.addWidget(w)
        w.status.dialogs_enabled = False
        w.sample_map = sample_map
        w.show_loaded(replace(loaded, sample=sample))
        qtbot.waitUntil(lambda: not w.fitting(), timeout=10000)  # noqa: B023 - waited for in this iteration
        assert fits == expected
        assert w.projection_combo.currentText() == ("tsne" if expected else "pca")
        w.close()
