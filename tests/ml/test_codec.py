import threading

import numpy as np
import pytest
import torch

from latentlab.ml.checkpoint import CheckpointError, content_hash, save_checkpoint
from latentlab.ml.codec import ClipCodec
from latentlab.ml.model import VideoVAE


@pytest.fixture
def codec(tmp_path, tiny_config):
    torch.manual_seed(0)
    save_checkpoint(tmp_path / "ck", VideoVAE(tiny_config))
    return ClipCodec.from_checkpoint(tmp_path / "ck", device="cpu", max_batch=5)


def test_numpy_in_numpy_out(codec, tiny_store, tmp_path):
    clips = tiny_store.read(range(12))  # (12, 4, 16, 16, 3) uint8, more than one internal batch
    mu, logvar = codec.encode(clips)
    assert mu.shape == logvar.shape == (12, 4) and mu.dtype == np.float32
    out = codec.decode(mu)
    assert out.shape == clips.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(codec.reconstruct(clips), out)
    # batching does not change results
    np.testing.assert_allclose(codec.encode(clips[:3])[0], mu[:3], atol=1e-5)
    assert (codec.latent_dim, codec.frames, codec.height, codec.width, codec.channels) == (4, 4, 16, 16, 3)
    assert codec.device == "cpu" and codec.config["model"]["latent_dim"] == 4
    assert codec.weights_hash == content_hash((tmp_path / "ck" / "model.safetensors").read_bytes())
    assert codec.decode(np.zeros((0, 4), np.float32)).shape == (0, 4, 16, 16, 3)


def test_bad_inputs_get_clear_errors(codec):
    with pytest.raises(ValueError, match=r"shape \(B, 4, 16, 16, 3\)"):
        codec.encode(np.zeros((2, 4, 8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        codec.encode(np.zeros((2, 4, 16, 16, 3), np.float32))
    with pytest.raises(ValueError, match=r"\(B, 4\)"):
        codec.decode(np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        codec.decode(np.full((1, 4), np.nan, np.float32))
    with pytest.raises(CheckpointError):
        ClipCodec.from_checkpoint("/nonexistent/checkpoint")


def test_concurrent_calls_are_safe(codec):
    z = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    expected = codec.decode(z)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(codec.decode(z))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 15
    for r in results:
        np.testing.assert_array_equal(r, expected)
