"""The neighbourhood tools of the Select menu, as a base class of
:class:`~latentlab.gui.curation.curation_extension.CurationExtension`.

Grow the selection to the nearest clips, find near-duplicates (and keep one per group), pick a diverse
subset, suggest tags from the tagged clips. Each runs as a job on the window's runner; its result is
applied on the GUI thread, and dropped if another dataset was loaded meanwhile.

"Scope": the tools that look at a set of clips (near-duplicates, diverse subset, tag suggestions) use
the selection when it holds 2 clips or more, else the whole dataset.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from latentlab.core.neighbours import LatentIndex, diverse_subset, near_duplicate_groups
from latentlab.core.tags import TagError, suggest_from_tags, tag_clips
from latentlab.core.undo import Command
from latentlab.gui.errors import guarded
from latentlab.gui.shell import while_shown
from latentlab.gui.wording import count
from latentlab.gui.workers import Job

DUPLICATE_TAG = "duplicate"


class NeighbourhoodTools:
    """Selection and tagging by latent neighbourhood.

    Uses what :class:`~latentlab.gui.curation.curation_extension.CurationExtension` holds: ``ctx``,
    ``state``, ``book``, ``push``, ``accept_suggestions``, ``_selection``, ``_say`` and the
    ``duplicates_changed`` signal; keeps the results of the last search in ``duplicates``,
    ``kept_per_group``, ``suggestions`` and ``suggestions_dialog``.
    """

    def grow_knn(self, k: int) -> Job:
        """Add the ``k`` nearest clips (in latent space) of every selected clip to the selection."""
        sel, ds = self._selection(), self.state.dataset
        index = ds.index

        def work(ctx):
            idx = index if index is not None else LatentIndex(ds.mu)
            near, _ = idx.knn(ds.mu[sel], int(k) + 1)  # (Q, k+1): each clip itself is among them
            return np.union1d(sel, near.ravel())

        return self._job(f"grow by {k} nearest", work, lambda new: self.state.select(new))

    def grow_radius(self, radius: float) -> Job:
        """Add every clip within latent distance ``radius`` of a selected clip."""
        sel, ds = self._selection(), self.state.dataset
        index = ds.index

        def work(ctx):
            idx = index if index is not None else LatentIndex(ds.mu)
            hits = idx.radius(ds.mu[sel], float(radius))
            return np.union1d(sel, np.concatenate([h for h, _ in hits] + [np.zeros(0, np.int64)]))

        return self._job("grow by radius", work, lambda new: self.state.select(new))

    def find_duplicates(self, threshold: float) -> Job:
        """Find groups closer than ``threshold`` (in the scope); select all but the first of each group.

        The first clip of a group (lowest index: earliest in the store) is the one kept.
        """
        scope, mu = self._scope(), self.state.dataset.mu

        def work(ctx):
            groups = near_duplicate_groups(mu[scope], float(threshold))
            extra = [scope[g[1:]] for g in groups]
            kept = np.asarray([scope[g[0]] for g in groups], np.int64)
            return np.sort(kept), np.sort(np.concatenate(extra + [np.zeros(0, np.int64)]))

        where = f"the {count(scope.size, 'selected clip')}" if scope.size < self.state.dataset.n_clips else "all clips"

        def show(result):
            kept, extra = result
            if kept.size == 0:
                self.duplicates = None
                self.duplicates_changed.emit()
                self._say(
                    f"no near-duplicates closer than {threshold:g} in {where}: try a larger distance "
                    f"(Select → Near-duplicates…)"
                )
                return
            self.duplicates, self.kept_per_group = (scope, extra), kept
            self.duplicates_changed.emit()
            self.state.select(extra)
            self._say(
                f"{count(kept.size, 'near-duplicate group')} in {where}: {count(extra.size, 'extra clip')} "
                "selected (Select → Keep one per group tags them 'duplicate')"
            )

        return self._job("near-duplicates", work, show)

    def keep_one_per_group(self) -> None:
        """After :meth:`find_duplicates`: tag every group's extra members ``'duplicate'`` (one undo
        step) and select the searched clips without them, one clip kept per group.

        A curator preparing an export wants the duplicates out of the set but not lost: the tag marks
        them on the map and in the project (untag or undo to change one's mind), the selection is the
        de-duplicated set, ready to be saved or exported.
        """
        if self.duplicates is None:
            raise TagError("find near-duplicates first (Select → Near-duplicates…)")
        scope, extra = self.duplicates
        kept = self.kept_per_group
        if extra.size:
            tag = tag_clips(
                self.book,
                {DUPLICATE_TAG: extra},
                text=f"tag {count(extra.size, 'near-duplicate')} as {DUPLICATE_TAG!r}",
            )
            self.push(_SelectingCommand(tag, self.state, before=self.state.selection.copy(), after=kept))
        else:
            self.state.select(kept)
        self.duplicates = None
        self.duplicates_changed.emit()
        self._say(
            f"tagged {count(extra.size, 'near-duplicate')} {DUPLICATE_TAG!r}; selected the "
            f"{count(kept.size, 'clip')} kept, one per group (Ctrl+Z undoes both)"
        )

    def diverse_subset(self, n: int, seed: int = 0) -> Job:
        """Select ``n`` clips of the scope spread over latent space."""
        scope, mu = self._scope(), self.state.dataset.mu
        return self._job(
            f"diverse {n}",
            lambda ctx: scope[diverse_subset(mu[scope], int(n), seed)],
            lambda chosen: self.state.select(chosen),
        )

    def suggest_tags(self, show: bool = True) -> Job:
        """Suggest tags for the untagged clips of the scope from the tagged ones (a job); the result
        is kept in :attr:`suggestions` and, with ``show``, listed in a dialog to accept or reject."""
        if not self.can_suggest():
            raise TagError(
                "tag clips with two different tags or more first: suggestions choose between your "
                "tags (with one tag, every clip would get it)"
            )
        book, mu = self.book.copy(), self.state.dataset.mu
        scope = self._scope()
        scope = None if scope.size == len(mu) else scope
        where = (
            "all untagged clips" if scope is None else f"the untagged clips of the {count(scope.size, 'selected clip')}"
        )

        def done(result):
            self.suggestions = result
            self._say(f"{count(len(result[0]), 'suggestion')} for {where}")
            if show:
                self._show_suggestions(*result, where=where)

        return self._job("suggest tags", lambda ctx: suggest_from_tags(book, mu, scope), done)

    def can_suggest(self) -> bool:
        """Suggestions need clips of two tags or more to choose between."""
        return self.state.dataset is not None and sum(1 for c in self.book.counts().values() if c) >= 2

    def _show_suggestions(self, clips, tags, confidence, where: str = "all untagged clips") -> None:
        from latentlab.gui.curation.suggestions_dialog import SuggestionsDialog

        colours = {t: self.book.colour(t) for t in set(tags) if t in self.book}
        dialog = SuggestionsDialog(clips, tags, confidence, colours, self.ctx.window)
        dialog.setWindowTitle(f"Suggested tags for {where}")
        dialog.applied.connect(guarded(self.accept_suggestions))
        dialog.clip_chosen.connect(guarded(lambda i: self.state.select([i])))
        self.suggestions_dialog = dialog
        dialog.open()

    # ------------------------------------------------------------------------------ internals
    def _scope(self) -> np.ndarray:
        if self.state.dataset is None:
            raise TagError("open a dataset first")
        sel = self.state.selection
        return sel.copy() if sel.size >= 2 else np.arange(self.state.dataset.n_clips)

    def _job(self, name: str, work: Callable, apply: Callable) -> Job:
        ds = self.state.dataset
        job = self.ctx.runner.submit(name, work)
        job.succeeded.connect(guarded(while_shown(self.state, ds, apply)))
        return job


class _SelectingCommand(Command):
    """An edit that also changes the selection; undo gives the selection before it back."""

    def __init__(self, inner: Command, state, before: np.ndarray, after: np.ndarray) -> None:
        self.inner, self.state, self.before, self.after = inner, state, before, after
        self.text = inner.text

    def redo(self) -> None:
        self.inner.redo()
        self.state.select(self.after)

    def undo(self) -> None:
        self.inner.undo()
        self.state.select(self.before)
