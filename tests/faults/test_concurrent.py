"""Two writers into one output: the second is refused, with the holder named; the lock dies with its holder."""

from __future__ import annotations

import os
import socket

import pytest

from latentlab.core.output_guard import OutputBusy, output_lock
from tests.faults.conftest import TINY_TRAIN

from .conftest import one_line_error


@pytest.fixture
def argv(store, base_checkpoint, project, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    return {
        "train": [
            "train",
            store,
            "-o",
            "{out}",
            *TINY_TRAIN,
        ],
        "export": ["export", project, "--all", "--format", "manifest", "-o", "{out}", "-q"],
        "demo-data": ["demo-data", "-o", "{out}", "--n", "3", "--frames", "2", "--size", "8", "-q"],
        "ingest": ["ingest", notes, "-o", "{out}", "-q", "--jobs", "0"],
    }


@pytest.mark.parametrize("command", ["train", "export", "demo-data", "ingest"])
def test_a_second_writer_is_refused_and_told_who_holds_it(cli, argv, command, tmp_path):
    out = tmp_path / "out"
    args = [str(out) if a == "{out}" else a for a in argv[command]]
    with output_lock(out):  # another run is writing OUT (a flock: a second holder is refused even in-process)
        line = one_line_error(cli(*args), command)
    assert f"being written by latentlab process {os.getpid()} on {socket.gethostname()}" in line
    assert not out.exists() or not any(out.iterdir())
    assert cli(*args).code == 0  # once it is released, the same command goes through


def test_the_lock_is_released_and_can_be_taken_again(tmp_path):
    with output_lock(tmp_path / "o"):
        with pytest.raises(OutputBusy):
            with output_lock(tmp_path / "o"):
                pass
    with output_lock(tmp_path / "o"):
        pass
    assert not (tmp_path / "o.lock").exists()


def test_an_export_does_not_remove_the_live_partial_of_another(project, tmp_path):
    from latentlab.core.export_output import staged_output
    from latentlab.core.export_tables import ExportError

    out = tmp_path / "out"
    with staged_output(out) as partial:
        (partial / "first.txt").write_text("1")
        with pytest.raises(ExportError, match="being written by"):
            with staged_output(out, force=True):
                pass
        assert (partial / "first.txt").is_file()
    assert (out / "first.txt").read_text() == "1"
