"""The bundled demo model loads, records how to regenerate its data, and reconstructs held-out clips."""

import numpy as np
import pytest

from latentlab.paths import demo_checkpoint_dir


@pytest.fixture(scope="module")
def demo_codec():
    from latentlab.ml.codec import ClipCodec

    if not (demo_checkpoint_dir() / "model.safetensors").is_file():
        pytest.fail("the bundled demo model checkpoints/demo/ is missing")
    return ClipCodec.from_checkpoint(demo_checkpoint_dir(), device="cpu")


def test_demo_model_reconstructs_held_out_clips(demo_codec):
    from latentlab.media.demo_data import DemoSpec, generate_clips

    cfg = demo_codec.config
    spec = DemoSpec(**cfg["data"]["demo_spec"])
    assert (demo_codec.frames, demo_codec.height, demo_codec.width, demo_codec.channels) == (
        spec.frames, spec.size, spec.size, 3)
    # the validation clips of the trainer's split (the last 5 %) were never trained on
    clips, _ = generate_clips(spec, spec.n_clips - 32, 32)
    rec = demo_codec.reconstruct(clips)
    mse = np.mean((rec.astype(np.float64) - clips) ** 2) / 255.0**2
    assert 10 * np.log10(1 / mse) > 25.0
    mu, _ = demo_codec.encode(clips)
    assert int((mu.var(0) > 0.01).sum()) >= demo_codec.latent_dim // 2
    assert (demo_checkpoint_dir() / "model.safetensors").stat().st_size < 8_000_000
    assert not (demo_checkpoint_dir() / "training_state.safetensors").exists()
