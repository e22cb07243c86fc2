"""Tag suggestions: kNN vote vs LabelSpreading, accuracy on unlabelled clips and time.

Structured synthetic 32-D latents with cluster labels as ground truth; a fraction of clips is
labelled (stratified, seeded), the rest are predicted.

    nice -n 15 python benchmarks/bench_neighbours.py --n 10000 --fractions 0.002 0.01 0.05
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.002, 0.01, 0.05])
    args = ap.parse_args(argv)
    from latentlab.core.neighbours import suggest_tags
    from latentlab.core.synthetic_latents import structured_latents

    z, labels = structured_latents(args.n, 32, seed=0)
    print(f"# {os.cpu_count()} cores, load {os.getloadavg()}, n={args.n}, {labels.max() + 1} clusters")
    rng = np.random.default_rng(0)
    for frac in args.fractions:
        known = np.full(args.n, -1)
        pick = rng.choice(args.n, max(len(np.unique(labels)), int(frac * args.n)), replace=False)
        known[pick] = labels[pick]
        unl = known < 0
        for method in ("knn", "spreading"):
            t = time.perf_counter()
            pred, conf = suggest_tags(z, known, method=method)
            sec = time.perf_counter() - t
            acc = np.mean(pred[unl] == labels[unl])
            confident = conf[unl] > 0.8
            acc_conf = np.mean(pred[unl][confident] == labels[unl][confident]) if confident.any() else float("nan")
            print(
                f"labelled {frac:5.1%} ({len(pick):5d})  {method:9s}  accuracy {acc:.3f}  "
                f"(conf>0.8: {confident.mean():.0%} of clips, accuracy {acc_conf:.3f})  {sec:.2f} s",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
