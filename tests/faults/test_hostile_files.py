"""Corrupted and hostile files of every format: one clear line, never a traceback, never a half-open."""

from __future__ import annotations

import json

import numpy as np
import pytest

from latentlab.core.project import ProjectError, load_project
from latentlab.media.clip_store import ClipStore, StoreError

from .conftest import one_line_error

DEEP = "[" * 100_000 + "]" * 100_000


def _edit(path, **changes):
    doc = json.loads(path.read_text())
    doc.update(changes)
    path.write_text(json.dumps(doc))


STORE_MANIFESTS = {
    "not json": "{ nope",
    "deeply nested": DEEP,
    "a list": "[1, 2]",
    "empty": "",
    "clip null": {"clip": None},
    "clip strings": {"clip": {"frames": "4", "height": 16, "width": 16, "channels": 3}},
    "huge clip": {"clip": {"frames": 4, "height": 10**9, "width": 16, "channels": 3}},
    "n_clips -1": {"n_clips": -1},
    "n_clips text": {"n_clips": "24"},
    "n_clips too many": {"n_clips": 10**6},
    "table_dtype text": {"table_dtype": "x"},
    "table_dtype objects": {"table_dtype": [["a", "|O"]]},
    "sources null": {"sources": None},
    "source without id": {"sources": [{"path": "x"}]},
    "newer version": {"version": 99},
    "fingerprint null": {"fingerprint": None},
}


@pytest.mark.parametrize("case", STORE_MANIFESTS, ids=list(STORE_MANIFESTS))
def test_store_manifest(store, case, cli, project):
    change = STORE_MANIFESTS[case]
    if isinstance(change, str):
        (store / "manifest.json").write_text(change)
    else:
        _edit(store / "manifest.json", **change)
    with pytest.raises(StoreError):
        ClipStore.open(store)
    one_line_error(cli("info", store), "info")
    one_line_error(cli("export", project, "--all", "-f", "manifest", "-o", store.parent / "o", "-q"), "export")


@pytest.mark.parametrize(
    "column,value", [("source_id", 999), ("source_id", -3), ("fps", np.nan), ("start_time", np.inf)]
)
def test_garbled_clip_table_is_refused_by_export(store, project, cli, column, value):
    s = ClipStore.open(store)
    table = np.memmap(store / s.manifest["table_file"], s.table_dtype, "r+", shape=(len(s),))
    table[column][3] = value
    table.flush()
    del table
    line = one_line_error(cli("export", project, "--all", "-f", "manifest", "-o", store.parent / "o", "-q"), "export")
    assert "damaged" in line and not (store.parent / "o").exists()


def test_truncated_clip_file(store, cli):
    data = store / ClipStore.open(store).manifest["data_file"]
    data.write_bytes(data.read_bytes()[:100])
    assert "damaged" in one_line_error(cli("info", store), "info")


CHECKPOINT_CONFIGS = {
    "not json": "{",
    "deeply nested": DEEP,
    "model null": {"model": None},
    "training list": {"training": []},
    "metrics text": {"metrics": "x"},
    "huge latent": None,
    "format": {"format": "other"},
}


@pytest.mark.parametrize("case", CHECKPOINT_CONFIGS, ids=list(CHECKPOINT_CONFIGS))
def test_checkpoint_config(checkpoint, base_store, cli, case):
    change = CHECKPOINT_CONFIGS[case]
    cfile = checkpoint / "config.json"
    if case == "huge latent":
        doc = json.loads(cfile.read_text())
        doc["model"]["latent_dim"] = 100_000_000
        cfile.write_text(json.dumps(doc))
    elif isinstance(change, str):
        cfile.write_text(change)
    else:
        _edit(cfile, **change)
    one_line_error(cli("info", checkpoint), "info")
    one_line_error(cli("eval", checkpoint, base_store.path, "--device", "cpu"), "eval")
    one_line_error(cli("embed", checkpoint, base_store.path, "--device", "cpu", "-q"), "embed")


@pytest.mark.parametrize("blob", [b"", b"\x00" * 7, b"\xff" * 64, b"{}" + b"\x00" * 100])
def test_checkpoint_weights_garbage(checkpoint, base_store, cli, blob):
    (checkpoint / "model.safetensors").write_bytes(blob)
    one_line_error(cli("eval", checkpoint, base_store.path, "--device", "cpu"), "eval")


PROJECTS = {
    "deeply nested": DEEP,
    "tags a list": {"tags": []},
    "a tag not an object": {"tags": {"tags": [3]}},
    "a tag without a name": {"tags": {"tags": [{"clips": []}]}},
    "a tag's clips not keys": {"tags": {"tags": [{"name": "cat", "clips": [1, 2]}]}},
    "a tag twice": {"tags": {"tags": [{"name": "cat"}, {"name": "cat"}]}},
    "a bad colour": {"tags": {"tags": [{"name": "cat", "colour": "red"}]}},
    "orphans a list": {"tags": {"tags": [], "orphans": ["x"]}},
    "selection orphans a list": {"selections": {"selections": [], "orphans": ["x"]}},
    "a selection not an object": {"selections": {"selections": ["x"]}},
}


@pytest.mark.parametrize("case", PROJECTS, ids=list(PROJECTS))
def test_project_that_cannot_be_read_whole_is_refused(project, cli, case):
    change = PROJECTS[case]
    if isinstance(change, str):
        project.write_text(change)
    else:
        _edit(project, **change)
    before = project.read_bytes()
    with pytest.raises(ProjectError):
        load_project(project)
    one_line_error(cli("export", project, "--all", "-f", "manifest", "-o", project.parent / "o", "-q"), "export")
    one_line_error(cli("explore", project), "explore")  # refused before any window opens
    assert project.read_bytes() == before


def test_garbled_ingest_report_is_reported_not_raised(store, cli):
    (store / "ingest_report.json").write_text(DEEP)
    result = cli("info", store)
    assert result.code == 0 and "ingest report unreadable" in result.out


def test_damaged_latent_rows_are_encoded_again(store, base_checkpoint, cli):
    args = ("embed", base_checkpoint, store, "-q", "--device", "cpu")
    assert cli(*args).code == 0
    (manifest,) = (store / "latents").glob("*/manifest.json")
    mu_path = manifest.parent / json.loads(manifest.read_text())["mu_file"]
    good = np.load(mu_path)
    bad = good.copy()
    bad[[1, 7]] = np.nan
    np.save(mu_path, bad)
    assert cli("map", store).code == 1  # the damaged cache is not served
    result = cli(*args)
    assert result.code == 0 and "2 encoded now" in result.out
    mu_path = manifest.parent / json.loads(manifest.read_text())["mu_file"]
    np.testing.assert_allclose(np.load(mu_path), good, rtol=1e-5, atol=1e-6)
    assert cli("map", store).code == 0


def test_the_window_refuses_a_garbled_clip_table_when_it_opens_the_store(store, base_checkpoint):
    from latentlab.app.loading import open_dataset

    s = ClipStore.open(store)
    table = np.memmap(store / s.manifest["table_file"], s.table_dtype, "r+", shape=(len(s),))
    table["source_id"][5] = 42
    table.flush()
    del table
    with pytest.raises(StoreError, match="names unknown sources"):
        open_dataset(store, base_checkpoint)
