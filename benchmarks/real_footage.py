"""The model on real footage, split in time, against PCA with the same number of dimensions.

    python benchmarks/real_footage.py VIDEO_FOLDER [--minutes 8] [--work DIR] [--grid PNG] [--json OUT]

Every video of the folder is ingested at 8 x 32 x 32 (12 frames per second, a new clip every 4
frames); the first 75 % of each video's clips (by time) form the training store, the last 25 % the
test store, so the test clips are later moments of the same videos, never seen in training. Then
``latentlab train TRAIN --minutes M`` (the default recipe, augmentation included), and on the test
clips: PSNR of the model and of PCA of raw pixels with as many dimensions as the latent (fitted on
the training clips), the reconstructions' motion (mean frame-to-frame change) and fine detail (mean
|Laplacian|) relative to the originals'. ``--grid`` writes originals, reconstructions and PCA
reconstructions of test clips from every video.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def split_store(full, out: Path, keep) -> None:
    """A store at ``out`` with each source's clips for which ``keep(i, n)`` holds (i-th of n by time)."""
    from latentlab.media.clip_store import ClipStore

    store = ClipStore.create(out, full.geometry)
    table = full.table
    for sid, src in enumerate(full.sources):
        idx = np.flatnonzero(table["source_id"] == sid)
        idx = idx[np.argsort(table["start_time"][idx], kind="stable")]
        chosen = np.array([j for k, j in enumerate(idx) if keep(k, len(idx))], np.int64)
        if not len(chosen):
            continue
        rows = table[chosen]
        with store.appender({"path": src["path"], "fingerprint": src.get("fingerprint", ""), "status": "ok"}) as app:
            app.append_batch(
                full.read(chosen), **{k: rows[k] for k in ("start_frame", "end_frame", "start_time", "end_time", "fps")}
            )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("videos")
    p.add_argument("--minutes", type=float, default=8.0)
    p.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "latentlab-real"))
    p.add_argument("--grid")
    p.add_argument("--json")
    p.add_argument("--train-args", default="", help='more `latentlab train` options, e.g. "--augment none"')
    args = p.parse_args()

    from latentlab.core.baselines import PixelPCA
    from latentlab.media.clip_store import ClipStore
    from latentlab.ml.codec import ClipCodec
    from latentlab.ml.quality import model_quality

    work = Path(args.work)
    full, train, test, ckpt = work / "all", work / "train", work / "test", work / "model"
    exe = [sys.executable, "-m", "latentlab"]
    if not (full / "manifest.json").exists():
        subprocess.run(
            [
                *exe,
                "ingest",
                args.videos,
                "-o",
                str(full),
                "--size",
                "32",
                "--frames",
                "8",
                "--fps",
                "12",
                "--stride",
                "4",
                "--quiet",
            ],
            check=True,
        )
    store = ClipStore.open(full)
    for path, keep in ((train, lambda k, n: k < int(0.75 * n)), (test, lambda k, n: k >= int(0.75 * n))):
        if not (path / "manifest.json").exists():
            split_store(store, path, keep)
    t0 = time.perf_counter()
    subprocess.run(
        [
            *exe,
            "train",
            str(train),
            "-o",
            str(ckpt),
            "--force",
            "--minutes",
            str(args.minutes),
            "--epochs",
            "100000",
            "--threads",
            "2",
            *args.train_args.split(),
        ],
        check=True,
    )
    train_minutes = (time.perf_counter() - t0) / 60
    codec = ClipCodec.from_checkpoint(ckpt, device="cpu")
    tr, te = ClipStore.open(train), ClipStore.open(test)
    test_clips, train_clips = te.read(np.arange(len(te))), tr.read(np.arange(len(tr)))
    report, arrays = model_quality(codec, test_clips, train_clips, n_prior=200)
    out = {
        "videos": [Path(s["path"]).name for s in store.sources],
        "train_clips": len(tr),
        "test_clips": len(te),
        "train_minutes_wall": train_minutes,
        **report.to_dict(),
    }
    out["margin_db"] = report.psnr - report.pca_psnr
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    if args.grid:
        sys.path.insert(0, str(Path(__file__).parent))
        from judge_sample_models import grid_png

        first = [int(np.flatnonzero(te.table["source_id"] == s)[0]) for s in np.unique(te.table["source_id"])]
        pca = PixelPCA.fit(train_clips, codec.latent_dim)
        grid_png(args.grid, [test_clips[first], arrays["recon"][first], pca.reconstruct(test_clips[first])])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
