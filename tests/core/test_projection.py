"""Projections on synthetic latents with known structure, and every degenerate input."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from latentlab.core.errors import LatentSpaceError, ProjectionCancelled
from latentlab.core.projection import Projection, fit_projection, load_coords
from latentlab.core.synthetic_latents import structured_latents

FAST_TSNE = dict(n_iter=60, early_exaggeration_iter=40, update_every=10)


@pytest.fixture(scope="module")
def latents():
    return structured_latents(300, 16, n_clusters=4, seed=3)


def test_pca_is_reproducible_and_records_parameters(latents):
    z, _ = latents
    a, b = fit_projection(z, "pca", seed=7), fit_projection(z, "pca", seed=7)
    np.testing.assert_array_equal(a.coords, b.coords)
    assert a.coords.shape == (300, 2) and a.coords.dtype == np.float32
    assert a.backend == "sklearn-pca" and a.params["seed"] == 7 and a.message is None
    axes = a.state["components"]
    np.testing.assert_allclose(axes @ axes.T, np.eye(2), atol=1e-10)  # orthonormal: the inverse is exact


@pytest.mark.parametrize("backend", ["openTSNE", "sklearn"])
def test_tsne_is_reproducible_for_a_seed_and_says_its_backend(latents, backend):
    if backend == "openTSNE" and importlib.util.find_spec("openTSNE") is None:
        pytest.skip("openTSNE not installed")
    z, _ = latents
    a = fit_projection(z, "tsne", seed=1, backend=backend, **FAST_TSNE)
    b = fit_projection(z, "tsne", seed=1, backend=backend, **FAST_TSNE)
    np.testing.assert_allclose(a.coords, b.coords, atol=1e-5)
    assert a.backend == ("openTSNE" if backend == "openTSNE" else "sklearn-tsne")
    assert a.params["seed"] == 1 and a.params["perplexity"] == 30.0


def test_tsne_keeps_clusters_apart(latents):
    z, labels = latents
    coords = fit_projection(z, "tsne", seed=0, n_iter=150, early_exaggeration_iter=100).coords
    # nearest map neighbour shares the cluster for almost every clip
    d = np.linalg.norm(coords[:, None] - coords[None], axis=2)
    np.fill_diagonal(d, np.inf)
    assert np.mean(labels[np.argmin(d, axis=1)] == labels) > 0.95


def test_progress_reports_intermediate_layouts_and_cancel_stops(latents):
    z, _ = latents
    seen = []
    fit_projection(
        z, "tsne", seed=0, progress=lambda f, c: seen.append((f, None if c is None else c.shape)), **FAST_TSNE
    )
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert sum(shape == (300, 2) for _, shape in seen) >= 5  # several layouts, for the map to animate
    calls = []
    with pytest.raises(ProjectionCancelled):
        fit_projection(z, "tsne", seed=0, cancel=lambda: calls.append(1) or len(calls) > 3, **FAST_TSNE)


def test_out_of_sample_placement_lands_near_latent_neighbours(latents):
    z, labels = latents
    train, new = z[:250], z[250:] + 0.01
    for method in ("pca", "tsne"):
        proj = fit_projection(train, method, seed=0, **(FAST_TSNE if method == "tsne" else {}))
        placed = proj.transform(new)
        assert placed.shape == (50, 2)
        d = np.linalg.norm(placed[:, None] - proj.coords[None], axis=2)
        # the nearest clip on the map is from the new point's own cluster
        assert np.mean(labels[:250][np.argmin(d, axis=1)] == labels[250:]) > 0.9
    pca = fit_projection(train, "pca")
    np.testing.assert_allclose(pca.transform(train), pca.coords, atol=1e-5)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_tiny_inputs_give_a_map_and_a_message(n, method):
    z = np.random.default_rng(0).normal(size=(n, 8)).astype(np.float32)
    proj = fit_projection(z, method)
    assert proj.coords.shape == (n, 2) and np.isfinite(proj.coords).all()
    if n < 2 or method == "tsne":
        assert proj.message  # says what was done instead
    if method == "tsne":
        assert proj.method in ("pca", "none")


def test_too_few_clips_for_perplexity_lowers_it_with_a_message():
    z = np.random.default_rng(0).normal(size=(20, 8)).astype(np.float32)
    proj = fit_projection(z, "tsne", **FAST_TSNE)
    assert proj.method == "tsne" and proj.params["perplexity"] < 30 and "perplexity" in proj.message


def test_duplicates_and_identical_latents():
    rng = np.random.default_rng(0)
    dup = np.repeat(rng.normal(size=(6, 8)), 10, axis=0).astype(np.float32)
    proj = fit_projection(dup, "tsne", **FAST_TSNE)
    assert np.isfinite(proj.coords).all()
    same = np.ones((30, 8), np.float32)
    proj = fit_projection(same, "tsne")
    assert "same latent" in proj.message and np.ptp(proj.coords) == 0


def test_low_dimensional_latents_are_shown_as_they_are():
    z = np.random.default_rng(0).normal(size=(10, 2)).astype(np.float32)
    proj = fit_projection(z, "tsne")
    assert proj.method == "identity" and "as they are" in proj.message
    np.testing.assert_array_equal(proj.coords, z)
    one = fit_projection(z[:, :1], "pca")
    np.testing.assert_array_equal(one.coords[:, 0], z[:, 0])
    assert np.all(one.coords[:, 1] == 0)


@pytest.mark.parametrize(
    "bad, words",
    [
        (np.full((5, 4), np.nan, np.float32), "NaN"),
        (np.zeros((3, 4, 2)), "shape"),
        (np.zeros((5, 0)), "no dimensions"),
        ([["a", "b"]], "numbers"),
    ],
)
def test_unusable_latents_raise_our_error_with_words(bad, words):
    with pytest.raises(LatentSpaceError, match=words):
        fit_projection(bad, "pca")


def test_unknown_method_params_and_missing_umap(monkeypatch):
    z = np.zeros((10, 4), np.float32)
    with pytest.raises(LatentSpaceError, match="unknown projection"):
        fit_projection(z, "isomap")
    with pytest.raises(LatentSpaceError, match="unknown t-SNE parameters"):
        fit_projection(np.random.default_rng(0).normal(size=(10, 4)), "tsne", perplexty=5)
    real = importlib.util.find_spec  # a set-up made by hand without umap-learn: words, not an ImportError
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "umap" else real(name, *a))
    with pytest.raises(LatentSpaceError, match="not installed"):
        fit_projection(np.random.default_rng(0).normal(size=(10, 4)), "umap")


@pytest.mark.slow  # umap-learn's first fit in a process spends 10-40 s compiling with numba
def test_umap_fits(latents):
    """umap-learn is a dependency: the default set-up fits UMAP (this test never skips)."""
    from latentlab.core.projection_methods import available_methods

    assert "umap" in available_methods()
    z, _ = latents
    proj = fit_projection(z[:100], "umap", seed=0, n_epochs=30)
    assert proj.backend == "umap-learn" and proj.coords.shape == (100, 2)


def test_precomputed_coords_from_csv_and_npy(tmp_path, latents):
    z, _ = latents
    xy = np.random.default_rng(0).normal(size=(300, 2))
    np.save(tmp_path / "xy.npy", xy)
    (tmp_path / "xy.csv").write_text("id,y,x\n" + "".join(f"{i},{b},{a}\n" for i, (a, b) in enumerate(xy)))
    for name in ("xy.npy", "xy.csv"):
        coords = load_coords(tmp_path / name, n=300)
        np.testing.assert_allclose(coords, xy, rtol=1e-6)
        proj = fit_projection(z, "precomputed", coords=coords)
        assert proj.backend == "precomputed" and proj.transform(z[:3]).shape == (3, 2)
    (tmp_path / "short.csv").write_text("1,2\n3,4\n")
    with pytest.raises(LatentSpaceError, match="2 positions for 300 clips"):
        load_coords(tmp_path / "short.csv", n=300)
    (tmp_path / "bad.csv").write_text("1,2\n3,x\n")
    with pytest.raises(LatentSpaceError, match="two numbers"):
        load_coords(tmp_path / "bad.csv")
    with pytest.raises(LatentSpaceError, match="does not exist"):
        load_coords(tmp_path / "nope.npy")
    with pytest.raises(LatentSpaceError, match="needs coordinates"):
        fit_projection(z, "precomputed")


def test_save_and_load_round_trip(tmp_path, latents):
    z, _ = latents
    for method in ("pca", "tsne"):
        proj = fit_projection(z, method, seed=4, **(FAST_TSNE if method == "tsne" else {}))
        back = Projection.load(proj.save(tmp_path), latents=z)
        np.testing.assert_array_equal(back.coords, proj.coords)
        assert back.params == proj.params and back.backend == proj.backend
        np.testing.assert_allclose(back.transform(z[:5]), proj.transform(z[:5]), atol=1e-5)
        again = Projection.from_dict(proj.to_dict())
        np.testing.assert_array_equal(again.coords, proj.coords)
    loaded = Projection.load(proj.save(tmp_path, "x"))
    with pytest.raises(LatentSpaceError, match="without its latents"):
        loaded.transform(z[:2])
    with pytest.raises(LatentSpaceError, match="not a saved"):
        Projection.from_dict({"format": "other"})


def test_every_method_name_comes_from_one_list():
    from latentlab.core import projection
    from latentlab.core.projection_methods import DEFAULT_METHOD, FITTED_METHODS, METHODS, available_methods

    assert projection.METHODS is METHODS and DEFAULT_METHOD in available_methods()
    assert set(available_methods()) <= set(FITTED_METHODS) < set(METHODS)
