"""A writer killed with -9 while it holds its output's lock: the next run takes the lock over and completes.

(That each writer's files survive a kill -9 mid-write is shown where the writers are tested:
tests/media/test_ingest.py, tests/media/test_clip_store.py, tests/ml/test_checkpoint.py, tests/core/test_project.py.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.faults.conftest import TINY_TRAIN

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

# Runs one command and stops it (on stdin) right after it has taken the lock of its output.
HOLD = """
import sys
from latentlab.core import project_lock
take = project_lock.ProjectLock._write_holder
def hold(self, fh):
    take(self, fh)
    print("LOCKED", flush=True)
    sys.stdin.readline()
project_lock.ProjectLock._write_holder = hold
from latentlab.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("command", ["train", "export", "demo-data", "ingest"])
def test_a_killed_writer_leaves_a_lock_the_next_run_takes_over(cli, store, base_checkpoint, project, tmp_path, command):
    out = tmp_path / "out"
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    argv = {
        "train": [
            "train",
            store,
            "-o",
            out,
            *TINY_TRAIN,
        ],
        "export": ["export", project, "--all", "--format", "manifest", "-o", out, "-q"],
        "demo-data": ["demo-data", "-o", out, "--n", "3", "--frames", "2", "--size", "8", "-q"],
        "ingest": ["ingest", notes, "-o", out, "-q", "--jobs", "0"],
    }[command]
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, *map(str, argv)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "LOCKED", proc.stderr.read()
        assert (tmp_path / "out.lock").is_file()
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(60) == -signal.SIGKILL
    finally:
        proc.kill()
        proc.wait(60)
    result = cli(*argv)
    assert result.code == 0, result.err
    assert not (tmp_path / "out.lock").exists()
