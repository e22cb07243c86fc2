"""Application-layer fixtures: a tiny untrained model that records the sample data it goes with."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from latentlab.media.demo_data import DemoSpec

SPEC = DemoSpec(n_clips=48, frames=4, size=16, seed=3)


def save_demo_checkpoint(path: Path) -> Path:
    """A seeded, untrained 4-latent model for 4 x 16 x 16 clips whose config records :data:`SPEC`."""
    import torch

    from latentlab.ml.checkpoint import save_checkpoint
    from latentlab.ml.config import VAEConfig
    from latentlab.ml.model import VideoVAE

    torch.manual_seed(0)
    model = VideoVAE(VAEConfig(frames=4, height=16, width=16, latent_dim=4, base_width=4, frame_code=16))
    save_checkpoint(path, model, data={"demo_spec": asdict(SPEC)})
    return path


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return save_demo_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny")
