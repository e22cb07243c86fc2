"""Explorer responsiveness, measured through the real Qt event loop (offscreen).

1. The map's full redraw at ``--points`` and ``--big`` points: the splat renderer against pyqtgraph's
   ``ScatterPlotItem`` and the previous raster, one protocol for the three (``bench_map_redraw.bench``:
   the map's 800 x 800 plot, a zoom step before every timed redraw, the renderers interleaved).
2. Map load (dataset + projection -> points drawn and first paint) and full repaint in the window.
3. A probe drag on each map with the real decoder, twice: DURING the background build of the inverse's
   table (started when the projection arrives; the drag stops when the build ends) and AFTER it.
   Synthetic mouse moves every 16 ms (60 Hz) go through pyqtgraph's scene to the probe marker, the
   inverse projection and the decode worker; latency = mouse move sent -> the decoded frame for that
   move painted (p50/p95), plus how many moves got a frame of their own (the rest were superseded).
4. The longest GUI-thread stall during each drag: a 1 ms QTimer heartbeat; a stall is a gap between
   two beats.
5. Start-up: ``latentlab explore --screenshot`` in a subprocess with warm caches (wall time to exit,
   and the time the app reports from start-up to the painted window).

The last lines printed are every figure with its goal beside it.

Model: the bundled demo checkpoint if ``checkpoints/demo`` exists, else a randomly initialised model
of the same architecture (VAEConfig defaults), said in the output.

    python benchmarks/bench_explorer.py [--points 100000] [--big 1000000] [--drag-seconds 8]
                                        [--redraw-repeats 7] [--no-drag-big] [--startup] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from explorer_drag import bench_drag, percentile  # noqa: E402
from explorer_map import bench_map, bench_scatter_baseline, goal_lines, restart_table_build  # noqa: E402


def get_codec(args):
    from latentlab.ml.codec import ClipCodec
    from latentlab.paths import demo_checkpoint_dir

    demo = Path(args.checkpoint or demo_checkpoint_dir())
    if (demo / "config.json").is_file() and (demo / "model.safetensors").is_file():
        return ClipCodec.from_checkpoint(demo, device="cpu"), f"demo checkpoint {demo}", str(demo)
    import dataclasses

    import torch

    from latentlab.media.demo_data import DemoSpec
    from latentlab.ml.checkpoint import save_checkpoint
    from latentlab.ml.config import VAEConfig
    from latentlab.ml.model import VideoVAE

    torch.manual_seed(0)
    path = Path(tempfile.mkdtemp(prefix="bench-explorer-")) / "random"
    cfg = VAEConfig()
    spec = DemoSpec(frames=cfg.frames, size=cfg.height)  # what `latentlab` generates for this model
    save_checkpoint(path, VideoVAE(cfg), data={"demo_spec": dataclasses.asdict(spec)})
    return (
        ClipCodec.from_checkpoint(path, device="cpu"),
        "randomly initialised VideoVAE(VAEConfig()) (no checkpoints/demo yet)",
        str(path),
    )


class NullDecoder:
    """The codec's interface with a free decode (zeros): isolates the GUI's share of the latency."""

    def __init__(self, codec):
        self.latent_dim, self.frames, self.height, self.width, self.channels = (
            codec.latent_dim,
            codec.frames,
            codec.height,
            codec.width,
            codec.channels,
        )
        self.weights_hash, self.config, self.device = "null", {}, "cpu"

    def decode(self, z):
        return np.zeros((len(z), self.frames, self.height, self.width, self.channels), np.uint8)

    def reconstruct(self, clips):
        return np.zeros_like(clips)


def make_loaded(n, codec):
    """``n`` synthetic latents of the codec's size with a PCA map; clips come from the demo generator."""
    from latentlab.app.dataset import Loaded, make_dataset
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import fit_projection
    from latentlab.core.synthetic_latents import structured_latents
    from latentlab.media.demo_data import DemoSpec, generate_clips

    mu, _ = structured_latents(n, codec.latent_dim, seed=1)
    logvar = np.full_like(mu, -2.0)
    spec = DemoSpec(frames=codec.frames, size=codec.height)
    pool, _ = generate_clips(spec, 0, 2000)  # clip i shows pool[i % 2000]: a memory read, like the store's memmap

    def read_clips(idx):
        return pool[np.asarray(idx, np.int64).ravel() % len(pool)]

    ds = make_dataset(f"bench {n}", mu, logvar, codec, None, read_clips=read_clips, fps=12.0, clusters=False)
    projection = fit_projection(mu, "pca")
    return Loaded(ds, projection, make_inverse(mu, projection))


def bench_decode_only(codec, n=50):
    z = np.zeros((1, codec.latent_dim), np.float32)
    codec.decode(z)
    ts, cpu = [], []
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        codec.decode(z)
        ts.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {
        "decode_p50_ms": 1000 * percentile(ts, 50),
        "decode_p95_ms": 1000 * percentile(ts, 95),
        "decode_cpu_p50_ms": 1000 * percentile(cpu, 50),
    }


