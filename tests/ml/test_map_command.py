"""`latentlab map` keeps its maps in the store's map cache: a second run reuses the map and says so,
--refit fits again, a damaged cache file is fitted again with a note, and the window finds the map."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.app import maps
from latentlab.core.map_cache import MapCache
from latentlab.media.clip_store import ClipStore
from latentlab.ml.embedding import embed_store
from tests.ml.test_embedding import GEOM, FakeCodec, add_source


@pytest.fixture
def store(tmp_path):
    s = ClipStore.create(tmp_path / "store", GEOM)
    add_source(s, "a.mp4", 30, 1)
    embed_store(FakeCodec(), s)
    return s


@pytest.fixture
def fits(monkeypatch):
    """Every fit the command makes, by method (the real fit runs: PCA and a tiny t-SNE)."""
    import latentlab.core.projection as projection

    made = []
    real = projection.fit_projection

    def counting(latents, method, **kw):
        made.append(method)
        return real(latents, method, **kw)

    monkeypatch.setattr(projection, "fit_projection", counting)
    return made


def run_map(capsys, *args):
    from latentlab.cli import main

    code = main(["map", *map(str, args), "-q"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_second_run_reuses_the_map_and_says_so(store, capsys, fits):
    code, first, _ = run_map(capsys, store.path, "--method", "pca")
    assert code == 0 and "reused" not in first and fits == ["pca"]
    saved = next((store.path / "latents" / FakeCodec.weights_hash[:16] / "maps").glob("*-pca-*.json"))
    assert str(saved) in first
    code, second, _ = run_map(capsys, store.path, "--method", "pca")
    assert code == 0 and fits == ["pca"]  # not fitted again
    assert "pca by sklearn-pca of 30 clips: reused the map" in second and str(saved) in second
    code, third, _ = run_map(capsys, store.path, "--method", "pca", "--refit")
    assert code == 0 and fits == ["pca", "pca"] and "reused" not in third
    code, other_seed, _ = run_map(capsys, store.path, "--method", "pca", "--seed", "3")
    assert fits == ["pca", "pca", "pca"] and "reused" not in other_seed  # another key: another map


def test_a_damaged_saved_map_is_fitted_again_with_a_note(store, capsys, fits):
    run_map(capsys, store.path, "--method", "pca")
    (saved,) = (store.path / "latents" / FakeCodec.weights_hash[:16] / "maps").glob("*-pca-*.coords.npy")
    saved.write_bytes(b"\x93NUMPY garbage")
    code, out, err = run_map(capsys, store.path, "--method", "pca")
    assert code == 0 and fits == ["pca", "pca"] and "reused" not in out
    assert "ignored the saved map" in err and len(err.strip().splitlines()) == 1
    code, out, _ = run_map(capsys, store.path, "--method", "pca")  # the refit replaced the damaged file
    assert code == 0 and "reused" in out and fits == ["pca", "pca"]


def test_the_window_reuses_the_map_the_command_fitted(store, capsys):
    """The t-SNE map `latentlab map --method tsne` saved is the one the window shows, unfitted."""
    code, out, _ = run_map(capsys, store.path, "--method", "tsne", "--perplexity", "30")
    assert code == 0 and "tsne by" in out
    from latentlab.app.dataset import make_dataset
    from latentlab.core.latent_cache import load_latents

    table = load_latents(store, FakeCodec.weights_hash)
    ds = make_dataset("store", table.mu, table.logvar, None, store, read_clips=lambda idx: None, clusters=False)
    ds.model_fingerprint = FakeCodec.weights_hash
    hit = maps.cached_map(ds, "tsne")  # what the window's projection box reads before it fits
    assert hit is not None and hit.reused and hit.projection.method == "tsne"
    cache = MapCache.beside(store.path, store.fingerprint, FakeCodec.weights_hash)
    (saved,) = cache.folder.glob("*-tsne-*.json")
    np.testing.assert_array_equal(hit.projection.coords, cache.get(cache.key("tsne"), ds.mu).projection.coords)
    assert cache.path(cache.key("tsne")) == saved


def test_a_fit_of_too_few_clips_for_tsne_is_still_saved_under_its_request(tmp_path, capsys):
    s = ClipStore.create(tmp_path / "small", GEOM)
    add_source(s, "a.mp4", 4, 1)
    embed_store(FakeCodec(), s)
    code, out, _ = run_map(capsys, s.path, "--method", "tsne")
    assert code == 0 and "pca by" in out and "too few" in out
    code, out, _ = run_map(capsys, s.path, "--method", "tsne")
    assert code == 0 and "reused" in out


@pytest.mark.slow  # umap-learn's first fit in a process spends 10-40 s compiling with numba
def test_umap_is_a_normal_method_of_the_command(store, capsys):
    code, out, err = run_map(capsys, store.path, "--method", "umap", "--n-neighbors", "5")
    assert code == 0 and "umap by umap-learn of 30 clips" in out, err
    code, out, _ = run_map(capsys, store.path, "--method", "umap", "--n-neighbors", "5")
    assert code == 0 and "reused" in out
