"""``latentlab export`` on a small project: each format, the refusal to overwrite, clear errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from latentlab.cli import main
from latentlab.core.export_tables import split_tags, unescape_tsv
from latentlab.core.project import Project, save_project
from latentlab.media.demo_data import DemoSpec, write_demo_store

TAGS = {"cat": [0, 2, 5], "tab\there ü": [2, 3], "empty": []}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from tests.tiny_models import save_tiny_checkpoint

    return save_tiny_checkpoint(tmp_path_factory.mktemp("ck") / "model")


@pytest.fixture
def project(tmp_path, checkpoint):
    store = write_demo_store(tmp_path / "store", DemoSpec(n_clips=8, frames=4, size=16, seed=1))
    keys = store.clip_keys().tolist()
    tags = {
        "tags": [{"name": n, "colour": "#ff0000", "clips": [keys[i] for i in idx]} for n, idx in TAGS.items()],
        "orphans": {"cat": ["gone:0:0"]},
    }
    selections = {"selections": [{"name": "pair", "clips": [keys[6], keys[1]]}], "orphans": {}}
    path = tmp_path / "p.latentlab"
    save_project(Project(store=str(store.path), checkpoint=str(checkpoint), tags=tags, selections=selections), path)
    return path, store


def test_help_imports_no_heavy_library():
    code = (
        "import sys\nfrom latentlab.cli import main\n"
        "try:\n    main(['export', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('HEAVY', sorted(m for m in ('torch', 'PySide6', 'cv2') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out and "Embedding Projector" in out


def test_manifest_of_a_tag_and_json_report(project, tmp_path, capsys):
    path, store = project
    out = tmp_path / "out"
    assert main(["export", str(path), "--tag", "cat", "--format", "manifest", "-o", str(out), "--json", "-q"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["files"] == ["manifest.csv", "manifest.json", "export.json"] and report["counts"] == {"clips": 3}
    with open(out / "manifest.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["index"]) for r in rows] == TAGS["cat"]
    assert [split_tags(r["tags"]) for r in rows] == [["cat"], ["cat", "tab\there ü"], ["cat"]]
    keys = store.clip_keys()
    assert [r["clip_key"] for r in rows] == [keys[i] for i in TAGS["cat"]]
    assert all(r["source"] == "procedural:sprites" for r in rows)
    doc = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert doc["scope"] == {"tag": "cat"} and doc["clips"][1]["tags"] == ["cat", "tab\there ü"]
    np.testing.assert_allclose([c["start_time"] for c in doc["clips"]], store.table["start_time"][TAGS["cat"]])


def test_existing_output_is_refused_without_force(project, tmp_path, capsys):
    path, _ = project
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    argv = ["export", str(path), "--all", "--format", "manifest", "-o", str(out), "-q"]
    assert main(argv) == 2
    assert "not empty" in capsys.readouterr().err and sorted(p.name for p in out.iterdir()) == ["mine.txt"]
    assert main(argv + ["--force"]) == 0
    out_text = capsys.readouterr().out
    assert "exported manifest" in out_text and "8 clips" in out_text and "manifest.csv" in out_text
    assert (out / "mine.txt").read_text() == "keep" and (out / "manifest.csv").is_file()


def test_projector_encodes_when_not_cached_and_reads_the_cache_when_it_is(project, checkpoint, tmp_path, monkeypatch):
    from latentlab.ml import export_recon
    from latentlab.ml.codec import ClipCodec
    from latentlab.ml.embedding import embed_store

    path, store = project
    codec = ClipCodec.from_checkpoint(checkpoint, device="cpu")
    want = codec.encode(store.read([6, 1]))[0]
    out = tmp_path / "p1"
    assert main(["export", str(path), "--selection", "pair", "--format", "projector", "-o", str(out), "-q"]) == 0
    vectors = np.loadtxt(out / "vectors.tsv", delimiter="\t", ndmin=2)
    np.testing.assert_allclose(vectors, want[np.argsort([6, 1])], atol=1e-5)  # indices come sorted: 1, 6
    meta = (out / "metadata.tsv").read_text(encoding="utf-8").splitlines()
    assert len(meta) == 1 + len(vectors) and "\t" in meta[0]
    embed_store(codec, store)  # now cached: the export must use the cache (same numbers)
    table_mu = codec.encode(store.read(range(8)))[0]
    monkeypatch.setattr(export_recon, "load_export_codec", lambda *a, **k: pytest.fail("the model was loaded"))
    assert (
        main(["export", str(path), "--tag", "tab\there ü", "--format", "projector", "-o", str(tmp_path / "p2"), "-q"])
        == 0
    )
    np.testing.assert_allclose(np.loadtxt(tmp_path / "p2" / "vectors.tsv", delimiter="\t"), table_mu[[2, 3]], atol=1e-5)
    meta = (tmp_path / "p2" / "metadata.tsv").read_text(encoding="utf-8").splitlines()
    assert [unescape_tsv(line.split("\t")[2]) for line in meta[1:]] == ["cat|tab\there ü", "tab\there ü"]


def test_videos_with_reconstructions_and_folders(project, tmp_path, capsys):
    import cv2

    path, store = project
    out = tmp_path / "v"
    assert (
        main(["export", str(path), "--tag", "cat", "--format", "videos", "--reconstructions", "-o", str(out), "-q"])
        == 0
    )
    assert len(list((out / "clips").glob("*.mp4"))) == 3 and len(list((out / "reconstructions").glob("*.mp4"))) == 3
    cap = cv2.VideoCapture(str(next((out / "reconstructions").glob("*.mp4"))))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 4
    out = tmp_path / "f"
    assert main(["export", str(path), "--all", "--format", "folders", "-o", str(out), "-q"]) == 0
    text = capsys.readouterr().out
    assert "5 videos, 2 tags, 4 untagged left out" in text
    folders = json.loads((out / "folders.json").read_text(encoding="utf-8"))
    assert folders == {"cat": "cat", "tab\there ü": "tab_here ü"}
    assert len(list((out / "cat").glob("*.mp4"))) == 3 and len(list((out / "tab_here ü").glob("*.mp4"))) == 2


def test_clear_errors(project, tmp_path, capsys):
    path, _ = project
    out = str(tmp_path / "x")
    assert main(["export", str(path), "--tag", "dog", "--format", "manifest", "-o", out]) == 1
    assert "has no tag 'dog'" in capsys.readouterr().err
    assert main(["export", str(path), "--tag", "empty", "--format", "manifest", "-o", out]) == 1
    assert "no clips to export" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "none.latentlab"), "--all", "--format", "manifest", "-o", out]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["export", str(path), "--all", "--format", "manifest", "--reconstructions", "-o", out]) == 1
    assert "--reconstructions goes with --format videos" in capsys.readouterr().err
    (tmp_path / "afile").write_text("x")
    assert main(["export", str(path), "--all", "--format", "manifest", "-o", str(tmp_path / "afile" / "sub")]) == 1
    assert "cannot write next to" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["export", str(path), "--format", "manifest", "-o", out])
    assert exc.value.code == 2  # no scope given
    assert not (tmp_path / "x").exists()


def test_export_from_a_store_without_a_project(project, tmp_path, capsys):
    _path, store = project
    out = tmp_path / "all"
    assert main(["export", "--store", str(store.path), "--all", "--format", "manifest", "-o", str(out), "-q"]) == 0
    with open(out / "manifest.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(store)
    # a saved list of clips: the manifest of an earlier export, or one key a line
    keys = store.clip_keys().tolist()
    listed = tmp_path / "keep.txt"
    listed.write_text(f"# two clips\n{keys[3]}\n{keys[1]}\n", encoding="utf-8")
    out2 = tmp_path / "two"
    assert (
        main(
            ["export", "--store", str(store.path), "--keys", str(listed), "--format", "manifest", "-o", str(out2), "-q"]
        )
        == 0
    )
    with open(out2 / "manifest.csv", encoding="utf-8") as fh:
        assert [int(r["index"]) for r in csv.DictReader(fh)] == [1, 3]
    out3 = tmp_path / "again"
    assert (
        main(
            [
                "export",
                "--store",
                str(store.path),
                "--keys",
                str(out / "manifest.csv"),
                "--format",
                "manifest",
                "-o",
                str(out3),
                "-q",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "export",
                "--store",
                str(store.path),
                "--tag",
                "cat",
                "--format",
                "manifest",
                "-o",
                str(tmp_path / "x"),
                "-q",
            ]
        )
        == 1
    )
    assert "has no tags" in capsys.readouterr().err
    assert main(["export", "--all", "--format", "manifest", "-o", str(tmp_path / "y"), "-q"]) == 1
    assert "give a project file or --store" in capsys.readouterr().err