def bench_startup(checkpoint, repeats=3, data=None):
    """``latentlab explore --screenshot`` with warm caches (the first run fills them and is reported too)."""
    data = data or tempfile.mkdtemp(prefix="bench-explorer-data-")
    env = dict(os.environ, LATENTLAB_DATA=data, QT_QPA_PLATFORM="offscreen")
    runs = []
    for i in range(repeats + 1):
        out = Path(data) / f"shot{i}.png"
        env["LATENTLAB_LAUNCH_T0"] = repr(time.time())
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "latentlab", "explore", "--checkpoint", checkpoint, "--screenshot", str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            return {"error": proc.stderr[-1500:]}

        def after_launch(tag):
            line = next((x for x in proc.stdout.splitlines() if tag in x), "")  # noqa: B023 - called in this iteration
            return (
                float(line.split("; ")[-1].split(" s after launch")[0].split("(")[-1])
                if "after launch" in line
                else float("nan")
            )

        runs.append(
            {
                "wall_s": wall,
                "map_painted_after_launch_s": after_launch("map painted"),
                "everything_rendered_after_launch_s": after_launch("screenshot saved"),
                "cold": i == 0,
            }
        )
    warm = [r for r in runs if not r["cold"]]
    return {
        "runs": runs,
        "warm_wall_median_s": float(np.median([r["wall_s"] for r in warm])),
        "warm_map_painted_median_s": float(np.median([r["map_painted_after_launch_s"] for r in warm])),
        "warm_everything_rendered_median_s": float(np.median([r["everything_rendered_after_launch_s"] for r in warm])),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--points", type=int, default=100_000)
    p.add_argument("--big", type=int, default=1_000_000, help="second map size (0: skip)")
    p.add_argument("--no-drag-big", action="store_true", help="drag the probe on the first map only")
    p.add_argument("--drag-seconds", type=float, default=8.0, help="each drag (during the build: at most)")
    p.add_argument("--redraw-repeats", type=int, default=7, help="zoom steps per renderer (0: no redraw comparison)")
    p.add_argument("--checkpoint", help="model for the drag (default: checkpoints/demo, else random init)")
    p.add_argument("--startup", action="store_true", help="also time `latentlab explore --screenshot` (demo data)")
    p.add_argument("--null-decoder", action="store_true", help="decode for free (GUI overhead alone)")
    p.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="sys.setswitchinterval in seconds (default: what the app sets)",
    )
    p.add_argument(
        "--table-nice",
        type=int,
        default=None,
        help="how much nicer the inverse's table build runs than the app (default: the app's, 0: as the GUI)",
    )
    p.add_argument("--startup-only", action="store_true", help="only the start-up timing (needs --checkpoint)")
    p.add_argument("--data", help="LATENTLAB_DATA for the start-up runs (reuse a warm one)")
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args()

    if args.startup_only:
        r = bench_startup(args.checkpoint, data=args.data)
        print(json.dumps(r, indent=1))
        if args.json:
            Path(args.json).write_text(json.dumps(r, indent=2))
        return 0
    import torch

    from latentlab.app.loading import configure_torch_threads

    threads = configure_torch_threads()  # what the app does: all cores but one for torch
    from PySide6.QtCore import QSettings

    from latentlab.app import thread_priority
    from latentlab.gui.app import make_app
    from latentlab.gui.main_window import MainWindow

    if args.table_nice is not None:
        thread_priority.BACKGROUND_NICE = args.table_nice
    sizes = [args.points] + ([args.big] if args.big else [])
    redraw = {}
    if args.redraw_repeats:  # before make_app: its style sheet doubles ScatterPlotItem's cost; compare without it
        from bench_map_redraw import bench as bench_redraw

        for n in sizes:
            redraw[n] = bench_redraw(n, args.redraw_repeats)
            redraw[n]["load_average_after"] = os.getloadavg()
            print(f"  redraw {n:,}: {redraw[n]}", flush=True)
    app = make_app()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    codec, model_note, ckpt = get_codec(args)
    if args.null_decoder:
        codec, model_note = NullDecoder(codec), "null decoder (zeros, no model cost) with the shape of " + model_note
    results = {
        "model": model_note,
        "codec": repr(codec),
        "machine": "2-core cloud VM, no GPU, torch " + torch.__version__,
        "load_average_at_start": os.getloadavg(),
        "redraw": redraw,
        "torch_threads": threads,
        "gil_switch_interval_s": sys.getswitchinterval(),
        "table_build_nice_step": thread_priority.BACKGROUND_NICE,
    }
    results["decode_only"] = bench_decode_only(codec)
    print(f"model: {model_note}\n  decode alone: {results['decode_only']}", flush=True)
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.status.dialogs_enabled = False
    window.resize(1440, 900)
    window.show()
    maps = []
    for n in sizes:
        t = time.perf_counter()
        loaded = make_loaded(n, codec)
        prep = time.perf_counter() - t
        r = bench_map(app, window, loaded)
        r["prepare_latents_index_pca_inverse_s"] = prep
        maps.append(r)
        print(f"  map {n:,}: {r}", flush=True)
        if n <= 200_000:
            b = bench_scatter_baseline(app, np.asarray(loaded.projection.coords))
            results.setdefault("baseline_plain_scatter", []).append(b)
            print(f"  baseline plain ScatterPlotItem {n:,}: {b}", flush=True)
        if n == args.points or not args.no_drag_big:
            window.state.select([0])
            window.state.move_probe(*map(float, np.median(loaded.projection.coords, axis=0)))
            key = "drag" if n == args.points else "drag_big"
            job = restart_table_build(app, window, loaded.inverse)
            results[key + "_during_build"] = bench_drag(app, window, args.drag_seconds, during=job)
            results[key + "_during_build"]["load_average"] = os.getloadavg()
            print(f"  drag on {n:,} during the table build: {results[key + '_during_build']}", flush=True)
            results[key] = bench_drag(app, window, args.drag_seconds)
            results[key]["load_average"] = os.getloadavg()
            print(f"  drag on {n:,} after it: {results[key]}", flush=True)
    results["maps"] = maps
    window.close()
    if args.startup:
        results["startup"] = bench_startup(ckpt, data=args.data)
        print(f"  startup: {results['startup']}", flush=True)
    print("\n".join(goal_lines(results, args.points, args.big)), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
