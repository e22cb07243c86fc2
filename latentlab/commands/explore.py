"""``latentlab explore [PROJECT.latentlab]``: open the explorer window (the bundled demo by default)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from latentlab.core.projection_methods import FITTED_METHODS as PROJECTIONS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from latentlab.commands.options import SECONDS

    parser.add_argument(
        "project_file",
        nargs="?",
        metavar="PROJECT.latentlab",
        help="project to open (its store, model, tags and view); same as --project",
    )
    parser.add_argument("--project", metavar="PROJECT.latentlab", help="project to open")
    parser.add_argument("--store", help="clip store folder to explore (default: the demo clips)")
    parser.add_argument(
        "--checkpoint",
        "--model",
        dest="checkpoint",
        metavar="MODEL",
        help="model to explore with (default: the bundled demo model): a latentlab checkpoint folder, "
        "a diffusers autoencoder folder, or package.module:factory with --weights",
    )
    parser.add_argument("--weights", metavar="FILE.safetensors", help="state dict for --model package.module:factory")
    parser.add_argument(
        "--projection",
        choices=PROJECTIONS,
        default=None,
        help="map to show once loaded; t-SNE/UMAP fit in the background after PCA (default: pca, "
        "and for the sample datasets their t-SNE map, fitted once and then cached)",
    )
    parser.add_argument(
        "--colour",
        "--color",
        dest="colour",
        metavar="FIELD",
        help="per-clip field to colour the map by once loaded (e.g. shape, x_mid, KL, cluster)",
    )
    parser.add_argument(
        "--screenshot", metavar="FILE", help="render the window with its data loaded, save it as a PNG to FILE and exit"
    )
    parser.add_argument(
        "--timeout",
        type=SECONDS,
        default=600.0,
        help="with --screenshot: seconds to wait for the data before giving up (default: 600)",
    )


def run(args: argparse.Namespace) -> int:
    if args.project_file and Path(args.project_file).is_dir() and not args.store:
        args.store, args.project_file = args.project_file, None  # `latentlab explore STORE` reads naturally too
    project = _project_path(args)
    if project is None:
        return 2
    if project and (args.store or args.checkpoint):
        print(
            "latentlab explore: error: a project names its own store and checkpoint; "
            "give either a project or --store/--checkpoint",
            file=sys.stderr,
        )
        return 2
    if args.store is not None and not Path(args.store).is_dir():
        print(f"latentlab explore: error: --store {args.store} is not a folder", file=sys.stderr)
        return 2
    if args.checkpoint is not None:
        from latentlab.ml.model_loading import ModelSource, loader_kind  # no torch yet

        source = ModelSource.parse(args.checkpoint, args.weights)  # a pickle or a bare state dict: one line (cli)
        if loader_kind(source) == "latentlab" and not Path(args.checkpoint).is_dir():
            print(f"latentlab explore: error: --checkpoint {args.checkpoint} is not a folder", file=sys.stderr)
            return 2
        args.checkpoint = source.spec()
    if args.store is not None:  # a folder that is not a store: one line now, not a window that fails later
        from latentlab.media.clip_store import ClipStore

        ClipStore.open(args.store)
    if args.screenshot and Path(args.screenshot).suffix.lower() not in (".png", ".jpg", ".jpeg"):
        print("latentlab explore: error: --screenshot must name a .png or .jpg file", file=sys.stderr)
        return 2
    from latentlab.gui.xcb_check import problem  # before Qt aborts with a message that names the wrong package

    missing = problem()
    if missing:
        print(f"latentlab explore: {missing}", file=sys.stderr)
        return 1
    try:
        from latentlab.gui.app import run_explorer  # Qt only now, never at import time
    except RuntimeError as exc:  # latentlab.gui._pyside_check.BrokenQtBinding
        print(f"latentlab explore: error: {exc}", file=sys.stderr)
        return 1
    except ImportError as exc:
        print(f"latentlab explore: error: the GUI cannot start: {exc}", file=sys.stderr)
        return 1

    extra = {"project": project} if project else {}
    return run_explorer(
        store=args.store,
        checkpoint=args.checkpoint,
        projection=args.projection,
        screenshot=args.screenshot,
        timeout_s=args.timeout,
        colour=args.colour,
        **extra,
    )


def _project_path(args: argparse.Namespace) -> str | None:
    """The project to open ("" for none); None (after printing why) for a bad one. The file is read
    here, before Qt starts, so that a damaged or newer file is a one-line message and exit code 2."""
    from latentlab.core.project import ProjectError, load_project

    given = [p for p in (args.project_file, args.project) if p]
    if not given:
        return ""
    if len(given) == 2 and given[0] != given[1]:
        print("latentlab explore: error: give one project, not two", file=sys.stderr)
        return None
    try:
        project = load_project(given[0])
    except ProjectError as exc:
        print(f"latentlab explore: error: {exc}", file=sys.stderr)
        return None
    if project.missing:
        print(f"latentlab explore: error: {given[0]} cannot be opened: {'; '.join(project.missing)}", file=sys.stderr)
        return None
    return str(Path(given[0]).absolute())
