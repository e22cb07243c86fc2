"""kNN / radius in latent and map space, clusters, near-duplicates, diverse subsets, tag suggestions."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.errors import LatentSpaceError
from latentlab.core.neighbours import LatentIndex, diverse_subset, kmeans_labels, near_duplicate_groups, suggest_tags
from latentlab.core.synthetic_latents import structured_latents


@pytest.fixture(scope="module")
def data():
    return structured_latents(500, 8, n_clusters=5, seed=2)


def test_knn_matches_brute_force_and_skips_the_clip_itself(data):
    z, _ = data
    index = LatentIndex(z)
    d = np.linalg.norm(z - z[7], axis=1)
    idx, dist = index.knn(7, 5)
    np.testing.assert_array_equal(idx, np.argsort(d)[1:6])
    np.testing.assert_allclose(dist, np.sort(d)[1:6], rtol=1e-5)
    idx, dist = index.knn(z[7], 5)  # a vector query includes the clip itself
    assert idx[0] == 7 and dist[0] == 0
    idx, dist = index.knn(z[:3], 4)
    assert idx.shape == (3, 4) and np.all(idx[:, 0] == np.arange(3))
    idx, _ = index.knn(0, 10_000)
    assert len(idx) == 499 and 0 not in idx


def test_radius_and_map_queries(data):
    z, _ = data
    coords = z[:, :2] * 10
    index = LatentIndex(z, coords)
    r = float(np.sort(np.linalg.norm(z - z[3], axis=1))[6])
    idx, dist = index.radius(3, r)
    assert len(idx) == 6 and 3 not in idx and np.all(np.diff(dist) >= 0)
    midx, mdist = index.map_knn(np.array([0.0, 0.0]), 3)
    np.testing.assert_array_equal(midx, np.argsort(np.linalg.norm(coords, axis=1))[:3])
    hits = index.map_radius(np.array([[0.0, 0.0], [1e6, 1e6]]), 5.0)
    assert len(hits) == 2 and len(hits[1][0]) == 0
    with pytest.raises(LatentSpaceError, match="set_coords"):
        LatentIndex(z).map_knn([0.0, 0.0], 3)
    with pytest.raises(LatentSpaceError, match="8 values"):
        index.knn(np.zeros(3), 2)
    with pytest.raises(LatentSpaceError, match="does not exist"):
        index.knn(500, 2)


def test_tiny_indexes():
    empty = LatentIndex(np.zeros((0, 4), np.float32))
    idx, dist = empty.knn(np.zeros(4), 3)
    assert idx.shape == (0,) and dist.shape == (0,)
    one = LatentIndex(np.ones((1, 4), np.float32))
    idx, _ = one.knn(0, 3)
    assert idx.size == 0
    assert one.knn(np.zeros(4), 3)[0].tolist() == [0]


def test_kmeans_finds_the_clusters():
    rng = np.random.default_rng(0)
    labels = np.arange(500) % 5
    z = (rng.normal(size=(5, 8)) * 10)[labels] + rng.normal(size=(500, 8))  # well-separated blobs
    found = kmeans_labels(z, 5, seed=0)
    np.testing.assert_array_equal(found, kmeans_labels(z, 5, seed=0))
    # each true cluster maps to a single found cluster (up to a few stray points)
    purity = sum(np.bincount(found[labels == c]).max() for c in range(5)) / len(z)
    assert purity > 0.98
    assert len(set(kmeans_labels(z[:3], 10))) == 3  # k lowered to the number of clips
    assert kmeans_labels(np.zeros((0, 8)), 4).shape == (0,)
    assert set(kmeans_labels(np.ones((20, 8)), 4)) == {0}  # identical latents: one cluster
    with pytest.raises(LatentSpaceError, match="at least 1"):
        kmeans_labels(z, 0)


def test_near_duplicates_and_diverse_subset(data):
    z, _ = data
    dup = np.concatenate([z[:50], z[:3] + 1e-4, z[:1] + 2e-4])
    groups = near_duplicate_groups(dup, 1e-3)
    assert groups[0] == [0, 50, 53] and sorted(map(sorted, groups[1:])) == [[1, 51], [2, 52]]
    assert near_duplicate_groups(z[:1], 1.0) == []
    assert near_duplicate_groups(z, 0.0) == []
    sub = diverse_subset(z, 20, seed=0)
    assert len(set(sub.tolist())) == 20
    np.testing.assert_array_equal(sub, diverse_subset(z, 20, seed=0))

    # farther apart than a random subset of the same size
    def min_gap(ix):
        d = np.linalg.norm(z[ix][:, None] - z[ix][None], axis=2)
        return d[np.triu_indices(len(ix), 1)].min()

    rand = np.random.default_rng(0).choice(500, 20, replace=False)
    assert min_gap(sub) > min_gap(rand)
    assert len(diverse_subset(np.ones((10, 3)), 5)) == 1  # only one distinct latent
    assert diverse_subset(np.zeros((0, 3)), 5).size == 0


@pytest.mark.parametrize("method", ["auto", "knn", "spreading"])
def test_tag_suggestions_from_a_few_labels(data, method):
    z, labels = data
    known = np.full(len(z), -1)
    rng = np.random.default_rng(0)
    for c in range(5):
        pick = rng.choice(np.flatnonzero(labels == c), 4, replace=False)
        known[pick] = c
    pred, conf = suggest_tags(z, known, method=method)
    unl = known < 0
    assert np.mean(pred[unl] == labels[unl]) > 0.75  # 5 overlapping clusters, 4 labels each; chance is 0.2
    assert np.all(pred[~unl] == known[~unl]) and np.all(conf[~unl] == 1)
    assert np.all((conf >= 0) & (conf <= 1))


def test_tag_suggestion_edge_cases(data):
    z, _ = data
    none = np.full(len(z), -1)
    pred, conf = suggest_tags(z, none)
    assert np.all(pred == -1) and np.all(conf == 0)
    one = none.copy()
    one[0] = 3
    pred, _ = suggest_tags(z, one)
    assert np.all(pred == 3)
    with pytest.raises(LatentSpaceError, match="one value per clip"):
        suggest_tags(z, none[:10])
    with pytest.raises(LatentSpaceError, match="'auto', 'knn' or 'spreading'"):
        suggest_tags(z, one, method="vote")
