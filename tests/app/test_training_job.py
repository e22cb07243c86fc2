"""The training job's control without a window: pause and stop asked for before and after the run starts."""

from __future__ import annotations

import numpy as np

from latentlab.app.training_job import TrainingControl, sample_field
from latentlab.media.demo_data import DemoSpec, write_demo_store


class _Live:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause(self) -> None:
        self.calls.append("pause")

    def resume(self) -> None:
        self.calls.append("resume")

    def stop(self) -> None:
        self.calls.append("stop")


def test_requests_made_before_the_run_exists_are_applied_when_it_does():
    control, live = TrainingControl(), _Live()
    control.pause()
    control.stop()
    assert control.paused and live.calls == []
    control.adopt(live)
    assert live.calls == ["pause", "stop"]


def test_a_resume_before_the_run_cancels_the_pause():
    control, live = TrainingControl(), _Live()
    control.pause()
    control.resume()
    assert not control.paused
    control.adopt(live)
    assert live.calls == []


def test_requests_go_to_the_run_until_it_is_released():
    control, live = TrainingControl(), _Live()
    control.adopt(live)
    control.pause()
    control.resume()
    control.release()
    control.stop()  # the run has ended: kept for no one
    assert live.calls == ["pause", "resume"]


def test_the_epoch_map_is_coloured_by_the_demo_shape(tmp_path):
    store = write_demo_store(tmp_path / "s", DemoSpec(n_clips=6, frames=2, size=8))
    field = sample_field(store, np.array([0, 2, 4]))
    assert field is not None and field.name == "shape" and field.values.shape == (3,)


def test_the_window_trains_a_users_videos_with_the_command_lines_recipe(tmp_path):
    """Start at PCA, validate on the last moments of every video, keep the best (as `latentlab train`)."""
    import json

    from latentlab.app.training_job import TrainingEvents, TrainRequest, run_training
    from tests.video_stores import random_video_store

    store = random_video_store(tmp_path / "videos", clips_per_video=24)
    request = TrainRequest(
        str(store.path),
        str(tmp_path / "ck"),
        latent_dim=4,
        epochs=1,
        batch_size=8,
        device="cpu",
        sample_size=16,
        model={"base_width": 4, "frame_code": 16},
        settings={"val_fraction": 0.2},
    )
    quiet = TrainingEvents(*(lambda *a: None for _ in range(5)))
    run_training(request, quiet, TrainingControl(), lambda *a: None, lambda: False)
    config = json.loads((tmp_path / "ck" / "config.json").read_text())
    assert config["model"]["linear_path"] is True
    assert config["training"]["split"] == "time" and config["training"]["keep_best"] is True
    assert config["training"]["augment"] == []
