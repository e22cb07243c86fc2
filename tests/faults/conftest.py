"""Shared inputs of the fault suite: a tiny store, a tiny untrained model, a project, and a CLI runner."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass

import pytest

from latentlab.cli import main
from latentlab.core.project import Project, save_project
from latentlab.media.demo_data import DemoSpec, write_demo_store

#: `latentlab train` options for a model that trains in a second on the fault suite's tiny stores.
TINY_TRAIN = ["--epochs", "1", "--batch-size", "8", "--latent-dim", "2", "--width", "4", "--device", "cpu"]


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """``cli(*argv)`` runs ``latentlab`` in-process: exit code, stdout and stderr (SystemExit included)."""

    def run(*argv) -> Result:
        capsys.readouterr()
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def one_line_error(result: Result, command: str) -> str:
    """Assert ``result`` is a refusal of ``command``: no traceback, one ``latentlab CMD: error:`` line."""
    assert "Traceback" not in result.err and "Traceback" not in result.out, result.err
    assert result.code in (1, 2), (result.code, result.err)
    lines = re.findall(rf"latentlab {command}: error:[^\r\n]*", result.err)  # a progress bar may precede it
    assert len(lines) == 1, result.err
    return lines[0]


@pytest.fixture(scope="session")
def base_store(tmp_path_factory):
    """24 procedural clips of 4 x 16 x 16 x 3 (never modified: copy it with ``store`` to change it)."""
    return write_demo_store(tmp_path_factory.mktemp("fault-store") / "store", DemoSpec(n_clips=24, frames=4, size=16))


@pytest.fixture
def store(base_store, tmp_path):
    """A private copy of ``base_store``, free to damage."""
    return shutil.copytree(base_store.path, tmp_path / "store")


@pytest.fixture(scope="session")
def base_checkpoint(tmp_path_factory):
    """An untrained model for the 4 x 16 x 16 x 3 clips (the weights do not matter here)."""
    from tests.tiny_models import save_tiny_checkpoint

    return save_tiny_checkpoint(tmp_path_factory.mktemp("fault-ck") / "model")


@pytest.fixture
def checkpoint(base_checkpoint, tmp_path):
    return shutil.copytree(base_checkpoint, tmp_path / "model")


@pytest.fixture
def project(store, base_checkpoint, tmp_path):
    """``tmp_path/proj/p.latentlab`` on ``store`` with the tag "cat" (clips 0, 2, 5)."""
    from latentlab.media.clip_store import ClipStore

    keys = ClipStore.open(store).clip_keys().tolist()
    tags = {"tags": [{"name": "cat", "colour": "#ff0000", "clips": [keys[i] for i in (0, 2, 5)]}], "orphans": {}}
    (tmp_path / "proj").mkdir()
    path = tmp_path / "proj" / "p.latentlab"
    save_project(
        Project(
            store=str(store), checkpoint=str(base_checkpoint), tags=tags, selections={"selections": [], "orphans": {}}
        ),
        path,
    )
    return path
