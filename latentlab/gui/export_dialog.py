"""File -> Export…: the clips of a tag, a saved selection, the current selection or all clips, as a
manifest, videos, Embedding Projector files or a folder per tag (see :mod:`latentlab.media.export_clips`).

:class:`ExportController` (``window.extensions["export"]``) does the work: :meth:`ExportController.export`
collects the inputs on the GUI thread (clip indices, tags of each clip, latents) and writes on a
``window.runner`` job with progress; the report goes to the status bar and :attr:`~ExportController.exported`.
:class:`ExportDialog` only asks; it asks again before writing into a folder that is not empty.

A scope is ``("all", None)``, ``("current", None)``, ``("tag", name)`` or ``("selection", name)``;
tags and saved selections come from the curation extension (``window.extensions["curation"]``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton, QWidget)

from latentlab.core.export_output import check_output, is_nonempty_dir
from latentlab.core.export_tables import ExportError
from latentlab.gui.wrapped_label import WrappedLabel
from latentlab.gui.errors import guarded
from latentlab.gui.workers import Job

NOTE_MS = 60_000  # how long the "exported ..." note stays in the status bar
FORMATS = {"manifest": "Manifest (CSV + JSON)", "videos": "Videos (MP4)",
           "projector": "Embedding Projector (TSV)", "folders": "Folder per tag (dataset)"}


def install(window) -> "ExportController":
    return ExportController(window)


class ExportController(QObject):
    """The File -> Export… action and the export jobs of one window."""

    exported = Signal(object)  # ExportReport, on the GUI thread

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.last_report = None
        self.action = QAction("&Export…", window)
        self.action.setStatusTip("Export clips: manifest, videos, Embedding Projector files, a folder per tag")
        self.action.triggered.connect(guarded(self.open_dialog))
        window.file_menu.insertAction(window.file_menu_end, self.action)
        window.needs_data(self.action)
        # The last export's summary (the status bar shows it for NOTE_MS, with the files in its tooltip).
        self.note = QLabel("")
        self.note.setObjectName("export_note")
        self.note.setMinimumWidth(1)  # a long note is clipped (full text in its tooltip), never widens the window
        self.note.hide()  # kept for its text and listing; the job strip's message shows the result
        self._clear = QTimer(self, singleShot=True, interval=NOTE_MS)
        self._clear.timeout.connect(lambda: self.note.setText(""))

    # ------------------------------------------------------------------------------ inputs
    def _curation(self):
        return getattr(self.window, "extensions", {}).get("curation")

    def scopes(self) -> list[tuple[tuple[str, str | None], str]]:
        """``[(scope, label)]`` the dialog offers, with clip counts."""
        ds = self.window.state.dataset
        if ds is None:
            return []
        out = [(("all", None), f"All clips ({ds.n_clips:,})")]
        sel = len(self.window.state.selection)
        if sel:
            out.append((("current", None), f"Current selection ({sel:,})"))
        cur = self._curation()
        if cur is not None:
            counts = cur.book.counts()
            out += [(("tag", n), f"Tag: {n} ({counts.get(n, 0):,})") for n in cur.book.names()]
            out += [(("selection", n), f"Saved selection: {n} ({len(cur.selections.get(n)):,})")
                    for n in cur.selections.names()]
        return out

    def indices(self, scope) -> np.ndarray:
        """Sorted clip indices of ``scope`` in the current dataset."""
        kind, name = scope
        ds = self.window.state.dataset
        if ds is None:
            raise ExportError("open a clip store first")
        cur = self._curation()
        if kind == "all":
            return np.arange(ds.n_clips, dtype=np.int64)
        if kind == "current":
            return np.asarray(self.window.state.selection, dtype=np.int64)
        if kind in ("tag", "selection") and cur is None:
            raise ExportError("tags and saved selections are not available in this window")
        if kind == "tag":
            if name not in cur.book.names():
                raise ExportError(f"there is no tag {name!r}")
            return np.asarray(cur.book.members(name), dtype=np.int64)
        if kind == "selection":
            if name not in cur.selections.names():
                raise ExportError(f"there is no saved selection {name!r}")
            return np.sort(np.asarray(cur.selections.get(name), dtype=np.int64))
        raise ExportError(f"unknown export scope {scope!r}")

    def tags_of(self, indices: np.ndarray) -> list[list[str]]:
        cur = self._curation()
        if cur is None:
            return [[] for _ in indices]
        return [list(cur.book.tags_of(int(i))) for i in indices]

    # ------------------------------------------------------------------------------ export
    def export(self, scope, fmt: str, out, reconstructions: bool = False, force: bool = False) -> Job:
        """Export ``scope`` as ``fmt`` to the folder ``out`` on a background job; returns the job.

        Raises :class:`ExportError` at once for what can be told before starting (no store, empty
        scope, no model for reconstructions); write errors make the job fail with the reason.
        """
        from latentlab.media.export_clips import run_export

        if fmt not in FORMATS:
            raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
        if reconstructions and fmt != "videos":
            raise ExportError("reconstructions are written by the videos format only")
        ds = self.window.state.dataset
        if ds is None or getattr(ds, "store", None) is None:
            raise ExportError("exports need a clip store: open one first (File -> Open store…)")
        store = ds.store
        idx = self.indices(scope)
        if idx.size == 0:
            raise ExportError("there are no clips to export (the tag or selection is empty)")
        tags = self.tags_of(idx)
        mu = np.asarray(ds.mu)[idx] if fmt == "projector" else None  # copies: the job gets fixed inputs
        reconstruct = None
        if reconstructions:
            codec = ds.codec
            if codec is None:
                raise ExportError("the model is still loading; try again in a moment")
            mu_all = np.asarray(ds.mu)
            reconstruct = lambda batch, _clips: codec.decode(mu_all[batch])  # noqa: E731  (B, T, H, W, C)
        info = {"scope": {"kind": scope[0], "name": scope[1]}, "checkpoint": self.window.checkpoint}

        def work(ctx):
            return run_export(fmt, store, idx, tags, out, force=force, mu=mu, reconstruct=reconstruct,
                              progress=lambda f, t: ctx.progress(f, text=t), cancel=ctx.is_cancelled, info=info)

        job = self.window.runner.submit(f"export {fmt}", work)
        job.succeeded.connect(guarded(self._on_exported))
        return job

    def _on_exported(self, report) -> None:
        self.last_report = report
        text = report.summary()
        status = getattr(self.window, "status", None)
        if status is not None and hasattr(status, "say"):  # where the user looks: the status bar's message
            listing_ = "\n".join(report.files[:20])
            status.say(text, listing_, NOTE_MS)
        self.note.setText(text if len(text) <= 120 else text[:117] + "…")
        listing = "\n".join(report.files[:20]) + (f"\n… and {len(report.files) - 20} more" if len(report.files) > 20 else "")
        self.note.setToolTip(f"{text}\n\n{listing}")
        self._clear.start()
        self.exported.emit(report)

    # ------------------------------------------------------------------------------ dialog
    def confirm_overwrite(self, out: Path) -> bool:
        """Ask before writing into a folder that is not empty (tests replace this)."""
        answer = QMessageBox.question(
            self.window, "Export", f"{out} is not empty.\n\nWrite the export into it anyway? Files with the same "
            "names are replaced (an earlier export there is replaced as a whole); nothing else is deleted.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def open_dialog(self) -> "ExportDialog | None":
        if not self.scopes():
            raise ExportError("open a clip store first")
        dialog = ExportDialog(self, self.window)
        dialog.exec()
        return dialog


class ExportDialog(QDialog):
    """Scope, format, reconstructions, output folder; OK starts the export through the controller."""

    def __init__(self, controller: ExportController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export clips")
        self.controller, self.job = controller, None
        self.scope = QComboBox()
        self._scopes = controller.scopes()  # the combo's row k is self._scopes[k]
        for _scope, label in self._scopes:
            self.scope.addItem(label)
        self.format = QComboBox()
        for key, label in FORMATS.items():
            self.format.addItem(label, key)
        self.reconstructions = QCheckBox("also the model's reconstructions")
        self.out = QLineEdit()
        self.out.setMinimumWidth(360)
        self.out.textChanged.connect(self.out.setToolTip)  # the whole folder, should the box be narrower
        self._suggested = ""
        browse = QPushButton("Browse…")
        browse.clicked.connect(guarded(self._browse))
        row = QHBoxLayout()
        row.addWidget(self.out, 1)
        row.addWidget(browse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.error = WrappedLabel("")  # a long folder name in an error: every line shown, the dialog scrolls none
        self.error.setObjectName("error")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Clips", self.scope)
        form.addRow("Format", self.format)
        form.addRow("", self.reconstructions)
        form.addRow("Folder", row)
        form.addRow(self.error)
        form.addRow(self.buttons)
        self.scope.currentIndexChanged.connect(self._suggest)
        self.format.currentIndexChanged.connect(self._suggest)
        self._suggest()

    def current_scope(self) -> tuple[str, str | None] | None:
        k = self.scope.currentIndex()
        return self._scopes[k][0] if 0 <= k < len(self._scopes) else None

    def set_scope(self, scope: tuple[str, str | None]) -> None:
        """Choose ``scope`` (e.g. ``("tag", "cat")``); ValueError if it is not offered."""
        self.scope.setCurrentIndex([s for s, _ in self._scopes].index(tuple(scope)))

    def _settings(self):
        return getattr(self.controller.window, "settings", None)

    def _suggest(self) -> None:
        """Enable reconstructions for videos only; propose ``<last parent>/<scope>-<format>`` until edited."""
        fmt = self.format.currentData()
        self.reconstructions.setEnabled(fmt == "videos")
        if fmt != "videos":
            self.reconstructions.setChecked(False)
        if self.out.text() and self.out.text() != self._suggested:
            return  # the user typed a folder: keep it
        s = self._settings()
        parent = Path(str(s.value("export/parent", str(Path.home())))) if s is not None else Path.home()
        kind, name = self.current_scope() or ("all", None)
        slug = re.sub(r"[^\w.-]+", "_", f"{kind}-{name}" if name else kind).strip("_") or "clips"
        self._suggested = str(parent / f"export-{slug}-{fmt}")
        self.out.setText(self._suggested)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export into folder", str(Path(self.out.text()).parent))
        if path:
            self.out.setText(path)

    def accept(self) -> None:
        """Validate, ask before overwriting, start the export; the dialog stays open if it cannot."""
        try:
            self._start()
        except (ExportError, OSError) as exc:
            self.error.setText(str(exc))  # shown in the dialog, which stays open
            return
        super().accept()

    def _start(self) -> None:
        text = self.out.text().strip()
        if not text:
            raise ExportError("choose an output folder")
        out = check_output(text, force=True)  # a file in the way is an error; a full folder is asked about
        force = False
        if is_nonempty_dir(out):
            if not self.controller.confirm_overwrite(out):
                raise ExportError(f"{out} is not empty: choose another folder")
            force = True
        scope = self.current_scope()
        if scope is None:
            raise ExportError("choose which clips to export")
        self.job = self.controller.export(scope, self.format.currentData(), out,
                                          reconstructions=self.reconstructions.isChecked(), force=force)
        s = self._settings()
        if s is not None:
            s.setValue("export/parent", str(out.parent))
