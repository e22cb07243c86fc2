"""The Edit and Select menus of curation, and the small dialogs that gather their arguments.

Each ``ask_*`` function only asks (``QInputDialog`` / ``QColorDialog``) and then calls the
:class:`~latentlab.gui.curation.curation_extension.Curation` method with explicit arguments, so tests drive the
methods directly, or patch ``QInputDialog.getInt`` and friends to go through a menu.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QColorDialog, QInputDialog, QMenu

from latentlab.gui.errors import guarded, listen


class CurationMenus:
    """Edit (undo / redo) and Select menus of ``curation``'s window; texts follow the undo stack."""

    def __init__(self, curation) -> None:
        self.curation = cur = curation
        window = cur.ctx.window
        bar, before = window.menuBar(), cur.ctx.view_menu.menuAction()
        self.edit_menu = QMenu("&Edit", window)
        bar.insertMenu(before, self.edit_menu)
        self.undo_action = QAction("Undo", window, shortcut=QKeySequence("Ctrl+Z"))
        self.redo_action = QAction("Redo", window, shortcut=QKeySequence("Ctrl+Shift+Z"))
        self.undo_action.triggered.connect(guarded(lambda: cur.undo.undo()))
        self.redo_action.triggered.connect(guarded(lambda: cur.undo.redo()))
        self.edit_menu.addActions([self.undo_action, self.redo_action])
        self.select_menu = m = QMenu("&Select", window)
        bar.insertMenu(before, m)
        # Enabled only when they can do something (refresh): a disabled entry with a tooltip says
        # what is missing instead of an error after the click.
        self.selection_actions = [
            m.addAction("Grow to &k nearest…", guarded(lambda: ask_grow_knn(cur))),
            m.addAction("Grow to latent &radius…", guarded(lambda: ask_grow_radius(cur))),
        ]
        m.addSeparator()
        self.data_actions = [m.addAction("Near-&duplicates…", guarded(lambda: ask_duplicates(cur)))]
        self.keep_action = m.addAction("&Keep one per group", guarded(cur.keep_one_per_group))
        self.data_actions.append(m.addAction("Di&verse subset of N…", guarded(lambda: ask_diverse(cur))))
        m.addSeparator()
        self.suggest_action = m.addAction("Suggest &tags…", guarded(lambda: cur.suggest_tags()))
        m.addSeparator()
        self.selection_actions.append(m.addAction("&Save selection as…", guarded(lambda: ask_save_selection(cur))))
        self.saved_menu = m.addMenu("Saved selections")
        self.delete_saved_menu = m.addMenu("Delete saved selection")
        m.setToolTipsVisible(True)
        cur.state_changed.connect(guarded(self.refresh))
        cur.duplicates_changed.connect(guarded(self.refresh))
        listen(self.select_menu, cur.state.selection_changed, self.refresh)
        listen(self.select_menu, cur.state.dataset_changed, self.refresh)
        self.refresh()

    def refresh(self) -> None:
        cur = self.curation
        for act, can, text, verb in (
            (self.undo_action, cur.undo.can_undo, cur.undo.undo_text, "Undo"),
            (self.redo_action, cur.undo.can_redo, cur.undo.redo_text, "Redo"),
        ):
            act.setEnabled(can)
            act.setText(f"{verb} {text}" if can else verb)
        self.keep_action.setEnabled(cur.duplicates is not None)
        self.keep_action.setToolTip(
            "tag the extra clips of each group 'duplicate', select the clips kept"
            if cur.duplicates is not None
            else "find near-duplicates first"
        )
        has_data, has_selection = cur.state.dataset is not None, cur.state.selection.size > 0
        for act in self.data_actions:
            act.setEnabled(has_data)
            act.setToolTip("" if has_data else "open a dataset first")
        for act in self.selection_actions:
            act.setEnabled(has_selection)
            act.setToolTip("" if has_selection else "select some clips first")
        self.suggest_action.setEnabled(cur.can_suggest())
        self.suggest_action.setToolTip(
            "suggest one of your tags for untagged clips (the selected ones if 2 or more are selected)"
            if cur.can_suggest()
            else "tag clips with two different tags or more first"
        )
        names = cur.selections.names()
        for menu, call in ((self.saved_menu, cur.restore_selection), (self.delete_saved_menu, cur.delete_selection)):
            menu.clear()
            for name in names:
                menu.addAction(_menu_text(name), guarded(lambda n=name, c=call: c(n)))
            menu.setEnabled(bool(names))


