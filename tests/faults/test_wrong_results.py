"""Results that used to be wrong with exit status 0."""

from __future__ import annotations

import json

from latentlab.core.project import Project, load_project, save_project
from latentlab.media.clip_store import ClipStore


def test_a_tag_export_after_its_source_changed_notes_the_dropped_clips(cli, project, store, tmp_path):
    p = load_project(project)
    p.tags["tags"][0]["clips"] += ["changedsource000:0:0", "changedsource000:8:0"]  # keys the store lost
    save_project(Project(store=p.store, checkpoint=p.checkpoint, tags=p.tags, selections=p.selections), project)
    out = tmp_path / "out"
    result = cli("export", project, "--tag", "cat", "-f", "manifest", "-o", out, "-q", "--json")
    assert result.code == 0
    assert "note: 2 of the 5 clips of 'cat' are not in the store any more" in result.err
    doc = json.loads((out / "export.json").read_text())
    assert doc["dropped"]["clips"] == 2 and doc["dropped"]["keys"] == ["changedsource000:0:0", "changedsource000:8:0"]
    assert json.loads(result.out)["counts"]["clips"] == 3


def test_nothing_dropped_means_no_note(cli, project, tmp_path):
    result = cli("export", project, "--tag", "cat", "-f", "manifest", "-o", tmp_path / "out", "-q")
    assert result.code == 0 and "note:" not in result.err
    assert "dropped" not in json.loads((tmp_path / "out" / "export.json").read_text())


def test_train_epochs_0_is_an_error_not_saved(cli, store, tmp_path):
    result = cli("train", store, "-o", tmp_path / "ck", "--epochs", "0")
    assert result.code == 2 and "--epochs" in result.err and not (tmp_path / "ck").exists()


def test_ingest_with_one_typo_among_real_inputs_still_runs(cli, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    result = cli("ingest", notes, tmp_path / "typo.mp4", "-o", tmp_path / "s", "-q", "--jobs", "0")
    assert result.code == 0 and len(ClipStore.open(tmp_path / "s")) == 0
