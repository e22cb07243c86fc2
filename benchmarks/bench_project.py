"""Project file: save (atomic: temp file, fsync, replace, fsync folder) and load of a large project.

A store of N clips with half of them tagged (4 tags) and two saved selections of N/10 clips each,
built with the real TagBook/SavedSelections and the store's real clip keys. The baseline is the
same JSON text written with a plain ``open().write()`` (no temp file, no fsync), in the same run.

    nice -n 15 python benchmarks/bench_project.py --n 100000
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np
from bench_util import timed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    from latentlab.core.project import Project, load_project, project_to_dict, save_project
    from latentlab.core.tags import SavedSelections, TagBook
    from latentlab.media.clip_store import ClipGeometry, ClipStore

    n = args.n
    root = Path(tempfile.mkdtemp(prefix="bench-project-"))
    store = ClipStore.create(root / "store", ClipGeometry(1, 2, 2, 1))
    with store.appender({"path": "video.mp4", "fingerprint": "f" * 32}) as app:
        app.append_batch(
            np.zeros((n, 1, 2, 2, 1), np.uint8),
            start_frame=np.arange(n),
            end_frame=np.arange(n) + 1,
            start_time=np.zeros(n),
            end_time=np.zeros(n),
            fps=np.ones(n),
        )
    store = ClipStore.open(root / "store")
    keys_ms = timed(store.clip_keys, args.repeat)
    keys = store.clip_keys()
    book, sel = TagBook(n), SavedSelections(n)
    for t in range(4):
        book._create(f"tag {t}", f"#{40 * t:02x}8080", np.arange(t, n, 8))
    sel.save("a", np.arange(0, n, 10))
    sel.save("b", np.arange(5, n, 10))
    dump_ms = timed(lambda: (book.to_dict(keys), sel.to_dict(keys)), args.repeat)
    project = Project(store=str(root / "store"), tags=book.to_dict(keys), selections=sel.to_dict(keys))
    path = root / "big.latentlab"
    save_ms = timed(lambda: save_project(project, path), args.repeat)
    load_ms = timed(lambda: load_project(path), args.repeat)

    def plain() -> None:
        text = json.dumps(project_to_dict(project, path), indent=2, ensure_ascii=False, allow_nan=False)
        with open(root / "plain.json", "w", encoding="utf-8") as fh:
            fh.write(text + "\n")

    plain_ms = timed(plain, args.repeat)
    size = path.stat().st_size / 2**20
    print(
        f"# {os.cpu_count()} cores, load {tuple(round(x, 2) for x in os.getloadavg())}, n={n:,} clips, "
        f"{n // 2:,} tagged, file {size:.1f} MiB, medians of {args.repeat}"
    )
    print(f"store.clip_keys():           {keys_ms:8.1f} ms")
    print(f"tags + selections to_dict:   {dump_ms:8.1f} ms")
    print(f"save_project (atomic):       {save_ms:8.1f} ms")
    print(f"plain json write (baseline): {plain_ms:8.1f} ms   atomic/plain = {save_ms / plain_ms:.2f}")
    print(f"load_project:                {load_ms:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
