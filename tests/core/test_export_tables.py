"""Export tables read back: manifest CSV/JSON, Projector TSVs under the Projector's parsing rules,
and the staging folder that keeps an interrupted export from looking complete."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from latentlab.core.export_output import (
    MARKER,
    ExportReport,
    OutputExists,
    check_output,
    read_report,
    staged_output,
    write_report,
)
from latentlab.core.export_tables import (
    EMPTY_LABEL,
    ExportError,
    escape_tsv,
    join_tags,
    manifest_rows,
    projector_metadata,
    split_tags,
    unescape_tsv,
    write_manifest_csv,
    write_manifest_json,
    write_projector_metadata,
    write_projector_vectors,
)

NASTY = ["plain", "tab\there", "new\nline", "cr\rlf\r\n", "back\\slash", "pipe|bar", "日本語 ünïcode", "", " "]


class FakeStore:
    """The store surface manifest_rows uses: clip_keys, table, source_path, len."""

    def __init__(self, n: int = 5) -> None:
        self.table = np.zeros(
            n,
            [
                ("source_id", "<i4"),
                ("start_frame", "<i8"),
                ("end_frame", "<i8"),
                ("start_time", "<f8"),
                ("end_time", "<f8"),
                ("fps", "<f8"),
            ],
        )
        self.table["start_frame"] = np.arange(n) * 8
        self.table["end_frame"] = np.arange(n) * 8 + 8
        self.table["fps"] = 12.0
        self.table["start_time"] = self.table["start_frame"] / 12.0
        self.table["end_time"] = self.table["end_frame"] / 12.0
        self.table["source_id"] = np.arange(n) % 2

    def __len__(self) -> int:
        return len(self.table)

    def clip_keys(self):
        return np.asarray([f"abcd:{8 * i}:0" for i in range(len(self))])

    def source_path(self, i: int) -> str:
        return ["relative/vid ü.mp4", "procedural:sprites"][int(self.table["source_id"][i])]


def projector_parse_metadata(text: str) -> tuple[list[str], list[dict]]:
    """The Projector's metadata parser (vz_projector parseMetadata): lines split on \\n, blank lines
    skipped, a header iff the first line holds a tab, fields split on tab, '' read as missing."""
    columns, points, first = ["label"], [], True
    for line in text.split("\n"):
        if not line.strip():
            continue
        if first:
            first = False
            if "\t" in line:
                columns = line.split("\t")
                continue
        values = line.split("\t")
        points.append({c: (values[k] if k < len(values) and values[k] != "" else None) for k, c in enumerate(columns)})
    return columns, points


def projector_parse_vectors(text: str) -> np.ndarray:
    rows = [line.strip().split("\t") for line in text.split("\n") if line.strip()]
    for r in rows:
        float(r[0])  # a non-number first value would be taken as a label
    return np.asarray([[float(x) for x in r] for r in rows])


@pytest.mark.parametrize("tags", [[], ["a"], NASTY, ["|", "\\", "\\|", "a|b\\"]])
def test_tags_join_and_split_round_trip(tags):
    assert split_tags(join_tags(tags)) == tags


def test_escape_tsv_leaves_no_raw_separators_and_round_trips():
    for value in NASTY:
        field = escape_tsv(value)
        assert not set(field) & {"\t", "\n", "\r"}
        assert unescape_tsv(field) == value


def test_manifest_rows_csv_and_json_read_back(tmp_path):
    store = FakeStore()
    tags = [["cat"], [], NASTY, ["dog", "cat"]]
    rows = manifest_rows(store, [0, 1, 2, 4], tags)
    assert [r["clip_id"] for r in rows] == ["abcd:0:0#0", "abcd:8:0#1", "abcd:16:0#2", "abcd:32:0#4"]
    assert rows[0]["source"].endswith("relative/vid ü.mp4") and rows[0]["source"].startswith("/")
    assert rows[1]["source"] == "procedural:sprites"
    write_manifest_csv(tmp_path / "m.csv", rows)
    with open(tmp_path / "m.csv", encoding="utf-8", newline="") as fh:
        back = list(csv.DictReader(fh))
    assert len(back) == 4
    for r, b in zip(rows, back):
        assert split_tags(b["tags"]) == r["tags"]
        assert float(b["start_time"]) == r["start_time"] and float(b["end_time"]) == r["end_time"]
        assert int(b["start_frame"]) == r["start_frame"] and b["source"] == r["source"]
    write_manifest_json(tmp_path / "m.json", rows, {"scope": "tag ü"})
    doc = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert doc["format"] == "latentlab-export-manifest" and doc["scope"] == "tag ü"
    assert [c["tags"] for c in doc["clips"]] == tags
    assert "日本語" in (tmp_path / "m.json").read_text(encoding="utf-8")  # not \\u-escaped


def test_manifest_rows_refuse_mismatched_input():
    with pytest.raises(ExportError, match="tags for 1 clips but 2"):
        manifest_rows(FakeStore(), [0, 1], [["a"]])
    with pytest.raises(ExportError, match="out of range"):
        manifest_rows(FakeStore(), [9], [[]])


def test_projector_files_follow_the_projector_rules(tmp_path):
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(len(NASTY), 5)).astype(np.float32)
    rows = manifest_rows(FakeStore(len(NASTY)), range(len(NASTY)), [[t] for t in NASTY])
    write_projector_vectors(tmp_path / "v.tsv", mu)
    write_projector_metadata(tmp_path / "m.tsv", projector_metadata(rows))
    raw_v = (tmp_path / "v.tsv").read_bytes()
    raw_m = (tmp_path / "m.tsv").read_bytes()
    assert b"\r" not in raw_v + raw_m and not raw_m.startswith(b"\xef\xbb\xbf")
    vectors = projector_parse_vectors(raw_v.decode("utf-8"))
    np.testing.assert_array_equal(vectors.astype(np.float32), mu)  # no header row, exact float32
    columns, points = projector_parse_metadata(raw_m.decode("utf-8"))
    assert columns == ["clip_id", "tag", "tags", "source", "start_time", "end_time"]  # header: > 1 column
    assert len(points) == len(vectors) == len(NASTY)
    for point, tag in zip(points, NASTY):
        assert all(v is None or "\t" not in v and "\n" not in v for v in point.values())
        assert unescape_tsv(point["tag"] or "") == tag  # tabs, newlines, non-ASCII survive
    assert points[6]["tag"] == "日本語 ünïcode" and points[7]["tag"] is None  # empty = missing


def test_single_column_metadata_has_no_header_and_keeps_row_count(tmp_path):
    labels = ["a", "", "tab\tlabel", "   ", "ü"]
    write_projector_metadata(tmp_path / "m.tsv", {"label": labels})
    text = (tmp_path / "m.tsv").read_text(encoding="utf-8")
    columns, points = projector_parse_metadata(text)
    assert columns == ["label"] and len(points) == len(labels)  # no header was taken
    assert [p["label"] for p in points] == ["a", EMPTY_LABEL, "tab\\tlabel", EMPTY_LABEL, "ü"]
    write_projector_metadata(tmp_path / "m2.tsv", {"a": ["", "x"], "b": ["", "y"]})
    assert len(projector_parse_metadata((tmp_path / "m2.tsv").read_text("utf-8"))[1]) == 2


def test_projector_vectors_refuse_what_the_projector_cannot_read(tmp_path):
    with pytest.raises(ExportError, match="NaN"):
        write_projector_vectors(tmp_path / "v.tsv", np.array([[0.0, np.nan]]))
    with pytest.raises(ExportError, match="D >= 2"):
        write_projector_vectors(tmp_path / "v.tsv", np.zeros((3, 1)))
    with pytest.raises(ExportError, match="one value per point"):
        write_projector_metadata(tmp_path / "m.tsv", {"a": [1, 2], "b": [1]})
    assert not (tmp_path / "v.tsv").exists() and not (tmp_path / "m.tsv").exists()


def _export(out, force=False, fail=False, name="a.txt"):
    with staged_output(out, force) as folder:
        assert (folder / MARKER).is_file() and not out.exists() or force
        (folder / name).write_text("new")
        if fail:
            raise RuntimeError("killed")
        report = ExportReport("manifest", str(out), [name], {"clips": 1})
        write_report(folder, report)
    return report


def test_staged_output_appears_only_when_complete_and_never_overwrites_unasked(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        _export(out, fail=True)
    assert not out.exists() and not (tmp_path / "out.partial").exists()
    report = _export(out)
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "export.json"]
    assert read_report(out)["report"]["files"] == report.files == ["a.txt", "export.json"]
    with pytest.raises(OutputExists, match="not empty"):
        _export(out, name="b.txt")
    assert (out / "a.txt").read_text() == "new" and not (out / "b.txt").exists()
    _export(out, force=True, name="b.txt")  # an earlier export of ours is replaced whole
    assert sorted(p.name for p in out.iterdir()) == ["b.txt", "export.json"]


def test_force_into_a_foreign_folder_keeps_its_other_files(tmp_path):
    out = tmp_path / "desktop"
    out.mkdir()
    (out / "precious.doc").write_text("keep")
    (out / "a.txt").write_text("old")
    _export(out, force=True)
    assert (out / "precious.doc").read_text() == "keep" and (out / "a.txt").read_text() == "new"


def test_leftover_partial_is_cleared_but_a_foreign_one_is_refused(tmp_path):
    out = tmp_path / "out"
    (tmp_path / "out.partial").mkdir()
    (tmp_path / "out.partial" / MARKER).touch()
    (tmp_path / "out.partial" / "half.mp4").write_bytes(b"x")
    _export(out)
    assert not (out / "half.mp4").exists()
    other = tmp_path / "o2"
    (tmp_path / "o2.partial").mkdir()
    with pytest.raises(ExportError, match="not an interrupted latentlab export"):
        _export(other)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="not a folder"):
        check_output(tmp_path / "file")


def test_no_character_is_cut_by_the_projectors_decoding_slices(tmp_path, monkeypatch):
    from latentlab.core import export_tables

    monkeypatch.setattr(export_tables, "PROJECTOR_CHUNK", 16)  # the Projector's 1,000,000, scaled down
    labels = ["日" * k for k in range(1, 5)] + ["é" * k for k in range(1, 6)] + ["😀", "ab😀"]  # lines <= 16 bytes
    columns = {"clip_id": [f"c{i}" for i in range(len(labels))], "label": labels}
    write_projector_metadata(tmp_path / "m.tsv", columns)
    raw = (tmp_path / "m.tsv").read_bytes()
    # decode as the Projector does: each slice on its own (a cut character becomes U+FFFD)
    text = "".join(raw[a : a + 16].decode("utf-8", errors="replace") for a in range(0, len(raw), 16))
    assert "\ufffd" not in text
    columns_back, points = projector_parse_metadata(text)
    assert columns_back == ["clip_id", "label"] and [p["label"] for p in points] == labels
    plain = "".join(f"{c}\t{v}\n" for c, v in zip(["clip_id", *columns["clip_id"]], ["label", *labels])).encode()
    assert len(raw) > len(plain)  # blank lines were added: unguarded, some characters are cut
    assert "\ufffd" in "".join(plain[a : a + 16].decode("utf-8", errors="replace") for a in range(0, len(plain), 16))
