"""Posters on the map: when the view is sparse enough, where each goes, how they are drawn, the cache."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.point_splat import Viewport
from latentlab.core.poster_cache import Poster, PosterCache
from latentlab.core.poster_layout import (
    compose_posters,
    fit_image,
    min_spacing,
    plan_posters,
    poster_frame,
    to_pixels,
    visible_clips,
)

VIEW = Viewport(0.0, 10.0, 0.0, 5.0, 200, 100)  # 20 pixels per unit both ways


def test_pixels_count_from_the_left_and_the_bottom():
    px = to_pixels(np.array([[0.0, 0.0], [10.0, 5.0], [2.5, 1.0]]), VIEW)
    np.testing.assert_allclose(px, [[0, 0], [200, 100], [50, 20]])


def test_visible_clips_take_the_margin_and_leave_hidden_ones():
    coords = np.array([[5.0, 2.0], [-0.4, 2.0], [-2.0, 2.0], [5.0, 5.3], [9.0, 1.0]])
    assert visible_clips(coords, VIEW).tolist() == [0, 4]
    assert visible_clips(coords, VIEW, margin_px=10).tolist() == [0, 1, 3, 4]  # 10 px = 0.5 unit
    hidden = np.array([False, False, False, False, True])
    assert visible_clips(coords, VIEW, hidden=hidden).tolist() == [0]


def test_spacing_is_the_larger_of_the_x_and_y_gaps():
    assert min_spacing(np.array([[0.0, 0.0], [30.0, 40.0], [100.0, 0.0]])) == 40.0
    assert min_spacing(np.array([[0.0, 0.0]])) == float("inf")


def test_posters_only_where_no_two_overlap():
    coords = np.array([[2.0, 2.0], [5.0, 2.0], [8.0, 2.0]])  # 60 px apart on screen
    plan = plan_posters(coords, VIEW, size_px=48)
    assert plan is not None and plan.indices.tolist() == [0, 1, 2]
    np.testing.assert_allclose(plan.centres, [[40, 40], [100, 40], [160, 40]])
    assert plan_posters(coords, VIEW, size_px=61) is None  # larger posters would overlap
    zoomed_out = Viewport(-40.0, 60.0, -20.0, 30.0, 200, 100)  # the same clips 6 px apart
    assert plan_posters(coords, zoomed_out, size_px=48) is None


def test_too_many_clips_in_view_draw_no_posters():
    grid = np.stack(np.meshgrid(np.arange(20.0), np.arange(20.0)), -1).reshape(-1, 2)  # 1 unit apart
    wide = Viewport(-1.0, 20.0, -1.0, 20.0, 2100, 2100)  # 100 px apart: sparse, but 400 clips
    assert plan_posters(grid, wide, max_posters=300) is None
    assert len(plan_posters(grid, wide, max_posters=400).indices) == 400


def test_nothing_in_view_draws_nothing():
    assert plan_posters(np.array([[100.0, 100.0]]), VIEW) is None
    assert plan_posters(np.zeros((0, 2)), VIEW) is None


def test_poster_frame_is_the_middle_frame_shrunk_not_enlarged():
    clip = np.zeros((5, 40, 80, 3), np.uint8)
    clip[2] = 200
    small = poster_frame(clip, size_px=20)
    assert small.shape == (10, 20, 3) and (small == 200).all()
    assert poster_frame(clip[:, :10, :10], size_px=20).shape == (10, 10, 3)
    grey = poster_frame(np.full((3, 8, 8, 1), 7, np.uint8))
    assert grey.shape == (8, 8, 3) and (grey == 7).all()


def test_fit_image_keeps_the_aspect_and_samples_the_right_pixels():
    img = np.arange(16, dtype=np.uint8).reshape(4, 4, 1)
    assert fit_image(img, 2)[..., 0].tolist() == [[5, 7], [13, 15]]
    assert fit_image(np.zeros((30, 60, 3), np.uint8), 48).shape == (24, 48, 3)


def test_compose_draws_each_poster_upright_at_its_clip():
    plan = plan_posters(np.array([[2.0, 2.0], [8.0, 3.0]]), VIEW, size_px=10)
    top_red = np.zeros((10, 10, 3), np.uint8)
    top_red[:5, :, 0] = 255  # the upper half red
    blue = np.zeros((10, 10, 3), np.uint8)
    blue[..., 2] = 255
    out = compose_posters(plan, [top_red, blue])
    assert out.shape == (100, 200, 4)
    # clip 0 at pixel (40, 40): its poster covers rows 35..44 (row 0 is the bottom of the view)
    assert (out[35:45, 35:45, 3] == 255).all() and out[34, 40, 3] == 0 and out[45, 40, 3] == 0
    assert (out[40:45, 35:45, 0] == 255).all()  # the red half is the upper one on screen
    assert (out[35:40, 35:45, 0] == 0).all()
    assert (out[55:65, 155:165, 2] == 255).all()  # clip 1 at (160, 60)
    assert int(out[..., 3].astype(bool).sum()) == 200  # nothing else drawn


def test_compose_clips_posters_at_the_edges_skips_unread_ones_and_frames_selected_ones():
    plan = plan_posters(np.array([[0.0, 0.0], [5.0, 2.5]]), VIEW, size_px=10)
    white = np.full((10, 10, 3), 255, np.uint8)
    out = compose_posters(plan, [white, None])
    assert int(out[..., 3].astype(bool).sum()) == 25  # a quarter of the corner poster; none for the other
    borders = np.array([[0, 0, 0, 0], [255, 200, 0, 255]], np.uint8)
    out = compose_posters(plan, [white, white], borders, border_px=2)
    assert out[50, 100].tolist() == [255, 255, 255, 255]
    assert out[50 - 7, 100].tolist() == [255, 200, 0, 255] and out[50 - 8, 100, 3] == 0  # 2 px frame


def test_cache_drops_the_least_recently_used():
    cache = PosterCache(capacity=2)
    clip = np.zeros((3, 8, 8, 3), np.uint8)
    for i in (1, 2):
        cache.put(i, Poster.of_clip(clip))
    assert cache.get(1) is not None  # 1 is now newer than 2
    cache.put(3, Poster.of_clip(clip))
    assert 2 not in cache and 1 in cache and 3 in cache
    assert cache.missing(np.array([3, 2, 1, 7])).tolist() == [2, 7]
    cache.clear()
    assert len(cache) == 0 and cache.get(1) is None
    with pytest.raises(ValueError, match="at least one"):
        PosterCache(0)


def test_poster_of_a_clip_has_a_card_and_a_map_size():
    clip = np.random.default_rng(0).integers(0, 255, (4, 256, 128, 3), dtype=np.uint8)
    poster = Poster.of_clip(clip, card_px=128, map_px=48)
    assert poster.card.shape == (128, 64, 3) and poster.small.shape == (48, 24, 3)
    np.testing.assert_array_equal(poster.card, clip[2, 1::2, 1::2])
