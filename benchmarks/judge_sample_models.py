"""Judge a sample-data model as a user sees it: classes kept, factors recovered, prior samples.

    python benchmarks/judge_sample_models.py CHECKPOINT --kind sprites|digits [--json OUT] [--grid PNG]

Clips of a fresh seed (and, for digits, handwriting the model never saw: the held-out images) are
encoded and decoded; a judge (a small CNN trained on real clips of a third seed, sharp and blurred,
:mod:`latentlab.ml.judge`) reads the class from the reconstructions and from 1 000 clips decoded
from z ~ N(0, I); kNN (k = 10) reads it from mu and from a 2-D t-SNE map of mu; linear probes read
the continuous factors from mu; PSNR is set beside PCA with as many dimensions as the latent and
the mean clip (both fitted on training clips). ``--grid`` writes originals, reconstructions, PCA
reconstructions and prior samples as one picture.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

KINDS = {
    # kind: (class factor, continuous factors probed)
    "sprites": ("shape", ("x_mid", "y_mid", "size", "r", "g", "b", "vx", "vy")),
    "digits": ("digit", ("x_mid", "y_mid", "vx", "vy")),
}


def sample_clips(kind: str, seed: int, n: int, images: str = "train"):
    if kind == "sprites":
        from latentlab.media.demo_data import DemoSpec, generate_clips

        return generate_clips(DemoSpec(n_clips=n, size=32, seed=seed), 0, n)
    from latentlab.media.digits_data import DigitsSpec, generate_digit_clips

    return generate_digit_clips(DigitsSpec(n_clips=n, size=32, seed=seed, images=images), 0, n)


def grid_png(path: str, rows: list[np.ndarray], frames=(0, 4, 7)) -> None:
    """One row per array of clips (N, T, H, W, C): the first clips' chosen frames side by side."""
    import cv2

    n = min(len(r) for r in rows)
    lines = []
    for r in rows:
        tiles = [np.concatenate([r[i, f] for f in frames], 0) for i in range(n)]  # each (3H, W, C)
        lines.append(np.concatenate([np.pad(t, ((0, 0), (0, 2), (0, 0))) for t in tiles], 1))
    img = np.concatenate([np.pad(line, ((0, 4), (0, 0), (0, 0))) for line in lines], 0)
    cv2.imwrite(path, cv2.resize(img[..., ::-1], None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST))


def within_class_r2(mu: np.ndarray, factors: dict, class_factor: str, probed) -> dict[str, float]:
    """Linear-probe R^2 of each probed factor from ``mu`` fitted within each class, averaged over classes."""
    from latentlab.core.probes import linear_probe_r2

    labels = factors[class_factor].astype(np.int64)
    classes = [c for c in np.unique(labels) if (labels == c).sum() >= 50]
    return {
        name: float(np.mean([linear_probe_r2(mu[labels == c], factors[name][labels == c]) for c in classes]))
        for name in probed
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("--kind", choices=tuple(KINDS), required=True)
    p.add_argument("--n-eval", type=int, default=5000)
    p.add_argument("--judge-steps", type=int, default=1200)
    p.add_argument("--no-tsne", action="store_true")
    p.add_argument("--json")
    p.add_argument("--grid")
    args = p.parse_args()

    import torch

    from latentlab.core.probes import knn_accuracy
    from latentlab.ml.codec import ClipCodec
    from latentlab.ml.judge import train_judge
    from latentlab.ml.quality import model_quality

    torch.set_num_threads(2)
    class_factor, probed = KINDS[args.kind]
    codec = ClipCodec.from_checkpoint(args.checkpoint, device="cpu")
    t0 = time.perf_counter()
    # Seeds: 0 trains the models, 1 is the fresh evaluation set, 2 trains the judge.
    eval_clips, eval_f = sample_clips(args.kind, 1, args.n_eval, images="test")
    fit_clips, _ = sample_clips(args.kind, 0, 5000)
    judge_clips, judge_f = sample_clips(args.kind, 2, 12000, images="train")
    if args.kind == "digits":  # the judge sees every writer's hand (it is the instrument, not the model)
        more, more_f = sample_clips(args.kind, 3, 4000, images="test")
        judge_clips = np.concatenate([judge_clips, more])
        judge_f = {k: np.concatenate([judge_f[k], more_f[k]]) for k in judge_f}
        order = np.random.default_rng(0).permutation(len(judge_clips))
        judge_clips, judge_f = judge_clips[order], {k: v[order] for k, v in judge_f.items()}
    labels = judge_f[class_factor].astype(np.int64)
    judge = train_judge(judge_clips, labels, int(labels.max()) + 1, steps=args.judge_steps, seed=0)
    factors = {k: eval_f[k] for k in (class_factor, *probed)}
    report, arrays = model_quality(codec, eval_clips, fit_clips, factors, class_factor, judge, n_prior=1000)
    out = report.to_dict()
    out["judge_train_seconds"] = judge.train_seconds
    # The same probes fitted within each class (mean over classes): where this is well above the pooled
    # figure, each class's cluster lays the factor out along a direction of its own.
    out["probes_r2_within_class"] = within_class_r2(arrays["mu"], eval_f, class_factor, probed)
    if not args.no_tsne:
        from latentlab.core.projection import fit_projection

        t = time.perf_counter()
        xy = fit_projection(arrays["mu"], "tsne").coords
        out["knn_class_tsne"] = knn_accuracy(xy, eval_f[class_factor], k=10)
        out["tsne_seconds"] = time.perf_counter() - t
    out["seconds"] = time.perf_counter() - t0
    out["checkpoint"] = args.checkpoint
    out["kind"] = args.kind
    print(json.dumps(out, indent=1))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)
    if args.grid:
        from latentlab.core.baselines import PixelPCA

        pca = PixelPCA.fit(fit_clips, codec.latent_dim)
        k = 12
        grid_png(
            args.grid,
            [
                eval_clips[:k],
                arrays["recon"][:k],
                pca.reconstruct(eval_clips[:k]),
                arrays["prior"][:k],
                arrays["prior"][k : 2 * k],
            ],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
