import json
import pickle

import pytest
import torch

from latentlab.ml.checkpoint import CheckpointError, describe_checkpoint, load_checkpoint, read_config, save_checkpoint
from latentlab.ml.model import VideoVAE


@pytest.fixture
def bundle(tmp_path, tiny_config):
    torch.manual_seed(0)
    model = VideoVAE(tiny_config)
    path = tmp_path / "ckpt"
    save_checkpoint(
        path,
        model,
        training={"epochs": 1, "batch_size": 4, "lr": 1e-3, "seed": 0},
        data={"store_fingerprint": "abc"},
        metrics={"val_psnr": 20.0, "epoch": 1},
    )
    return path, model


def test_save_load_round_trip_gives_identical_outputs(bundle, tiny_config):
    path, model = bundle
    loaded, config = load_checkpoint(path)
    assert config["model"] == tiny_config.to_dict()
    assert config["schema_version"] == 1 and "torch" in config["versions"]
    x = torch.rand(2, *tiny_config.clip_shape)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model.encode(x)[0], loaded.encode(x)[0])
        assert torch.equal(model.decode(torch.ones(1, 4)), loaded.decode(torch.ones(1, 4)))
    assert not (path / "model.safetensors").read_bytes().startswith(b"\x80")  # not a pickle
    text = describe_checkpoint(path)
    assert "4 latents" in text and "PSNR 20.00" in text and "upconv decoder" in text


def _rewrite_weights(path, tensors, fix_hash=True):
    from safetensors.torch import save

    from latentlab.ml.checkpoint import content_hash

    blob = save(tensors)
    (path / "model.safetensors").write_bytes(blob)
    if fix_hash:  # keep config.json consistent so that the *content* check is what fails
        cfg = json.loads((path / "config.json").read_text())
        cfg["files"]["model.safetensors"]["blake2b"] = content_hash(blob)
        (path / "config.json").write_text(json.dumps(cfg))


def _fix_hash(path):
    from latentlab.ml.checkpoint import content_hash

    cfg = json.loads((path / "config.json").read_text())
    cfg["files"]["model.safetensors"]["blake2b"] = content_hash((path / "model.safetensors").read_bytes())
    (path / "config.json").write_text(json.dumps(cfg))


def test_truncated_safetensors(bundle):
    path, _ = bundle
    w = path / "model.safetensors"
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])
    _fix_hash(path)
    with pytest.raises(CheckpointError, match="damaged or not a safetensors"):
        load_checkpoint(path)


def test_random_bytes(bundle):
    path, _ = bundle
    (path / "model.safetensors").write_bytes(bytes(range(256)) * 40)
    _fix_hash(path)
    with pytest.raises(CheckpointError, match="damaged or not a safetensors"):
        load_checkpoint(path)


def test_weights_changed_behind_configs_back(bundle):
    path, model = bundle
    state = {k: v.clone() for k, v in model.state_dict().items()}
    _rewrite_weights(path, state, fix_hash=False)  # same names, other bytes (no metadata)
    with pytest.raises(CheckpointError, match="does not match config.json"):
        load_checkpoint(path)


def test_wrong_shape(bundle):
    path, model = bundle
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["enc_mlp.0.weight"] = torch.zeros(3, 3)
    _rewrite_weights(path, state)
    with pytest.raises(CheckpointError, match=r"'enc_mlp.0.weight' has shape \(3, 3\)"):
        load_checkpoint(path)


def test_missing_and_unexpected_tensors(bundle):
    path, model = bundle
    state = {k: v.clone() for k, v in model.state_dict().items()}
    del state["enc_mlp.0.bias"]
    state["evil"] = torch.zeros(1)
    _rewrite_weights(path, state)
    with pytest.raises(CheckpointError, match="missing tensors.*enc_mlp.0.bias.*unexpected tensors.*evil"):
        load_checkpoint(path)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_nan_or_inf_weights(bundle, value):
    path, model = bundle
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["enc_mlp.2.weight"][0, 0] = value
    _rewrite_weights(path, state)
    with pytest.raises(CheckpointError, match="'enc_mlp.2.weight' holds NaN or Inf"):
        load_checkpoint(path)


