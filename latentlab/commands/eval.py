"""``latentlab eval CHECKPOINT STORE [--json]``: how well a model reconstructs and compresses clips.

Reports per-pixel MSE and PSNR (mean and per frame), the ELBO terms, KL per latent dimension and
the number of active units, and a compression comparison: bytes per clip raw vs as a float16
latent, and the PSNR that OpenCV's MJPG and mp4v writers reach at the nearest byte budget.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from latentlab.commands.options import COUNT, int_range

    parser.add_argument("checkpoint", help="checkpoint folder (config.json + model.safetensors)")
    parser.add_argument("store", help="clip store to evaluate on")
    parser.add_argument("--split", choices=("val", "all"), default="all",
                        help="'val': only the validation clips of the trainer's split (when this is its "
                             "training store); 'all': every clip (default)")
    parser.add_argument("--max-clips", type=COUNT, default=2000, help="evaluate at most this many clips")
    parser.add_argument("--codec-clips", type=int_range(0, 100_000), default=200, help="clips for the codec comparison (0: skip)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from latentlab.media.clip_store import ClipStore
    from latentlab.media.codec_roundtrip import compression_report
    from latentlab.ml.checkpoint import _load
    from latentlab.ml.data import from_model_layout, split_indices, to_model_layout
    from latentlab.ml.device import resolve_device
    from latentlab.ml.metrics import evaluate_full

    model, config, weights_hash = _load(args.checkpoint, resolve_device(args.device))  # errors: one line (cli)
    store = ClipStore.open(args.store)
    c, g = model.config, store.geometry
    if (g.frames, g.height, g.width, g.channels) != (c.frames, c.height, c.width, c.channels):
        print(f"latentlab eval: error: the store holds {g.frames}x{g.height}x{g.width}x{g.channels} clips (T x H x W x C), "
              f"the model expects {c.frames}x{c.height}x{c.width}x{c.channels}", file=sys.stderr)
        return 1
    if args.split == "val":
        tr = config.get("training", {})
        idx = split_indices(store, tr.get("val_fraction", 0.05), tr.get("seed", 0))[1]
    else:
        idx = np.arange(len(store))
    if len(idx) > args.max_clips:  # evenly spread, deterministic
        idx = idx[np.linspace(0, len(idx) - 1, args.max_clips).round().astype(np.int64)]
    if len(idx) == 0:
        print("latentlab eval: error: no clips to evaluate", file=sys.stderr)
        return 1
    report, _ = evaluate_full(model, store, idx)
    raw = g.nbytes
    latent = 2 * c.latent_dim  # float16 mu
    comp = {"raw_bytes_per_clip": raw, "latent_bytes_per_clip": latent, "ratio": raw / latent,
            "latent_psnr": report["psnr"]}
    if args.codec_clips > 0:
        cidx = idx[: args.codec_clips]
        clips = store.read(cidx)
        import torch

        with torch.inference_mode():
            x = to_model_layout(torch.from_numpy(clips), next(model.parameters()).device)
            mu = model.encode(x)[0].half().float()  # what a float16 latent gives back
            rec = from_model_layout(model.decode(mu))
        from latentlab.media.codec_roundtrip import psnr_u8

        comp["latent_psnr_codec_clips_fp16"] = psnr_u8(rec, clips)
        comp["codec_clips"] = int(len(cidx))
        comp["codecs"] = compression_report(clips, latent)
    report["compression"] = comp
    report["checkpoint"] = {"path": str(args.checkpoint), "weights_blake2b": weights_hash}
    report["store"] = {"path": str(store.path), "fingerprint": store.fingerprint,
                       "split": args.split, "trained_on_this_store":
                       config.get("data", {}).get("store_fingerprint") == store.fingerprint}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(_text(report))
    return 0


def _text(r: dict) -> str:
    lines = [
        f"{r['n_clips']} clips of {r['store']['path']} ({r['store']['split']})",
        f"reconstruction: MSE {r['mse']:.5f} per pixel (0..1), PSNR {r['psnr']:.2f} dB",
        "  PSNR per frame: " + " ".join(f"{p:.1f}" for p in r["psnr_per_frame"]),
        f"ELBO {r['elbo']:.1f} nats per clip = -(NLL {r['nll']:.1f} + KL {r['kl']:.1f})",
        f"active units: {r['active_units']} of {r['latent_dim']} (variance of mu > {r['active_threshold']})",
        "  KL per dim: " + " ".join(f"{k:.1f}" for k in r["kl_per_dim"]),
    ]
    c = r["compression"]
    lines.append(f"compression: raw {c['raw_bytes_per_clip']} bytes/clip, latent {c['latent_bytes_per_clip']} bytes "
                 f"(float16), {c['ratio']:.0f}x smaller; latent PSNR {c.get('latent_psnr_codec_clips_fp16', c['latent_psnr']):.2f} dB")
    for codec, info in c.get("codecs", {}).items():
        if "error" in info:
            lines.append(f"  {codec}: {info['error']}")
            continue
        n = info["nearest"]
        lines.append(f"  {codec} ({n['setting']}): {n['bytes_per_clip']:.0f} bytes/clip, PSNR {n['psnr']:.2f} dB"
                     + (f"  [{n['note']}]" if n["note"] else ""))
    return "\n".join(lines)
