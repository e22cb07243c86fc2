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
