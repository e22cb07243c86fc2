"""File -> Export… offscreen: the menu action, the dialog's accept path, overwrite questions, the job."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PySide6.QtWidgets import QDialog

from latentlab.core.export_tables import ExportError
from latentlab.core.tags import TagClips
from latentlab.gui.project.export_dialog import ExportDialog
from tests.gui.store_window import show_store
from tests.media.helpers import read_video


@pytest.fixture
def stored(window, tmp_path, codec):
    """The window showing a real 12-clip store (the fake codec's geometry) with tags cat and dog ü."""
    store = show_store(window, tmp_path / "store", codec)
    cur = window.context.curation
    cur.undo.push(TagClips(cur.book, "cat", [1, 4, 7]))
    cur.undo.push(TagClips(cur.book, "dog ü", [4, 9]))
    cur.selections.save("pair", [10, 2])
    return store


def _menu_action(window):
    return next(a for a in window.file_menu.actions() if a.text() == "&Export…")


def test_export_from_the_menu_writes_and_reports(window, stored, qtbot, tmp_path, monkeypatch):
    controller = window.context.export
    out = tmp_path / "out"
    seen = {}

    def fake_exec(dialog):  # the user picks the tag, the manifest format and a folder, then OK
        seen["scopes"] = [dialog.scope.itemText(i) for i in range(dialog.scope.count())]
        dialog.set_scope(("tag", "cat"))
        dialog.format.setCurrentIndex(dialog.format.findData("manifest"))
        assert not dialog.reconstructions.isEnabled()
        dialog.out.setText(str(out))
        dialog.accept()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportDialog, "exec", fake_exec)
    with qtbot.waitSignal(controller.exported, timeout=10000) as blocker:
        _menu_action(window).trigger()
    assert "Tag: cat (3)" in seen["scopes"] and "Saved selection: pair (2)" in seen["scopes"]
    assert "All clips (12)" in seen["scopes"]
    report = blocker.args[0]
    assert report.files == ["manifest.csv", "manifest.json", "export.json"]
    with open(out / "manifest.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["index"]) for r in rows] == [1, 4, 7] and rows[1]["tags"] == "cat|dog ü"
    assert controller.note.text().startswith(f"exported manifest to {out}: 3 files, 3 clips")
    assert "manifest.json" in controller.note.toolTip()
    shown = window.status.message  # what the user sees: the status bar's message, the files in its tooltip
    assert (
        shown.isVisible()
        and shown.full.startswith(f"exported manifest to {out}")
        and "manifest.json" in shown.toolTip()
    )
    assert window.settings.value("export/parent") == str(tmp_path)


def test_the_dialog_asks_before_writing_into_a_full_folder(window, stored, qtbot, tmp_path, monkeypatch):
    controller = window.context.export
    out = tmp_path / "full"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    answers = []
    monkeypatch.setattr(controller, "confirm_overwrite", lambda path: answers.append(path) or answers[-1] is None)
    dialog = ExportDialog(controller, window)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("projector"))
    dialog.out.setText(str(out))
    dialog.accept()  # refused: the answer is No
    assert answers == [out] and dialog.job is None and "not empty" in dialog.error.text()
    monkeypatch.setattr(controller, "confirm_overwrite", lambda path: True)
    with qtbot.waitSignal(controller.exported, timeout=10000):
        dialog.accept()
    assert (out / "mine.txt").read_text() == "keep"
    meta = (out / "metadata.tsv").read_text(encoding="utf-8").splitlines()
    vectors = np.loadtxt(out / "vectors.tsv", delimiter="\t")
    assert len(meta) == 13 and vectors.shape == (12, window.state.dataset.latent_dim)  # all clips, header
    np.testing.assert_allclose(vectors, window.state.dataset.mu, rtol=1e-6)


def test_controller_videos_with_reconstructions_and_folders(window, stored, qtbot, tmp_path):
    controller = window.context.export
    with qtbot.waitSignal(controller.exported, timeout=20000) as blocker:
        controller.export(("selection", "pair"), "videos", tmp_path / "v", reconstructions=True)
    assert blocker.args[0].counts == {"clips": 2, "reconstructions": 2, "videos": 4}
    for path in (tmp_path / "v").rglob("*.mp4"):
        assert read_video(path).shape == (4, 12, 12, 3)
    with qtbot.waitSignal(controller.exported, timeout=20000):
        controller.export(("all", None), "folders", tmp_path / "f")
    mapping = json.loads((tmp_path / "f" / "folders.json").read_text(encoding="utf-8"))
    assert {mapping[t]: len(list((tmp_path / "f" / mapping[t]).glob("*.mp4"))) for t in mapping} == {
        "cat": 3,
        "dog ü": 2,
    }


def test_controller_refuses_what_it_cannot_do(window, stored, qtbot, tmp_path):
    controller = window.context.export
    window.state.select([])
    with pytest.raises(ExportError, match="no clips"):
        controller.export(("current", None), "manifest", tmp_path / "x")
    with pytest.raises(ExportError, match="videos format only"):
        controller.export(("all", None), "manifest", tmp_path / "x", reconstructions=True)
    with pytest.raises(ExportError, match="no tag 'bird'"):
        controller.export(("tag", "bird"), "manifest", tmp_path / "x")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a").write_text("a")
    job = controller.export(("all", None), "manifest", tmp_path / "x")  # starts on the next event loop turn
    failed = []
    job.failed.connect(lambda msg, _tb: failed.append(msg))
    with qtbot.waitSignal(job.done, timeout=10000):
        pass
    assert failed and "not empty" in failed[0] and "not empty" in window.status.last_error
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["a"]


def test_export_is_built_after_curation_and_projects():
    from latentlab.gui.curation.curation_extension import CurationExtension
    from latentlab.gui.extensions import EXTENSIONS
    from latentlab.gui.project.export_extension import ExportExtension
    from latentlab.gui.project.project_extension import ProjectExtension

    assert EXTENSIONS.index(CurationExtension) < EXTENSIONS.index(ProjectExtension) < EXTENSIONS.index(ExportExtension)
