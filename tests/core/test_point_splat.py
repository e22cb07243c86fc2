"""The map's renderer: every visible point drawn, later points on top, density where points crowd."""

import numpy as np
import pytest

from latentlab.core.point_splat import CROWD_DENSITY, PointSplatter, Viewport, density_weight

RED, BLUE = (255, 0, 0, 255), (0, 0, 255, 255)


def _view(w=10, h=10):
    return Viewport(0.0, float(w), 0.0, float(h), w, h)  # one data unit per pixel


def test_each_point_is_a_dot_of_its_colour_and_later_points_are_drawn_on_top():
    coords = np.array([[2.5, 2.5], [3.5, 2.5], [7.5, 6.5]], np.float32)
    sp = PointSplatter(coords, np.array([RED, BLUE, RED], np.uint8))
    img, t = sp.render(_view(), radius=1)
    assert t == 0.0  # no two points share a pixel: dots only
    assert tuple(img[2, 1]) == RED and tuple(img[2, 4]) == BLUE  # row = y, column = x
    assert tuple(img[2, 2]) == BLUE and tuple(img[2, 3]) == BLUE  # the dots overlap: the later point wins
    assert tuple(img[6, 7]) == RED and tuple(img[7, 8]) == RED  # a 3x3 dot
    assert img[0, 0, 3] == 0 and img[9, 9, 3] == 0  # nothing drawn: transparent
    assert tuple(sp.render(_view(), radius=0)[0][2, 2]) == RED  # radius 0: the pixel itself


def test_points_outside_the_view_are_left_out_and_the_view_maps_data_to_pixels():
    coords = np.array([[-5.0, 1.0], [15.0, 1.0], [0.5, 9.5], [40.0, 40.0]], np.float32)
    sp = PointSplatter(coords, np.array([RED, RED, BLUE, RED], np.uint8))
    img, _ = sp.render(_view(), radius=0)
    assert np.count_nonzero(img[..., 3]) == 1 and tuple(img[9, 0]) == BLUE
    zoomed = Viewport(30.0, 50.0, 30.0, 50.0, 20, 20)  # 1 px per unit around (40, 40)
    img, _ = sp.render(zoomed, radius=0)
    assert tuple(img[10, 10]) == RED and np.count_nonzero(img[..., 3]) == 1


def test_a_crowded_view_shows_density_with_the_mean_colour_and_zooming_in_brings_back_dots():
    rng = np.random.default_rng(0)
    n = 20_000
    coords = rng.uniform(0, 1, (n, 2)).astype(np.float32)  # all in one square
    colours = np.where((np.arange(n) % 2 == 0)[:, None], np.array(RED, np.uint8), np.array(BLUE, np.uint8))
    sp = PointSplatter(coords, colours)
    far = Viewport(-4.0, 6.0, -4.0, 6.0, 40, 40)  # the square is 4x4 pixels: ~1 250 points a pixel
    img, t = sp.render(far)
    assert t == 1.0
    inside = img[16:20, 16:20]
    assert (inside[..., 3] == 255).all()
    # half red, half blue: the mean colour, at full brightness where the count peaks
    assert np.allclose(inside[..., 0].astype(int), inside[..., 2].astype(int), atol=25)
    assert inside[..., 0].max() > 100
    near = Viewport(0.0, 0.01, 0.0, 0.01, 200, 200)  # ~2 points in view: dots only
    assert sp.render(near)[1] == 0.0
    weights = [sp.render(Viewport(0.0, s, 0.0, s, 100, 100))[1] for s in (1.0, 0.3, 0.1, 0.03)]
    assert weights == sorted(weights, reverse=True)  # zooming in fades density into dots


def test_the_cross_fade_runs_from_dots_to_density():
    assert density_weight(1.0) == 0.0 and density_weight(CROWD_DENSITY) == 1.0
    assert 0.0 < density_weight((1.3 + CROWD_DENSITY) / 2) < 1.0


@pytest.mark.parametrize("radius", [1, 2])
def test_dots_have_the_size_asked_for(radius):
    sp = PointSplatter(np.array([[5.5, 5.5]], np.float32), np.array([RED], np.uint8))
    img, _ = sp.render(_view(), radius=radius)
    assert np.count_nonzero(img[..., 3]) == (2 * radius + 1) ** 2
