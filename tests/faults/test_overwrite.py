"""No command writes its output over a clip store, a checkpoint or a project folder (``--force`` or not)."""

from __future__ import annotations

import hashlib
import os

import pytest

from latentlab.media.clip_store import ClipStore

from .conftest import one_line_error


def _digest(folder):
    return {p.name: hashlib.blake2b(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("force", [[], ["--force"]])
@pytest.mark.parametrize("target", ["store", "checkpoint", "project folder", "inside the store"])
def test_export_refuses_data_folders(cli, project, store, checkpoint, target, force):
    out = {
        "store": store,
        "checkpoint": checkpoint,
        "project folder": project.parent,
        "inside the store": store / "exports",
    }[target]
    watched = store if target == "inside the store" else out
    before = _digest(watched)
    line = one_line_error(cli("export", project, "--all", "--format", "manifest", "-o", out, "-q", *force), "export")
    assert "refusing" in line
    assert _digest(watched) == before
    ClipStore.open(store)


def test_export_dot_inside_a_store_is_refused(cli, project, store, monkeypatch):
    before = _digest(store)
    monkeypatch.chdir(store)
    one_line_error(cli("export", project, "--all", "--format", "manifest", "-o", ".", "-q", "--force"), "export")
    assert _digest(store) == before and len(ClipStore.open(store)) == 24


@pytest.mark.parametrize("args", [[], ["--force"], ["--resume"]])
def test_train_refuses_a_store_or_a_project_folder(cli, store, project, args, tmp_path):
    for out in (store, project.parent):
        before = _digest(out)
        result = cli("train", store, "-o", out, "--epochs", "1", "--device", "cpu", *args)
        assert "refusing" in one_line_error(result, "train")
        assert _digest(out) == before


def test_train_refuses_an_output_that_is_a_file_before_any_step(cli, store, tmp_path, monkeypatch):
    target = tmp_path / "afile"
    target.write_text("mine")
    monkeypatch.setattr("latentlab.ml.trainer.Trainer.fit", lambda *a, **k: pytest.fail("trained anyway"))
    assert "is a file" in one_line_error(cli("train", store, "-o", target, "--device", "cpu"), "train")
    assert target.read_text() == "mine"


def test_demo_data_and_ingest_refuse_a_checkpoint(cli, checkpoint, tmp_path):
    before = _digest(checkpoint)
    one_line_error(cli("demo-data", "-o", checkpoint, "--n", "2", "-q"), "demo-data")
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    one_line_error(cli("ingest", notes, "-o", checkpoint, "-q"), "ingest")
    assert _digest(checkpoint) == before


def test_ingest_of_a_typo_creates_nothing(cli, tmp_path):
    out = tmp_path / "new-store"
    line = one_line_error(cli("ingest", tmp_path / "typo.mp4", "-o", out, "-q"), "ingest")
    assert "no input exists" in line and not out.exists() and not os.path.exists(f"{out}.lock")


def test_explore_refuses_a_folder_that_is_not_a_store_before_any_window(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    assert "not a clip store" in one_line_error(cli("explore", tmp_path / "empty"), "explore")


def test_folder_kinds(store, checkpoint, project, tmp_path, cli, base_checkpoint):
    from latentlab.core.output_guard import CACHE, CHECKPOINT, PROJECT, STORE, folder_kind

    assert cli("embed", base_checkpoint, store, "-q", "--device", "cpu").code == 0
    (cache,) = (store / "latents").iterdir()
    assert [folder_kind(p) for p in (store, checkpoint, project.parent, cache, tmp_path / "none")] == [
        STORE,
        CHECKPOINT,
        PROJECT,
        CACHE,
        None,
    ]
    out = tmp_path / "export"
    assert cli("export", project, "--all", "-f", "manifest", "-o", out, "-q").code == 0
    assert folder_kind(out) is None  # an earlier export is replaced with --force, not refused
    assert cli("export", project, "--all", "-f", "manifest", "-o", out, "-q", "--force").code == 0
