"""The classic-codec baseline of `latentlab eval` (latentlab.media.codec_roundtrip)."""

import numpy as np
import pytest

from latentlab.media.codec_roundtrip import CodecError, CodecPoint, nearest_to_budget, psnr_u8, roundtrip


def test_roundtrip_measures_bytes_and_quality(tiny_store):
    clips = tiny_store.read(range(6))  # (6, 4, 16, 16, 3)
    for codec in ("MJPG", "mp4v"):
        decoded, nbytes = roundtrip(clips, codec, quality=90 if codec == "MJPG" else None)
        assert decoded.shape == clips.shape and decoded.dtype == np.uint8
        assert nbytes > 0
        assert psnr_u8(decoded, clips) > 20  # a real round trip, not zeros
    small, small_bytes = roundtrip(clips, "MJPG", quality=5, scale=0.5)
    assert small_bytes < roundtrip(clips, "MJPG", quality=95)[1]
    with pytest.raises(CodecError, match="unknown codec"):
        roundtrip(clips, "H264")


def test_nearest_to_budget_is_honest():
    pts = [CodecPoint("X", "a", 1000.0, 30.0), CodecPoint("X", "b", 300.0, 25.0), CodecPoint("X", "c", 90.0, 20.0)]
    near = nearest_to_budget(pts, 100.0)
    assert near["reached"] and near["setting"] == "c" and near["note"] == ""
    near = nearest_to_budget(pts, 280.0)
    assert near["setting"] == "b"
    far = nearest_to_budget(pts, 10.0)
    assert not far["reached"] and far["setting"] == "c" and "cannot get that small" in far["note"]
    assert psnr_u8(np.zeros(4, np.uint8), np.zeros(4, np.uint8)) > 100
