"""Map regions: well-separated blobs are one region each, named by their majority category."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.explorer_state import ClipField
from latentlab.core.map_regions import describe_regions, find_regions, label_field

CENTRES = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])


def blobs(per: int = 500, spread: float = 0.6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian blobs far apart, ``(4 per, 2)`` coords and the blob of each point."""
    rng = np.random.default_rng(seed)
    blob = np.repeat(np.arange(4), per)
    return CENTRES[blob] + spread * rng.normal(size=(len(blob), 2)), blob


def test_each_well_separated_blob_is_one_region():
    xy, blob = blobs()
    regions = find_regions(xy)
    assert len(regions) == 4
    for r in range(4):
        members = blob[regions.labels == r]
        assert np.all(members == members[0])  # a region never mixes blobs
        assert regions.sizes[r] == len(members) >= 0.9 * 500  # nearly all of its blob
        x0, x1, y0, y1 = regions.bounds[r]
        px, py = regions.centres[r]
        assert x0 <= px <= x1 and y0 <= py <= y1
        assert np.hypot(*(regions.centres[r] - CENTRES[members[0]])) < 1.0  # the label sits on the blob
        inside = xy[regions.clips(r)]
        assert np.all((inside[:, 0] >= x0) & (inside[:, 0] <= x1) & (inside[:, 1] >= y0) & (inside[:, 1] <= y1))
    assert sorted(regions.sizes.tolist(), reverse=True) == regions.sizes.tolist()


def test_one_gaussian_blob_is_one_region_its_noise_peaks_merged():
    rng = np.random.default_rng(1)
    regions = find_regions(rng.normal(size=(20_000, 2)))
    assert len(regions) == 1
    assert regions.sizes[0] > 0.95 * 20_000
    assert len(find_regions(rng.normal(size=(20_000, 2)), merge_dip=0, min_clips=1)) > 1  # what merging undoes


def test_two_touching_blobs_with_a_dip_between_are_two_regions():
    rng = np.random.default_rng(2)
    xy = np.vstack([rng.normal(size=(5000, 2)), rng.normal(size=(5000, 2)) + [3.5, 0]])
    regions = find_regions(xy)
    assert len(regions) == 2
    left = regions.labels[:5000]
    assert np.mean(left == np.bincount(left[left >= 0]).argmax()) > 0.9


def test_a_pile_of_identical_clips_does_not_hide_the_other_regions():
    xy, _ = blobs()
    pile = np.tile([[5.0, 5.0]], (20_000, 1))  # a static shot: thousands of clips with one latent
    regions = find_regions(np.vstack([xy, pile]))
    assert len(regions) == 5
    assert regions.sizes[0] == 20_000 and np.all(regions.sizes[1:] > 0.9 * 500)


def test_tiny_groups_are_dropped_and_regions_capped():
    xy, _ = blobs()
    stray = np.array([[30.0, 30.0], [30.1, 30.0]])  # two clips far away: no region of their own
    regions = find_regions(np.vstack([xy, stray]))
    assert len(regions) == 4
    assert np.all(regions.labels[-2:] == -1)
    assert len(find_regions(xy, max_regions=2)) == 2


def test_degenerate_maps_give_no_region_or_one():
    assert len(find_regions(np.zeros((0, 2)))) == 0
    assert len(find_regions(np.full((10, 2), np.nan))) == 0
    same = find_regions(np.ones((50, 2)))  # every clip on one spot
    assert len(same) == 1 and same.sizes[0] == 50
    xy, _ = blobs(per=100)
    xy[:7] = np.nan  # clips with no position belong to no region
    regions = find_regions(xy)
    assert np.all(regions.labels[:7] == -1) and len(regions) == 4
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        find_regions(np.zeros((5, 3)))


def shape_fields(blob: np.ndarray, seed: int = 0) -> dict[str, ClipField]:
    """``shape``: blob b is mostly shape b (80 %, else shape 4); ``source``: video b % 2 for most clips."""
    rng = np.random.default_rng(seed)
    shape = np.where(rng.random(len(blob)) < 0.8, blob, 4)
    source = np.where(rng.random(len(blob)) < 0.9, blob % 2, 2)
    return {
        "source": ClipField("source", source, ("a.mp4", "b.mp4", "c.mp4")),
        "shape": ClipField("shape", shape, ("square", "circle", "heart", "star", "blob")),
        "KL": ClipField("KL", rng.random(len(blob))),
    }


