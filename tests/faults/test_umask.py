"""Files others share are created with the user's umask, not mkstemp's private 0600."""

from __future__ import annotations

import os
import stat

import pytest

from latentlab.core.atomic import current_umask, write_json_atomic

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX modes")


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield 0o644
    os.umask(old)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_current_umask_reads_without_changing():
    old = os.umask(0o027)
    try:
        assert current_umask() == 0o027 and current_umask() == 0o027
    finally:
        os.umask(old)


def test_new_files_follow_the_umask_and_replaced_files_keep_their_mode(tmp_path, umask_022):
    path = tmp_path / "a.json"
    write_json_atomic(path, {})
    assert _mode(path) == umask_022
    os.chmod(path, 0o664)
    write_json_atomic(path, {"again": 1})
    assert _mode(path) == 0o664


def test_stores_caches_checkpoints_and_exports_are_readable_by_others(cli, tmp_path, umask_022, base_checkpoint):
    store = tmp_path / "store"
    assert cli("demo-data", "-o", store, "--n", "4", "--frames", "4", "--size", "16", "-q").code == 0
    assert cli("embed", base_checkpoint, store, "-q", "--device", "cpu").code == 0
    ck = tmp_path / "ck"
    assert (
        cli(
            "train",
            store,
            "-o",
            ck,
            "--epochs",
            "1",
            "--batch-size",
            "4",
            "--latent-dim",
            "2",
            "--width",
            "4",
            "--device",
            "cpu",
            "--val-fraction",
            "0",
        ).code
        == 0
    )
    files = [p for p in (*store.rglob("*"), *ck.rglob("*")) if p.is_file() and p.name != ".lock"]
    assert files and {p.name: _mode(p) for p in files} == {p.name: 0o644 for p in files}
