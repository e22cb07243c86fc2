"""``latentlab <command>``: the command-line entry point.

Importing this module, and running ``latentlab --help``, imports neither torch nor Qt nor OpenCV:
each sub-command lives in ``latentlab.commands.<name>`` and is imported only when it runs (or when
its own ``--help`` is asked for). A command module defines ``add_arguments(parser)`` and
``run(args) -> int``, and imports heavy libraries inside ``run``.

Errors follow one convention for every command (:data:`EXIT_STATUS`): a bad option is refused by
argparse with one line and status 2; a :class:`~latentlab.core.errors.UserError` or an ``OSError``
(a full disk, a read-only folder) raised by a command is one line ``latentlab CMD: error: ...`` and
status 1; anything else is a bug: one line naming a log file that holds the traceback, status 3
(``--debug`` prints the traceback instead).
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
    "map": "fit a 2-D map of a store's latents (PCA, t-SNE, UMAP); `project` is its old name",
    "export": "export clips, manifests or latents from a project",
}

#: Old command names still accepted: alias -> command.
ALIASES: dict[str, str] = {"project": "map"}

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_STATUS = """\
exit status (every command):
  0    done
  1    error: the input or the output was refused, or the command could not finish;
       one line "latentlab COMMAND: error: ..." says why (nothing half-written is left)
  2    usage: a missing or invalid option or argument; also "needs a decision": the output
       already exists (pass --force or --resume), ingest --strict with failed files,
       embed --merge with shards still missing
  3    internal error (a bug): one line names a log file holding the traceback
       (--debug prints it instead)
  130  interrupted (Ctrl+C)"""


class _HelpFormatter(argparse.HelpFormatter):
    """Wraps one-paragraph texts as usual; keeps texts with line breaks (the exit-status table) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text.strip():
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line: ``latentlab CMD: error: ...`` (status 2)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _command_module(name: str):
    return importlib.import_module("latentlab.commands." + name.replace("-", "_"))


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """Build the top-level parser; only the command named in ``argv`` is imported."""
    parser = _Parser(
        prog="latentlab",
        description="See and touch what a video VAE has learned. "
        "With no command, opens the explorer on the bundled demo.",
        epilog=EXIT_STATUS,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"latentlab {__version__}")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an internal error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    wanted = _first_command(argv)
    for name, help_text in COMMANDS.items():
        aliases = [old for old, new in ALIASES.items() if new == name]
        p = sub.add_parser(name, help=help_text, description=help_text, aliases=aliases)
        if name == wanted:
            module = _command_module(name)
            module.add_arguments(p)
            p.add_argument(
                "--debug",
                action="store_true",
                default=argparse.SUPPRESS,
                help="print the traceback of an internal error",
            )
            p.epilog = f"{p.epilog}\n\n{EXIT_STATUS}" if p.epilog else EXIT_STATUS
            p.formatter_class = _HelpFormatter
            p.set_defaults(_run=module.run)
    return parser


def _first_command(argv: list[str] | None) -> str | None:
    for arg in argv or []:
        if not arg.startswith("-"):
            arg = ALIASES.get(arg, arg)
            return arg if arg in COMMANDS else None
    return None


def main(argv: list[str] | None = None) -> int:
    """Run ``latentlab`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        return gui_main([a for a in argv if a != "--debug"])
    return run_command(ALIASES.get(args.command, args.command), args._run, args, debug=args.debug)


def run_command(name: str, run, args: argparse.Namespace, *, debug: bool = False) -> int:
    """Call ``run(args)`` under the top-level handler described in the module docstring."""
    from latentlab.core.errors import UserError

    prefix = f"latentlab {name}: error:"
    try:
        return int(run(args) or 0)
    except KeyboardInterrupt:
        print(f"latentlab {name}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UserError as exc:
        print(f"{prefix} {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # a full disk, a read-only or vanished folder: the environment, not a bug
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"{prefix} {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_ERROR
    except MemoryError:
        print(f"{prefix} out of memory; try a smaller batch or fewer clips", file=sys.stderr)
        return EXIT_ERROR
    except Exception:  # a bug: one line here, the traceback in a log file
        import traceback

        text = traceback.format_exc()
        if debug:
            sys.stderr.write(text)
            return EXIT_INTERNAL
        log = _write_crash_log(name, text)
        last = _one_line(text.strip().splitlines()[-1]) if text.strip() else "unknown error"
        where = f"; the traceback is in {log}" if log else ""
        print(
            f"latentlab {name}: internal error: {last}{where} (rerun with --debug to print it; please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _write_crash_log(name: str, text: str) -> str | None:
    """Write ``text`` to ``<user data>/logs/<command>-<time>-<pid>.log``; its path (None if it cannot)."""
    import os
    import time

    from latentlab.paths import user_data_dir

    try:
        folder = user_data_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        path.write_text(f"latentlab {__version__} {name}\n{text}", encoding="utf-8")
        return str(path)
    except OSError:
        return None


def gui_main(argv: list[str] | None = None) -> int:
    """Entry point of ``latentlab-gui``: the explorer on the bundled demo."""
    argv = sys.argv[1:] if argv is None else list(argv)
    return main(["explore", *argv])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
