"""The explorer, scripted (--screenshot): expected failures are one line on the terminal, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from latentlab.media.clip_store import ClipStore

pytestmark = pytest.mark.slow


def _explore(*args, timeout=240):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "latentlab", "explore", *map(str, args), "--timeout", "120"],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def test_an_unknown_colour_is_refused(store, base_checkpoint, tmp_path):
    shot = tmp_path / "shot.png"
    proc = _explore("--store", store, "--checkpoint", base_checkpoint, "--screenshot", shot, "--colour", "nonexistent")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "latentlab explore: error: --colour: no per-clip field 'nonexistent'" in proc.stderr
    assert not shot.exists()


def test_a_load_error_is_one_line_without_a_traceback(store, base_checkpoint, tmp_path):
    s = ClipStore.open(store)
    table = np.memmap(store / s.manifest["table_file"], s.table_dtype, "r+", shape=(len(s),))
    table["source_id"][0] = 99
    table.flush()
    del table
    proc = _explore("--store", store, "--checkpoint", base_checkpoint, "--screenshot", tmp_path / "shot.png")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "latentlab explore: error: could not open the data: StoreError:" in proc.stderr
