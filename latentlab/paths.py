"""Where the bundled resources and checkpoints are, in a wheel or a source checkout."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def _package_dir(package: str, fallback: str) -> Path:
    try:
        path = Path(str(resources.files(package)))
        if path.is_dir():
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / fallback


def resources_dir() -> Path:
    """Folder of icons, stylesheets and other files the GUI loads."""
    return _package_dir("latentlab._resources", "resources")


def checkpoints_dir() -> Path:
    """Folder of the bundled checkpoints (``demo/`` is the demo model)."""
    return _package_dir("latentlab._checkpoints", "checkpoints")


def demo_checkpoint_dir() -> Path:
    """The bundled demo model: ``config.json`` + ``model.safetensors``."""
    return checkpoints_dir() / "demo"


def sample_checkpoint_dir(folder: str) -> Path:
    """A bundled sample-data model: ``checkpoints/<folder>`` (see ``media.sample_data``)."""
    return checkpoints_dir() / folder


def user_data_dir() -> Path:
    """Per-user cache folder (demo store, latents); ``LATENTLAB_DATA`` overrides it."""
    env = os.environ.get("LATENTLAB_DATA")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "latentlab"
