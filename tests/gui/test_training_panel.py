"""Training from the window: a tiny 2-epoch run on a 48-clip store, pause, stop, resume, open."""

from __future__ import annotations

import os

import numpy as np
import pytest

from latentlab.media.demo_data import DemoSpec, write_demo_store

MODEL = {"base_width": 4, "frame_code": 16}
SETTINGS = {"lr": 3e-3, "lr_warmup": 0.1, "kl_warmup": 0.25, "val_fraction": 0.1, "seed": 3}
STEPS_PER_EPOCH = 43 // 8  # 48 clips, 5 for validation
WAIT_MS = 120_000


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    return write_demo_store(tmp_path_factory.mktemp("store") / "sprites", DemoSpec(n_clips=48, frames=4, size=16))


@pytest.fixture
def panel(window, tiny_store, monkeypatch):
    monkeypatch.setenv("LATENTLAB_TORCH_THREADS", "1")
    p = window.context.training.panel
    p.store_edit.setText(str(tiny_store.path))
    p.latent_dim.setValue(4)
    p.epochs.setValue(2)
    p.batch_size.setValue(8)
    p.device.setCurrentText("cpu")
    return p


def _request(panel, out, **kw):
    return panel.make_request(output=str(out), model=MODEL, settings=SETTINGS, **kw)


def _start_paused(qtbot, panel, request):
    """Start with a pause already asked for: the run holds right after its first step."""
    with qtbot.waitSignal(panel.paused_changed, timeout=WAIT_MS, check_params_cb=lambda p: p):
        panel.start(request)
        panel.toggle_pause()


def test_the_device_choices_are_the_ml_ones(panel):
    from latentlab.ml.config import DEVICE_CHOICES
    from latentlab.ml.device import DEVICE_CHOICES as ML_CHOICES

    assert tuple(panel.device.itemText(i) for i in range(panel.device.count())) == DEVICE_CHOICES == ML_CHOICES


def test_a_two_epoch_run_draws_curves_and_maps_and_its_bundle_opens(qtbot, window, panel, tmp_path, tiny_store):
    from latentlab.ml.checkpoint import load_checkpoint

    assert not window.context.training.dock.isVisible()
    [train_action] = [a for a in window.file_menu.actions() if a.text() == "&Train a model…"]
    train_action.trigger()
    assert window.context.training.dock.isVisible()
    out = tmp_path / "model"
    epochs_seen = []
    panel.epoch_shown.connect(epochs_seen.append)
    assert not panel.open_button.isEnabled() and not panel.compare_button.isEnabled()
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS) as done:
        panel.start(_request(panel, out))
        assert panel.running and not panel.start_button.isEnabled() and panel.stop_button.isEnabled()
    assert done.args == ["done"]
    assert epochs_seen == [1, 2] and panel.epoch_map.updates == 2
    x, y = panel.loss.smooth["nll"].getData()
    assert len(x) == len(y) == 2 * STEPS_PER_EPOCH and list(x) == list(range(1, 2 * STEPS_PER_EPOCH + 1))
    assert np.isfinite(y).all() and len(panel.loss.raw["kl"].getData()[0]) == 2 * STEPS_PER_EPOCH
    assert len(panel.epoch_map.points.data) == 48  # every clip of the tiny store is in the sample
    assert "epoch 2" in panel.epoch_map.caption.text() and "shape" in panel.epoch_map.caption.text()
    assert len(panel.epoch_map.legend.items) == len(np.unique(tiny_store.factors()["shape"]))  # one per shape
    model, config = load_checkpoint(out)
    assert config["metrics"]["epoch"] == 2 and config["model"]["latent_dim"] == 4
    assert "done" in panel.message and panel.open_button.isEnabled() and not panel.resume_box.isChecked()
    window.context.training.dock.resize(560, 900)
    shot = tmp_path / "training_panel.png"
    assert panel.grab().save(str(shot)) and shot.stat().st_size > 0
    if os.environ.get("LATENTLAB_SHOTS"):  # keep a copy to look at
        panel.grab().save(os.path.join(os.environ["LATENTLAB_SHOTS"], "training_panel.png"))

    with qtbot.waitSignal(
        window.runner.job_finished, timeout=WAIT_MS, check_params_cb=lambda job: job.name.startswith("open")
    ):
        panel.open_button.click()
    qtbot.waitUntil(lambda: window.checkpoint == str(out), timeout=WAIT_MS)
    assert window.state.dataset.n_clips == 48 and window.state.dataset.latent_dim == 4
    # the explorer now shows this store: the run can be compared with the open model (here: itself)
    assert panel.compare_button.isEnabled()
    with qtbot.waitSignal(window.context.compare.opened, timeout=WAIT_MS) as got:
        panel.compare_button.click()
    assert got.args[0].sides["b"].checkpoint == str(out) and got.args[0].point_count("b") == 48


