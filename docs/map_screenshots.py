"""Grab the README's pictures of the map's features, driving the explorer as a user would.

    python docs/map_screenshots.py [--out docs] [--store STORE --checkpoint CKPT] [--only NAME ...]

On the bundled demo (opened like ``latentlab explore``; the first run generates and encodes the demo
clips, a few minutes on 2 cores, and fits its t-SNE map once) it writes:

- ``map_posters.png``: zoomed in until the clips are drawn as their posters, with the hover card;
- ``map_decoded_grid.png``: View → Decoded grid over the t-SNE map;
- ``map_regions.png``: View → Region labels and the Regions dock;
- ``map_local_ellipses.png``: the Local tab with its first slider moved, and View → Posterior
  ellipses of a selection;
- ``map_drag.png``: a point being dragged (ghost, tether, the Probe tab decoding it) and one pinned star.

With ``--store STORE --checkpoint CKPT`` (a store ingested from real videos and a model trained on it)
it also writes ``map_video_path.png``: View → Show a video's path… with the scrubber moved.

Each picture is taken once what it shows is ready (waiting on the features' own state and signals, then
processing events for ``PAINT_MS`` so that queued and debounced repaints land), with ``QWidget.grab()``
(offscreen is fine), cropped to the map where that reads better and quantized to 256 colours if it would
be larger than ``MAX_BYTES``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

#: The pictures on the demo, in the order they are taken (the pinned star of the last stays on the map).
DEMO_SHOTS = ("posters", "decoded_grid", "regions", "local_ellipses", "drag")
#: A picture larger than this is saved quantized to 256 colours.
MAX_BYTES = 300_000
#: Events processed this long before a grab, for repaints that have no signal of their own.
PAINT_MS = 400
#: How long to wait for the data to open (the first run generates the demo) before giving up.
OPEN_S = 900.0
#: How long to wait for a feature to show on the open data before giving up.
WAIT_S = 120.0


class Shooter:
    """One explorer window opened offscreen, with the waits and the saving the pictures share."""

    def __init__(self, out: Path, store: str | None = None, checkpoint: str | None = None) -> None:
        import pyqtgraph as pg
        from PySide6.QtCore import QSettings

        from latentlab.gui.app import SCREENSHOT_SIZE, make_app, ready_for_screenshot
        from latentlab.gui.main_window import MainWindow

        self.app, self.out = make_app(), out
        pg.setConfigOption("mouseRateLimit", -1)  # every synthetic mouse move reaches the map
        settings = QSettings(str(Path(tempfile.mkdtemp()) / "shots.ini"), QSettings.Format.IniFormat)
        self.window = w = MainWindow(settings=settings)
        w.status.dialogs_enabled = False
        w.resize(*SCREENSHOT_SIZE)
        w.show()
        w.open(store, checkpoint)
        self.state, self.map = w.state, w.map
        self.wait(
            lambda: ready_for_screenshot(w) and not w.fitting() and not w.runner.jobs, "the data and its map", OPEN_S
        )
        self.home = w.map.view.viewRange()  # the whole map, as it opened

    def extension(self, kind):
        return next(e for e in self.window.context.extensions if isinstance(e, kind))

    def wait(self, cond, what: str, timeout: float = WAIT_S) -> None:
        """Process events until ``cond()`` holds; exit with a one-line message after ``timeout`` s."""
        t0 = time.perf_counter()
        while not cond():
            self.app.processEvents()
            time.sleep(0.005)
            if time.perf_counter() - t0 > timeout:
                raise SystemExit(f"map_screenshots: gave up waiting for {what} after {timeout:.0f} s")

    def paint(self, ms: int = PAINT_MS) -> None:
        """Let queued repaints and debounced redraws (view changes, playing clips) reach the screen."""
        end = time.perf_counter() + ms / 1000
        while time.perf_counter() < end:
            self.app.processEvents()
            time.sleep(0.005)

    def mouse(self, kind: str, xy, buttons: str = "", shift: bool = False) -> None:
        """A real mouse event on the map's viewport at map coordinates ``xy`` (press, move or release)."""
        from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
        from PySide6.QtGui import QMouseEvent

        left, no = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
        kinds = {"press": QEvent.Type.MouseButtonPress, "move": QEvent.Type.MouseMove}
        event_type = kinds.get(kind, QEvent.Type.MouseButtonRelease)
        vp = self.map.plot.viewport()
        pos = QPointF(self.map.plot.mapFromScene(self.map.view.mapViewToScene(QPointF(*map(float, xy)))))
        button = left if kind in ("press", "release") else no
        mods = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
        glob = QPointF(vp.mapToGlobal(QPoint(int(pos.x()), int(pos.y()))))
        self.app.sendEvent(vp, QMouseEvent(event_type, pos, glob, button, left if buttons else no, mods))

    def drag(self, clip: int, by_px: tuple[float, float], release: bool = True, shift: bool = False) -> None:
        """Press on ``clip``'s point and move it ``by_px`` screen pixels (right, down) in 12 steps."""
        p0, px = self.state.coords[clip].astype(float), np.asarray(self.map.view.viewPixelSize())
        path = [p0 + t * np.asarray(by_px) * px * [1, -1] for t in np.linspace(0, 1, 12)]
        self.mouse("press", path[0], "left", shift)
        for p in path[1:]:
            self.mouse("move", p, "left", shift)
        if release:
            self.mouse("release", path[-1], "", shift)

    def zoom_to(self, lo, hi, pad: float = 0.6) -> None:
        """Set the view range to the box ``lo``–``hi`` grown by ``pad`` of its size, as a zoom would."""
        lo, hi = np.asarray(lo, float), np.asarray(hi, float)
        grow = pad * np.maximum(hi - lo, 1e-9)
        self.map.view.setRange(xRange=(lo[0] - grow[0], hi[0] + grow[0]), yRange=(lo[1] - grow[1], hi[1] + grow[1]))

    def zoom_home(self) -> None:
        """Back to the whole map as it opened."""
        (x0, x1), (y0, y1) = self.home
        self.map.view.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def save(self, name: str, widget=None) -> None:
        """Save ``widget`` (the whole window by default) as ``map_NAME.png``, quantized if too large."""
        from PySide6.QtCore import QRect
        from PySide6.QtGui import QImage

        w = self.window
        rect = QRect(widget.mapTo(w, widget.rect().topLeft()), widget.size()) if widget is not None else w.rect()
        path = self.out / f"map_{name}.png"
        image = w.grab(rect).toImage()
        image.save(str(path))
        if path.stat().st_size > MAX_BYTES:
            image.convertToFormat(QImage.Format.Format_Indexed8).save(str(path))
        print(f"saved {path} ({image.width()}x{image.height()}, {path.stat().st_size // 1000} KB)")

    def close(self) -> None:
        self.window.close()
        self.window.shutdown()


