"""Bring your own VAE: diffusers autoencoders and a plain torch module through latentlab's one model
interface (embed, info, eval), the geometry rules, the PCA pre-reduction, and what is refused."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from latentlab.cli import main
from latentlab.core.codec_protocol import LatentCodec
from latentlab.core.latent_reduction import LatentReduction
from latentlab.media.demo_data import DemoSpec, write_demo_store
from latentlab.ml.model_codec import ModelGeometryError, fitted_size
from latentlab.ml.model_loading import ModelSource, ModelSourceError, model_kind, open_codec
from latentlab.ml.model_protocol import ClipModel, InputRule
from tests.foreign_models import DIFFUSERS_CONFIGS, save_tiny_diffusers, save_tiny_module

FACTORY = "tests.foreign_models:tiny_module"


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    """12 clips of 2 frames of 16 x 16."""
    return write_demo_store(tmp_path_factory.mktemp("byo") / "clips", DemoSpec(n_clips=12, frames=2, size=16))


def test_the_reduction_keeps_the_principal_subspace(rng):
    basis = rng.standard_normal((3, 40))
    flat = (rng.standard_normal((30, 3)) @ basis + 5).astype(np.float32)  # rank 3 around 5
    red = LatentReduction.fit(flat, max_dims=8)
    assert red.dims == 8 and red.flat_dim == 40 and red.explained == pytest.approx(1.0)
    np.testing.assert_allclose(red.expand(red.reduce(flat)), flat, atol=1e-3)
    lv = red.reduce_logvar(np.zeros((2, 40), np.float32))  # unit variance in every direction stays 1
    np.testing.assert_allclose(lv, 0, atol=1e-5)
    assert "PCA 40 -> 8 dims" in red.describe()


def test_clips_are_fitted_to_what_the_model_takes():
    causal = InputRule(frame_step=4, frame_offset=1, spatial_multiple=8)
    assert fitted_size(causal, (8, 32, 30, 3)) == (9, 32, 32)
    assert fitted_size(causal, (1, 8, 8, 3)) == (1, 8, 8)
    assert fitted_size(InputRule(frames=8, height=64, width=64), (8, 32, 32, 3)) == (8, 64, 64)
    with pytest.raises(ModelGeometryError, match="exactly 8 frames and these have 4: .*--frames 8"):
        fitted_size(InputRule(frames=8), (4, 16, 16, 3))
    with pytest.raises(ModelGeometryError, match="multiples of 64 pixels"):
        fitted_size(InputRule(spatial_multiple=64), (4, 8, 8, 3))
    with pytest.raises(ModelGeometryError, match="4 channel"):
        fitted_size(InputRule(), (4, 8, 8, 4))


def test_latentlabs_own_vae_implements_the_interface(tiny_config, rng):
    import torch

    from latentlab.ml.codec import ClipCodec
    from latentlab.ml.model import VideoVAE
    from latentlab.ml.model_codec import ModelCodec
    from latentlab.ml.model_protocol import VideoVAEModel

    torch.manual_seed(0)
    vae = VideoVAE(tiny_config).eval()
    model = VideoVAEModel(vae, "h")
    assert isinstance(model, ClipModel)
    clips = rng.integers(0, 256, (3, 4, 16, 16, 3), dtype=np.uint8)
    ours, theirs = ClipCodec(vae, {}, "h"), ModelCodec(model, (4, 16, 16, 3))
    assert isinstance(ours, LatentCodec) and isinstance(theirs, LatentCodec)
    for a, b in zip(ours.encode(clips), theirs.encode(clips)):
        np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_array_equal(ours.decode(ours.encode(clips)[0]), theirs.decode(theirs.encode(clips)[0]))


@pytest.mark.parametrize("class_name", list(DIFFUSERS_CONFIGS))
def test_a_diffusers_autoencoder_embeds_a_store(class_name, small_store, tmp_path, capsys):
    pytest.importorskip("diffusers")
    folder = save_tiny_diffusers(class_name, tmp_path / class_name)
    assert model_kind(ModelSource(str(folder))) == "diffusers"
    assert main(["embed", str(folder), str(small_store.path), "--device", "cpu", "-q"]) == 0
    out = capsys.readouterr().out
    assert f"diffusers {class_name}" in out and "PCA" in out and "D=11" in out  # 12 clips: 11 principal dims
    codec = open_codec(str(folder), "cpu", small_store)
    assert codec.latent_dim == 11 and codec.latent_shape[0] == 4
    mu, logvar = codec.encode(small_store.read(np.arange(3)))
    assert mu.shape == logvar.shape == (3, 11) and codec.has_logvar
    assert codec.decode(mu).shape == (3, 2, 16, 16, 3)  # back at the store's size, whatever the model ran on
    assert main(["info", str(folder), "--device", "cpu"]) == 0
    info = capsys.readouterr().out
    assert f"diffusers {class_name}" in info and "latent of a" in info and "parameters on cpu" in info
    assert main(["eval", str(folder), str(small_store.path), "--device", "cpu", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_clips"] == 12 and len(report["psnr_per_frame"]) == 2 and report["latent_dim"] == 11


def test_a_plain_torch_module_through_module_factory(small_store, tmp_path, capsys):
    weights = save_tiny_module(tmp_path / "mine.safetensors")
    assert main(["embed", FACTORY, str(small_store.path), "--weights", str(weights), "--device", "cpu", "-q"]) == 0
    assert f"torch module {FACTORY}: latent 4×2×8×8 = 512 values, PCA 512 -> 11 dims" in capsys.readouterr().out
    source = ModelSource.parse(f"{FACTORY}@{weights}")
    assert source == ModelSource(str(weights), FACTORY) and source.spec() == f"{FACTORY}@{weights}"
    assert main(["info", FACTORY, "--weights", str(weights), "--device", "cpu"]) == 0
    assert "takes any number of frames, sizes in multiples of 2" in capsys.readouterr().out
    with pytest.raises(ModelSourceError, match="needs --weights"):
        ModelSource.parse(FACTORY)
    assert main(["embed", str(weights), str(small_store.path), "--device", "cpu"]) == 1
    assert "--model package.module:factory" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["diffusion_pytorch_model.bin", "pytorch_model.pt", "model.ckpt"])
def test_pickle_weights_are_refused_with_the_safetensors_explanation(name, small_store, tmp_path, capsys):
    folder = tmp_path / "pickled"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"_class_name": "AutoencoderKL"}), encoding="utf-8")
    (folder / name).write_bytes(b"\x80\x04not really a pickle")
    assert main(["embed", str(folder), str(small_store.path), "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert "pickle" in err and "safetensors" in err and "arbitrary code" in err
    assert main(["info", str(folder / name)]) == 1
    assert "pickle" in capsys.readouterr().err
    assert main(["explore", "--store", str(small_store.path), "--model", str(folder)]) == 1  # before Qt starts
    assert "pickle" in capsys.readouterr().err


def test_nothing_is_downloaded(small_store, tmp_path, monkeypatch):
    pytest.importorskip("diffusers")
    folder = save_tiny_diffusers("AutoencoderKLWan", tmp_path / "wan")
    tried = []

    def refuse(*args, **kwargs):
        tried.append(args)
        raise OSError("the network is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    codec = open_codec(str(folder), "cpu", small_store)
    assert codec.decode(codec.encode(small_store.read([0]))[0]).shape == (1, 2, 16, 16, 3)
    assert tried == []


def test_the_reduction_is_fitted_once_per_model_and_store(small_store, tmp_path, monkeypatch):
    from latentlab.ml.model_codec import ModelCodec

    weights = save_tiny_module(tmp_path / "mine.safetensors")
    spec = f"{FACTORY}@{weights}"
    first = open_codec(spec, "cpu", small_store)
    fits = []
    monkeypatch.setattr(ModelCodec, "fit_reduction", lambda self, clips, *a: fits.append(1))
    again = open_codec(spec, "cpu", small_store)
    assert fits == [] and again.weights_hash == first.weights_hash  # the saved basis: the latent cache is kept
    np.testing.assert_array_equal(again.reduction.components, first.reduction.components)


def test_a_diffusers_folder_without_diffusers_says_which_extra_to_install(small_store, tmp_path, monkeypatch):
    import sys

    from latentlab.ml.adapters.diffusers_vae import DiffusersError

    folder = tmp_path / "vae"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"_class_name": "AutoencoderKLWan"}), encoding="utf-8")
    (folder / "diffusion_pytorch_model.safetensors").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "diffusers", None)
    with pytest.raises(DiffusersError, match=r"pip install latentlab\[diffusers\]"):
        open_codec(str(folder), "cpu", small_store)
