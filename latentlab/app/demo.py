"""The sample data the bundled models were trained on, generated on first use. No Qt here.

The spec of a sample dataset is recorded in its checkpoint's ``config.json``; the store is written
once into :func:`latentlab.paths.user_data_dir` and reused by every later start (and by
``latentlab export`` of a project on the demo).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from latentlab.core.protocols import Progress
from latentlab.paths import demo_checkpoint_dir, user_data_dir


def sample_spec(checkpoint: str | Path | None = None):
    """``(sample dataset, spec)`` a sample-data checkpoint's config.json records (the sprites' default
    spec when it records none)."""
    from latentlab.media.sample_data import SAMPLE_DATASETS, sample_for_config

    path = Path(checkpoint or demo_checkpoint_dir()) / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    sample = sample_for_config(config) or SAMPLE_DATASETS["sprites"]
    found = _find_key(config, "sample_spec") or _find_key(config, "demo_spec") or _find_key(config, "demo") or {}
    return sample, sample.spec(**found) if isinstance(found, dict) else sample.spec()


def demo_spec(checkpoint: str | Path | None = None):
    """The spec of the sample data a checkpoint was trained on (see :func:`sample_spec`)."""
    return sample_spec(checkpoint)[1]


def _find_key(obj, key: str):
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            hit = _find_key(v, key)
            if hit is not None:
                return hit
    return None


def ensure_demo_store(spec=None, progress: Progress | None = None) -> Path:
    """Path of a sample store (sprites or digits, from the spec's type), generated on first use into
    a temp folder, then renamed; made again when the one there was written by another version of the
    generator (the clips a bundled model is shown must be the data it was trained on)."""
    from dataclasses import asdict

    from latentlab.media.clip_store import ClipStore, StoreError
    from latentlab.media.sample_data import SAMPLE_DATASETS

    spec = spec or demo_spec()
    sample = next(s for s in SAMPLE_DATASETS.values() if type(spec) is s.spec_type)
    extra = "".join(f"-{v}" for k, v in asdict(spec).items() if k not in ("n_clips", "frames", "size", "seed", "fps"))
    root = user_data_dir() / "demo"
    path = root / f"{sample.kind}-{spec.n_clips}x{spec.frames}x{spec.size}-seed{spec.seed}{extra}"
    try:
        store = ClipStore.open(path)
        if len(store) == spec.n_clips and sample.made_by_this_version(store, spec):
            return path
    except StoreError:
        pass  # damaged or half-written: made again
    tmp = root / (path.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(path, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    sample.write_store(
        tmp,
        spec,
        progress=lambda done, total: progress and progress(done / total, f"generating the {sample.title.lower()}"),
    )
    tmp.rename(path)
    return path
