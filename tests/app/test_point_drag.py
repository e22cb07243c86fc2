"""Dragging a clip's point: the latent starts exactly at the clip's own and moves with the inverse map."""

from __future__ import annotations

import numpy as np

from latentlab.app.point_drag import dragged_latent, render_drag, render_pinned
from latentlab.core.inverse import make_inverse
from latentlab.core.projection import fit_projection


class _Decoder:
    def decode(self, z):  # (B, D) -> (B, T, H, W, C): the latent's first value as every pixel
        return np.broadcast_to(
            np.clip(z[:, :1, None, None, None] * 10 + 128, 0, 255).astype(np.uint8), (len(z), 2, 4, 4, 3)
        ).copy()


def _map(method="pca"):
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(80, 5)).astype(np.float32)
    projection = fit_projection(mu, method)
    return mu, projection, make_inverse(mu, projection)


def test_the_rule_is_exact_at_the_start_and_adds_the_inverse_change():
    mu = np.array([1.0, -2.0, 3.0], np.float32)
    za, zb = np.array([5.0, 5.0, 5.0]), np.array([6.0, 4.0, 5.5])
    np.testing.assert_array_equal(dragged_latent(mu, za, za), mu)
    np.testing.assert_allclose(dragged_latent(mu, za, zb), [2.0, -3.0, 3.5])
    assert dragged_latent(mu, za, zb).dtype == np.float32


def test_a_drag_decodes_the_clip_itself_at_the_press_and_moves_away_after():
    mu, projection, inverse = _map()
    i = 7
    start = tuple(map(float, projection.coords[i]))
    r0 = render_drag(inverse, _Decoder(), mu[i], i, start, *start)
    np.testing.assert_array_equal(r0.z, mu[i])  # bit for bit, whatever the inverse blends there
    assert r0.pos == start
    x, y = start[0] + 0.5, start[1] - 0.3
    r1 = render_drag(inverse, _Decoder(), mu[i], i, start, x, y)
    z0, z1 = (inverse.invert(np.array([p]), anchor=i).z[0] for p in (start, (x, y)))
    np.testing.assert_allclose(r1.z, mu[i] + z1 - z0, rtol=1e-5, atol=1e-6)
    assert not np.allclose(r1.z, mu[i])
    # On a PCA map the move is in the map plane: the latent projects to where the ghost is, shifted by
    # the clip's own offset from its point (zero for PCA, whose points are the latents' projections).
    np.testing.assert_allclose(projection.transform(r1.z[None])[0], (x, y), atol=1e-4)
    assert r1.frames.shape == (2, 4, 4, 3) and r1.pos == (x, y)


def test_a_press_beside_the_point_still_starts_at_the_clip():
    mu, projection, inverse = _map()
    i = 3
    start = (float(projection.coords[i, 0]) + 1e-3, float(projection.coords[i, 1]))  # pressed near, not on
    r = render_drag(inverse, _Decoder(), mu[i], i, start, *start)
    np.testing.assert_array_equal(r.z, mu[i])


def test_render_pinned_decodes_the_kept_latent():
    mu, projection, inverse = _map()
    z = mu[4] + 0.25
    r = render_pinned(inverse, _Decoder(), z, (0.0, 0.0))
    np.testing.assert_array_equal(r.z, z.astype(np.float32))
    np.testing.assert_array_equal(r.frames, _Decoder().decode(z[None].astype(np.float32))[0])
    assert 0 <= r.nearest < len(mu) and 0.0 <= r.reliability <= 1.0


def test_export_writes_videos_latents_and_a_generated_manifest(tmp_path):
    import json

    from latentlab.app.pinned_export import export_pinned
    from latentlab.core.pinned_points import PinnedPoints, PinPoint

    points = PinnedPoints()
    for k in range(2):
        PinPoint(points, points.new_point(np.full(5, 0.5 * k), (k, 0), source=k)).redo()
    files = export_pinned(list(points), _Decoder(), tmp_path / "out", fps=8.0, clip_keys=["a", "b"])
    names = sorted(f.name for f in files)
    assert names == ["pinned-1.mp4", "pinned-2.mp4", "pinned.json", "pinned_latents.npy"]
    doc = json.loads((tmp_path / "out" / "pinned.json").read_text())
    assert doc["generated"] and [r["generated"] for r in doc["points"]] == [True, True]
    assert [r["source_key"] for r in doc["points"]] == ["a", "b"] and doc["points"][1]["video"] == "pinned-2.mp4"
    np.testing.assert_allclose(np.load(tmp_path / "out" / "pinned_latents.npy")[1], np.full(5, 0.5))
    assert all((tmp_path / "out" / n).stat().st_size > 0 for n in names)


def test_pinned_points_join_an_export_beside_a_tag_folder_of_the_same_name(tmp_path):
    import csv

    from latentlab.app.pinned_export import pinned_into_export
    from latentlab.core.pinned_points import PinnedPoints, PinPoint, TagPinned

    points = PinnedPoints()
    PinPoint(points, points.new_point(np.full(5, 0.25), (0, 0), source=1)).redo()
    TagPinned(points, 1, "pinned").redo()
    (tmp_path / "pinned").mkdir()  # a folder-per-tag export's folder for the tag "pinned"
    files = pinned_into_export(list(points), _Decoder(), tmp_path, fps=8.0, clip_keys=["a", "b"])
    assert files == [
        "pinned-2/pinned-1.mp4",
        "pinned-2/pinned_latents.npy",
        "pinned-2/pinned.json",
        "pinned.csv",
    ]
    assert not any((tmp_path / "pinned").iterdir())
    with open(tmp_path / "pinned.csv", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["generated"] == "true" and row["source_key"] == "b" and row["tags"] == "pinned"
    assert (tmp_path / row["file"]).stat().st_size > 0
