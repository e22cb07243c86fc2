"""Full redraws of the map: the splat renderer against pyqtgraph's ScatterPlotItem and the previous raster.

One protocol for all three (offscreen Qt, the same 800 x 800 plot set up as the map's: no axes, aspect
locked, its dark background; ``--axes`` keeps pyqtgraph's axes, whose ticks are redrawn at every zoom step):
before every timed redraw the view zooms by a step, so each renderer draws every visible point again
(nothing cached is blitted); the time runs from the range change to the widget painted (``repaint()``).
Points are a Gaussian mixture of 12 coloured clusters, like a t-SNE map; the view starts fitted to all
of them. The renderers take turns, a block of steps each (three turns per phase, the first step of each
block untimed: one renderer's garbage and caches are not the next one's), so a busy machine slows all
three alike. The QApplication is a plain one: under the app's style sheet ``ScatterPlotItem`` costs
about twice as much (48 against 25 ms at 100 k), the splat 0.5 ms more; the plain one is the baseline's
best case.
``bench_explorer.py`` runs this comparison too (:func:`bench`), next to the drag.

    python benchmarks/bench_map_redraw.py [--points 100000 1000000] [--repeats 7] [--axes] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402


def make_points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 30, (12, 2))
    label = rng.integers(0, 12, n)
    coords = (centres[label] + rng.normal(0, 6, (n, 2))).astype(np.float32)
    palette = (rng.integers(60, 255, (12, 4))).astype(np.uint8)
    palette[:, 3] = 255
    return coords, palette[label]


def renders_grew(item):
    """A check that ``item`` (a raster renderer with a ``renders`` count) drew again since the last call."""
    seen = [item.renders]

    def grew() -> bool:
        more = item.renders > seen[0]
        seen[0] = item.renders
        return more

    return grew


#: The three renderers compared, the new one first.
RENDERERS = ("splat", "scatter", "previous raster")
#: Turns per phase: each renderer draws a block of steps, then the next one (a busy machine slows all alike).
ROUNDS = 3
#: The map's background (as LatentMap sets up its plot).
MAP_BACKGROUND = (8, 9, 12)


def make_plot(app, coords, axes: bool):
    """An 800 x 800 plot as the map sets up its own (``axes``: pyqtgraph's axes shown), fitted to ``coords``."""
    import pyqtgraph as pg

    widget = pg.PlotWidget(background=MAP_BACKGROUND)
    if not axes:
        widget.setAspectLocked(True)
        widget.hideAxis("left")
        widget.hideAxis("bottom")
    widget.resize(800, 800)
    widget.show()
    vb = widget.getViewBox()
    lo, hi = coords.min(0).astype(float), coords.max(0).astype(float)
    vb.setRange(xRange=(lo[0], hi[0]), yRange=(lo[1], hi[1]), padding=0)
    app.processEvents()
    return widget, vb


def add_renderer(name, vb, coords, colours):
    """Put renderer ``name`` of the points on ``vb``; returns a check that it drew again since the last call."""
    import pyqtgraph as pg

    from latentlab.gui.map.point_raster import PointRaster
    from latentlab.gui.map.splat_item import SplatItem

    if name == "scatter":
        brushes = [pg.mkBrush(*c) for c in colours[:, :3]]
        vb.addItem(pg.ScatterPlotItem(pos=coords, size=3, pen=None, brush=brushes, pxMode=True))
        return lambda: True  # it draws every point at every paint
    item = SplatItem(vb) if name == "splat" else PointRaster(vb)
    vb.addItem(item, ignoreBounds=True)
    item.set_points(coords if name == "splat" else coords.astype(np.float64), colours)
    return renders_grew(item)


class Stepper:
    """Zoom steps about the first view's centre: ``factor`` > 1 zooms out; a redraw of all is timed."""

    def __init__(self, app, widget, vb, drew) -> None:
        self.app, self.widget, self.vb, self.drew = app, widget, vb, drew
        (x0, x1), (y0, y1) = vb.viewRange()
        self.c, self.half = ((x0 + x1) / 2, (y0 + y1) / 2), ((x1 - x0) / 2, (y1 - y0) / 2)

    def step(self, factor: float) -> float:
        (cx, cy), (hx, hy) = self.c, self.half
        self.app.processEvents()  # whatever another plot left pending is not this step's
        t = time.perf_counter()
        self.vb.setRange(
            xRange=(cx - hx * factor, cx + hx * factor), yRange=(cy - hy * factor, cy + hy * factor), padding=0
        )
        self.app.processEvents()  # the raster renderers draw on a 0 ms timer: inside the timed region
        self.widget.repaint()
        dt = time.perf_counter() - t
        assert self.drew(), "nothing was redrawn"
        return dt


def bench(n: int, repeats: int, axes: bool = False, renderers=RENDERERS) -> dict:
    """Median full redraw (ms) of each renderer at ``n`` points: "full view_ms" (1 % zoom-out steps from
    the fitted view, ``repeats`` each) and "zooming in_ms_median" (3 % zoom-in steps, ``6 * repeats``)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    coords, colours = make_points(n)
    steppers = {}
    for name in renderers:
        widget, vb = make_plot(app, coords, axes)
        drew = add_renderer(name, vb, coords, colours)
        app.processEvents()
        widget.repaint()
        steppers[name] = Stepper(app, widget, vb, drew)
    times = {name: {"full view": [], "zooming in": []} for name in renderers}
    phases = (
        ("full view", [1.0 + 0.01 * (i + 1) for i in range(repeats)]),
        ("zooming in", [0.97 ** (i + 1) for i in range(6 * repeats)]),
    )
    for phase, factors in phases:
        for block in np.array_split(np.asarray(factors), ROUNDS):  # renderers take turns, a block each
            if not len(block):
                continue
            for name, st in steppers.items():
                st.step(block[0] * 1.005)  # untimed: what the renderer before left in the caches and the heap
                times[name][phase] += [st.step(f) for f in block]
    for st in steppers.values():
        st.widget.close()
    app.processEvents()
    return {
        name: {
            "full view_ms": 1000 * float(np.median(t["full view"])),
            "zooming in_ms_median": 1000 * float(np.median(t["zooming in"])),
        }
        for name, t in times.items()
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--points", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--axes", action="store_true", help="keep pyqtgraph's axes on the plots (the map hides them)")
    p.add_argument("--json")
    args = p.parse_args()
    all_results = {"load_average_at_start": os.getloadavg()}
    for n in args.points:
        r = bench(n, args.repeats, args.axes)
        all_results[n] = r
        print(f"{n:,} points (800 x 800, a zoom step before every redraw), load {os.getloadavg()[0]:.1f}:")
        for name, figures in r.items():
            print(f"  {name:16s} " + ", ".join(f"{k} {v:.1f}" for k, v in figures.items() if v is not None))
        base = r["scatter"]["full view_ms"]
        print(f"  splat is {base / r['splat']['full view_ms']:.1f}x faster than ScatterPlotItem at the full view")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(all_results, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
