"""Clip exports read back: videos with OpenCV, the folder-per-tag dataset, and the report."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from latentlab.core.export_output import OutputExists, read_report
from latentlab.core.export_tables import ExportError, unescape_tsv
from latentlab.media.demo_data import DemoSpec, write_demo_store
from latentlab.media.export_clips import ExportCancelled, clip_names, run_export, safe_folder_name, safe_folder_names
from tests.media.helpers import read_video


@pytest.fixture
def store(tmp_path):
    return write_demo_store(tmp_path / "store", DemoSpec(n_clips=6, frames=5, size=32, seed=3))


def psnr(a, b) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255**2 / max(mse, 1e-12)))


def test_videos_hold_the_store_pixels_and_the_reconstructions(store, tmp_path):
    idx = [4, 0, 2]
    calls = []

    def reconstruct(batch, clips):
        calls.append(batch.tolist())
        return 255 - clips  # stand-in for a decoder: tells originals and reconstructions apart

    report = run_export("videos", store, idx, [["a"], [], ["b"]], tmp_path / "out", reconstruct=reconstruct)
    out = tmp_path / "out"
    assert calls == [idx]
    with open(out / "manifest.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["index"]) for r in rows] == idx
    for r, i in zip(rows, idx):
        frames = read_video(out / r["file"])
        assert frames.shape == store[i].shape  # frame count and size
        assert psnr(frames, store[i]) > 25  # mp4v is lossy: close, not equal
        recon = read_video(out / r["reconstruction"])
        assert recon.shape == store[i].shape and psnr(recon, 255 - store[i]) > 25
        assert psnr(recon, store[i]) < 15
    assert report.counts == {"clips": 3, "reconstructions": 3, "videos": 6}
    assert sorted(report.files) == sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert read_report(out)["report"]["files"] == report.files


def test_folder_per_tag_dataset_reads_back(store, tmp_path):
    tags = [["cat"], ["dog", "cat"], [], ["Cat"], ["a/b"], ["a:b"]]
    report = run_export("folders", store, range(6), tags, tmp_path / "ds")
    out = tmp_path / "ds"
    mapping = json.loads((out / "folders.json").read_text(encoding="utf-8"))
    assert mapping["cat"] == "cat" and mapping["Cat"] == "Cat-2"  # case-insensitive file systems
    assert mapping["a/b"] == "a_b" and mapping["a:b"] == "a_b-2"
    counts = {d.name: len(list(d.glob("*.mp4"))) for d in out.iterdir() if d.is_dir()}
    assert counts == {"cat": 2, "dog": 1, "Cat-2": 1, "a_b": 1, "a_b-2": 1}  # clip 1 is in both folders
    with open(out / "labels.csv", encoding="utf-8", newline="") as fh:
        labels = list(csv.DictReader(fh))
    assert len(labels) == 6 and all((out / lab["file"]).is_file() for lab in labels)
    assert {lab["tag"] for lab in labels if lab["index"] == "1"} == {"dog", "cat"}
    for lab in labels:
        frames = read_video(out / lab["file"])
        assert frames.shape == store[int(lab["index"])].shape
    assert report.counts["untagged left out"] == 1 and "6 videos, 5 tags, 1 untagged left out" in report.summary()


def test_manifest_and_projector_formats(store, tmp_path):
    mu = np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32)
    run_export("projector", store, [1, 3], [["x\ty"], ["ü"]], tmp_path / "p", mu=mu)
    meta = (tmp_path / "p" / "metadata.tsv").read_text(encoding="utf-8").split("\n")
    assert meta[0].split("\t")[:2] == ["clip_id", "tag"] and len(meta) == 4 and meta[3] == ""
    assert unescape_tsv(meta[1].split("\t")[1]) == "x\ty" and meta[2].split("\t")[1] == "ü"
    config = json.loads((tmp_path / "p" / "projector_config.json").read_text())
    assert config["embeddings"][0]["tensorShape"] == [2, 4]
    run_export("manifest", store, [5], [["t"]], tmp_path / "m", info={"scope": "tag t"})
    doc = json.loads((tmp_path / "m" / "manifest.json").read_text(encoding="utf-8"))
    assert doc["scope"] == "tag t" and doc["clips"][0]["clip_key"] == str(store.clip_keys()[5])
    assert doc["store_fingerprint"] == store.fingerprint


def test_bad_requests_leave_out_untouched(store, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ExportError, match="no clips"):
        run_export("manifest", store, [], [], out)
    with pytest.raises(ExportError, match="unknown export format"):
        run_export("zip", store, [0], [[]], out)
    with pytest.raises(ExportError, match="needs the clips' latents"):
        run_export("projector", store, [0], [[]], out)
    with pytest.raises(ExportError, match="videos format only"):
        run_export("manifest", store, [0], [[]], out, reconstruct=lambda i, c: c)
    with pytest.raises(ExportError, match="none of these clips has a tag"):
        run_export("folders", store, [0], [[]], out)
    with pytest.raises(ExportCancelled):
        run_export("videos", store, [0, 1], [[], []], out, cancel=lambda: True)
    assert not out.exists() and not (tmp_path / "out.partial").exists()
    run_export("manifest", store, [0], [[]], out)
    with pytest.raises(OutputExists):
        run_export("manifest", store, [1], [[]], out)
    report = run_export("manifest", store, [1, 2], [[], []], out, force=True)
    assert report.counts["clips"] == 2 and len(read_report(out)["report"]["files"]) == 3


def test_safe_folder_names_and_clip_names():
    for bad in ("CON", "..", ".hidden", "a/b\\c", "tab\there", "trailing. ", "", "x" * 300):
        name = safe_folder_name(bad)
        assert name and name not in (".", "..") and not name.startswith(".")
        assert not set(name) & set('<>:"/\\|?*\t') and len(name.encode()) <= 120
    assert safe_folder_name("CON").upper() != "CON" and safe_folder_name("日本") == "日本"
    assert safe_folder_names(["labels.csv"]) == {"labels.csv": "labels.csv-2"}  # our own file's name
    assert clip_names(["a:1:0", "b:2:0", "a:1:0"], [0, 1, 7]) == ["a_1_0-0", "b_2_0", "a_1_0-7"]


def test_odd_frame_sizes_are_padded_not_cropped(tmp_path):
    store = write_demo_store(tmp_path / "odd", DemoSpec(n_clips=2, frames=3, size=13, seed=0))
    report = run_export("videos", store, [0, 1], [[], []], tmp_path / "o")
    frames = read_video(tmp_path / "o" / report.files[1])
    assert frames.shape == (3, 14, 14, 3)  # OpenCV would have dropped the 13th row and column
    assert psnr(frames[:, :13, :13], store[1]) > 25
    np.testing.assert_allclose(frames[:, 13].astype(float).mean(), frames[:, 12].astype(float).mean(), atol=8)
    assert "frames padded from 13x13 to 14x14" in report.summary()


def test_cancel_midway_leaves_no_output(store, tmp_path, monkeypatch):
    from latentlab.media import export_clips

    monkeypatch.setattr(export_clips, "BATCH", 2)
    calls = []

    def cancel():  # let two batches be written, then cancel
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(ExportCancelled):
        run_export("folders", store, range(6), [["a"]] * 6, tmp_path / "out", cancel=cancel)
    assert len(calls) == 3 and not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()
