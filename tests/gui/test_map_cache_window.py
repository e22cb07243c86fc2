"""The window's saved maps: choosing a method fitted before, in this window or after reopening the
store, shows its map at once from the store's map cache, with no fit job; a damaged file is fitted
again with a note."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.app import maps
from latentlab.core.inverse import make_inverse
from latentlab.core.projection import fit_projection
from latentlab.media.demo_data import write_demo_store
from tests.gui.fakes import SPEC, fake_open_dataset

MODEL = "ab" * 16


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "clips"
    write_demo_store(path, SPEC)
    return path


def opened(store):
    """The store as the window gets it from a load job: a dataset with a store and a model fingerprint."""
    loaded = fake_open_dataset(store, "model")
    loaded.dataset.model_fingerprint = MODEL
    return loaded


@pytest.fixture
def fits(monkeypatch):
    """The fits made (by method) and the t-SNE layout every fit of t-SNE gives."""
    made = []

    def fake_fit(mu, method, progress=None, cancel=None, seed=0):
        made.append(method)
        if method != "tsne":
            projection = fit_projection(mu, method)
        else:
            coords = np.random.default_rng(len(made)).normal(size=(len(mu), 2)).astype(np.float32)
            projection = fit_projection(mu, "precomputed", coords=coords)
            projection.method = "tsne"
        return projection, make_inverse(mu, projection)

    monkeypatch.setattr(maps, "fit_map", fake_fit)
    return made


def submitted(window, monkeypatch):
    """The names of the jobs the window submits from now on."""
    names = []
    real = window.runner.submit

    def spy(name, fn, *args, **kwargs):
        names.append(name)
        return real(name, fn, *args, **kwargs)

    monkeypatch.setattr(window.runner, "submit", spy)
    return names


def choose(window, qtbot, method):
    """Pick ``method`` in the projection box and wait for its map (fitted or not)."""
    window.projection_combo.setCurrentText(method)
    qtbot.waitUntil(lambda: not window.fitting() and window.state.projection.method == method, timeout=10000)


def test_choosing_tsne_again_shows_the_saved_map_without_a_fit(open_window, qtbot, store, fits, monkeypatch):
    window = open_window(opened(store))
    choose(window, qtbot, "tsne")
    fitted = window.state.projection.coords.copy()
    choose(window, qtbot, "pca")
    assert fits == ["tsne", "pca"]
    jobs = submitted(window, monkeypatch)
    window.projection_combo.setCurrentText("tsne")  # no waiting: the map is there when the box changes
    assert window.state.projection.method == "tsne" and not window.fitting()
    assert not [name for name in jobs if name.startswith("fit")] and fits == ["tsne", "pca"]
    np.testing.assert_array_equal(window.state.projection.coords, fitted)
    np.testing.assert_allclose(window.map.coords, fitted)
    assert "reused the saved map" in window.statusBar().currentMessage()
    assert window.projection_combo.currentText() == "tsne"


def test_reopening_the_store_shows_the_saved_map_without_a_fit(open_window, qtbot, store, fits, monkeypatch):
    first = open_window(opened(store))
    choose(first, qtbot, "tsne")
    fitted = first.state.projection.coords.copy()
    first.close()
    window = open_window(opened(store))  # the store opened again: a new dataset, a new window
    jobs = submitted(window, monkeypatch)
    window.projection_combo.setCurrentText("tsne")
    assert window.state.projection.method == "tsne" and not window.fitting()
    assert not [name for name in jobs if name.startswith("fit")] and fits == ["tsne"]
    np.testing.assert_array_equal(window.state.projection.coords, fitted)
    # The probe works on the saved map: its inverse was built with it.
    assert window.state.inverse is not None and window.state.inverse.projection is window.state.projection


def test_a_damaged_saved_map_is_fitted_again_with_a_note(open_window, qtbot, store, fits):
    window = open_window(opened(store))
    choose(window, qtbot, "tsne")
    choose(window, qtbot, "pca")
    cache = maps.map_cache(window.state.dataset)
    cache.path(cache.key("tsne")).write_text("{ damaged")
    messages = []
    window.fitter.said.connect(messages.append)
    choose(window, qtbot, "tsne")
    assert fits == ["tsne", "pca", "tsne"]
    assert any("ignored the saved map" in m for m in messages)
    assert maps.cached_map(window.state.dataset, "tsne").reused  # the refit replaced the damaged file


def test_a_dataset_without_a_store_fits_every_time(window, qtbot, fits):
    """The tiny in-memory dataset has nowhere to keep maps: each choice is a fit, nothing breaks."""
    assert maps.map_cache(window.state.dataset) is None
    for method in ("tsne", "pca", "tsne"):
        choose(window, qtbot, method)
    assert fits == ["tsne", "pca", "tsne"]


def test_a_large_saved_map_is_read_by_a_job_without_a_fit(open_window, qtbot, store, fits, monkeypatch):
    window = open_window(opened(store))
    choose(window, qtbot, "tsne")
    fitted = window.state.projection.coords.copy()
    choose(window, qtbot, "pca")
    monkeypatch.setattr(maps, "INLINE_CLIPS", window.state.dataset.n_clips - 1)  # too many to read inline
    jobs = submitted(window, monkeypatch)
    choose(window, qtbot, "tsne")
    assert len(jobs) >= 1 and fits == ["tsne", "pca"]  # a job read it; nothing was fitted
    np.testing.assert_array_equal(window.state.projection.coords, fitted)
    assert "reused the saved map" in window.statusBar().currentMessage()
