"""File -> Export…: the clips of a tag, a saved selection, the current selection or all clips, as a
manifest, videos, Embedding Projector files or a folder per tag (see :mod:`latentlab.media.export_clips`).

:class:`ExportExtension` does the work: :meth:`ExportExtension.export` collects the inputs on the GUI
thread (clip indices, tags of each clip, latents) and writes on a job with progress; the report goes to
the status bar and :attr:`~ExportExtension.exported`. :class:`~latentlab.gui.project.export_dialog.ExportDialog`
only asks; it asks again before writing into a folder that is not empty.

A scope is ``("all", None)``, ``("current", None)``, ``("tag", name)`` or ``("selection", name)``;
tags and saved selections come from the curation extension (``ctx.curation``). The pinned points
(:attr:`ExportExtension.pinned`, given by the point-drag extension) can go along: each one's decoded clip
and latent under ``pinned/`` and a ``pinned.csv`` row marked ``generated`` (see
:func:`~latentlab.app.pinned_export.pinned_into_export`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMessageBox

from latentlab.core.export_tables import ExportError
from latentlab.core.pinned_points import PinnedPoints
from latentlab.gui.errors import guarded
from latentlab.gui.shell import ExtensionBase, WindowContext
from latentlab.gui.workers import Job

if TYPE_CHECKING:
    from latentlab.gui.project.export_dialog import ExportDialog

NOTE_MS = 60_000  # how long the "exported ..." note stays in the status bar
FORMATS = {
    "manifest": "Manifest (CSV + JSON)",
    "videos": "Videos (MP4)",
    "projector": "Embedding Projector (TSV)",
    "folders": "Folder per tag (dataset)",
}


class ExportExtension(ExtensionBase):
    """The File -> Export… action and the export jobs of one window."""

    exported = Signal(object)  # ExportReport, on the GUI thread

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx)
        ctx.export = self
        self.state = ctx.state
        self.last_report = None
        self.pinned: PinnedPoints | None = None  # the window's pinned points, when it has them
        self.action = QAction("&Export…", ctx.window)
        self.action.setStatusTip("Export clips: manifest, videos, Embedding Projector files, a folder per tag")
        self.action.triggered.connect(guarded(self.open_dialog))
        ctx.add_file_action(self.action)
        ctx.needs_data(self.action)
        # The last export's summary (the status bar shows it for NOTE_MS, with the files in its tooltip).
        self.note = QLabel("")
        self.note.setObjectName("export_note")
        self.note.setMinimumWidth(1)  # a long note is clipped (full text in its tooltip), never widens the window
        self.note.hide()  # kept for its text and listing; the job strip's message shows the result
        self._clear = QTimer(self, singleShot=True, interval=NOTE_MS)
        self._clear.timeout.connect(lambda: self.note.setText(""))

    # ------------------------------------------------------------------------------ inputs
    def scopes(self) -> list[tuple[tuple[str, str | None], str]]:
        """``[(scope, label)]`` the dialog offers, with clip counts."""
        ds = self.state.dataset
        if ds is None:
            return []
        out = [(("all", None), f"All clips ({ds.n_clips:,})")]
        sel = len(self.state.selection)
        if sel:
            out.append((("current", None), f"Current selection ({sel:,})"))
        cur = self.ctx.curation
        if cur is not None:
            counts = cur.book.counts()
            out += [(("tag", n), f"Tag: {n} ({counts.get(n, 0):,})") for n in cur.book.names()]
            out += [
                (("selection", n), f"Saved selection: {n} ({len(cur.selections.get(n)):,})")
                for n in cur.selections.names()
            ]
        return out

    def indices(self, scope) -> np.ndarray:
        """Sorted clip indices of ``scope`` in the current dataset."""
        kind, name = scope
        ds = self.state.dataset
        if ds is None:
            raise ExportError("open a clip store first")
        cur = self.ctx.curation
        if kind == "all":
            return np.arange(ds.n_clips, dtype=np.int64)
        if kind == "current":
            return np.asarray(self.state.selection, dtype=np.int64)
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

    def pinned_count(self) -> int:
        """How many pinned points an export can include."""
        return 0 if self.pinned is None else len(self.pinned)

    def tags_of(self, indices: np.ndarray) -> list[list[str]]:
        cur = self.ctx.curation
        if cur is None:
            return [[] for _ in indices]
        return [list(cur.book.tags_of(int(i))) for i in indices]

    # ------------------------------------------------------------------------------ export
    def export(
        self, scope, fmt: str, out, reconstructions: bool = False, force: bool = False, pinned: bool = False
    ) -> Job:
        """Export ``scope`` as ``fmt`` to the folder ``out`` on a background job; returns the job.
        ``pinned``: the pinned points go along, marked generated.

        Raises :class:`ExportError` at once for what can be told before starting (no store, empty
        scope, no model for reconstructions); write errors make the job fail with the reason.
        """
        from latentlab.media.export_clips import run_export

        if fmt not in FORMATS:
            raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
        if reconstructions and fmt != "videos":
            raise ExportError("reconstructions are written by the videos format only")
        ds = self.state.dataset
        if ds is None or ds.store is None:
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
        info = {"scope": {"kind": scope[0], "name": scope[1]}, "checkpoint": self.ctx.checkpoint}
        extra = self._pinned_writer(ds) if pinned else None

        def work(ctx):
            return run_export(
                fmt,
                store,
                idx,
                tags,
                out,
                force=force,
                mu=mu,
                reconstruct=reconstruct,
                progress=lambda f, t: ctx.progress(f, text=t),
                cancel=ctx.is_cancelled,
                info=info,
                extra=extra,
            )

        job = self.ctx.runner.submit(f"export {fmt}", work)
        job.succeeded.connect(guarded(self._on_exported))
        return job

    def _pinned_writer(self, ds):
        """``extra(folder, report)`` for :func:`run_export` that adds the pinned points (fixed now)."""
        from latentlab.app.pinned_export import pinned_into_export

        points = [] if self.pinned is None else list(self.pinned)
        if not points:
            raise ExportError("there are no pinned points (Shift+release a dragged point on the map to pin one)")
        codec, fps, keys = ds.codec, ds.fps, list(ds.clip_keys())
        if codec is None:
            raise ExportError("the model is still loading; try again in a moment")

        def extra(folder, report) -> None:
            report.files += pinned_into_export(points, codec, folder, fps, keys)
            report.counts["pinned points (generated)"] = len(points)

        return extra

    def _on_exported(self, report) -> None:
        self.last_report = report
        text = report.summary()
        self.ctx.status.say(text, "\n".join(report.files[:20]), NOTE_MS)  # where the user looks
        self.note.setText(text if len(text) <= 120 else text[:117] + "…")
        listing = "\n".join(report.files[:20]) + (
            f"\n… and {len(report.files) - 20} more" if len(report.files) > 20 else ""
        )
        self.note.setToolTip(f"{text}\n\n{listing}")
        self._clear.start()
        self.exported.emit(report)

    # ------------------------------------------------------------------------------ dialog
    def confirm_overwrite(self, out: Path) -> bool:
        """Ask before writing into a folder that is not empty (tests replace this)."""
        answer = QMessageBox.question(
            self.ctx.window,
            "Export",
            f"{out} is not empty.\n\nWrite the export into it anyway? Files with the same "
            "names are replaced (an earlier export there is replaced as a whole); nothing else is deleted.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def open_dialog(self) -> ExportDialog | None:
        from latentlab.gui.project.export_dialog import ExportDialog

        if not self.scopes():
            raise ExportError("open a clip store first")
        dialog = ExportDialog(self, self.ctx.window)
        dialog.exec()
        return dialog
