"""The bundled sample-data models load, record how to regenerate their data, and do what the README says.

The figures asserted here are loose floors of what ``benchmarks/judge_sample_models.py`` measures
(BENCHMARKS.md), checked on a few hundred clips of a fresh seed so that the test stays fast.
"""

import pytest

from latentlab.core.baselines import PixelPCA, psnr_u8
from latentlab.core.probes import knn_accuracy
from latentlab.paths import sample_checkpoint_dir

MODELS = {"sprites": "demo", "digits": "digits"}
# kNN accuracy of the class from mu on 400 fresh clips: floors under what BENCHMARKS.md measures on
# 5 000 (sprites 98.5 %, digits on held-out handwriting 92.8 %); on these 400 clips, with fewer
# neighbours to vote, 86.3 % and 69.0 % (chance: 25 % and 10 %).
KNN_FLOOR = {"sprites": 0.75, "digits": 0.6}


@pytest.fixture(scope="module", params=sorted(MODELS))
def sample_codec(request):
    from latentlab.ml.codec import ClipCodec

    folder = sample_checkpoint_dir(MODELS[request.param])
    if not (folder / "model.safetensors").is_file():
        pytest.fail(f"the bundled model {folder} is missing")
    return request.param, folder, ClipCodec.from_checkpoint(folder, device="cpu")


def _clips(kind: str, seed: int, n: int, images: str = "train"):
    from latentlab.media.sample_data import SAMPLE_DATASETS

    sample = SAMPLE_DATASETS[kind]
    extra = {"images": images} if kind == "digits" else {}
    spec = sample.spec(n_clips=n, frames=8, size=32, seed=seed, **extra)
    if kind == "digits":
        from latentlab.media.digits_data import generate_digit_clips

        return generate_digit_clips(spec, 0, n), sample
    from latentlab.media.demo_data import generate_clips

    return generate_clips(spec, 0, n), sample


def test_sample_model_keeps_the_class_and_beats_pca(sample_codec):
    kind, folder, codec = sample_codec
    assert codec.config["data"]["sample_kind"] == kind
    assert (codec.frames, codec.height, codec.width, codec.channels) == (8, 32, 32, 3)
    (clips, factors), sample = _clips(kind, seed=11, n=400, images="test")  # never trained on
    (fit, _), _ = _clips(kind, seed=12, n=400)
    rec = codec.reconstruct(clips)
    pca = PixelPCA.fit(fit, codec.latent_dim)
    assert psnr_u8(rec, clips) > psnr_u8(pca.reconstruct(clips), clips) + 3.0
    mu, _ = codec.encode(clips)
    assert knn_accuracy(mu, factors[sample.class_factor]) > KNN_FLOOR[kind]
    assert (folder / "model.safetensors").stat().st_size < 10_000_000
    assert not (folder / "training_state.safetensors").exists()


def test_the_posterior_is_not_a_point(sample_codec):
    """The bundled models are VAEs, not autoencoders in VAE clothing: their posteriors have width
    (BENCHMARKS.md: mean sigma 0.036 for the sprites, 0.028 for the digits on 5 000 fresh clips; the
    goal is >= 0.02)."""
    import numpy as np

    kind, _, codec = sample_codec
    (clips, _), _ = _clips(kind, seed=11, n=300, images="test")
    _, logvar = codec.encode(clips)
    assert float(np.exp(0.5 * logvar).mean()) >= 0.02
