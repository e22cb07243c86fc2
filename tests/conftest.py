"""Shared test set-up: headless Qt, few torch threads, and helpers to make tiny inputs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _isolated_user_data(tmp_path_factory, monkeypatch):
    """Keep every test away from the real per-user cache folder and settings (QSettings reads
    $XDG_CONFIG_HOME/latentlab/explorer.conf: a dock layout left there by another run changed the
    window a subprocess test opened)."""
    monkeypatch.setenv("LATENTLAB_DATA", str(tmp_path_factory.mktemp("latentlab-data")))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
