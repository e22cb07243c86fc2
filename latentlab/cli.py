"""``latentlab <command>``: the command-line entry point.

Importing this module, and running ``latentlab --help``, imports neither torch nor Qt nor OpenCV:
each sub-command lives in ``latentlab.commands.<name>`` and is imported only when it runs (or when
its own ``--help`` is asked for). A command module defines ``add_arguments(parser)`` and
``run(args) -> int``, and imports heavy libraries inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from latentlab import __version__

#: name -> one-line help. The module is ``latentlab.commands.<name with '-' as '_'>``.
COMMANDS: dict[str, str] = {
    "explore": "open the explorer window (default: the bundled demo)",
    "ingest": "cut video files into fixed-size clips in a clip store",
    "demo-data": "write the procedural sprite dataset to a clip store",
    "info": "describe a clip store, its ingest report or a checkpoint",
    "train": "train a video VAE on a clip store",
    "eval": "evaluate a checkpoint on a clip store",
    "embed": "encode every clip of a store to latents (cached beside the store)",
    "project": "project a store's latents to 2-D (PCA, t-SNE, UMAP)",
    "export": "export clips, manifests or latents from a project",
}


def _command_module(name: str):
    return importlib.import_module("latentlab.commands." + name.replace("-", "_"))


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """Build the top-level parser; only the command named in ``argv`` is imported."""
    parser = argparse.ArgumentParser(
        prog="latentlab",
        description="See and touch what a video VAE has learned. "
        "With no command, opens the explorer on the bundled demo.",
    )
    parser.add_argument("--version", action="version", version=f"latentlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = _first_command(argv)
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == wanted:
            module = _command_module(name)
            module.add_arguments(p)
            p.set_defaults(_run=module.run)
    return parser


def _first_command(argv: list[str] | None) -> str | None:
    for arg in argv or []:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def main(argv: list[str] | None = None) -> int:
    """Run ``latentlab`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        return gui_main([])
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def gui_main(argv: list[str] | None = None) -> int:
    """Entry point of ``latentlab-gui``: the explorer on the bundled demo."""
    argv = sys.argv[1:] if argv is None else list(argv)
    return main(["explore", *argv])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
