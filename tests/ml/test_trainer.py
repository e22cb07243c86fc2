import threading

import pytest
import torch

from latentlab.ml.checkpoint import CheckpointError, load_checkpoint
from latentlab.ml.config import VAEConfig
from latentlab.ml.trainer import Trainer, TrainerCallback, TrainingError, TrainSettings

SETTINGS = TrainSettings(
    epochs=2, batch_size=8, lr=3e-3, lr_warmup=0.1, kl_warmup=0.25, val_fraction=0.1, seed=3, device="cpu"
)


class Recorder(TrainerCallback):
    def __init__(self, cancel_at=None, trainer=None):
        self.steps, self.epochs, self.total, self.end = [], [], None, None
        self.cancel_at, self.trainer = cancel_at, trainer

    def on_fit_start(self, total_steps, start_step):
        self.total = total_steps

    def on_step(self, step, metrics):
        self.steps.append((step, metrics))
        if step == self.cancel_at:
            self.trainer.cancel()

    def on_epoch_end(self, epoch, metrics):
        self.epochs.append((epoch, metrics))

    def on_fit_end(self, metrics):
        self.end = metrics


def _weights(path):
    return (path / "model.safetensors").read_bytes()


def test_fit_writes_a_loadable_bundle_and_reports_plain_numbers(tmp_path, tiny_config, tiny_store):
    rec = Recorder()
    out = tmp_path / "ck"
    metrics = Trainer(tiny_config, tiny_store, out, SETTINGS).fit([rec])
    assert rec.total == len(rec.steps) == 2 * (86 // 8)  # 96 clips, 10 for validation
    assert [e for e, _ in rec.epochs] == [1, 2]
    for _, m in rec.steps + rec.epochs:
        assert all(type(v) in (int, float) for v in m.values())
    assert {"nll", "kl", "loss", "mse", "lr", "beta"} <= set(rec.steps[0][1])
    assert metrics["epoch"] == 2 and metrics["val_psnr"] > 0
    model, config = load_checkpoint(out)
    assert config["data"]["store_fingerprint"] == tiny_store.fingerprint
    assert config["data"]["demo_spec"]["size"] == 16
    assert config["training"]["epochs"] == 2 and config["metrics"]["step"] == rec.total
    assert (out / "training_state.safetensors").is_file()
    assert rec.steps[0][1]["beta"] == 0.0 and rec.steps[-1][1]["beta"] == 1.0  # KL warm-up


def test_same_seed_same_weights_on_cpu(tmp_path, tiny_config, tiny_store):
    s = TrainSettings(**{**SETTINGS.to_dict(), "epochs": 1})
    Trainer(tiny_config, tiny_store, tmp_path / "a", s).fit()
    Trainer(tiny_config, tiny_store, tmp_path / "b", s).fit()
    assert _weights(tmp_path / "a") == _weights(tmp_path / "b")


@pytest.mark.parametrize("cancel_at", [4, 10, 15])  # mid-epoch, at the epoch boundary, in epoch 2
def test_resume_equals_an_uninterrupted_run(tmp_path, tiny_config, tiny_store, cancel_at):
    Trainer(tiny_config, tiny_store, tmp_path / "full", SETTINGS).fit()
    trainer = Trainer(tiny_config, tiny_store, tmp_path / "cut", SETTINGS)
    rec = Recorder(cancel_at=cancel_at, trainer=trainer)
    trainer.fit([rec])
    assert rec.steps[-1][0] == cancel_at
    assert _weights(tmp_path / "cut") != _weights(tmp_path / "full")
    # resume ignores the model config it is given: the checkpoint's own is used
    other = VAEConfig(**{**tiny_config.to_dict(), "latent_dim": 9})
    rec2 = Recorder()
    Trainer(other, tiny_store, tmp_path / "cut", SETTINGS, resume=True).fit([rec2])
    assert rec2.steps[0][0] == cancel_at + 1
    assert _weights(tmp_path / "cut") == _weights(tmp_path / "full")


def test_cancel_from_another_thread(tmp_path, tiny_config, tiny_store):
    started = threading.Event()

    class Signal(TrainerCallback):
        def on_step(self, step, metrics):
            started.set()

    trainer = Trainer(tiny_config, tiny_store, tmp_path / "ck", TrainSettings(**{**SETTINGS.to_dict(), "epochs": 50}))
    result = {}
    worker = threading.Thread(target=lambda: result.update(trainer.fit([Signal()])))
    worker.start()
    assert started.wait(60)
    trainer.cancel()
    worker.join(60)
    assert not worker.is_alive()
    assert trainer.cancelled and result["step"] < 50 * 10
    load_checkpoint(tmp_path / "ck")  # the cancelled run saved a usable bundle


def test_geometry_mismatch_and_nothing_to_resume(tmp_path, tiny_store):
    with pytest.raises(TrainingError, match="the model expects"):
        Trainer(VAEConfig(frames=8, height=16, width=16), tiny_store, tmp_path / "ck", SETTINGS)
    with pytest.raises(CheckpointError, match="does not exist"):
        Trainer(VAEConfig(), tiny_store, tmp_path / "none", SETTINGS, resume=True)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="no config.json"):
        Trainer(VAEConfig(), tiny_store, tmp_path / "empty", SETTINGS, resume=True)


