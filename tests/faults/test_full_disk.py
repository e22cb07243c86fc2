"""A full disk (an injected ENOSPC, or a free-space figure too small): refused with the figures, nothing lost."""

from __future__ import annotations

import errno
import json
import shutil
from collections import namedtuple

import pytest

from latentlab.core.atomic import write_json_atomic
from latentlab.ml.checkpoint import load_checkpoint

from .conftest import one_line_error

Usage = namedtuple("Usage", "total used free")


def _enospc(*_a, **_k):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def tiny_disk(monkeypatch):
    """Every disk reports 1 MB free."""
    monkeypatch.setattr("latentlab.core.disk_space.shutil.disk_usage", lambda p: Usage(10**9, 10**9 - 10**6, 10**6))


def test_demo_data_refuses_more_than_the_disk_holds(cli, tmp_path):
    out = tmp_path / "demo"
    line = one_line_error(cli("demo-data", "-o", out, "--n", "1000000000", "-q"), "demo-data")
    assert "needs about 24.7 TB" in line and "free" in line and not out.exists()


def test_demo_data_on_a_tiny_disk(cli, tmp_path, tiny_disk):
    line = one_line_error(cli("demo-data", "-o", tmp_path / "demo", "--n", "1000", "-q"), "demo-data")
    assert "1.0 MB free" in line and not (tmp_path / "demo").exists()


def test_embed_checks_the_cache_size_first(cli, store, base_checkpoint, monkeypatch):
    monkeypatch.setattr("latentlab.core.disk_space.MARGIN_BYTES", 10**6)  # the 24-clip cache is tiny
    monkeypatch.setattr("latentlab.core.disk_space.shutil.disk_usage", lambda p: Usage(10**9, 10**9, 100))
    line = one_line_error(cli("embed", base_checkpoint, store, "-q", "--device", "cpu"), "embed")
    assert "the latent cache needs about" in line and not (store / "latents").exists()


def test_export_checks_its_estimate_first(cli, project, tmp_path, tiny_disk, monkeypatch):
    monkeypatch.setattr("latentlab.core.disk_space.MARGIN_BYTES", 10**6)
    out = tmp_path / "out"
    line = one_line_error(cli("export", project, "--all", "--format", "videos", "-o", out, "-q"), "export")
    assert "needs about" in line and not out.exists()


def test_train_refuses_a_full_disk_before_the_first_step(cli, store, tmp_path, monkeypatch):
    monkeypatch.setattr("latentlab.core.output_guard.os.write", _enospc)
    monkeypatch.setattr("latentlab.ml.trainer.Trainer.fit", lambda *a, **k: pytest.fail("trained anyway"))
    line = one_line_error(cli("train", store, "-o", tmp_path / "ck", "--device", "cpu"), "train")
    assert "No space left on device" in line


def test_train_on_a_disk_that_fills_keeps_the_previous_bundle(cli, store, tmp_path, monkeypatch):
    out = tmp_path / "ck"
    args = ["train", store, "-o", out, "--batch-size", "8", "--latent-dim", "2", "--width", "4", "--device", "cpu"]
    assert cli(*args, "--epochs", "1").code == 0
    monkeypatch.setattr("latentlab.ml.checkpoint.write_bytes_atomic", _enospc)
    line = one_line_error(cli(*args, "--epochs", "2", "--resume"), "train")
    assert "No space left on device" in line and "previous checkpoint in it is kept" in line
    monkeypatch.undo()
    load_checkpoint(out)
    assert json.loads((out / "config.json").read_text())["metrics"]["epoch"] == 1


def test_ingest_on_a_full_disk_is_one_line(cli, tmp_path, monkeypatch):
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    monkeypatch.setattr("latentlab.media.clip_store_writer.write_json_atomic", _enospc)
    assert "No space left" in one_line_error(cli("ingest", notes, "-o", tmp_path / "s", "-q"), "ingest")


def test_an_atomic_write_on_a_full_disk_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "doc.json"
    write_json_atomic(path, {"old": True})
    monkeypatch.setattr("latentlab.core.atomic.os.fsync", _enospc)
    with pytest.raises(OSError):
        write_json_atomic(path, {"new": True})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"old": True} and [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def test_free_space_figures(tmp_path):
    from latentlab.core.disk_space import NotEnoughSpace, require_free_space

    with pytest.raises(NotEnoughSpace, match="needs about .* but the disk of .* has only"):
        require_free_space(tmp_path / "not" / "yet", shutil.disk_usage(tmp_path).free * 2, "this")
    require_free_space(tmp_path, 1, "this")


def test_ingest_checks_the_space_of_each_file_before_adding_it(cli, tmp_path, monkeypatch):
    from latentlab.media.clip_store import ClipStore
    from latentlab.media.video_writer import write_video
    from tests.media.helpers import moving_frames

    video = tmp_path / "in" / "a.avi"
    video.parent.mkdir()
    write_video(video, moving_frames(24, 48, 64), 12.0)
    monkeypatch.setattr("latentlab.core.disk_space.shutil.disk_usage", lambda p: Usage(10**9, 10**9, 1000))
    out = tmp_path / "s"
    result = cli("ingest", video, "-o", out, "--jobs", "0", "--strict", "--size", "16", "-T", "4")
    assert result.code == 2 and "Traceback" not in result.err
    assert "clips needs about" in result.err and "has only 1.0 KB free" in result.err
    assert len(ClipStore.open(out)) == 0