def test_pause_holds_the_run_and_resume_goes_on(qtbot, window, panel, tmp_path):
    states = []
    panel.paused_changed.connect(states.append)
    _start_paused(qtbot, panel, _request(panel, tmp_path / "model"))
    assert (
        panel.loss.steps == [1]
        and panel.pause_button.text() == "Resume"
        and "paused after step 1" in panel.status.text()
    )
    # Let another job go through the runner and back: the held run must report no step meanwhile.
    with qtbot.waitSignal(window.runner.job_finished, timeout=WAIT_MS):
        window.runner.submit("ping", lambda ctx: None)
    assert panel.loss.steps == [1] and panel.running
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS) as done:
        panel.toggle_pause()
    assert done.args == ["done"] and states == [True, False]
    assert panel.loss.steps == list(range(1, 2 * STEPS_PER_EPOCH + 1)) and panel.epoch_map.updates == 2


def test_stop_in_epoch_one_saves_a_whole_bundle_and_start_with_resume_continues(qtbot, window, panel, tmp_path):
    from latentlab.ml.checkpoint import load_checkpoint

    out = tmp_path / "model"
    _start_paused(qtbot, panel, _request(panel, out))
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS) as done:
        panel.stop()
    assert done.args == ["stopped"] and panel.epoch_map.updates == 0 and panel.loss.steps == [1]
    _, config = load_checkpoint(out)
    assert config["metrics"]["step"] == 1 and config["metrics"]["epoch"] == 0
    assert sorted(p.name for p in out.iterdir()) == [  # no temporary or half-written file is left
        "config.json",
        "model.safetensors",
        "training_state.json",
        "training_state.safetensors",
    ]
    assert panel.resume_box.isChecked() and "resume" in panel.message and panel.open_button.isEnabled()

    with pytest.raises(ValueError, match="already holds a checkpoint"):
        panel.start(_request(panel, out, resume=False))
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS) as done:
        panel.start(_request(panel, out))  # the form has "resume" ticked now
    assert done.args == ["done"] and panel.epoch_map.updates == 2
    assert panel.loss.steps == list(range(1, 2 * STEPS_PER_EPOCH + 1))  # step 1 kept, the rest appended
    _, config = load_checkpoint(out)
    assert config["metrics"]["epoch"] == 2 and config["metrics"]["step"] == 2 * STEPS_PER_EPOCH


def test_closing_the_window_stops_a_paused_run_and_joins_its_thread(qtbot, window, panel, tmp_path):
    from latentlab.ml.checkpoint import load_checkpoint

    out = tmp_path / "model"
    _start_paused(qtbot, panel, _request(panel, out))
    job = panel.job
    window.close()
    assert job.thread.isFinished()
    _, config = load_checkpoint(out)
    assert config["metrics"]["step"] == 1


def test_bad_settings_fail_with_a_message_in_the_panel(qtbot, window, panel, tmp_path):
    panel.batch_size.setValue(64)  # more than the 43 training clips
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS) as done:
        panel.start(_request(panel, tmp_path / "model"))
    assert done.args == ["failed"] and "fewer than one batch" in panel.message
    assert panel.start_button.isEnabled() and not panel.open_button.isEnabled()
    panel.store_edit.setText("")
    with pytest.raises(ValueError, match="choose the clip store"):
        panel.make_request()


def test_a_resumed_run_aligns_its_first_map_to_the_map_on_screen(qtbot, window, panel, tmp_path):
    out = tmp_path / "model"
    panel.epochs.setValue(1)
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS):
        panel.start(_request(panel, out))
    shown = panel.epoch_map.coords.copy()
    assert shown.shape == (48, 2)
    panel.epochs.setValue(2)  # train one epoch more
    panel.resume_box.setChecked(True)
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS) as done:
        panel.start(_request(panel, out))
        assert np.array_equal(panel.request.previous_map, shown)
    assert done.args == ["done"] and panel.epoch_map.updates == 2
    assert panel.loss.steps == list(range(1, 2 * STEPS_PER_EPOCH + 1))
