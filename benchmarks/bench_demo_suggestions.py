"""Tag suggestions on the bundled demo model's latents: what spreads and what does not.

Encodes demo clips with the bundled model, makes two ground-truth taggings from the generator's
factors, labels ``--per-tag`` clips of each tag (seeded) and lets ``suggest_tags`` (the GUI's
"Suggest tags…") tag the rest. Reports accuracy over all suggestions and over the confident ones:

- colour: the sprite's dominant channel (red / green / blue), a factor the model encodes;
- shape: circle / square / cross / triangle, which the model keeps (a judge reads it from 99.9 % of
  its reconstructions, BENCHMARKS.md).

    python benchmarks/bench_demo_suggestions.py [--n 6000] [--per-tag 150] [--confidence 0.9]
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=6000)
    ap.add_argument("--per-tag", type=int, default=150)
    ap.add_argument("--confidence", type=float, default=0.9)
    args = ap.parse_args(argv)

    import torch

    from latentlab.core.neighbours import suggest_tags
    from latentlab.media.demo_data import DemoSpec, generate_clips
    from latentlab.ml.codec import ClipCodec
    from latentlab.paths import demo_checkpoint_dir

    torch.set_num_threads(2)
    codec = ClipCodec.from_checkpoint(demo_checkpoint_dir(), device="cpu")
    spec = dataclasses.replace(DemoSpec(**codec.config["data"]["demo_spec"]), n_clips=args.n)
    clips, factors = generate_clips(spec, 0, args.n)
    mu, _ = codec.encode(clips)  # (n, D)
    truths = {
        "colour": np.argmax(np.stack([factors["r"], factors["g"], factors["b"]], 1), 1),
        "shape": factors["shape"].astype(np.int64),
    }
    rng = np.random.default_rng(0)
    print(f"{args.n} demo clips, {args.per_tag} labelled per tag, model {codec.weights_hash[:12]}")
    print(
        "| tagging | tags | accuracy, all suggestions | share with confidence > "
        f"{args.confidence} | accuracy of those |\n|---|---|---|---|---|"
    )
    for name, truth in truths.items():
        labels = np.full(args.n, -1)
        for tag in np.unique(truth):
            pick = rng.choice(np.flatnonzero(truth == tag), args.per_tag, replace=False)
            labels[pick] = tag
        pred, conf = suggest_tags(mu, labels)
        rest = labels < 0
        sure = rest & (conf > args.confidence)
        print(
            f"| {name} | {len(np.unique(truth))} | {np.mean(pred[rest] == truth[rest]):.3f} | "
            f"{sure.sum() / rest.sum():.2f} | {np.mean(pred[sure] == truth[sure]) if sure.any() else float('nan'):.3f} |"  # noqa: E501
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