def test_labels_name_the_majority_category_with_its_share_and_the_top_source():
    xy, blob = blobs()
    regions = find_regions(xy)
    fields = shape_fields(blob)
    name, labels = describe_regions(regions, fields)
    assert name == "shape"
    for r, label in enumerate(labels):
        b = blob[regions.labels == r][0]
        members = regions.labels == r
        share = np.mean(fields["shape"].values[members] == b)
        assert label.category == ("square", "circle", "heart", "star")[b]
        assert label.share == pytest.approx(share) and 0.7 < share < 0.9
        assert label.text == f"{label.category} {share:.0%}"
        assert label.source == ("a.mp4", "b.mp4")[b % 2]
        assert label.source_share == pytest.approx(np.mean(fields["source"].values[members] == b % 2))


def test_the_label_field_is_the_colour_field_when_categorical_else_a_tag_or_class():
    _, blob = blobs(per=20)
    fields = shape_fields(blob)
    fields["tag"] = ClipField("tag", np.where(blob == 0, 0, -1), ("dog",))
    assert label_field(fields, "KL") == "tag"  # continuous colour field: the tags name regions
    assert label_field(fields, "shape") == "shape"
    assert label_field(fields, "source") == "tag"  # the source is the second line of every label anyway
    fields["tag"] = ClipField("tag", np.full(len(blob), -1), ())  # no clip tagged
    assert label_field(fields, "") == "shape"
    assert label_field({"source": fields["source"]}, "") == "source"
    clusters = ClipField("cluster", blob, ("cluster 0", "cluster 1", "cluster 2", "cluster 3"))
    assert label_field({"cluster": clusters, "source": fields["source"]}, "cluster") == "source"  # names, not numbers
    assert label_field({"cluster": clusters, "KL": fields["KL"]}, "KL") == "cluster"
    assert label_field({"KL": fields["KL"]}, "KL") == ""


def test_untagged_clips_count_against_the_share():
    xy, blob = blobs()
    regions = find_regions(xy)
    tags = np.where((blob == 0) & (np.arange(len(blob)) % 4 == 0), 0, -1)  # a quarter of blob 0 tagged
    _, labels = describe_regions(regions, {"tag": ClipField("tag", tags, ("dog",))}, "tag")
    r0 = int(np.bincount(regions.labels[blob == 0][regions.labels[blob == 0] >= 0]).argmax())
    assert labels[r0].category == "dog" and labels[r0].share == pytest.approx(0.25, abs=0.03)
    others = [lab for r, lab in enumerate(labels) if r != r0]
    assert all(lab.category == "" and lab.text.startswith("region ") for lab in others)  # no other field
    fields = {"tag": ClipField("tag", tags, ("dog",)), **shape_fields(blob)}
    name, labels = describe_regions(regions, fields, "tag")
    assert name == "tag" and labels[r0].text == f"dog {labels[r0].share:.0%}"
    assert all(lab.field == "shape" and lab.category for r, lab in enumerate(labels) if r != r0)  # untagged regions


def test_a_regions_trait_is_the_continuous_field_furthest_from_its_overall_mean():
    from latentlab.core.map_regions import traits

    labels = np.repeat([0, 1, 2, -1], 100)  # three regions and clips in none
    rng = np.random.default_rng(0)
    size = np.concatenate([rng.normal(2.0, 0.1, 100), rng.normal(-2.0, 0.1, 100), rng.normal(0, 0.1, 200)])
    vx = np.concatenate(
        [rng.normal(0, 0.1, 100), rng.normal(0, 0.1, 100), rng.normal(3.0, 0.1, 100), np.full(100, np.nan)]
    )
    fields = {
        "size": ClipField("size", size),
        "vx": ClipField("vx", vx),
        "shape": ClipField("shape", np.zeros(400, np.int64), ("circle",)),  # categorical: never a trait
    }
    assert traits(fields, labels, 3) == ["high size", "low size", "high vx"]
    flat = {"size": ClipField("size", rng.normal(0, 1, 400))}
    assert traits(flat, labels, 3) == ["", "", ""]  # nothing sets a region apart: no trait
    _, named = describe_regions(find_regions(np.c_[labels, labels].astype(float)), fields)
    assert all(lab.trait in ("", "high size", "low size", "high vx", "low vx") for lab in named)
