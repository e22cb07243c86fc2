"""The decoded grid's lattice over a view range and where its tiles go."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.errors import LatentSpaceError
from latentlab.core.view_lattice import DEFAULT_FILL, MAX_GRID, view_lattice


def test_points_are_the_cell_centres_read_row_by_row_from_the_top():
    lat = view_lattice((0.0, 4.0), (10.0, 12.0), k=2)
    np.testing.assert_allclose(lat.points, [[1.0, 11.5], [3.0, 11.5], [1.0, 10.5], [3.0, 10.5]])
    assert lat.k == 2 and lat.x_range == (0.0, 4.0) and lat.y_range == (10.0, 12.0)


@pytest.mark.parametrize("k", [1, 4, 6, 10])
def test_k_by_k_points_spread_evenly_inside_the_view(k):
    lat = view_lattice((-3.0, 5.0), (-1.0, 2.0), k)
    assert lat.points.shape == (k * k, 2)
    xs, ys = np.unique(lat.points[:, 0]), np.unique(lat.points[:, 1])
    assert len(xs) == len(ys) == k
    np.testing.assert_allclose(np.diff(xs), 8.0 / k)
    np.testing.assert_allclose(np.diff(ys), 3.0 / k)
    assert xs[0] - (-3.0) == pytest.approx(4.0 / k) and 2.0 - ys[-1] == pytest.approx(1.5 / k)


def test_tiles_are_centred_square_inside_their_cells_and_never_overlap():
    lat = view_lattice((0.0, 8.0), (0.0, 4.0), k=4)  # cells 2 x 1: the tile is fitted to the smaller side
    rects = lat.tile_rects()
    assert lat.side == pytest.approx(DEFAULT_FILL * 1.0)
    np.testing.assert_allclose(rects[:, 0] + rects[:, 2] / 2, lat.points[:, 0])
    np.testing.assert_allclose(rects[:, 1] + rects[:, 3] / 2, lat.points[:, 1])
    np.testing.assert_allclose(rects[:, 2], rects[:, 3])
    assert rects[:, 0].min() >= 0 and (rects[:, 0] + rects[:, 2]).max() <= 8
    assert rects[:, 1].min() >= 0 and (rects[:, 1] + rects[:, 3]).max() <= 4
    for i in range(len(rects)):  # no two tiles share any area
        for j in range(i + 1, len(rects)):
            a, b = rects[i], rects[j]
            ox = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
            oy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
            assert ox <= 0 or oy <= 0


def test_a_wide_or_tall_frame_keeps_its_aspect_within_the_tile():
    lat = view_lattice((0.0, 1.0), (0.0, 1.0), k=1, fill=1.0)
    wide = lat.tile_rects(aspect=2.0)[0]
    tall = lat.tile_rects(aspect=0.5)[0]
    np.testing.assert_allclose(wide, [0.0, 0.25, 1.0, 0.5])
    np.testing.assert_allclose(tall, [0.25, 0.0, 0.5, 1.0])


@pytest.mark.parametrize(
    ("x", "y", "k"),
    [
        ((1.0, 1.0), (0.0, 1.0), 4),  # empty range
        ((2.0, 1.0), (0.0, 1.0), 4),  # reversed
        ((0.0, np.nan), (0.0, 1.0), 4),
        ((0.0, 1.0), (0.0, np.inf), 4),
        ((0.0,), (0.0, 1.0), 4),
        ("ab", (0.0, 1.0), 4),
        ((0.0, 1.0), (0.0, 1.0), 0),
        ((0.0, 1.0), (0.0, 1.0), MAX_GRID + 1),
        ((0.0, 1.0), (0.0, 1.0), 2.5),
        ((0.0, 1.0), (0.0, 1.0), True),
    ],
)
def test_bad_ranges_and_sizes_are_refused_with_a_message(x, y, k):
    with pytest.raises(LatentSpaceError, match="range|grid"):
        view_lattice(x, y, k)


def test_bad_fill_and_aspect_are_refused():
    with pytest.raises(LatentSpaceError, match="fill"):
        view_lattice((0, 1), (0, 1), 2, fill=0.0)
    with pytest.raises(LatentSpaceError, match="aspect"):
        view_lattice((0, 1), (0, 1), 2).tile_rects(aspect=0.0)
