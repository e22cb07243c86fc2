"""Fixtures for media tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from latentlab.media.video_writer import write_video
from tests.media.helpers import moving_frames


@pytest.fixture
def make_video(tmp_path):
    """``make_video(name, n=24, h=48, w=64, fps=12)`` -> path of a video written in ``tmp_path``."""

    def make(name: str, n: int = 24, h: int = 48, w: int = 64, fps: float = 12.0, frames=None) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_video(path, moving_frames(n, h, w) if frames is None else frames, fps)
        return path

    return make
