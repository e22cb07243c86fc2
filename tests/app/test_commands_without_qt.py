"""Every command but ``explore`` runs where Qt cannot be imported: a subprocess whose ``sitecustomize``
makes PySide6, pyqtgraph and superqt raise ImportError (a server, a CI box, a headless container)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from latentlab.cli import ALIASES, COMMANDS
from latentlab.core.project import Project, save_project
from tests.app.conftest import SPEC, save_demo_checkpoint

BLOCKER = '''
import sys

BLOCKED = ("PySide6", "shiboken6", "pyqtgraph", "superqt")


class _NoQt:
    """Refuse the Qt packages, as on a machine without them."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not importable here (tests/app/test_commands_without_qt.py)")
        return None


sys.meta_path.insert(0, _NoQt())
'''


@pytest.fixture(scope="module")
def no_qt(tmp_path_factory):
    """``run(*args)``: ``python -m latentlab *args`` with Qt made unimportable; returns the CompletedProcess."""
    site = tmp_path_factory.mktemp("no-qt")
    (site / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")

    def run(*args, check: bool = True) -> subprocess.CompletedProcess:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])))
        env.pop("QT_QPA_PLATFORM", None)
        proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=300)
        if check:
            assert proc.returncode == 0, (args, proc.stderr[-3000:])
            assert "PySide6" not in proc.stderr, proc.stderr[-3000:]
        return proc

    return run


def test_qt_is_really_blocked(no_qt):
    proc = no_qt("-c", "import PySide6", check=False)
    assert proc.returncode != 0 and "not importable here" in proc.stderr


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "explore"] + list(ALIASES))
def test_help_of_every_command(no_qt, command):
    proc = no_qt("-m", "latentlab", command, "--help")
    assert "usage: latentlab" in proc.stdout


@pytest.mark.slow
def test_demo_data_embed_map_info_and_export_of_a_demo_project(no_qt, tmp_path):
    checkpoint = save_demo_checkpoint(tmp_path / "model")
    store = tmp_path / "clips"
    no_qt("-m", "latentlab", "demo-data", "-o", store, "--n", "24", "--frames", "4", "--size", "16", "-q")
    no_qt("-m", "latentlab", "embed", checkpoint, store, "--device", "cpu", "-q")
    assert "pca by" in no_qt("-m", "latentlab", "map", store, "-q").stdout
    assert "pca by" in no_qt("-m", "latentlab", "project", store, "-q").stdout  # the old name still works
    assert no_qt("-m", "latentlab", "info", store).stdout
    assert no_qt("-m", "latentlab", "info", checkpoint).stdout
    # A project on the sample data (no store of its own): export generates that store, as the window does.
    project = tmp_path / "demo.latentlab"
    save_project(
        Project(
            store=None, checkpoint=str(checkpoint), tags={"tags": [{"name": "first", "colour": "#63a4ff", "clips": []}]}
        ),
        project,
    )
    out = tmp_path / "export"
    no_qt("-m", "latentlab", "export", project, "--all", "--format", "manifest", "-o", out, "-q")
    assert (out / "manifest.csv").is_file()
    lines = (out / "manifest.csv").read_text(encoding="utf-8").strip().splitlines()
    assert len(lines) == SPEC.n_clips + 1  # the header and one row per clip of the sample store
    no_qt(
        "-m",
        "latentlab",
        "export",
        "--store",
        store,
        "--all",
        "--format",
        "projector",
        "--checkpoint",
        checkpoint,
        "--device",
        "cpu",
        "-o",
        tmp_path / "projector",
        "-q",
    )
    assert (tmp_path / "projector" / "vectors.tsv").is_file()


def test_the_blocker_leaves_the_package_importable(no_qt):
    code = "import latentlab.app.loading, latentlab.app.training_job, latentlab.app.probe, latentlab.cli"
    no_qt("-c", code)