# ------------------------------------------------------------------------------------------ the demo
def shoot_posters(s: Shooter) -> None:
    """Zoom in on the part of the map where the most posters show at once, then hover one."""
    from latentlab.core.point_splat import Viewport
    from latentlab.core.poster_layout import plan_posters

    coords, view = np.asarray(s.state.coords, float), s.map.view
    (x0, x1), _ = view.viewRange()
    w, h = int(view.width()), int(view.height())
    best = None
    for i in np.random.default_rng(0).choice(len(coords), min(300, len(coords)), replace=False):
        half = (x1 - x0) / 2
        while half > 1e-6 * (x1 - x0):  # zoom in on clip i until its neighbourhood shows as posters
            (cx, cy), half_y = coords[i], half * h / w
            v = Viewport(cx - half, cx + half, cy - half_y, cy + half_y, w, h)
            plan = plan_posters(coords, v)
            if plan is not None:
                if best is None or len(plan.indices) > len(best[1].indices):
                    best = (v, plan)
                break
            half *= 0.85
    v = best[0]
    view.setRange(xRange=(v.x0, v.x1), yRange=(v.y0, v.y1), padding=0)
    posters = s.map.posters
    s.wait(lambda: posters.plan is not None and posters.item.isVisible(), "the posters")
    s.wait(lambda: all(j in posters.cache for j in posters.plan.indices), "every poster read")
    plan = posters.plan
    k = int(np.argmin(np.abs(plan.centres - [plan.width * 0.4, plan.height * 0.45]).max(1)))
    clip = int(plan.indices[k])
    s.mouse("move", s.state.coords[clip])
    s.wait(lambda: s.map.thumb.tag == clip and s.map.thumb.playing and s.map.thumb.isVisible(), "the hover card")
    s.paint()
    s.save("posters", s.map)
    s.mouse("move", (v.x0 - 10 * (v.x1 - v.x0), v.y0))  # the card goes with the mouse
    s.zoom_home()
    s.wait(lambda: posters.plan is None, "the dots again")


def shoot_decoded_grid(s: Shooter) -> None:
    from latentlab.gui.map.decoded_grid import DecodedGridExtension

    grid = s.extension(DecodedGridExtension)
    drawn: list = []
    grid.drawn.connect(drawn.append)
    grid.action.trigger()
    s.wait(lambda: drawn, "the decoded grid")
    s.paint()
    s.save("decoded_grid", s.map)
    grid.action.trigger()
    grid.drawn.disconnect(drawn.append)


def shoot_regions(s: Shooter) -> None:
    from latentlab.gui.map.region_extension import RegionExtension

    regions = s.extension(RegionExtension)
    regions.action.trigger()
    s.wait(lambda: regions.found is not None and regions.panel.list.count() > 0, "the region labels")
    s.paint()
    s.save("regions")
    regions.action.trigger()


