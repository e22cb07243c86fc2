"""The train and eval commands end to end on a tiny store, and DDP with two gloo processes."""

import json
import os
import signal
import subprocess
import sys

import pytest

from latentlab.cli import main
from latentlab.ml.checkpoint import load_checkpoint


def _train_args(store, out, *extra):
    return [
        "train",
        str(store),
        "-o",
        str(out),
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--latent-dim",
        "4",
        "--width",
        "4",
        "--device",
        "cpu",
        "--val-fraction",
        "0.1",
        *extra,
    ]


def test_train_then_eval(tmp_path, tiny_store, capsys):
    out = tmp_path / "ck"
    assert main(_train_args(tiny_store.path, out)) == 0
    load_checkpoint(out)
    assert main(_train_args(tiny_store.path, out)) == 2  # refuses to overwrite
    assert "--resume" in capsys.readouterr().err
    assert main(_train_args(tiny_store.path, out, "--resume", "--epochs", "2")) == 0
    assert json.loads((out / "config.json").read_text())["metrics"]["epoch"] == 2
    capsys.readouterr()
    assert (
        main(
            [
                "eval",
                str(out),
                str(tiny_store.path),
                "--json",
                "--baseline-clips",
                "4",
                "--split",
                "val",
                "--judge-steps",
                "5",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    q = report["quality"]
    assert q["class_factor"] == "shape" and 0 <= q["judge_recon"] <= 1 and 0 <= q["prior_confident"] <= 1
    assert q["pca_psnr"] > q["mean_clip_psnr"] and "x_mid" in q["probes_r2"] and q["active_units"] <= 4
    assert report["n_clips"] == 10 and len(report["psnr_per_frame"]) == 4
    assert len(report["kl_per_dim"]) == 4 and 0 <= report["active_units"] <= 4
    comp = report["compression"]
    assert comp["latent_bytes_per_clip"] == 8 and comp["raw_bytes_per_clip"] == 4 * 16 * 16 * 3
    for fourcc in ("MJPG", "mp4v"):
        nearest = comp["baselines"][fourcc]["nearest"]
        assert nearest["bytes_per_clip"] > 0 and nearest["psnr"] > 0
        assert nearest["reached"] or "cannot get that small" in nearest["note"]
    assert main(["eval", str(out), str(tiny_store.path), "--codec-clips", "0", "--no-judge"]) == 0
    text = capsys.readouterr().out
    assert "active units" in text and "PCA with 4 dimensions" in text and "judge" not in text


def test_train_the_conv_decoder(tmp_path, tiny_store):
    out = tmp_path / "conv"
    assert main(_train_args(tiny_store.path, out, "--decoder", "conv")) == 0
    assert json.loads((out / "config.json").read_text())["model"]["decoder"] == "conv"
    model, _ = load_checkpoint(out)
    assert model.config.decoder == "conv" and type(model.decoder).__name__ == "ConvDecoder"


def test_cli_errors_are_messages(tmp_path, tiny_store, capsys):
    assert main(["train", str(tmp_path / "nostore"), "-o", str(tmp_path / "ck")]) == 1
    err = capsys.readouterr().err
    assert "not a clip store" in err and err.startswith("latentlab train: error:")
    assert not (tmp_path / "ck").exists()  # nothing created for a command that could not start
    assert main(["eval", str(tmp_path / "nock"), str(tiny_store.path)]) == 1
    assert capsys.readouterr().err.startswith("latentlab eval: error: checkpoint")
    with pytest.raises(SystemExit) as exc:
        main(_train_args(tiny_store.path, tmp_path / "ck", "--latent-dim", "0"))
    assert exc.value.code == 2 and "--latent-dim" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # a rate target of no nats
        main(_train_args(tiny_store.path, tmp_path / "ck", "--kl-target", "0"))
    assert exc.value.code == 2 and "--kl-target" in capsys.readouterr().err


def test_ddp_two_gloo_processes(tmp_path, tiny_store):
    out = tmp_path / "ddp"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--standalone",
        "-m",
        "latentlab",
        *_train_args(tiny_store.path, out, "--epochs", "2", "--kl-target", "0.5"),
    ]
    # A new session, so that on a timeout the whole group (torchrun and its workers) is killed:
    # subprocess.run's timeout would kill torchrun alone and leave its workers orphaned.
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        _, stderr = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    assert proc.returncode == 0, stderr[-3000:]
    model, config = load_checkpoint(out)  # loads in this single process: no DDP 'module.' names
    assert config["training"]["world_size"] == 2
    # each process saw half of the 86 training clips: 5 steps of 8 per epoch
    assert config["metrics"]["step"] == 2 * (86 // 2 // 8)
    assert not list(out.glob("*.tmp"))
    # the rate target adapts beta from the KL averaged over both processes (one all-reduce a step)
    assert config["model"]["beta"] > 1.0


def test_train_with_a_time_budget_held_out_video_and_augmentation(tmp_path, capsys):
    """--minutes stops the run and saves it; --val-source holds whole videos out and says so."""
    from tests.video_stores import random_video_store

    store = random_video_store(tmp_path / "two")
    out = tmp_path / "ck"
    args = [
        "train",
        str(store.path),
        "-o",
        str(out),
        "--epochs",
        "1000",
        "--minutes",
        "0.02",
        "--batch-size",
        "8",
        "--latent-dim",
        "4",
        "--width",
        "4",
        "--frame-code",
        "64",
        "--device",
        "cpu",
        "--val-source",
        "b.mp4",
    ]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "validation videos (held out of training): b.mp4" in captured.out
    assert "warning: 40 training clips" in captured.err  # too few for the model
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["minutes"] == 0.02 and config["metrics"]["epoch"] < 1000
    assert config["metrics"]["train_seconds"] < 10
    # 'auto' for videos: start at PCA, no flips or crops, keep the best validation ELBO
    assert config["model"]["linear_path"] is True and config["training"]["augment"] == []
    assert config["training"]["keep_best"] is True
    assert config["data"]["val_sources"] == ["b.mp4"] and config["data"]["n_val"] == 40
    assert "/videos" not in json.dumps(config["data"])  # no machine path in a checkpoint
    assert main([*args[:3], str(tmp_path / "ck2"), *args[4:-1], "nope.mp4"]) == 1  # a user error
    assert "no video of that name" in capsys.readouterr().err
    assert main([*args[:3], str(tmp_path / "ck3"), *args[4:], "--linear-path", "off", "--kl-target", "30"]) == 0
    config = json.loads((tmp_path / "ck3" / "config.json").read_text())
    assert config["model"]["linear_path"] is False and config["training"]["augment"] == ["flip", "crop", "time"]
    assert config["training"]["kl_target"] == 30.0
