"""``latentlab info PATH``: describe a clip store (with its ingest report) or a model of any kind
(a latentlab checkpoint, a diffusers autoencoder folder, ``package.module:factory --weights FILE``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from latentlab.commands.options import int_range

    parser.description = (
        "Describe a clip store (geometry, clips, sources, last ingest) or a model: a latentlab "
        "checkpoint, a diffusers autoencoder folder, or package.module:factory with --weights "
        "(kind, latent shape, parameters, device)."
    )
    parser.add_argument("path", metavar="PATH", help="a clip store folder or a model")
    parser.add_argument("--weights", metavar="FILE.safetensors", help="state dict when PATH is package.module:factory")
    parser.add_argument(
        "--device", default="auto", help="where to load a model: auto (GPU when there is one), cpu, cuda"
    )
    parser.add_argument(
        "--sources", type=int_range(0, 10**6), default=10, metavar="N", help="list at most N sources (default 10)"
    )


def run(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if (path / "manifest.json").is_file():
        return _store_info(path, args.sources)
    if _foreign_model(path, args.weights):
        return _model_info(args)
    if (path / "config.json").is_file():
        return _checkpoint_info(path)
    print(
        f"latentlab info: error: {path} is neither a clip store (no manifest.json) "
        "nor a checkpoint folder (no config.json)",
        file=sys.stderr,
    )
    return 1


def _foreign_model(path: Path, weights: str | None) -> bool:
    """A diffusers folder, a folder of pickles, or package.module:factory (not a latentlab bundle)."""
    if weights or (":" in str(path) and not path.exists()):
        return True
    if path.is_file():
        return path.suffix.lower() in (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".safetensors")
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested too deeply
        config = None
    if isinstance(config, dict):
        return "_class_name" in config
    return path.is_dir() and any(p.suffix.lower() in (".bin", ".pt", ".pth", ".ckpt") for p in path.iterdir())


def _model_info(args: argparse.Namespace) -> int:
    from latentlab.core.errors import UserError
    from latentlab.ml.model_loading import ModelSource, describe_model

    try:
        print(describe_model(ModelSource.parse(args.path, args.weights), device=args.device))
    except (UserError, OSError) as exc:
        print(f"latentlab info: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _store_info(path: Path, max_sources: int) -> int:
    from latentlab.media.clip_store import ClipStore, StoreError

    try:
        store = ClipStore.open(path)
    except StoreError as exc:
        print(f"latentlab info: error: {exc}", file=sys.stderr)
        return 1
    g = store.geometry
    size_mb = len(store) * g.nbytes / 1e6
    print(f"clip store {store.path}")
    print(
        f"  {len(store)} clips of {g.frames} frames x {g.height} x {g.width} x {g.channels} "
        f"({'RGB' if g.channels == 3 else 'grey'}), {size_mb:.1f} MB; fingerprint {store.fingerprint[:12]}"
    )
    if store.factor_names:
        print(f"  ground-truth factors: {', '.join(store.factor_names)}")
    sources = store.sources
    print(f"  {len(sources)} sources")
    for s in sources[:max_sources]:
        extra = f" [{s['status']}: {s.get('reason', '')}]" if s.get("status") not in (None, "ok") else ""
        print(f"    {s['n_clips']:6d} clips  {s.get('path')}{extra}")
    if len(sources) > max_sources:
        print(f"    ... and {len(sources) - max_sources} more")
    report = path / "ingest_report.json"
    if report.is_file():
        try:
            print("\n".join(_report_lines(json.loads(report.read_text(encoding="utf-8")), max_sources)))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            print(f"  ingest report unreadable: {exc if not isinstance(exc, RecursionError) else 'nested too deeply'}")
    return 0


def _report_lines(doc: dict, max_sources: int) -> list[str]:
    files, runs = doc["files"], doc["runs"]
    counts = Counter(r["status"] for r in files)
    lines = [
        f"  ingest report: {len(files)} files ({', '.join(f'{n} {k}' for k, n in sorted(counts.items()))}), "
        f"{len(runs)} runs"
    ]
    for r in [r for r in files if r["status"] in ("failed", "partial")][:max_sources]:
        lines.append(f"    {r['status']:7s} {r['path']}: {r['reason']}")
    return lines


def _checkpoint_info(path: Path) -> int:
    try:
        from latentlab.ml.checkpoint import CheckpointError, describe_checkpoint
    except ImportError as exc:
        print(
            f"latentlab info: {path} looks like a checkpoint folder, but this build cannot describe "
            f"checkpoints yet ({exc})",
            file=sys.stderr,
        )
        return 1
    try:
        print(describe_checkpoint(os.fspath(path)))
    except (CheckpointError, OSError, ValueError, KeyError) as exc:
        print(f"latentlab info: error: {path}: {exc}", file=sys.stderr)
        return 1
    return 0
