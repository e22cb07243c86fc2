"""``latentlab export PROJECT (--tag T | --selection NAME | --all) --format F -o OUT``: clips out of a
project; ``latentlab export --store STORE (--all | --keys FILE) ...`` without one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

FORMATS = ("manifest", "videos", "projector", "folders")
EXIT_ERROR, EXIT_EXISTS = 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Export the clips of a project's tag, saved selection or all of its clips. Formats: "
        "manifest (CSV + JSON: clip id, source file, start/end time, tags: enough to cut the originals), "
        "videos (the clips as MP4 files, with --reconstructions also the model's reconstructions), "
        "projector (vectors.tsv + metadata.tsv for the TensorFlow Embedding Projector), "
        "folders (one folder of MP4 clips per tag, a classification dataset, with labels.csv). "
        "OUT is written completely or not at all; an existing non-empty OUT needs --force."
    )
    parser.add_argument("project", metavar="PROJECT", nargs="?", help="project file (.latentlab)")
    parser.add_argument(
        "--store", metavar="STORE", help="export from a clip store without a project (with --all or --keys)"
    )
    scope = parser.add_mutually_exclusive_group(required=True)
    scope.add_argument("--tag", metavar="T", help="the clips with this tag")
    scope.add_argument("--selection", metavar="NAME", help="the clips of this saved selection")
    scope.add_argument("--all", action="store_true", help="every clip of the project's store")
    scope.add_argument(
        "--keys",
        metavar="FILE",
        help="the clips listed in FILE: a manifest.csv of an earlier export (its clip_key "
        "column) or one clip key per line",
    )
    parser.add_argument("--format", "-f", required=True, choices=FORMATS)
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder")
    parser.add_argument("--reconstructions", action="store_true", help="videos: also write the model's reconstructions")
    parser.add_argument("--checkpoint", help="model for latents/reconstructions (default: the project's model)")
    from latentlab.ml.config import DEVICE_CHOICES  # torch-free

    parser.add_argument("--device", default="auto", help=f"{', '.join(DEVICE_CHOICES)} (when the model has to run)")
    parser.add_argument("--force", action="store_true", help="write into an existing non-empty OUT")
    parser.add_argument("--json", action="store_true", help="print the report (files written, counts) as JSON")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from latentlab.core.disk_space import require_free_space
    from latentlab.core.export_output import OutputExists, check_output, estimate_bytes
    from latentlab.core.export_tables import ExportError
    from latentlab.core.project import (
        Project,
        ProjectError,
        load_project,
        missing_clip_keys,
        project_clip_indices,
        tag_names,
    )
    from latentlab.media.clip_store import ClipStore, StoreError

    def fail(message: str, code: int = EXIT_ERROR) -> int:
        print(f"latentlab export: error: {message}", file=sys.stderr)
        return code

    if args.reconstructions and args.format != "videos":
        return fail("--reconstructions goes with --format videos")
    if bool(args.project) == bool(args.store):
        return fail("give a project file or --store STORE (one of them)")
    if args.store and (args.tag is not None or args.selection is not None):
        return fail("a clip store has no tags or saved selections: give its project, or --all / --keys FILE")
    try:
        check_output(args.output, args.force)  # before any slow loading
        if args.store:
            if not Path(args.store).is_dir():
                return fail(f"--store {args.store} is not a folder")
            project = Project(store=str(Path(args.store).absolute()))
        else:
            project = load_project(args.project)
        if project.store and not Path(project.store).exists():
            return fail(f"the project's clip store {project.store} is missing (moved or deleted?)")
        checkpoint = args.checkpoint or project.checkpoint or str(_demo_checkpoint())
        store = ClipStore.open(project.store or _demo_store(checkpoint))
        keys = store.clip_keys()
        if args.keys:
            indices, dropped = _listed_clips(args.keys, keys), []
        else:
            indices = project_clip_indices(project, keys, tag=args.tag, selection=args.selection)
            dropped = missing_clip_keys(project, keys, tag=args.tag, selection=args.selection)
        store.check_table()  # a garbled table: one line, not an IndexError half-way
        require_free_space(
            Path(args.output).absolute().parent,
            estimate_bytes(args.format, len(indices), store.geometry.nbytes, args.reconstructions),
            f"the export of {len(indices)} clips",
        )
    except OutputExists as exc:
        return fail(str(exc), EXIT_EXISTS)
    except (ExportError, ProjectError, StoreError, OSError) as exc:
        return fail(str(exc))
    members = tag_names(project.tags)
    key_tags: dict[str, list[str]] = {}
    for name, tag_keys in members.items():
        for k in tag_keys:
            key_tags.setdefault(str(k), []).append(name)
    tags = [key_tags.get(str(keys[i]), []) for i in indices.tolist()]
    scope = (
        {"tag": args.tag}
        if args.tag is not None
        else {"selection": args.selection}
        if args.selection is not None
        else {"keys": str(args.keys)}
        if args.keys
        else {"all": True}
    )
    info = ({"store": str(project.store)} if args.store else {"project": str(project.path)}) | {
        "scope": scope,
        "checkpoint": checkpoint,
    }
    if dropped:  # e.g. the source video changed since these clips were tagged: say so, here and in export.json
        info["dropped"] = {
            "clips": len(dropped),
            "keys": dropped,
            "reason": "not in the store any more (its source video changed or was removed)",
        }
        print(
            f"latentlab export: note: {len(dropped)} of the {len(dropped) + len(indices)} clips of "
            f"{next(iter(scope.values()))!r} are not in the store any more (source video changed or removed); "
            "they are listed under 'dropped' in export.json",
            file=sys.stderr,
        )
    with _Bar(args.quiet) as bar:
        try:
            mu = reconstruct = None
            if args.format == "projector" or args.reconstructions:
                from latentlab.ml.export_recon import cached_latents, export_latents, load_export_codec, reconstructor

                if args.format == "projector":
                    mu = export_latents(store, indices, checkpoint, device=args.device, progress=bar.stage("latents"))
                else:
                    codec = load_export_codec(checkpoint, store, device=args.device)
                    reconstruct = reconstructor(codec, cached_latents(store, checkpoint))
            from latentlab.media.export_clips import run_export

            report = run_export(
                args.format,
                store,
                indices,
                tags,
                args.output,
                force=args.force,
                mu=mu,
                reconstruct=reconstruct,
                progress=bar.stage("export"),
                info=info,
            )
        except OutputExists as exc:
            return fail(str(exc), EXIT_EXISTS)
        except ExportError as exc:
            return fail(str(exc))
        except OSError as exc:  # disk full, permission denied...: OUT is left as it was
            return fail(f"cannot write the export: {exc}")
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print(report.summary())
        for name in report.files[:10]:
            print(f"  {name}")
        if len(report.files) > 10:
            print(f"  ... and {len(report.files) - 10} more (all listed in {report.out}/export.json)")
    return 0


def _listed_clips(path: str, keys):
    """Indices of the clips whose keys ``path`` lists (a manifest.csv's clip_key column, or one key a
    line); ExportError naming how many listed keys this store does not hold."""
    import csv

    import numpy as np

    from latentlab.core.export_tables import ExportError

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"cannot read the clip list {path}: {exc}") from None
    lines = text.splitlines()
    if lines and "clip_key" in lines[0].split(","):
        wanted = [row["clip_key"] for row in csv.DictReader(lines)]
    else:
        wanted = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if not wanted:
        raise ExportError(f"{path} lists no clips")
    position = {str(k): i for i, k in enumerate(keys)}
    missing = [k for k in wanted if k not in position]
    if missing:
        raise ExportError(
            f"{len(missing)} of the {len(wanted)} clips listed in {path} are not in this store (first: {missing[0]!r})"
        )
    return np.unique(np.asarray([position[k] for k in wanted], np.int64))


def _demo_checkpoint():
    from latentlab.paths import demo_checkpoint_dir

    return demo_checkpoint_dir()


def _demo_store(checkpoint: str) -> str:
    """A project without a store is on the demo data (generated once, as the explorer does)."""
    from latentlab.app.demo import demo_spec, ensure_demo_store

    return str(ensure_demo_store(demo_spec(checkpoint)))


class _Bar:
    """A tqdm bar in percent on an interactive stderr; ``stage(name)`` gives a progress(f, text) callback."""

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.bar = quiet, None

    def __enter__(self) -> _Bar:
        if not self.quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=100, unit="%", file=sys.stderr, dynamic_ncols=True)
        return self

    def stage(self, name: str):
        def progress(fraction: float, text: str = "") -> None:
            if self.bar is not None:
                self.bar.set_description(text or name, refresh=False)
                self.bar.update(int(100 * fraction) - self.bar.n)

        return progress

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
