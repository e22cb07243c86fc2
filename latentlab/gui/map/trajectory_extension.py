"""A video as a trajectory: one source video's clips joined on the map in time order, and a scrubber.

The user picks a source video (View → "Show a video's path…" and the panel's list of videos, or
right-click a clip → "Show its video (a.mp4, at 0:12)"); its clips are joined on the map by a
polyline in time order, and the "Video path" dock's scrubber moves a marker along it while showing
the video at that time (:mod:`latentlab.gui.map.trajectory_panel`). A clip's video and time come
from the store's table (:mod:`latentlab.core.video_paths`). The path is cleared with the dataset,
hidden while a new map is being fitted and drawn again on the new projection; closing the dock clears
it. Sample data has no source videos: the feature says so in one line.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu

from latentlab.core.video_paths import PathPosition, VideoIndex, VideoPath, clip_place, no_videos_reason
from latentlab.gui.errors import guarded, listen
from latentlab.gui.map.trajectory_panel import PathOverlay, TrajectoryPanel
from latentlab.gui.shell import ExtensionBase, WindowContext

DOCK = "dock_trajectory"


class TrajectoryExtension(ExtensionBase):
    """The "Video path" dock, its map overlay, its View entry and its context-menu entry."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx)
        self.index: VideoIndex | None = None
        self.reason: str | None = no_videos_reason(None)
        self.overlay = PathOverlay(ctx.map.view)
        self.panel = TrajectoryPanel(ctx.state, ctx.worker)
        self.dock = QDockWidget("Video path", ctx.window)
        self.dock.setObjectName(DOCK)
        self.dock.setWidget(self.panel)
        ctx.add_dock(self.dock)
        self.dock.hide()  # until a video's path is shown (View → Show a video's path…, or a clip's menu)
        self.dock.visibilityChanged.connect(guarded(self._on_dock_visible))
        self.action = ctx.needs_data(ctx.add_view_action(QAction("Show a &video's path…", ctx.window)))
        self.action.triggered.connect(guarded(self.show_chosen))
        ctx.map.context_entries.append(self._context_entries)
        self.panel.source_chosen.connect(guarded(self.show_source))
        self.panel.position_changed.connect(guarded(self._on_position))
        self.panel.cleared.connect(guarded(self.clear))
        listen(self, ctx.state.dataset_changed, self._on_dataset_changed)
        listen(self, ctx.state.projection_changed, self._on_projection_changed)
        listen(self, ctx.state.layout_preview, lambda *_: self.overlay.hide())

    @property
    def path(self) -> VideoPath | None:
        return self.panel.path

    # ------------------------------------------------------------------------------ showing a path
    def show_chosen(self) -> VideoPath | None:
        """View → "Show a video's path…": the current clip's video (else the first), in the dock."""
        if self.index is None:
            self.ctx.say(self.reason or "Open a store of videos first.")
            return None
        cur = self.ctx.state.current
        sid = self.index.place(cur).source_id if 0 <= cur < len(self.index) else self.index.sources()[0][0]
        return self.show_source(sid)

    def show_source(self, source_id: int, t: float | None = None) -> VideoPath | None:
        """Join the clips of source ``source_id`` on the map, scrubber at time ``t`` (its start)."""
        if self.index is None:
            self.ctx.say(self.reason or "Open a store of videos first.")
            return None
        path = self.index.path(source_id)
        self._draw(path)
        self.panel.set_path(path, t)
        self.dock.show()
        self.dock.raise_()
        return path

    def show_clip_video(self, clip: int) -> VideoPath | None:
        """The video clip ``clip`` was cut from, the scrubber at that clip's time."""
        if self.index is None:
            return None
        place = self.index.place(clip)
        return self.show_source(place.source_id, place.start_time)

    def clear(self) -> None:
        """No path (the dock's Clear button; another dataset)."""
        self.panel.set_path(None)
        self.overlay.clear()

    def _draw(self, path: VideoPath) -> None:
        coords = self.ctx.state.coords
        if coords is None or len(coords) != len(self.index or ()):
            self.overlay.clear()
            return
        self.overlay.draw(path.points(coords))

    def _on_dock_visible(self, visible: bool) -> None:
        if not visible:
            self.panel.stop()  # nothing plays out of sight
        if self.dock.isHidden():  # closed (not just another tab in front): its path goes too
            self.clear()

    def _on_position(self, pos: PathPosition) -> None:
        self.overlay.move_marker(pos.xy)

    # ------------------------------------------------------------------------------ the clip's side
    def _context_entries(self, menu: QMenu, clip: int) -> None:
        """A clip's context menu: "Show its video (a.mp4, at 0:12)"."""
        ds = self.ctx.state.dataset
        place = clip_place(ds.store, clip) if ds is not None and self.index is not None else None
        if place is not None:
            menu.addAction(f"Show its video ({place.describe()})", guarded(lambda: self.show_clip_video(clip)))

    # ------------------------------------------------------------------------------ state
    def _on_dataset_changed(self, dataset) -> None:
        store = dataset.store if dataset is not None else None
        self.reason = no_videos_reason(store)
        if self.reason is None and len(store) != dataset.n_clips:
            self.reason = f"The map shows {dataset.n_clips:,} clips, the store holds {len(store):,}: no video paths."
        self.index = VideoIndex.of_store(store) if self.reason is None else None
        self.clear()
        self.panel.set_sources(self.index, self.reason or "")

    def _on_projection_changed(self, _projection) -> None:
        path = self.panel.path
        if path is None:
            self.overlay.clear()
            return
        t = self.panel.position.time if self.panel.position is not None else None
        self._draw(path)
        self.panel.set_path(path, t)  # the marker and the frames at the same time, on the new map

    def shutdown(self) -> None:
        self.panel.stop()
