"""The MJPG/mp4v compression baseline of `latentlab eval` (latentlab.media.compression_baseline)."""

import numpy as np
import pytest

from latentlab.core.baselines import psnr_u8
from latentlab.media.compression_baseline import CompressionError, CompressionPoint, encode_decode, nearest_to_budget
from latentlab.media.demo_data import DemoSpec, write_demo_store


def test_encode_decode_measures_bytes_and_quality(tmp_path):
    clips = write_demo_store(tmp_path / "demo", DemoSpec(n_clips=6, frames=4, size=16)).read(
        range(6)
    )  # (6, 4, 16, 16, 3)
    for fourcc in ("MJPG", "mp4v"):
        decoded, nbytes = encode_decode(clips, fourcc, quality=90 if fourcc == "MJPG" else None)
        assert decoded.shape == clips.shape and decoded.dtype == np.uint8
        assert nbytes > 0
        assert psnr_u8(decoded, clips) > 20  # a real round trip, not zeros
    small, small_bytes = encode_decode(clips, "MJPG", quality=5, scale=0.5)
    assert small_bytes < encode_decode(clips, "MJPG", quality=95)[1]
    with pytest.raises(CompressionError, match="unknown video format"):
        encode_decode(clips, "H264")


def test_nearest_to_budget_is_honest():
    pts = [
        CompressionPoint("X", "a", 1000.0, 30.0),
        CompressionPoint("X", "b", 300.0, 25.0),
        CompressionPoint("X", "c", 90.0, 20.0),
    ]
    near = nearest_to_budget(pts, 100.0)
    assert near["reached"] and near["setting"] == "c" and near["note"] == ""
    near = nearest_to_budget(pts, 280.0)
    assert near["setting"] == "b"
    far = nearest_to_budget(pts, 10.0)
    assert not far["reached"] and far["setting"] == "c" and "cannot get that small" in far["note"]
    assert psnr_u8(np.zeros(4, np.uint8), np.zeros(4, np.uint8)) > 100
