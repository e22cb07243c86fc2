"""The decoded grid's render without a window: lattice -> inverse -> one batched decode -> middle frames."""

from __future__ import annotations

import numpy as np

from latentlab.app.grid_render import GridTiles, render_grid
from latentlab.core.inverse import make_inverse
from latentlab.core.projection import fit_projection
from latentlab.core.view_lattice import view_lattice


class _Decoder:
    """Frame t of a clip holds ``z[0] * 10 + 128 + t`` everywhere; counts its calls and batch sizes."""

    device = "cpu"

    def __init__(self) -> None:
        self.batches: list[int] = []

    def decode(self, z):
        self.batches.append(len(z))
        t = np.arange(5)[None, :, None, None, None]
        v = np.clip(z[:, :1, None, None, None] * 10 + 128 + t, 0, 255)
        return np.broadcast_to(v, (len(z), 5, 3, 4, 3)).astype(np.uint8)


def test_every_lattice_point_is_inverted_and_decoded_in_one_batch():
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(80, 5)).astype(np.float32)
    projection = fit_projection(mu, "pca")
    inverse = make_inverse(mu, projection)
    lattice = view_lattice((-2.0, 2.0), (-1.0, 1.5), k=4)
    decoder = _Decoder()
    tiles = render_grid(inverse, decoder, lattice)
    assert isinstance(tiles, GridTiles) and tiles.lattice is lattice
    assert decoder.batches == [16]
    expected = inverse.invert(lattice.points)
    np.testing.assert_allclose(tiles.z, expected.z, rtol=1e-6)
    np.testing.assert_allclose(projection.transform(tiles.z), lattice.points, atol=1e-4)  # PCA: exact inverse
    assert tiles.frames.shape == (16, 3, 4, 3) and tiles.frames.dtype == np.uint8
    middle = np.clip(np.round(expected.z[:, 0] * 10 + 128) + 2, 0, 255)  # frame 2 of 5: the middle one
    np.testing.assert_allclose(tiles.frames[:, 0, 0, 0], middle, atol=1)
    assert tiles.reliability.shape == (16,) and np.all((tiles.reliability >= 0) & (tiles.reliability <= 1))
    assert tiles.decode_ms >= 0
