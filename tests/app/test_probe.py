"""The probe's render without a window: map position -> inverse -> decode, as a ProbeResult."""

from __future__ import annotations

import numpy as np

from latentlab.app.probe import ProbeResult, render_probe
from latentlab.core.inverse import make_inverse
from latentlab.core.projection import fit_projection


class _Decoder:
    device = "cpu"

    def decode(self, z):  # (B, D) -> (B, T, H, W, C): the latent's first value as every pixel
        return np.broadcast_to(
            np.clip(z[:, :1, None, None, None] * 10 + 128, 0, 255).astype(np.uint8), (len(z), 2, 4, 4, 3)
        ).copy()


def test_render_probe_inverts_then_decodes():
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(60, 5)).astype(np.float32)
    projection = fit_projection(mu, "pca")
    inverse = make_inverse(mu, projection)
    x, y = map(float, projection.coords[7])
    r = render_probe(inverse, _Decoder(), x, y)
    assert isinstance(r, ProbeResult)
    expected = inverse.invert(np.array([[x, y]]))
    np.testing.assert_allclose(r.z, expected.z[0], rtol=1e-6)
    assert r.pos == (x, y) and r.nearest == int(expected.nearest[0]) == 7
    assert r.frames.shape == (2, 4, 4, 3) and r.frames.dtype == np.uint8
    assert 0.0 <= r.reliability <= 1.0 and r.map_distance >= 0 and r.decode_ms >= 0
