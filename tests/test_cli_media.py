"""The media commands from the command line: ingest, demo-data, info."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from latentlab.cli import main
from latentlab.media.video_writer import write_video


def test_help_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from latentlab.cli import main\n"
        "for argv in (['--help'], ['ingest', '--help'], ['info', '--help'], ['demo-data', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('HEAVY', sorted(m for m in ('torch', 'PySide6', 'cv2') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out
    assert "Aspect ratio" in out and "centred region" in out  # ingest --help says how aspect is handled


@pytest.fixture
def inputs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    frames = np.random.default_rng(0).integers(0, 255, (16, 48, 64, 3), dtype=np.uint8)
    write_video(folder / "good.avi", frames, 12.0)
    (folder / "broken.mp4").write_bytes(b"\0" * 100)
    (folder / "notes.txt").write_text("x")
    return folder


def test_ingest_json_summary_and_strict_exit_code(inputs, tmp_path, capsys):
    store = tmp_path / "store"
    assert main(["ingest", str(inputs), "-o", str(store), "--json", "-q", "--jobs", "1"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"] == {"ok": 1, "partial": 0, "failed": 1, "skipped": 1}
    assert summary["clips_written"] == 2 and summary["clips_in_store"] == 2 and summary["frames_read"] == 16
    files = {r["path"].rsplit("/", 1)[1]: r for r in summary["files"]}
    assert files["broken.mp4"]["reason"] == "FFmpeg cannot open it as a video (unknown or damaged format)"
    assert main(["ingest", str(inputs), "-o", str(store), "--strict", "-q", "--jobs", "0"]) == 2
    out = capsys.readouterr().out
    assert "0 ok, 0 partial, 1 failed, 2 skipped" in out and "broken.mp4: FFmpeg cannot open" in out
    assert main(["ingest", str(inputs / "good.avi"), "-o", str(store), "--strict", "-q"]) == 0


def test_ingest_progress_lines_and_store_errors(inputs, tmp_path, capsys):
    assert main(["ingest", str(inputs / "good.avi"), "-o", str(tmp_path / "s"), "--jobs", "0"]) == 0
    err = capsys.readouterr().err
    assert "ok" in err and "good.avi  (2 clips) read to the end" in err
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"x")
    assert main(["ingest", str(inputs), "-o", str(other), "-q"]) == 1
    assert "is a folder that is not empty" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["ingest", str(inputs), "-o", str(tmp_path / "x"), "--size", "big"])
    assert exc.value.code == 2 and "size must look like 64 or 96x64" in capsys.readouterr().err


def test_demo_data_and_info(tmp_path, capsys):
    store = tmp_path / "demo"
    assert main(["demo-data", "-o", str(store), "--n", "50", "--frames", "4", "--size", "16", "-q"]) == 0
    assert "wrote 50 sprites clips" in capsys.readouterr().out
    assert main(["info", str(store)]) == 0
    out = capsys.readouterr().out
    assert "50 clips of 4 frames x 16 x 16 x 3" in out and "ground-truth factors: shape, size" in out
    assert main(["demo-data", "-o", str(store), "--n", "5", "-q"]) == 1
    assert "already holds a clip store" in capsys.readouterr().err
    assert main(["info", str(tmp_path)]) == 1
    assert "neither a clip store" in capsys.readouterr().err


def test_info_on_an_ingested_store_and_a_broken_checkpoint(inputs, tmp_path, capsys):
    main(["ingest", str(inputs), "-o", str(tmp_path / "s"), "-q", "--jobs", "0"])
    capsys.readouterr()
    assert main(["info", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "2 clips of 8 frames x 64 x 64 x 3" in out and "good.avi" in out
    assert "ingest report: 3 files (1 failed, 1 ok, 1 skipped)" in out and "broken.mp4" in out
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "config.json").write_text("{ not json")
    assert main(["info", str(ckpt)]) == 1
    assert capsys.readouterr().err.startswith("latentlab info:")


def test_demo_data_defaults_to_what_the_bundled_model_takes(tmp_path, capsys):
    import json

    from latentlab.media.clip_store import ClipStore
    from latentlab.paths import demo_checkpoint_dir

    model = json.loads((demo_checkpoint_dir() / "config.json").read_text(encoding="utf-8"))["model"]
    assert main(["demo-data", "-o", str(tmp_path / "d"), "--n", "3", "-q"]) == 0
    g = ClipStore.open(tmp_path / "d").geometry
    assert (g.frames, g.height, g.width) == (model["frames"], model["height"], model["width"])


def test_a_byte_identical_file_under_another_name_is_skipped_as_a_duplicate(inputs, tmp_path, capsys):
    import shutil

    shutil.copy(inputs / "good.avi", inputs / "copy of good.avi")
    store = tmp_path / "store"
    assert main(["ingest", str(inputs), "-o", str(store), "--json", "-q", "--jobs", "0"]) == 0
    summary = json.loads(capsys.readouterr().out)
    files = {r["path"].rsplit("/", 1)[1]: r for r in summary["files"]}
    dup = files["good.avi"] if files["good.avi"]["status"] == "skipped" else files["copy of good.avi"]
    assert dup["status"] == "skipped" and dup["reason"].startswith("duplicate of ") and dup["clips"] == 0
    assert summary["clips_in_store"] == 2  # not 4
    (inputs / "third.avi").write_bytes((inputs / "good.avi").read_bytes())  # a later run: duplicate of the store's
    assert main(["ingest", str(inputs / "third.avi"), "-o", str(store), "-q", "--jobs", "0"]) == 0
    assert "third.avi: duplicate of" in capsys.readouterr().out


def test_ingest_warns_when_frame_rates_differ_and_fps_was_not_given(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    frames = np.random.default_rng(0).integers(0, 255, (16, 32, 32, 3), dtype=np.uint8)
    write_video(folder / "slow.avi", frames, 8.0)
    write_video(folder / "fast.avi", frames[::-1].copy(), 30.0)
    assert main(["ingest", str(folder), "-o", str(tmp_path / "s"), "-q", "--jobs", "0", "--size", "32"]) == 0
    err = capsys.readouterr().err
    assert "frame rates differ (8 to 30 fps)" in err and "--fps 8" in err
    assert (
        main(["ingest", str(folder), "-o", str(tmp_path / "t"), "-q", "--jobs", "0", "--size", "32", "--fps", "8"]) == 0
    )
    assert "frame rates differ" not in capsys.readouterr().err
