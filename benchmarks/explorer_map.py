"""The map timings of ``bench_explorer.py``: load -> first paint and repaints, the plain pyqtgraph
scatter of the same points as the same-run baseline, the restart of the inverse's table build for the
drag during it, and the closing lines of every figure beside its goal."""

from __future__ import annotations

import os
import time

import numpy as np


def bench_map(app, window, loaded, repeats=5):
    """Seconds from set_projection to the first painted map; median repaint after a zoom step (every
    point drawn) and after a probe move over static points (cached)."""
    from PySide6.QtCore import QPointF

    state, view = window.state, window.map.plot.viewport()
    state.set_dataset(loaded.dataset)
    app.processEvents()
    t0 = time.perf_counter()
    state.set_projection(loaded.projection, loaded.inverse)
    renders = window.map.raster.renders
    app.processEvents()  # the points render on a 0 ms timer: let it run inside the timed region
    view.repaint()
    load = time.perf_counter() - t0
    assert window.map.raster.renders > renders, "the points were not rendered inside the timed region"
    full, cached = [], []
    vb = window.map.view
    (x0, x1), (y0, y1) = vb.viewRange()
    for i in range(repeats):
        # A zoom step invalidates the points' pixmap cache: every point is drawn again.
        f = 1.0 + 0.01 * (i + 1)
        t = time.perf_counter()
        vb.setRange(xRange=(x0 * f, x1 * f), yRange=(y0 * f, y1 * f), padding=0)
        app.processEvents()  # the zoom schedules a render of every point: time it, not a blit
        view.repaint()
        full.append(time.perf_counter() - t)
        # The probe moves over static points: the cached pixmap is blitted.
        window.map.probe.setPos(window.map.probe.pos() + QPointF(0.001, 0.0))
        t = time.perf_counter()
        view.repaint()
        cached.append(time.perf_counter() - t)
    return {
        "clips": loaded.dataset.n_clips,
        "load_and_first_paint_s": load,
        "full_repaint_ms": 1000 * float(np.median(full)),
        "repaint_probe_moved_ms": 1000 * float(np.median(cached)),
        "density_weight": float(window.map.raster.density_weight),  # 0 dots only .. 1 density only
    }


def bench_scatter_baseline(app, coords, repeats=5):
    """Baseline in the same run: one plain pyqtgraph ScatterPlotItem (one brush) of the same points, redrawn
    after the same zoom steps as the window's map (a repaint of an unchanged plot would time a cached blit)."""
    import pyqtgraph as pg

    w = pg.PlotWidget()
    w.resize(800, 800)
    w.show()
    app.processEvents()
    t = time.perf_counter()
    item = pg.ScatterPlotItem(x=coords[:, 0], y=coords[:, 1], size=4, pen=None, brush=pg.mkBrush(100, 160, 255))
    w.addItem(item)
    w.getViewBox().autoRange()
    w.viewport().repaint()
    load = time.perf_counter() - t
    reps = []
    vb = w.getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    for i in range(repeats):  # the window's protocol: a zoom step first, so every point is drawn again
        f = 1.0 + 0.01 * (i + 1)
        t = time.perf_counter()
        vb.setRange(xRange=(x0 * f, x1 * f), yRange=(y0 * f, y1 * f), padding=0)
        app.processEvents()
        w.viewport().repaint()
        reps.append(time.perf_counter() - t)
    w.close()
    return {"clips": len(coords), "load_and_first_paint_s": load, "full_repaint_ms": 1000 * float(np.median(reps))}


def restart_table_build(app, window, inverse):
    """Start the build of ``inverse``'s table (core.inverse_raster) again, from no table, as when a
    projection arrives; returns its job once the previous build is gone."""
    from explorer_drag import wait_until

    job = window.fitter.tabulate_inverse()  # cancels the build started by the projection, if still running
    wait_until(app, lambda: all(j is job for j in window.runner.jobs), timeout=600)
    inverse.raster = None  # the cancelled build may have finished first: drag on no table
    return job


def goal_lines(results: dict, points: int, big: int) -> list[str]:
    """Every figure the map's acceptance asks for, with its goal and whether this run met it."""

    def line(what, value, goal, ok):
        return f"  {what:66s} {value:>9s}   goal {goal:12s} {'met' if ok else 'NOT met'}"

    out = [f"Figures and goals (load average now {os.getloadavg()[0]:.1f}):"]
    for n, r in results.get("redraw", {}).items():
        splat, scatter, prev = (r[k]["full view_ms"] for k in ("splat", "scatter", "previous raster"))
        budget = 16.0 if n <= 100_000 else 33.0
        out.append(line(f"redraw {n:,}: splat (full view)", f"{splat:.1f} ms", f"<= {budget:.0f} ms", splat <= budget))
        out.append(f"  {'':66s} ScatterPlotItem {scatter:.1f} ms, previous raster {prev:.1f} ms")
        z = r["splat"]["zooming in_ms_median"]
        out.append(line(f"redraw {n:,}: splat (zooming in)", f"{z:.1f} ms", f"<= {budget:.0f} ms", z <= budget))
        if n <= 100_000:
            out.append(
                line(f"redraw {n:,}: ScatterPlotItem / splat", f"{scatter / splat:.1f}x", ">= 5x", scatter >= 5 * splat)
            )
    for key, n in (("drag", points), ("drag_big", big)):
        for when, suffix in (("during the table build", "_during_build"), ("after it", "")):
            d = results.get(key + suffix)
            if d is not None:
                p95 = d["latency_p95_ms"]
                what = f"drag {n:,} {when}: move -> frame p95 ({d['frames_painted_for_a_move']} frames)"
                out.append(line(what, f"{p95:.1f} ms", "<= 16 ms", p95 <= 16.0))
    return out
