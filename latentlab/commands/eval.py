"""``latentlab eval CHECKPOINT STORE [--json]``: how good a model is, beside what it must beat.

Evaluates a random sample of clips across all the store's videos (the validation split with
``--split val``) and reports:

* PSNR (mean and per frame) beside two baselines fitted on the training split: the mean clip and PCA
  of raw pixels with as many dimensions as the latent; the ELBO terms, KL per dimension, active units;
* fine detail and motion of the reconstructions and of prior samples relative to the originals
  (:mod:`latentlab.core.clip_stats`: a blur lowers the first, a block or dither pattern raises it);
* the posterior: mean sigma, and the aggregate posterior's distance from N(0, I);
* where the store has ground-truth factors: linear probes (R^2) from mu, kNN accuracy of the class
  factor, and a judge (a small CNN trained on the store's training clips, sharp and blurred) reading
  the class from reconstructions and from prior samples;
* a compression comparison: bytes per clip raw vs a float16 latent vs OpenCV's MJPG and mp4v.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from latentlab.commands.options import COUNT, SEED, int_range
    from latentlab.ml.config import DEVICE_CHOICES  # torch-free

    parser.add_argument(
        "checkpoint",
        metavar="MODEL",
        help="a latentlab checkpoint folder, a diffusers autoencoder folder, or package.module:factory "
        "with --weights (models from elsewhere get a shorter report: PSNR and speed)",
    )
    parser.add_argument("--weights", metavar="FILE.safetensors", help="state dict for MODEL package.module:factory")
    parser.add_argument("store", help="clip store to evaluate on")
    parser.add_argument(
        "--split",
        choices=("val", "all"),
        default="all",
        help="'val': only the validation clips of the trainer's split (when this is its "
        "training store); 'all': every clip (default)",
    )
    parser.add_argument("--max-clips", type=COUNT, default=2000, help="evaluate at most this many clips")
    parser.add_argument(
        "--baseline-clips",
        "--codec-clips",
        type=int_range(0, 100_000),
        default=200,
        help="clips for the MJPG/mp4v compression baseline (0: skip)",
    )
    parser.add_argument(
        "--no-judge",
        action="store_true",
        help="skip the class judge (it trains a small CNN on the store's clips, about a minute)",
    )
    parser.add_argument(
        "--judge-steps", type=int_range(1, 1_000_000), default=1500, help="training steps of the class judge"
    )
    parser.add_argument("--seed", type=SEED, default=0, help="seed of the clip sample and the prior samples")
    parser.add_argument("--device", choices=DEVICE_CHOICES, default="auto")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from latentlab.media.clip_store import ClipStore
    from latentlab.media.compression_baseline import compression_report
    from latentlab.ml.checkpoint import _load
    from latentlab.ml.data import from_model_layout, split_indices, to_model_layout
    from latentlab.ml.device import resolve_device
    from latentlab.ml.metrics import evaluate_full
    from latentlab.ml.model_loading import ModelSource, loader_kind

    source = ModelSource.parse(args.checkpoint, args.weights)  # errors: one line (cli)
    if loader_kind(source) != "latentlab":
        return _eval_other(source, args)
    model, config, weights_hash = _load(args.checkpoint, resolve_device(args.device))  # errors: one line (cli)
    store = ClipStore.open(args.store)
    c, g = model.config, store.geometry
    if (g.frames, g.height, g.width, g.channels) != (c.frames, c.height, c.width, c.channels):
        print(
            f"latentlab eval: error: the store holds {g.frames}x{g.height}x{g.width}x{g.channels} clips (T "
            f"x H x W x C), "
            f"the model expects {c.frames}x{c.height}x{c.width}x{c.channels}",
            file=sys.stderr,
        )
        return 1
    if args.split == "val":
        tr = config.get("training", {})
        idx = split_indices(store, tr.get("val_fraction", 0.05), tr.get("seed", 0), by=tr.get("split", "sources"))[1]
    else:
        idx = np.arange(len(store))
    if len(idx) > args.max_clips:  # a random sample across every video, seeded
        idx = np.sort(np.random.default_rng(args.seed).choice(idx, args.max_clips, replace=False))
    if len(idx) == 0:
        print("latentlab eval: error: no clips to evaluate", file=sys.stderr)
        return 1
    report, _ = evaluate_full(model, store, idx)
    report["quality"] = _quality(model, config, weights_hash, store, idx, args)
    raw = g.nbytes
    latent = 2 * c.latent_dim  # float16 mu
    comp = {
        "raw_bytes_per_clip": raw,
        "latent_bytes_per_clip": latent,
        "ratio": raw / latent,
        "latent_psnr": report["psnr"],
    }
    if args.baseline_clips > 0:
        cidx = idx[: args.baseline_clips]
        clips = store.read(cidx)
        import torch

        with torch.inference_mode():
            x = to_model_layout(torch.from_numpy(clips), next(model.parameters()).device)
            mu = model.encode(x)[0].half().float()  # what a float16 latent gives back
            rec = from_model_layout(model.decode(mu))
        from latentlab.core.baselines import psnr_u8

        comp["latent_psnr_baseline_clips_fp16"] = psnr_u8(rec, clips)
        comp["baseline_clips"] = int(len(cidx))
        comp["baselines"] = compression_report(clips, latent)
    report["compression"] = comp
    report["checkpoint"] = {"path": str(args.checkpoint), "weights_blake2b": weights_hash}
    report["store"] = {
        "path": str(store.path),
        "fingerprint": store.fingerprint,
        "split": args.split,
        "trained_on_this_store": config.get("data", {}).get("store_fingerprint") == store.fingerprint,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(_text(report))
    return 0


def _eval_other(source, args: argparse.Namespace) -> int:
    """Reconstruction PSNR and speed of a diffusers or torch-module model on a sample of the store."""
    import numpy as np

    from latentlab.media.clip_store import ClipStore
    from latentlab.ml.model_loading import open_codec
    from latentlab.ml.model_report import codec_report

    store = ClipStore.open(args.store)
    codec = open_codec(source, device=args.device, store=store)
    idx = np.arange(len(store))
    if len(idx) > args.max_clips:
        idx = np.sort(np.random.default_rng(args.seed).choice(idx, args.max_clips, replace=False))
    report = codec_report(codec, store.read(idx))
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.text())
    return 0


def _quality(model, config: dict, weights_hash: str, store, idx, args) -> dict:
    """Baselines, posterior, factor probes and the judge (:mod:`latentlab.ml.quality`)."""
    import numpy as np

    from latentlab.media.sample_data import SAMPLE_DATASETS
    from latentlab.ml.codec import ClipCodec
    from latentlab.ml.data import split_indices
    from latentlab.ml.judge import train_judge
    from latentlab.ml.quality import model_quality

    tr = config.get("training", {})
    train_idx, _ = split_indices(store, tr.get("val_fraction", 0.05), tr.get("seed", 0), by=tr.get("split", "sources"))
    rng = np.random.default_rng(args.seed + 1)
    fit_idx = np.sort(rng.choice(train_idx, min(2000, len(train_idx)), replace=False)) if len(train_idx) else idx
    eval_clips, fit_clips = store.read(idx), store.read(fit_idx)
    factors = {k: np.asarray(v)[idx] for k, v in store.factors().items()} if store.factor_names else None
    class_factor = next(
        (s.class_factor for s in SAMPLE_DATASETS.values() if factors and s.class_factor in factors), None
    )
    judge = None
    if class_factor and not args.no_judge:
        pool = np.setdiff1d(train_idx, fit_idx)[:12000]
        if len(pool) < 100:  # a small store: the judge and the baselines share the training clips
            pool = train_idx[:12000] if len(train_idx) else idx
        labels = np.asarray(store.factors()[class_factor])[pool].astype(np.int64)
        judge = train_judge(store.read(pool), labels, int(labels.max()) + 1, steps=args.judge_steps, seed=args.seed)
    codec = ClipCodec(model, config, weights_hash)
    quality, _ = model_quality(codec, eval_clips, fit_clips, factors, class_factor, judge, seed=args.seed)
    out = quality.to_dict()
    out["class_factor"] = class_factor
    return out


def _text(r: dict) -> str:
    lines = [
        f"{r['n_clips']} clips of {r['store']['path']} ({r['store']['split']})",
        f"reconstruction: MSE {r['mse']:.5f} per pixel (0..1), PSNR {r['psnr']:.2f} dB",
        "  PSNR per frame: " + " ".join(f"{p:.1f}" for p in r["psnr_per_frame"]),
        f"ELBO {r['elbo']:.1f} nats per clip = -(NLL {r['nll']:.1f} + KL {r['kl']:.1f})",
        f"active units: {r['active_units']} of {r['latent_dim']} (variance of mu > {r['active_threshold']})",
        "  KL per dim: " + " ".join(f"{k:.1f}" for k in r["kl_per_dim"]),
    ]
    q = r.get("quality")
    if q:
        lines += [
            f"baselines (fitted on training clips): PCA with {r['latent_dim']} dimensions {q['pca_psnr']:.2f} dB, "
            f"mean clip {q['mean_clip_psnr']:.2f} dB; the model {q['psnr'] - q['pca_psnr']:+.2f} dB against PCA",
            f"detail (|Laplacian|) of reconstructions {q['detail_ratio']:.2f}x the originals', of prior samples "
            f"{q['prior_detail_ratio']:.2f}x; motion {q['motion_ratio']:.2f}x",
            f"posterior: mean sigma {q['mean_sigma']:.3f} ({q['mean_sigma_active']:.4f} over the {q['active_units']} "
            f"active units); aggregate posterior KL to N(0, I) {q['aggregate_kl']:.1f} nats, median |mu| "
            f"{q['median_mu_norm']:.2f} (prior: {r['latent_dim'] ** 0.5:.2f})",
        ]
        if q["probes_r2"]:
            lines.append("linear probes from mu (R^2): " + ", ".join(f"{k} {v:.3f}" for k, v in q["probes_r2"].items()))
        if q.get("knn_class") is not None:
            lines.append(f"{q['class_factor']} from mu by kNN (k = 10): {q['knn_class']:.1%}")
        if q.get("judge_recon") is not None:
            lines.append(
                f"judge: {q['class_factor']} right on {q['judge_recon']:.1%} of reconstructions "
                f"({q['judge_real']:.1%} of the originals); prior samples called one {q['class_factor']} "
                f"with confidence >= 0.9: {q['prior_confident']:.1%}, per class {q['prior_classes']}"
            )
    c = r["compression"]
    lines.append(
        f"compression: raw {c['raw_bytes_per_clip']} bytes/clip, latent {c['latent_bytes_per_clip']} bytes "
        f"(float16), {c['ratio']:.0f}x smaller; latent PSNR "
        f"{c.get('latent_psnr_baseline_clips_fp16', c['latent_psnr']):.2f} dB"
    )
    for fourcc, info in c.get("baselines", {}).items():
        if "error" in info:
            lines.append(f"  {fourcc}: {info['error']}")
            continue
        n = info["nearest"]
        lines.append(
            f"  {fourcc} ({n['setting']}): {n['bytes_per_clip']:.0f} bytes/clip, PSNR {n['psnr']:.2f} dB"
            + (f"  [{n['note']}]" if n["note"] else "")
        )
    return "\n".join(lines)
