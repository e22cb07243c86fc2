"""Drag points on the map, pin what was found: the window's side of :mod:`~latentlab.gui.map.point_drag`.

Builds the drag (the decoded frames show in the probe panel), the pinned points (stars on the map, the
"Pinned points" dock as a tab beside Generate) and File → Export pinned points…. A pinned point plays in the
probe panel (while it is shown there the Tags dock tags it), is an end of the interpolation (A = the clip in
the player, B = the point) and exports as its decoded video and latent marked ``generated: true`` (alone,
or with clips through File → Export…); File → Import pinned points… pins those of
such a file again. Pinned points belong to the dataset shown: a new dataset clears them. Their edits
(pin, tag, remove, import) are steps of the window's Edit → Undo history (the curation's stack), so
they make the project unsaved like tag edits; the project saves them and gives them back on opening.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QFileDialog

from latentlab.app.pinned_export import export_pinned
from latentlab.app.point_drag import render_pinned
from latentlab.core.atomic import read_json
from latentlab.core.pinned_points import (
    PinnedPoints,
    PinPoint,
    ShownPinned,
    largest_id,
    pinned_records,
    points_from_records,
    project_points,
)
from latentlab.core.project import Project
from latentlab.core.undo import MacroCommand, UndoStack
from latentlab.gui.errors import guarded, listen
from latentlab.gui.generate.probe_panel import ProbeFrame
from latentlab.gui.map.pinned_points import PinnedLayer, PinnedPanel
from latentlab.gui.map.point_drag import PointDrag, PointDragEnd
from latentlab.gui.shell import ExtensionBase, WindowContext, while_shown


class PointDragExtension(ExtensionBase):
    """``drag`` (the map's point drag), ``points`` with their ``undo`` stack (the window's Edit history),
    ``layer`` and ``panel``."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx)
        self.state = ctx.state
        self.points = PinnedPoints()
        self.undo = ctx.curation.undo if ctx.curation is not None else UndoStack()
        self.kept: list[dict] = []  # a project's pinned points this model cannot show, saved back as they were
        self._dataset = None  # the dataset the pinned points belong to
        self.probe = ctx.window.probe
        self.drag = PointDrag(ctx.map, self.probe, say=ctx.say)
        self.layer = PinnedLayer(ctx.map.view, self.points)
        self.panel = PinnedPanel(self.points, self.undo)
        self.dock = QDockWidget("Pinned points", ctx.window)
        self.dock.setObjectName("dock_pinned")
        self.dock.setWidget(self.panel)
        ctx.add_dock(self.dock)
        self.dock.hide()  # until the first point is pinned, or View → Pinned points
        ctx.add_view_action(self.dock.toggleViewAction())
        self.export_action = ctx.add_file_action(QAction("Export &pinned points…", ctx.window))
        self.export_action.setStatusTip("Write each pinned point's decoded clip and latent (marked generated)")
        ctx.needs_data(self.export_action)
        self.export_action.triggered.connect(guarded(lambda *_: self.export()))
        self.import_action = ctx.add_file_action(QAction("Import pinned points…", ctx.window))
        self.import_action.setStatusTip("Pin again the points of a pinned.json written by Export pinned points…")
        ctx.needs_data(self.import_action)
        self.import_action.triggered.connect(guarded(lambda *_: self.import_file()))
        self._probe_caption = self.probe.decoded.caption
        self.drag.started.connect(guarded(self._on_drag_started))
        self.drag.released.connect(guarded(self._on_put_back))
        self.drag.cancelled.connect(guarded(self._on_cancelled))
        listen(self, self.state.probe_moved, self._on_probe_moved)
        listen(self, self.state.current_changed, lambda *_: self._shown(None))  # the Tags dock tags clips again
        listen(self, self.state.selection_changed, lambda *_: self._shown(None))
        self.points.changed.connect(guarded(self._on_points_changed))
        if ctx.export is not None:
            ctx.export.pinned = self.points  # File → Export… can include them
        if ctx.curation is not None:  # the Pinned dock's tag field completes the Tags dock's tags
            ctx.curation.state_changed.connect(guarded(self._offer_tags))
            self._offer_tags()
        self.drag.pinned.connect(guarded(self.pin))
        self.panel.play.connect(guarded(self.play))
        self.panel.interpolate.connect(guarded(self.interpolate_to))
        self.panel.export.connect(guarded(lambda: self.export()))
        self.layer.stars.sigClicked.connect(guarded(self._on_star_clicked))
        listen(self, self.state.dataset_changed, self._on_dataset_changed)
        # A new map (the sample data's t-SNE after the first PCA) puts the stars where it projects them.
        self.place_channel = ctx.worker.channel("pinned_place")
        self.place_channel.ready.connect(self._on_placed)
        listen(self, self.state.projection_changed, self._place)
        if ctx.project is not None:
            ctx.project.gatherers.append(self._into_project)
            ctx.project.opened.connect(guarded(self._from_project))
        self._carry: list[dict] = []  # what a project takes on to the next dataset
        early = guarded(self._before_dataset_change)  # before the curation empties the shared history
        ctx.state.dataset_changed.connect(early, priority=10)
        ctx.window.destroyed.connect(lambda *_: ctx.state.dataset_changed.disconnect(early, missing_ok=True))

    def _before_dataset_change(self, _dataset) -> None:
        """Inside an open project the pinned points go on with the next data, as its tags do: the unsaved
        ones (then the project stays unsaved), or those of the file (after Discard, or none changed)."""
        proj = self.ctx.project
        if proj is None or proj.project is None or proj.opening:
            self._carry = []
            return
        mine = self._records(self._dataset)
        if not proj.dirty:
            self._carry = list(proj.project.pinned)
            return
        self._carry = mine
        if mine != proj.project.pinned:
            proj.session.mark_changed()  # the history that held the edits is about to be emptied

    def _on_dataset_changed(self, dataset) -> None:
        """A new dataset: the pinned points and their history go (an open project's are carried on, shown
        when the new model has their size)."""
        carried, self._carry = self._carry, []
        self._dataset = dataset
        self.drag.cancel()
        self.layer.placed = {}
        self.undo.clear()
        self.points.clear()
        self.kept = []
        if carried and dataset is not None:
            self._show_records(carried, dataset)

    def _records(self, dataset) -> list[dict]:
        """The pinned points as a project saves them (source clips by key of ``dataset``), and those kept."""
        keys = None if dataset is None else list(dataset.clip_keys())
        return pinned_records(list(self.points), keys) + list(self.kept)

    def _into_project(self, project: Project) -> None:
        """Save the pinned points with the project."""
        project.pinned = self._records(self._dataset)

    def _from_project(self, project: Project) -> None:
        """The opened project's pinned points drawn and listed (not an edit)."""
        if self.state.dataset is not None:
            self._show_records(project.pinned, self.state.dataset)

    def _show_records(self, records: list, dataset) -> None:
        """Show saved pinned points; those of another model's size are kept unshown, with a one-line note."""
        points, self.kept, note = project_points(records, dataset.latent_dim, list(dataset.clip_keys()))
        self.points.restore(points, reserved=largest_id(self.kept))
        if note:
            self.ctx.status.show_error(note)
        if points:
            self.dock.show()

    def _shown(self, point_id: int | None) -> None:
        """The probe panel shows pinned point ``point_id`` (None: no longer): the Tags dock tags it."""
        if self.ctx.curation is not None:
            self.ctx.curation.show_pinned(None if point_id is None else ShownPinned(self.points, point_id))

    def _offer_tags(self) -> None:
        book = self.ctx.curation.book
        self.panel.set_tag_names([(n, book.colour(n)) for n in book.names()])

    def _on_probe_moved(self, *_xy) -> None:
        self.probe.decoded.set_caption(self._probe_caption)
        self._shown(None)

    def _on_points_changed(self) -> None:
        cur = self.ctx.curation
        if cur is not None and cur.pinned_shown is not None and cur.pinned_shown.point() is None:
            self._shown(None)  # the point shown was removed

    def _on_drag_started(self, clip: int) -> None:
        self.ctx.show_generate("probe")
        self.probe.decoded.set_caption(f"dragging clip {clip}")

    def _on_put_back(self, _clip: int) -> None:
        """The drag let go without Shift: the probe panel shows the probe again."""
        if self.state.probe is not None:
            self.state.move_probe(*self.state.probe)
        else:
            self.probe.decoded.set_caption(self._probe_caption)

    def _on_cancelled(self, clip: int) -> None:
        self._on_put_back(clip)
        self.ctx.say(f"drag of clip {clip} cancelled: nothing pinned")

    def _place(self, projection) -> None:
        points = list(self.points)
        if not points:
            return
        ids, z = [p.id for p in points], np.stack([p.z for p in points])
        self.place_channel.request(lambda: (projection, ids, projection.transform(z)))  # t-SNE: ~1 s

    @guarded
    def _on_placed(self, _rid: int, placed) -> None:
        projection, ids, xy = placed
        if projection is self.state.projection:
            self.layer.place(dict(zip(ids, np.asarray(xy, np.float64))))

    def _on_star_clicked(self, _item, spots, _ev) -> None:
        if len(spots):
            point_id = int(spots[0].data())
            self.panel.choose(point_id)
            self.play(point_id)

    # ------------------------------------------------------------------------------ actions
    def pin(self, end: PointDragEnd) -> None:
        """Keep a Shift-released drag as a pinned point (one undo step)."""
        if end.dataset is not self.state.dataset:
            return
        point = self.points.new_point(end.z, end.pos, end.clip)
        self.undo.push(PinPoint(self.points, point))
        self.dock.show()
        self.panel.choose(point.id)
        self.probe.decoded.set_caption(f"{point.name} (dragged from clip {end.clip})")
        self.ctx.say(f"{point.name}: the latent dragged from clip {end.clip}, kept (the Pinned tab plays it)")

    def play(self, point_id: int) -> None:
        """Decode pinned point ``point_id`` and show it in the probe panel."""
        ds, inverse, point = self.state.dataset, self.state.inverse, self.points.get(point_id)
        if ds is None or ds.codec is None or inverse is None:
            self.ctx.say("the model is still loading: the pinned point plays once it is here")
            return
        codec = ds.codec
        self.probe.channel.request(lambda: ProbeFrame(ds, render_pinned(inverse, codec, point.z, point.pos)))
        self.ctx.show_generate("probe")
        self.probe.decoded.set_caption(f"{point.name} (dragged {point.origin})")
        self._shown(point_id)

    def interpolate_to(self, point_id: int) -> None:
        """Interpolate from the clip in the player (A) to pinned point ``point_id`` (B)."""
        point, current = self.points.get(point_id), self.state.current
        if current < 0:
            self.ctx.say("pick a clip on the map first: it is where the interpolation starts (A)")
            return
        self.state.set_interpolation(a=current)
        self.state.set_generated_end("b", point.name, point.z)
        self.ctx.show_generate("interpolate")
        self.ctx.say(f"interpolating clip {current} → {point.name}: drag the slider in the Interpolate tab")

    def import_file(self, path: str | None = None) -> int:
        """Pin the points of a ``pinned.json`` (File → Export pinned points…) again; one undo step.
        Returns how many were pinned (0, with a one-line message, for a file that holds none)."""
        ds = self.state.dataset
        if ds is None:
            return 0
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.ctx.window, "Import pinned points", "", "Pinned points (*.json)")
            if not path:
                return 0
        try:
            doc = read_json(path)
            records = doc.get("points") if isinstance(doc, dict) and doc.get("generated") is True else None
            if not isinstance(records, list):
                raise ValueError("it is not a pinned-points file (File → Export pinned points… writes one)")
            found = points_from_records(records, ds.latent_dim, list(ds.clip_keys()))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            self.ctx.say(f"{Path(path).name} cannot be imported: {exc}")
            return 0
        start = self.points.next_id
        pins = [PinPoint(self.points, replace(p, id=start + k)) for k, p in enumerate(found)]
        if pins:
            self.undo.push(MacroCommand(f"import {len(pins)} pinned point(s)", pins))
            self.dock.show()
        self.ctx.say(f"pinned {len(pins)} point(s) from {Path(path).name}")
        return len(pins)

    def export(self, folder: str | None = None):
        """Write every pinned point (decoded video, latent, ``generated: true``) into ``folder``, as a job."""
        ds, points = self.state.dataset, list(self.points)
        if ds is None or ds.codec is None or not points:
            self.ctx.say("no pinned points to export: Shift+release a dragged point on the map to pin one")
            return None
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self.ctx.window, "Export pinned points into")
            if not folder:
                return None
        codec, fps, keys = ds.codec, ds.fps, list(ds.clip_keys())

        def work(jctx):
            files = export_pinned(points, codec, folder, fps, keys, progress=lambda f: jctx.progress(f))
            return f"exported {len(points)} pinned point(s) to {files[0].parent.name}: videos, latents, pinned.json"

        job = self.ctx.runner.submit("export pinned points", work)
        job.succeeded.connect(guarded(while_shown(self.state, ds, self.ctx.say)))
        return job
