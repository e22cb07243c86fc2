"""The map cache: one file pair per (store, model, method, parameters, seed); damaged or foreign
files are ignored with a note, never unpickled; a hit gives back the very coordinates saved."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from latentlab.core.map_cache import FOLDER, MapCache, key_params
from latentlab.core.projection import Projection, fit_projection

STORE_FP, MODEL_FP = "a" * 32, "b" * 32


@pytest.fixture
def mu():
    return np.random.default_rng(0).normal(size=(40, 5)).astype(np.float32)


@pytest.fixture
def cache(tmp_path):
    return MapCache.beside(tmp_path / "store", STORE_FP, MODEL_FP)


def tsne_like(mu, seed=0) -> Projection:
    """A non-linear map without the cost of a t-SNE fit: arbitrary coordinates labelled tsne."""
    coords = np.random.default_rng(seed + 1).normal(size=(len(mu), 2)).astype(np.float32)
    projection = fit_projection(mu, "precomputed", coords=coords)
    projection.method, projection.backend, projection.seconds = "tsne", "openTSNE", 12.5
    return projection


def test_the_cache_sits_beside_the_models_latents(tmp_path, cache):
    assert cache.folder == tmp_path / "store" / "latents" / MODEL_FP[:16] / FOLDER


def test_a_hit_gives_back_the_saved_map_exactly(cache, mu):
    key = cache.key("tsne", seed=0)
    assert cache.get(key, mu).projection is None and cache.get(key, mu).note is None  # nothing saved yet
    saved = tsne_like(mu)
    path = cache.put(key, saved)
    hit = cache.get(key, mu)
    assert hit.note is None and hit.path == path
    np.testing.assert_array_equal(hit.projection.coords, saved.coords)
    assert hit.projection.coords.dtype == np.float32
    assert (hit.projection.method, hit.projection.backend, hit.projection.seconds) == ("tsne", "openTSNE", 12.5)
    np.testing.assert_allclose(hit.projection.transform(mu[:3]), saved.coords[:3])  # latents attached


def test_a_pca_hit_keeps_its_axes(cache, mu):
    pca = fit_projection(mu, "pca")
    cache.put(cache.key("pca"), pca)
    hit = cache.get(cache.key("pca"), mu).projection
    np.testing.assert_allclose(hit.transform(mu), pca.transform(mu), atol=1e-6)


def test_the_key_changes_with_store_model_method_params_and_seed(tmp_path, cache, mu):
    base = cache.key("tsne", {"perplexity": 30}, 0)
    cache.put(base, tsne_like(mu))
    others = {
        "store": MapCache(cache.folder, "c" * 32, MODEL_FP).key("tsne", {"perplexity": 30}, 0),
        "model": MapCache(cache.folder, STORE_FP, "d" * 32).key("tsne", {"perplexity": 30}, 0),
        "method": cache.key("umap", {}, 0),
        "params": cache.key("tsne", {"perplexity": 10}, 0),
        "seed": cache.key("tsne", {"perplexity": 30}, 1),
    }
    for what, key in others.items():
        assert key != base and key.name != base.name, what
        assert cache.get(key, mu).projection is None, what  # a map of something else is not served
    assert cache.get(base, mu).projection is not None


def test_defaults_and_number_types_do_not_make_another_map(cache):
    assert cache.key("tsne") == cache.key("tsne", {"perplexity": 30, "n_jobs": 2, "update_every": 5})
    assert cache.key("tsne", {"perplexity": 30.0}) == cache.key("tsne", {"perplexity": 30})
    assert cache.key("umap", {"n_neighbors": 15.0}) == cache.key("umap")
    assert key_params("tsne")["perplexity"] == 30.0 and "n_jobs" not in key_params("tsne")


@pytest.mark.parametrize(
    "damage",
    ["garbled json", "foreign json", "another key", "pickled coords", "truncated coords", "wrong count", "nan"],
)
def test_a_damaged_or_foreign_file_is_ignored_with_a_note(cache, mu, damage):
    key = cache.key("tsne")
    path = cache.put(key, tsne_like(mu))
    npy = path.with_suffix(".coords.npy")
    meta = json.loads(path.read_text())
    if damage == "garbled json":
        path.write_text("{not json")
    elif damage == "foreign json":
        path.write_text(json.dumps({"format": "something else"}))
    elif damage == "another key":
        meta["key"]["seed"] = 5
        path.write_text(json.dumps(meta))
    elif damage == "pickled coords":
        np.save(npy, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    elif damage == "truncated coords":
        npy.write_bytes(npy.read_bytes()[:40])
    elif damage == "wrong count":
        np.save(npy, np.zeros((7, 2), np.float32))
    elif damage == "nan":
        np.save(npy, np.full((len(mu), 2), np.nan, np.float32))
    miss = cache.get(key, mu)
    assert miss.projection is None
    assert path.name in miss.note and "fitting it again" in miss.note and "\n" not in miss.note
    again = tsne_like(mu, seed=4)
    cache.put(key, again)  # the refit overwrites the damaged file
    np.testing.assert_array_equal(cache.get(key, mu).projection.coords, again.coords)


def test_a_pickle_is_never_loaded(cache, mu, monkeypatch):
    key = cache.key("tsne")
    path = cache.put(key, tsne_like(mu))
    path.with_suffix(".coords.npy").write_bytes(pickle.dumps(np.zeros((len(mu), 2), np.float32)))
    for name in ("load", "loads"):
        monkeypatch.setattr(pickle, name, lambda *a, **k: pytest.fail("the cache unpickled a file"))
    assert cache.get(key, mu).projection is None


def test_saving_a_map_drops_the_maps_of_earlier_store_states(cache, mu):
    cache.put(cache.key("tsne"), tsne_like(mu))
    cache.put(cache.key("pca"), fit_projection(mu, "pca"))
    (cache.folder / "notes.txt").write_text("the user's own file")
    changed = MapCache(cache.folder, "c" * 32, MODEL_FP)  # the store gained a video: a new fingerprint
    changed.put(changed.key("tsne"), tsne_like(mu, seed=2))
    names = sorted(p.name for p in cache.folder.iterdir())
    assert names == sorted(
        [changed.path(changed.key("tsne")).name, f"{changed.key('tsne').name}.coords.npy", "notes.txt"]
    )
    assert changed.get(changed.key("tsne"), mu).projection is not None
