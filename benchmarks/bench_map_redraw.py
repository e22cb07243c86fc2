"""Full redraws of the map: the splat renderer against pyqtgraph's ScatterPlotItem and the previous raster.

One protocol for all three (offscreen Qt, the same 800 x 800 plot): before every timed redraw the view
zooms by a step, so each renderer draws every visible point again (nothing cached is blitted); the time
runs from the range change to the widget painted (``repaint()``). Points are a Gaussian mixture of 12
coloured clusters, like a t-SNE map; the view starts fitted to all of them.

    python benchmarks/bench_map_redraw.py [--points 100000 1000000] [--repeats 7] [--json OUT]
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


def time_redraws(app, widget, vb, render_started, repeats: int, zoom_in: bool) -> list[float]:
    (x0, x1), (y0, y1) = vb.viewRange()
    cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    out = []
    for i in range(repeats):
        f = (0.97 ** (i + 1)) if zoom_in else 1.0 + 0.01 * (i + 1)
        t = time.perf_counter()
        vb.setRange(xRange=(cx - hx * f, cx + hx * f), yRange=(cy - hy * f, cy + hy * f), padding=0)
        app.processEvents()  # the raster renderers draw on a 0 ms timer: inside the timed region
        widget.repaint()
        out.append(time.perf_counter() - t)
        assert render_started(), "nothing was redrawn"
    return out


def bench(n: int, repeats: int) -> dict:
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from latentlab.gui.map.point_raster import PointRaster
    from latentlab.gui.map.splat_item import SplatItem

    app = QApplication.instance() or QApplication([])
    coords, colours = make_points(n)
    results = {}
    for name in ("splat", "scatter", "previous raster"):
        widget = pg.PlotWidget()
        widget.resize(800, 800)
        widget.show()
        vb = widget.getViewBox()
        lo, hi = coords.min(0).astype(float), coords.max(0).astype(float)
        vb.setRange(xRange=(lo[0], hi[0]), yRange=(lo[1], hi[1]), padding=0)
        app.processEvents()
        if name == "splat":
            item = SplatItem(vb)
            vb.addItem(item, ignoreBounds=True)
            item.set_points(coords, colours)
            started = renders_grew(item)
        elif name == "previous raster":
            item = PointRaster(vb)
            vb.addItem(item, ignoreBounds=True)
            item.set_points(coords.astype(np.float64), colours)
            started = renders_grew(item)
        else:
            item = pg.ScatterPlotItem(
                pos=coords, size=3, pen=None, brush=[pg.mkBrush(*c) for c in colours[:, :3]], pxMode=True
            )
            vb.addItem(item)

            def started():
                return True

        app.processEvents()
        widget.repaint()
        out = {"full view_ms": 1000 * float(np.median(time_redraws(app, widget, vb, started, repeats, False)))}
        zoomed = time_redraws(app, widget, vb, started, repeats * 6, True)  # zooming in, step by step
        out["zooming in_ms_median"] = 1000 * float(np.median(zoomed))
        results[name] = out
        widget.close()
        app.processEvents()
    return results


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--points", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--json")
    args = p.parse_args()
    all_results = {}
    for n in args.points:
        r = bench(n, args.repeats)
        all_results[n] = r
        print(f"{n:,} points (800 x 800, a zoom step before every redraw):")
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
