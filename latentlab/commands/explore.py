"""``latentlab explore``: open the explorer window (the bundled demo by default)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECTIONS = ("pca", "tsne", "umap")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", help="clip store folder to explore (default: the demo clips)")
    parser.add_argument("--checkpoint", help="model checkpoint folder (default: the bundled demo model)")
    parser.add_argument("--projection", choices=PROJECTIONS, default="pca",
                        help="map to show once loaded; t-SNE/UMAP fit in the background after PCA (default: pca)")
    parser.add_argument("--colour", "--color", dest="colour", metavar="FIELD",
                        help="per-clip field to colour the map by once loaded (e.g. shape, x_mid, KL, cluster)")
    parser.add_argument("--screenshot", metavar="FILE",
                        help="render the window with its data loaded, save it as a PNG to FILE and exit")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="with --screenshot: seconds to wait for the data before giving up (default: 600)")


def run(args: argparse.Namespace) -> int:
    for name in ("store", "checkpoint"):
        value = getattr(args, name)
        if value is not None and not Path(value).is_dir():
            print(f"latentlab explore: --{name} {value} is not a folder", file=sys.stderr)
            return 2
    if args.screenshot and Path(args.screenshot).suffix.lower() not in (".png", ".jpg", ".jpeg"):
        print("latentlab explore: --screenshot must name a .png or .jpg file", file=sys.stderr)
        return 2
    try:
        from latentlab.gui.app import run_explorer  # Qt only now, never at import time
    except RuntimeError as exc:  # latentlab.gui._pyside_check.BrokenQtBinding
        print(f"latentlab explore: {exc}", file=sys.stderr)
        return 1
    except ImportError as exc:
        print(f"latentlab explore: the GUI cannot start: {exc}", file=sys.stderr)
        return 1

    return run_explorer(store=args.store, checkpoint=args.checkpoint, projection=args.projection,
                        screenshot=args.screenshot, timeout_s=args.timeout, colour=args.colour)