def build_menus(curation) -> CurationMenus:
    return CurationMenus(curation)


def _menu_text(name: str) -> str:
    """A name fit for a menu: control characters shown as spaces, '&' not taken for a mnemonic."""
    return " ".join(name.split()).replace("&", "&&")


def typical_spacing(curation, k: int = 5, sample: int = 64) -> float:
    """Median latent distance to the ``k``-th nearest clip over a small sample (a dialog default)."""
    ds = curation.state.dataset
    if ds is None or ds.index is None or ds.n_clips < 2:
        return 1.0
    rows = np.random.default_rng(0).choice(ds.n_clips, min(sample, ds.n_clips), replace=False)
    _, dist = ds.index.knn(ds.mu[rows], k + 1)  # a few ms even at 100k clips
    return float(np.median(dist[:, -1])) or 1.0


# --------------------------------------------------------------------------------- the asking
def ask_grow_knn(cur) -> None:
    k, ok = QInputDialog.getInt(
        cur.ctx.window, "Grow selection", "Add the k nearest clips of each selected clip, k:", 5, 1, 1000
    )
    if ok:
        cur.grow_knn(k)


def ask_grow_radius(cur) -> None:
    r, ok = QInputDialog.getDouble(
        cur.ctx.window,
        "Grow selection",
        "Add clips within this latent distance:",
        round(typical_spacing(cur), 3),
        0.0,
        1e9,
        3,
    )
    if ok:
        cur.grow_radius(r)


def ask_duplicates(cur) -> None:
    t, ok = QInputDialog.getDouble(
        cur.ctx.window,
        "Near-duplicates",
        "Clips closer than this latent distance are duplicates\n"
        "(searched in the selection if it holds 2 clips or more, else in all):",
        round(0.25 * typical_spacing(cur, k=1), 4),
        0.0,
        1e9,
        4,
    )
    if ok:
        cur.find_duplicates(t)


def ask_diverse(cur) -> None:
    n, ok = QInputDialog.getInt(
        cur.ctx.window,
        "Diverse subset",
        "Number of clips spread over latent space\n(from the selection if it holds 2 clips or more, else from all):",
        50,
        1,
        10**7,
    )
    if ok:
        cur.diverse_subset(n)


def ask_save_selection(cur) -> None:
    name, ok = QInputDialog.getText(
        cur.ctx.window,
        "Save selection",
        f"Name for the {cur.state.selection.size:,} selected clips:",
        text=f"selection {len(cur.selections.names()) + 1}",
    )
    if ok:
        cur.save_selection(name)


def ask_new_tag(cur) -> str | None:
    name, ok = QInputDialog.getText(cur.ctx.window, "New tag", "Tag name:")
    if ok:
        cur.create_tag(name)
        return name
    return None


def ask_rename(cur, old: str) -> None:
    new, ok = QInputDialog.getText(cur.ctx.window, "Rename tag", f"New name for {old!r}:", text=old)
    if ok and new != old:
        cur.rename_tag(old, new)


def ask_colour(cur, name: str) -> None:
    from PySide6.QtGui import QColor

    colour = QColorDialog.getColor(QColor(cur.book.colour(name)), cur.ctx.window, f"Colour of {name!r}")
    if colour.isValid():
        cur.recolour_tag(name, colour.name())
