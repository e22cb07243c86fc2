"""File names read from manifests, cache indexes and checkpoint configs never leave their folder."""

from __future__ import annotations

import json
import os

import pytest

from latentlab.core.errors import LatentSpaceError
from latentlab.core.latent_cache import LatentCache
from latentlab.core.safe_names import UnsafeFileName, child_file
from latentlab.media.clip_store import ClipStore, StoreError
from latentlab.ml.checkpoint import CheckpointError, read_config

from .conftest import one_line_error

VICTIM_TEXT = "a user's own file\n" * 200


@pytest.fixture
def victim(tmp_path):
    path = tmp_path / "elsewhere" / "notes.txt"
    path.parent.mkdir()
    path.write_text(VICTIM_TEXT)
    return path


def _names(victim, folder):
    """Hostile values for a file name field: absolute, ``../``, a symlink out, and not a string."""
    link = folder / "clips-000009.u8"
    link.symlink_to(victim)
    return [
        str(victim),
        os.path.relpath(victim, folder),
        "../" * 8 + str(victim).lstrip("/"),
        link.name,
        None,
        7,
        "clips-000001.u8/../../x",
    ]


def _edit(path, **changes):
    doc = json.loads(path.read_text())
    doc.update(changes)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize("field", ["data_file", "table_file"])
@pytest.mark.parametrize("which", range(7))
def test_store_manifest_cannot_name_a_file_outside_the_store(store, victim, field, which, cli):
    value = _names(victim, store)[which]
    _edit(store / "manifest.json", **{field: value})
    with pytest.raises(StoreError, match="refused|damaged"):
        ClipStore.open(store)
    one_line_error(cli("info", store), "info")
    notes = store.parent / "notes.txt"
    notes.write_text("x")
    result = cli("ingest", notes, "-o", store, "-q", "--jobs", "0")  # would truncate the named file
    one_line_error(result, "ingest")
    assert victim.read_text() == VICTIM_TEXT  # neither read into clips nor truncated nor deleted


def test_ingest_into_a_hostile_store_leaves_the_store_files_alone(store, victim, cli):
    before = sorted(p.name for p in store.iterdir())
    _edit(store / "manifest.json", data_file=str(victim))
    notes = store.parent / "notes.txt"
    notes.write_text("x")
    cli("ingest", notes, "-o", store, "-q", "--jobs", "0")
    assert sorted(p.name for p in store.iterdir()) == before  # the real clip file is not deleted as an "orphan"


@pytest.mark.parametrize("value", ["/etc/hostname", "../../../victim.npy", "mu-000000000000.npy/../x", "x.npy", 3])
def test_latent_cache_index_cannot_name_a_file_outside_the_cache(store, base_checkpoint, value, cli):
    assert cli("embed", base_checkpoint, store, "-q", "--device", "cpu").code == 0
    (manifest,) = (store / "latents").glob("*/manifest.json")
    _edit(manifest, mu_file=value)
    weights = json.loads(manifest.read_text())["weights_hash"]
    with pytest.raises(LatentSpaceError, match="refused"):
        LatentCache(store, weights).load(ClipStore.open(store))
    one_line_error(cli("embed", base_checkpoint, store, "-q", "--device", "cpu"), "embed")
    one_line_error(cli("map", store), "map")


@pytest.mark.parametrize(
    "files",
    [
        None,
        [],
        "model.safetensors",
        {"../model.safetensors": {"blake2b": "00"}},
        {"/etc/passwd": {}},
        {"model.safetensors": None},
        {"model.safetensors": {"blake2b": 5}},
    ],
)
def test_checkpoint_files_must_be_our_own_bare_names(checkpoint, files, cli):
    _edit(checkpoint / "config.json", files=files)
    with pytest.raises(CheckpointError, match="damaged"):
        read_config(checkpoint)
    one_line_error(cli("info", checkpoint), "info")
    one_line_error(cli("eval", checkpoint, checkpoint, "--device", "cpu"), "eval")


@pytest.mark.parametrize("name", ["..", ".", "", "a/b", "/abs", "x\x00y", None])
def test_child_file_refuses_anything_but_a_bare_name(tmp_path, name):
    with pytest.raises(UnsafeFileName):
        child_file(tmp_path, name, r".*", "the field")


def test_child_file_accepts_a_bare_name_of_the_pattern(tmp_path):
    assert child_file(tmp_path, "mu-0123456789ab.npy", r"mu-[0-9a-f]{12}\.npy", "x") == tmp_path / "mu-0123456789ab.npy"
