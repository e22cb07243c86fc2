"""MapFitter: fits the map the user chose in the background and tabulates its inverse for the probe.

A map saved for this store, model and method (:func:`latentlab.app.maps.cached_map`) is shown at
once, with no job (read by a job, without a fit, above ``maps.INLINE_CLIPS`` clips); otherwise a fit
previews its intermediate layouts on the map (openTSNE reports them), is saved for next time, and when
cancelled or failed gives the map it replaced back. A newer fit replaces an older one; a fit for a
dataset that was replaced meanwhile is dropped.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal

from latentlab.app import maps
from latentlab.app.interaction_hold import InteractionHold
from latentlab.app.thread_priority import lower_this_thread
from latentlab.core.explorer_state import ExplorerState
from latentlab.gui.errors import guarded, listen
from latentlab.gui.map.latent_map import LatentMap
from latentlab.gui.workers import Job, JobRunner


class MapFitter(QObject):
    """The projection jobs of one window (its state, runner and map)."""

    said = Signal(str)  # a one-line result for the status bar
    method_shown = Signal(str)  # the method of the map on screen (after a fit, or when one gave up)

    def __init__(self, state: ExplorerState, runner: JobRunner, latent_map: LatentMap) -> None:
        super().__init__(latent_map)
        self.state, self.runner, self.map = state, runner, latent_map
        self.fit_job: Job | None = None
        self._raster_job: Job | None = None
        self.hold = InteractionHold()  # the inverse's table build steps aside while the probe is dragged
        listen(latent_map, state.projection_changed, self.tabulate_inverse)
        listen(latent_map, state.probe_moved, lambda *_: self.hold.touch())

    def shown_method(self) -> str:
        """The method of the map the state holds ("pca" before any)."""
        return self.state.projection.method if self.state.projection is not None else "pca"

    def fitting(self) -> bool:
        """Is a map being fitted (the screenshot of ``explore --projection`` waits for it)?"""
        return self.fit_job is not None

    def cancel(self) -> None:
        if self.fit_job is not None:
            self.fit_job.cancel()

    def set_projection(self, method: str) -> Job | None:
        """Show the map of ``method`` saved for this store and model at once (returns None), or fit
        it in the background (returns the job): the map animates through the intermediate layouts,
        and goes back to the map it showed if the fit is cancelled or fails."""
        ds = self.state.dataset
        if ds is None:
            return None
        self.cancel()
        saved = maps.cached_map(ds, method) if ds.n_clips <= maps.INLINE_CLIPS else None  # larger: in the job
        if saved is not None and saved.projection is not None:
            self._show(ds, saved, "reused the saved map")
            return None
        if saved is not None and saved.note:
            self.said.emit(saved.note)  # a damaged file: fitted again below, and overwritten
        t0 = time.perf_counter()

        def fit(ctx):
            return maps.map_for(ds, method, progress=lambda f, c=None: ctx.progress(f, c), cancel=ctx.is_cancelled)

        def previewed(_f, coords, _t) -> None:
            if coords is not None and job is self.fit_job and self.state.dataset is ds:
                self.state.preview_layout(coords)

        def fitted(result: maps.MapResult) -> None:
            if self.state.dataset is ds:
                how = "reused the saved map" if result.reused else f"fitted in {time.perf_counter() - t0:.1f} s"
                self._show(ds, result, how)

        def ended(how: str) -> None:
            if job is not self.fit_job:
                return  # a newer fit replaced this one: the map and the box follow that one
            self.fit_job = None
            if how and self.state.dataset is ds:
                self.map.show_projection()  # the map the state holds, not the half-fitted layout
                self.method_shown.emit(self.shown_method())
                self.said.emit(f"{method} {how}: the {self.shown_method()} map is back")

        job = self.runner.submit(f"fit {method}", fit)
        job.progressed.connect(previewed)
        job.succeeded.connect(guarded(fitted))
        job.succeeded.connect(lambda *_: ended(""))
        job.failed.connect(lambda *_: ended("failed"))
        job.cancelled.connect(lambda: ended("cancelled"))
        self.fit_job = job
        return job

    def _show(self, ds, result: maps.MapResult, how: str) -> None:
        self.state.set_projection(result.projection, result.inverse)
        self.method_shown.emit(self.shown_method())  # also when the map was asked for by code
        notes = "; ".join(n for n in (result.projection.message, result.note) if n)
        self.said.emit(
            f"{result.projection.method} map of {ds.n_clips:,} clips: {how}" + (f" ({notes})" if notes else "")
        )

    def tabulate_inverse(self, _projection=None) -> Job | None:
        """Tabulate the new map's inverse on a grid in the background (core.inverse_raster): each
        probe move then costs a ~0.03 ms lookup instead of a ~0.1 ms local fit. The build runs at a
        lower priority and pauses between chunks while the probe is being dragged (``hold``): the
        drag works without the table, and its frames come first."""
        if self._raster_job is not None:
            self._raster_job.cancel()
            self._raster_job = None
        inverse = self.state.inverse
        if inverse is None:
            return None

        hold = self.hold

        def tabulate(ctx):
            lower_this_thread()  # the build shares two cores with the GUI and the decoder: they come first
            return inverse.build_raster(lambda f: ctx.progress(f), lambda: hold.wait(ctx.is_cancelled))

        self._raster_job = self.runner.submit("tabulate the map for the probe", tabulate)
        return self._raster_job
