"""Tiny models and stores for the ML tests: CPU, a handful of channels, seconds."""

from __future__ import annotations

import pytest

from latentlab.media.demo_data import DemoSpec, write_demo_store


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)  # deterministic and friendly to the other tests on 2 cores
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny_config():
    from latentlab.ml.config import VAEConfig

    return VAEConfig(frames=4, height=16, width=16, channels=3, latent_dim=4, base_width=4, frame_code=16)


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory):
    """96 procedural clips of 4 x 16 x 16 x 3."""
    return write_demo_store(tmp_path_factory.mktemp("store") / "demo", DemoSpec(n_clips=96, frames=4, size=16))
