"""A read-only output (an injected EROFS/EACCES: the suite may run as root, who writes anywhere)."""

from __future__ import annotations

import errno
import pathlib

import pytest

from .conftest import one_line_error

REAL_MKDIR = pathlib.Path.mkdir


@pytest.fixture
def read_only(tmp_path, monkeypatch):
    """``tmp_path / "ro"`` and everything under it refuse to be created."""
    ro = tmp_path / "ro"

    def mkdir(self, *args, **kwargs):
        if str(self).startswith(str(ro)):
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return REAL_MKDIR(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)
    return ro


def test_train_refuses_before_the_first_step(cli, store, read_only, monkeypatch):
    monkeypatch.setattr("latentlab.ml.trainer.Trainer.fit", lambda *a, **k: pytest.fail("trained anyway"))
    line = one_line_error(cli("train", store, "-o", read_only / "ck", "--device", "cpu"), "train")
    assert "cannot be written: Read-only file system" in line


def test_train_into_an_existing_read_only_folder(cli, store, tmp_path, monkeypatch):
    def mkstemp(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("latentlab.core.output_guard.tempfile.mkstemp", mkstemp)
    monkeypatch.setattr("latentlab.ml.trainer.Trainer.fit", lambda *a, **k: pytest.fail("trained anyway"))
    assert "Permission denied" in one_line_error(cli("train", store, "-o", tmp_path, "--device", "cpu"), "train")


def test_demo_data(cli, read_only):
    assert "Read-only" in one_line_error(cli("demo-data", "-o", read_only / "d", "--n", "2", "-q"), "demo-data")


def test_ingest(cli, read_only, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    assert "Read-only" in one_line_error(cli("ingest", notes, "-o", read_only / "s", "-q"), "ingest")


def test_export(cli, project, read_only):
    out = read_only / "out"
    assert "Read-only" in one_line_error(cli("export", project, "--all", "-f", "manifest", "-o", out, "-q"), "export")


def test_embed_into_a_read_only_store(cli, store, base_checkpoint, monkeypatch):
    def mkdir(self, *args, **kwargs):
        if "latents" in self.parts:
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return REAL_MKDIR(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)
    result = cli("embed", base_checkpoint, store, "-q", "--device", "cpu")
    assert "Read-only" in one_line_error(result, "embed")
