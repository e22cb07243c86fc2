"""Curation at scale: tag edits with undo, the window's refresh after an edit, neighbourhood tools.

N structured latents (``core.synthetic_latents``), 4 tags over a quarter of the clips each.

* core: one ``TagClips`` of N/10 clips pushed and undone, ``TagBook.field()``;
* window (offscreen): one tag edit while the map is coloured by tag, until the map has re-rendered
  every point, against the baseline of the same render caused by a plain colour-field change;
* the work the Select menu hands to jobs (never on the GUI thread): grow to 10 nearest (1 and 1000
  clips), near-duplicate groups, a diverse subset of 100, tag suggestions with 1 % tagged.

    nice -n 15 python benchmarks/bench_curation.py --n 100000
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from bench_util import timed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from latentlab.core.neighbours import LatentIndex, diverse_subset, near_duplicate_groups
    from latentlab.core.synthetic_latents import structured_latents
    from latentlab.core.tags import TagBook, TagClips, suggest_from_tags, tag_clips
    from latentlab.core.undo import UndoStack

    n, rep = args.n, args.repeat
    z, truth = structured_latents(n, args.dim, seed=0)
    rng = np.random.default_rng(0)
    book, stack = TagBook(n), UndoStack()
    for t in range(4):
        stack.push(tag_clips(book, {f"tag {t}": rng.choice(n, n // 4, replace=False)}))
    some = rng.choice(n, n // 10, replace=False)

    def push_undo():
        stack.push(TagClips(book, "tag 0", some))
        stack.undo()

    print(f"N={n:,}, D={args.dim}; medians of {rep} (ms)")
    print(f"  core: push + undo TagClips of {some.size:,} clips  {timed(push_undo, rep):8.1f}")
    print(f"  core: TagBook.field()                          {timed(book.field, rep):8.1f}")

    index = LatentIndex(z)
    sel = rng.choice(n, 1000, replace=False)
    print(f"  job: grow 1 clip to 10 nearest                 {timed(lambda: index.knn(z[[7]], 11), rep):8.1f}")
    print(f"  job: grow 1,000 clips to 10 nearest            {timed(lambda: index.knn(z[sel], 11), rep):8.1f}")
    print(f"  job: near-duplicate groups (threshold 0.02)    {timed(lambda: near_duplicate_groups(z, 0.02), 1):8.1f}")
    print(f"  job: diverse subset of 100                     {timed(lambda: diverse_subset(z, 100), 1):8.1f}")
    labelled = TagBook(n)
    for c in np.unique(truth):
        members = np.flatnonzero(truth == c)
        labelled._create(f"c{c}", "#ffffff", np.sort(rng.choice(members, max(1, members.size // 100), replace=False)))
    print(f"  job: suggest tags, 1 % tagged (kNN vote)       {timed(lambda: suggest_from_tags(labelled, z), 1):8.1f}")
    _window(z, rep)
    return 0


def _window(z: np.ndarray, rep: int) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from latentlab.app.dataset import Loaded, make_dataset
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import fit_projection
    from latentlab.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    n = len(z)
    blank = np.zeros((1, 2, 8, 8, 3), np.uint8)
    ds = make_dataset(
        "bench",
        z,
        np.full_like(z, -1.0),
        codec=None,
        read_clips=lambda i: np.repeat(blank, len(i), 0),
        fps=12.0,
        clusters=False,
    )
    projection = fit_projection(z, "pca")
    w = MainWindow(settings=QSettings(os.devnull, QSettings.Format.IniFormat))
    w.status.dialogs_enabled = False  # no model here: the probe reports errors, no modal box
    w.resize(1400, 860)
    w.show()
    w.show_loaded(Loaded(ds, projection, make_inverse(z, projection)))
    cur = w.context.curation
    w.state.select(np.arange(0, n, 4))
    cur.create_tag("a")
    cur.tag_selection("a")
    app.processEvents()
    raster = w.map.raster

    def settle():
        app.processEvents()
        raster.redraw()  # the render the zero-timer would do next

    fields = ["KL", "tag"]

    def recolour():  # baseline: the same full render, caused by choosing another colour field
        fields.reverse()
        w.state.set_colour_field(fields[0])
        settle()

    def edit():  # untag N/8 clips, then undo that: one tag edit per call
        if cur.undo.undo_text.startswith("untag"):
            cur.undo.undo()
        else:
            cur.untag_selection("a")
        settle()

    base = timed(recolour, rep)
    w.state.set_colour_field("tag")
    settle()
    w.state.select(np.arange(0, n, 8))
    took = timed(edit, rep)
    print(f"  window: colour-field change + render (baseline) {base:7.1f}")
    print(f"  window: tag edit + field + render               {took:7.1f}  ({took / base:.2f}x the baseline)")
    w.close()


if __name__ == "__main__":
    raise SystemExit(main())