def test_resume_refuses_a_bad_training_state(tmp_path, tiny_config, tiny_store):
    import pickle

    out = tmp_path / "ck"
    Trainer(tiny_config, tiny_store, out, TrainSettings(**{**SETTINGS.to_dict(), "epochs": 1})).fit()
    marker = tmp_path / "PWNED"
    from tests.ml.test_checkpoint import _Payload

    (out / "training_state.safetensors").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(CheckpointError, match="does not match training_state.json"):
        Trainer(tiny_config, tiny_store, out, SETTINGS, resume=True).fit()
    (out / "training_state.json").write_text('{"schema_version": 1, "weights_blake2b": "x"}')
    with pytest.raises(CheckpointError, match="belongs to other weights"):
        Trainer(tiny_config, tiny_store, out, SETTINGS, resume=True).fit()
    assert not marker.exists()


def test_resume_refuses_a_malformed_optimizer_state_in_words(tmp_path, tiny_config, tiny_store):
    """A state whose hashes match but whose optimizer entries are malformed (hand-edited, or another
    tool's) is a CheckpointError, not a ValueError from deep inside the loader."""
    import json

    out = tmp_path / "ck"
    Trainer(tiny_config, tiny_store, out, TrainSettings(**{**SETTINGS.to_dict(), "epochs": 1})).fit()
    meta_path = out / "training_state.json"
    meta = json.loads(meta_path.read_text())
    for bad in ({"x": 1}, ["not", "a", "dict"]):  # scalars of a parameter that are not a mapping
        meta["optimizer"]["scalars"] = {"0": bad} if isinstance(bad, list) else {"zero": bad}
        meta_path.write_text(json.dumps(meta))
        with pytest.raises(CheckpointError, match="malformed"):
            Trainer(tiny_config, tiny_store, out, SETTINGS, resume=True).fit()
    meta["optimizer"] = "Adam"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="holds str state"):
        Trainer(tiny_config, tiny_store, out, SETTINGS, resume=True).fit()


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_training_and_codec(tmp_path, tiny_config, tiny_store):
    from latentlab.ml.codec import ClipCodec

    s = TrainSettings(**{**SETTINGS.to_dict(), "epochs": 1, "device": "auto"})
    Trainer(tiny_config, tiny_store, tmp_path / "ck", s).fit()
    codec = ClipCodec.from_checkpoint(tmp_path / "ck", device="cuda")
    assert codec.device.startswith("cuda")
    clips = tiny_store.read(range(4))
    gpu = codec.reconstruct(clips)
    cpu = ClipCodec.from_checkpoint(tmp_path / "ck", device="cpu").reconstruct(clips)
    assert abs(gpu.astype(int) - cpu.astype(int)).max() <= 2


def test_a_non_finite_loss_stops_before_the_update(tmp_path, tiny_config, tiny_store, monkeypatch):
    """The weights a user could save after a blow-up must still be finite: stop before the step."""
    from latentlab.ml import trainer as trainer_module

    real = trainer_module.model_loss
    seen = {}

    def poisoned(wrapped, model, x, beta, noise):
        seen["model"] = model
        loss, m = real(wrapped, model, x, beta, noise)
        return loss * float("nan"), dict(m, loss=float("nan"))

    monkeypatch.setattr(trainer_module, "model_loss", poisoned)
    with pytest.raises(TrainingError, match="at step 1"):
        Trainer(tiny_config, tiny_store, tmp_path / "ck", SETTINGS).fit()
    assert all(torch.isfinite(p).all() for p in seen["model"].parameters())


def test_a_save_interval_writes_the_bundle_once_at_the_end_of_a_short_run(
    tmp_path, tiny_config, tiny_store, monkeypatch
):
    import dataclasses

    saves = []
    original = Trainer._save
    monkeypatch.setattr(Trainer, "_save", lambda self, *a: (saves.append(a[5]), original(self, *a)))
    settings = dataclasses.replace(SETTINGS, epochs=3, save_interval_s=3600.0)
    Trainer(tiny_config, tiny_store, tmp_path / "ck", settings).fit()
    assert len(saves) == 1  # not after each of the 3 epochs
    assert load_checkpoint(tmp_path / "ck")[1]["metrics"]["epoch"] == 3
    saves.clear()
    Trainer(tiny_config, tiny_store, tmp_path / "ck2", dataclasses.replace(settings, save_interval_s=0.0)).fit()
    assert len(saves) == 3  # 0: after every epoch