def test_missing_config(bundle):
    path, _ = bundle
    (path / "config.json").unlink()
    with pytest.raises(CheckpointError, match="has no config.json"):
        load_checkpoint(path)


def test_future_version_config(bundle):
    path, _ = bundle
    cfg = json.loads((path / "config.json").read_text())
    cfg["schema_version"] = 99
    (path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="newer latentlab"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: "not json {", "cannot be read as JSON"),
        (lambda c: json.dumps({**c, "format": "other"}), "not a latentlab checkpoint config"),
        (lambda c: json.dumps({**c, "schema_version": "1"}), "no valid schema_version"),
        (lambda c: json.dumps({**c, "model": {**c["model"], "latent_dim": -1}}), "latent_dim must be a positive"),
        (lambda c: json.dumps({**c, "model": {**c["model"], "extra": 1}}), "unknown keys"),
    ],
)
def test_bad_configs(bundle, edit, message):
    path, _ = bundle
    cfg = json.loads((path / "config.json").read_text())
    (path / "config.json").write_text(edit(cfg))
    with pytest.raises(CheckpointError, match=message):
        read_config(path)


def test_missing_weights_and_missing_folder(bundle, tmp_path):
    path, _ = bundle
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nowhere")
    (path / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="has no model.safetensors"):
        load_checkpoint(path)


class _Payload:
    """Unpickling this would create the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_payload_never_runs(bundle, tmp_path):
    path, _ = bundle
    marker = tmp_path / "PWNED"
    payload = pickle.dumps({"state_dict": _Payload(marker)})
    # 1. a pickle disguised as the weights file
    (path / "model.safetensors").write_bytes(payload)
    _fix_hash(path)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    # 2. a .pt file handed over directly
    pt = tmp_path / "model.pt"
    pt.write_bytes(payload)
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(pt)
    # 3. the resume state replaced by a pickle
    from latentlab.ml.codec import ClipCodec

    with pytest.raises(CheckpointError):
        ClipCodec.from_checkpoint(pt)
    assert not marker.exists()
    # the payload is real: unpickling it would have created the marker
    pickle.loads(payload)
    assert marker.exists()


def test_refuses_to_save_nan(tmp_path, tiny_config):
    model = VideoVAE(tiny_config)
    with torch.no_grad():
        model.enc_mlp[0].weight[0, 0] = float("nan")
    with pytest.raises(CheckpointError, match="NaN"):
        save_checkpoint(tmp_path / "x", model)


def test_a_save_killed_between_weights_and_config_leaves_the_previous_bundle(bundle, tiny_config, monkeypatch, caplog):
    from latentlab.ml import checkpoint

    path, old = bundle
    assert not (path / "model.safetensors.prev").exists()  # a finished save leaves no backup behind
    torch.manual_seed(1)
    new = VideoVAE(tiny_config)

    def killed(*_a, **_k):  # the process dies right after the weights were replaced
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "write_json_atomic", killed)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, new)
    monkeypatch.undo()
    with caplog.at_level("WARNING"):
        loaded, _ = load_checkpoint(path)
    assert "interrupted" in caplog.text
    for name, tensor in old.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor), name
    save_checkpoint(path, new)  # the next save completes and clears the backup
    assert not (path / "model.safetensors.prev").exists()
    assert all(torch.equal(load_checkpoint(path)[0].state_dict()[k], v) for k, v in new.state_dict().items())


@pytest.mark.parametrize("folder", ["demo", "digits"])
def test_the_bundled_models_name_their_store_not_a_path(folder):
    from latentlab.ml.checkpoint import describe_checkpoint, read_config
    from latentlab.paths import sample_checkpoint_dir

    data = read_config(sample_checkpoint_dir(folder))["data"]
    assert data["store_name"] and "store_path" not in data
    assert "store fingerprint" in describe_checkpoint(sample_checkpoint_dir(folder))


def test_an_older_config_with_a_store_path_still_reads(bundle):
    path, _ = bundle
    config = json.loads((path / "config.json").read_text())
    config["data"] = {"store_path": "clips", "store_fingerprint": "abc"}
    (path / "config.json").write_text(json.dumps(config))
    assert "data: clips; store fingerprint abc" in describe_checkpoint(path)
