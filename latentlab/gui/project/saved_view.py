"""The part of a project that is the window's view: map range, colour field, current clip and
projection method, captured for saving and restored once a project's data is shown.

Split from :mod:`latentlab.gui.project.project_extension` (which owns files, locks and dirty state).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from latentlab.core.project import Project
from latentlab.core.projection_methods import FITTED_METHODS as METHODS
from latentlab.gui.errors import guarded
from latentlab.gui.shell import WindowContext
from latentlab.paths import demo_checkpoint_dir, user_data_dir


class SavedView:
    """Reads and restores the window's view (clips named by key, so a view survives a re-ingest)."""

    def __init__(self, ctx: WindowContext) -> None:
        self.ctx, self.state = ctx, ctx.state
        self._pending_colour: str | None = None
        ctx.runner.job_finished.connect(guarded(lambda *_: self._apply_pending_colour()))

    def clip_keys(self) -> np.ndarray:
        """Keys of the shown dataset's clips, ``(N,)`` str (``#<index>`` without a clip store)."""
        return self.keys_of(self.state.dataset)

    def keys_of(self, dataset) -> np.ndarray:
        """Keys of ``dataset``'s clips (:meth:`Dataset.clip_keys`, computed once per dataset)."""
        return np.zeros(0, str) if dataset is None else dataset.clip_keys()

    def method(self) -> str:
        """The projection method on screen, as a project stores it (a precomputed map counts as PCA)."""
        projection = self.state.projection
        method = projection.method if projection is not None else "pca"
        return method if method in METHODS else "pca"

    def capture(self) -> dict:
        """``{"x_range", "y_range", "colour", "current"}`` of the window now."""
        (x0, x1), (y0, y1) = self.ctx.view_range()
        keys, current = self.clip_keys(), self.state.current
        return {
            "x_range": [x0, x1],
            "y_range": [y0, y1],
            "colour": self.state.colour_field or None,
            "current": str(keys[current]) if 0 <= current < len(keys) else None,
        }

    def restore(self, view: dict, method: str) -> None:
        """Show ``view``: the current clip, the colour field (once it exists: the cluster field
        comes from a later job), the projection ``method`` (fitted in the background) and then the
        map range."""
        current = view.get("current")
        if current is not None:
            hit = np.flatnonzero(self.clip_keys() == str(current))
            if hit.size:
                self.state.select([int(hit[0])])
        self._pending_colour = view.get("colour") or None
        self._apply_pending_colour()
        shown = self.state.projection.method if self.state.projection is not None else "pca"
        if method in METHODS and method != shown:
            fit = self.ctx.set_projection(method)
            if fit is not None:
                fit.succeeded.connect(guarded(lambda *_: self._restore_range(view)))
                return
        self._restore_range(view)

    def _restore_range(self, view: dict) -> None:
        x, y = view.get("x_range"), view.get("y_range")
        if _is_range(x) and _is_range(y):
            self.ctx.set_view_range(tuple(x), tuple(y))

    def _apply_pending_colour(self) -> None:
        name, state = self._pending_colour, self.state
        if name and state.dataset is not None and name in state.dataset.fields:
            self._pending_colour = None
            state.set_colour_field(name)

    def gather(self, curation, old: Project | None) -> Project:
        """The window's state as a project: ``curation``'s tags and selections, this view, the store and
        model shown; the path and projection parameters of ``old`` (the open project, if any)."""
        keys = self.clip_keys()  # cached per dataset: this runs on every autosave
        if len(keys) == curation.book.n_clips == curation.selections.n_clips:
            tags, selections = curation.book.to_dict(keys), curation.selections.to_dict(keys)
        else:
            tags, selections = curation.dump_state()
        old = old or Project()
        projection = {**old.projection, "method": self.method()}
        if projection["method"] != old.projection.get("method"):
            projection["params"] = {}
        return Project(
            store=user_path(self.ctx.store_path, "store"),
            checkpoint=user_path(self.ctx.checkpoint, "checkpoint"),
            projection=projection,
            tags=tags,
            selections=selections,
            view=self.capture(),
            path=old.path,
        )

    def missing_sources(self) -> list[str]:
        """A note on the source videos of the shown store that no longer exist ([] if none)."""
        store = self.state.dataset.store if self.state.dataset is not None else None
        if store is None:
            return []
        gone = [
            str(s["path"])
            for s in store.sources
            if s.get("path") and not str(s["path"]).startswith("procedural:") and not _exists(str(s["path"]))
        ]
        if not gone:
            return []
        return [
            f"{len(gone)} source video{'s are' if len(gone) > 1 else ' is'} missing (e.g. {gone[0]}); "
            "browsing works from the clip store"
        ]


def user_path(path: str | None, what: str) -> str | None:
    """``None`` for the bundled demo model and the generated demo store (they live in the install and
    the per-user cache, which differ between machines); the absolute path otherwise."""
    if not path:
        return None
    p = Path(path).absolute()
    if what == "checkpoint" and p == Path(demo_checkpoint_dir()).absolute():
        return None
    if what == "store" and p.parent == (user_data_dir() / "demo").absolute():
        return None
    return str(p)


def _exists(path: str) -> bool:
    try:
        return Path(path).exists()
    except OSError:
        return False


def _is_range(value) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, (int, float)) and np.isfinite(v) for v in value)
        and value[0] < value[1]
    )