def shoot_local_ellipses(s: Shooter) -> None:
    """The probe in a mixed part of the map, the Local tab's first slider at +2, and the posterior
    ellipses of the 120 clips nearest to a point (zoomed in so that they read)."""
    from scipy.spatial import cKDTree

    from latentlab.gui.map.posterior_ellipses import PosteriorEllipsesExtension

    coords = np.asarray(s.state.coords, float)
    panel = s.window.tabs.show_tab("local")
    s.state.move_probe(*coords[len(coords) // 3])
    s.wait(lambda: panel.basis is not None and panel.view.frames is not None, "the local directions")
    rendered: list = []
    panel.rendered.connect(lambda z, _frames: rendered.append(z))
    panel.sliders[0].setValue(panel.sliders[0].maximum() * 2 // 3)  # +2 local standard deviations
    target = panel.basis.latent(panel.amounts())
    s.wait(lambda: rendered and np.allclose(rendered[-1], target), "the slider's decode")
    ellipses = s.extension(PosteriorEllipsesExtension)
    ellipses.action.trigger()
    near = cKDTree(coords).query(coords[len(coords) // 3], k=120)[1]
    s.zoom_to(coords[near].min(0), coords[near].max(0))
    s.state.select(near)
    s.wait(lambda: ellipses.ellipses is not None and len(ellipses.ellipses.clips) == len(near), "the ellipses")
    s.paint()
    s.save("local_ellipses")
    ellipses.action.trigger()
    panel.reset.click()
    s.window.tabs.show_tab("probe")
    s.state.select([int(near[0])])
    s.zoom_home()


def shoot_drag(s: Shooter) -> None:
    """Shift+drag one clip (pinned: a white star), then hold a second one mid-drag."""
    from latentlab.gui.map.point_drag_extension import PointDragExtension

    ext = s.extension(PointDragExtension)
    s.paint()
    coords = np.asarray(s.state.coords, float)
    (x0, x1), (y0, y1) = s.map.view.viewRange()
    px = np.asarray(s.map.view.viewPixelSize())
    order = np.argsort(np.hypot(*((coords - [(x0 + x1) / 2, (y0 + y1) / 2]) / px).T))
    first, second = int(order[len(order) // 3]), int(order[len(order) // 2])
    s.drag(first, (120, 80), shift=True)
    s.wait(lambda: len(ext.points) == 1, "the pinned point")
    s.drag(second, (-140, -60), release=False)
    d = ext.drag
    s.wait(lambda: d.drag is not None and s.window.probe.result is not None, "the drag")
    s.wait(lambda: s.window.probe.result.pos == d.drag.pos, "the decode under the ghost")
    s.paint()
    s.save("drag")
    s.mouse("release", d.drag.pos)


# ------------------------------------------------------------------------------------------ real videos
def shoot_video_path(s: Shooter) -> None:
    """The store's t-SNE map coloured by source, the path of its longest video, the scrubber at 40 %."""
    from latentlab.gui.map.trajectory_extension import TrajectoryExtension

    ext = s.extension(TrajectoryExtension)
    if ext.index is None:
        raise SystemExit(f"map_screenshots: the store has no video paths: {ext.reason}")
    combo = s.window.toolbar.projection_combo
    if s.state.projection.method != "tsne" and combo.findText("tsne") >= 0:
        combo.setCurrentText("tsne")
        s.wait(lambda: s.state.projection.method == "tsne" and not s.window.fitting(), "the t-SNE map")
    if "source" in s.state.dataset.fields:
        s.state.set_colour_field("source")
    source = max(ext.index.sources(), key=lambda row: row[2])[0]
    first = next(c for c in range(len(ext.index)) if ext.index.place(c).source_id == source)
    s.state.select([first])
    ext.action.trigger()  # View → Show a video's path…: the current clip's video
    panel = ext.panel
    s.wait(lambda: panel.path is not None and panel.view.frames is not None, "the video's first frames")
    panel.scrubber.setValue(int(0.4 * panel.scrubber.maximum()))
    s.wait(lambda: panel.position is not None and panel.view.tag == panel.position.clip, "the frames at 40 %")
    points = ext.overlay.points
    s.zoom_to(points.min(0), points.max(0), pad=0.25)
    s.paint()
    s.save("video_path")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs", help="folder for the pictures (default: docs)")
    ap.add_argument("--store", help="a store ingested from real videos (for map_video_path.png)")
    ap.add_argument("--checkpoint", help="a model trained on --store")
    ap.add_argument("--only", nargs="+", choices=(*DEMO_SHOTS, "video_path"), help="take only these pictures")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wanted = args.only or (*DEMO_SHOTS, "video_path")
    t0 = time.perf_counter()
    shots = globals()
    if any(name in wanted for name in DEMO_SHOTS):
        s = Shooter(out)
        for name in DEMO_SHOTS:
            if name in wanted:
                shots[f"shoot_{name}"](s)
        s.close()
    if "video_path" in wanted:
        if not (args.store and args.checkpoint):
            print("map_video_path.png skipped: it needs --store STORE --checkpoint CKPT (real videos)")
        else:
            s = Shooter(out, args.store, args.checkpoint)
            shoot_video_path(s)
            s.close()
    print(f"done in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
