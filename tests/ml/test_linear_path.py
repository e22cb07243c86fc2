"""The PCA-started linear path: the model begins as probabilistic PCA, and old checkpoints still load."""

import dataclasses

import numpy as np
import pytest
import torch

from latentlab.core.baselines import PixelPCA
from latentlab.ml.checkpoint import load_checkpoint
from latentlab.ml.config import ConfigError, VAEConfig
from latentlab.ml.data import to_model_layout
from latentlab.ml.model import VideoVAE, upgrade_state
from latentlab.ml.trainer import Trainer, TrainSettings


def _clips(store):
    return store.read(np.arange(len(store)))  # (N, T, H, W, C) uint8


def test_after_fitting_the_model_reconstructs_exactly_like_pca_with_a_whitened_latent(tiny_config, tiny_store):
    cfg = dataclasses.replace(tiny_config, linear_path=True)
    torch.manual_seed(0)
    model = VideoVAE(cfg).eval()
    u8 = _clips(tiny_store)
    x = to_model_layout(torch.from_numpy(u8))
    model.fit_linear_path(x)
    with torch.no_grad():
        mu, logvar = model.encode(x)
        recon = model.reconstruct(x)
    pca = PixelPCA.fit(u8, cfg.latent_dim)
    ours = recon.permute(0, 2, 3, 4, 1).numpy() * 255.0
    theirs = pca.reconstruct(u8).astype(np.float64)
    # the same subspace: reconstructions agree to well under a grey level (PCA's own are rounded to uint8)
    assert np.abs(ours - theirs).mean() < 1.0
    assert mu.std(0).numpy() == pytest.approx(np.ones(cfg.latent_dim), abs=0.05)  # whitened: unit variance
    assert mu.mean(0).abs().max() < 1e-3
    # posterior variance as probabilistic PCA has it: sigma^2 / s^2, far below the prior's 1
    assert (logvar < -2).all()


def test_the_residual_networks_start_at_zero_and_learn(tiny_config, tiny_store, tmp_path):
    cfg = dataclasses.replace(tiny_config, linear_path=True)
    out = tmp_path / "ck"
    settings = TrainSettings(epochs=2, batch_size=8, lr=3e-3, val_fraction=0.1, seed=1, device="cpu")
    Trainer(cfg, tiny_store, out, settings).fit()
    model, config = load_checkpoint(out)
    assert config["model"]["linear_path"] is True
    assert model.decoder.ups[-1].weight.abs().sum() > 0  # the residual decoder learnt (it starts at zero)
    assert model.enc_mlp[-1].weight[: cfg.latent_dim].abs().sum() > 0  # and the residual encoder
    assert model.linear_path.dec.abs().sum() > 0  # fitted, not the zeros it is built with


def test_a_linear_path_needs_the_gaussian_likelihood():
    with pytest.raises(ConfigError, match="linear_path"):
        VAEConfig(linear_path=True, likelihood="bernoulli")


def test_configs_written_before_the_linear_path_load_without_it():
    data = VAEConfig().to_dict()
    del data["linear_path"]
    assert VAEConfig.from_dict(data).linear_path is False


def test_weights_named_as_older_versions_named_them_are_renamed(tiny_config):
    for decoder, old in (("upconv", "upconv_decoder."), ("tokens", "token_decoder.")):
        cfg = dataclasses.replace(tiny_config, decoder=decoder)
        state = {
            (old + k[len("decoder.") :] if k.startswith("decoder.") else k): v
            for k, v in VideoVAE(cfg).state_dict().items()
        }
        VideoVAE(cfg).load_state_dict(upgrade_state(state))  # strict: every name matches
    cfg = dataclasses.replace(tiny_config, decoder="conv")
    state = {
        k.replace("decoder.", "", 1) if k.startswith("decoder.") else k: v
        for k, v in VideoVAE(cfg).state_dict().items()
    }  # dec_in.weight, frame_decoder.out.bias, ...
    assert "frame_decoder.out.bias" in state
    VideoVAE(cfg).load_state_dict(upgrade_state(state))


def test_keep_best_ends_with_the_weights_of_the_best_validation_elbo(tiny_config, tiny_store, tmp_path):
    from latentlab.media.clip_store import ClipStore
    from latentlab.ml.data import split_indices
    from latentlab.ml.metrics import evaluate_elbo

    cfg = dataclasses.replace(tiny_config, linear_path=True)
    out = tmp_path / "ck"
    settings = TrainSettings(
        epochs=4, batch_size=8, lr=0.05, val_fraction=0.2, seed=2, device="cpu", split="time", keep_best=True
    )
    trainer = Trainer(cfg, tiny_store, out, settings)
    final = trainer.fit()
    seen = [h["val_loss"] for h in trainer.history]
    assert final["val_loss"] <= min(seen) + 1e-6  # the best of every epoch (or the PCA start, if better)
    assert final["best_step"] <= final["last_step"]
    model, _ = load_checkpoint(out)
    _, val = split_indices(ClipStore.open(tiny_store.path), 0.2, 2, by="time")
    again = evaluate_elbo(model, tiny_store, val, batch_size=256, seed=2)
    assert again["val_loss"] == pytest.approx(final["val_loss"], rel=1e-4)  # the saved weights are those


def test_a_time_split_holds_out_the_last_moments_of_every_video(tmp_path):
    from latentlab.media.clip_store import ClipGeometry, ClipStore
    from latentlab.ml.data import held_out_sources, split_indices, split_note

    store = ClipStore.create(tmp_path / "two", ClipGeometry(4, 8, 8, 1))
    for name, n in (("a.mp4", 20), ("b.mp4", 10)):
        with store.appender({"path": f"/videos/{name}", "fingerprint": name, "status": "ok"}) as app:
            t = np.arange(n)[::-1] / 3.0  # appended out of time order: the split must sort by time
            app.append_batch(
                np.zeros((n, 4, 8, 8, 1), np.uint8),
                start_frame=(t * 3).astype(int) * 4,
                end_frame=(t * 3).astype(int) * 4 + 4,
                start_time=t,
                end_time=t + 1 / 3,
                fps=np.full(n, 12.0),
            )
    train, val = split_indices(store, 0.2, by="time")
    table = store.table
    for sid, k in ((0, 4), (1, 2)):
        mine = val[table["source_id"][val] == sid]
        assert len(mine) == k
        rest = train[table["source_id"][train] == sid]
        assert table["start_time"][mine].min() > table["start_time"][rest].max()
    # every video keeps clips in training: none is "held out", and the record says how it was split
    assert held_out_sources(store, val) == []
    assert split_note(store, "time", 0.2) == "in time (the last 20% of each video's clips)"
    _, val = split_indices(store, 0.2, by="sources")
    assert held_out_sources(store, val) == ["a.mp4"] and len(val) == 20  # one whole video, chosen by the seed
    assert split_note(store, "sources", 0.2) == "by source"
