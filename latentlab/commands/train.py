"""``latentlab train STORE -o CHECKPOINT_DIR``: train a video VAE on a clip store.

Runs unchanged under ``torchrun --nproc_per_node=N`` (DistributedDataParallel; only rank 0 prints
and writes). ``--resume`` continues a run from the bundle in ``-o`` exactly where it stopped.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", help="clip store folder (see `latentlab ingest` / `latentlab demo-data`)")
    parser.add_argument("-o", "--output", required=True, help="checkpoint folder to write (config.json + model.safetensors)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs to train (with --minutes: at most)")
    parser.add_argument("--minutes", type=float, default=None, metavar="M",
                        help="a time budget: the schedules fit it, training stops when it is spent and the "
                             "last finished step is saved")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (AdamW, cosine schedule)")
    parser.add_argument("--latent-dim", type=int, default=16)
    from latentlab.ml.config import DECODERS  # torch-free: --help stays fast

    parser.add_argument("--width", type=int, default=16,
                        help="base channel width of the encoder (and of the conv decoder)")
    parser.add_argument("--frame-code", type=int, default=192,
                        help="width of the per-frame code and of the decoder's token MLP (default 192)")
    parser.add_argument("--decoder", choices=DECODERS, default="upconv",
                        help="upconv: token GEMMs then upsampling convolutions, no patch seams (default); "
                             "tokens: per-patch GEMMs; conv: transposed convolutions")
    parser.add_argument("--beta", type=float, default=1.0, help="weight of the KL term")
    parser.add_argument("--likelihood", choices=("gaussian", "bernoulli"), default="gaussian")
    parser.add_argument("--sigma", type=float, default=0.05,
                        help="std. dev. of the Gaussian likelihood (0..1 pixels): its starting value, or with "
                             "--fixed-sigma its value throughout")
    parser.add_argument("--fixed-sigma", action="store_true",
                        help="keep --sigma fixed instead of learning it with the weights")
    parser.add_argument("--kl-warmup", type=float, default=0.2, metavar="FRACTION",
                        help="fraction of the run over which beta ramps up from 0 (default 0.2)")
    parser.add_argument("--lr-warmup", type=float, default=0.03, metavar="FRACTION",
                        help="fraction of the run over which the learning rate ramps up (default 0.03)")
    parser.add_argument("--augment", default="auto", metavar="LIST",
                        help="comma-separated augmentations: flip, crop, time, reverse (played backwards: only "
                             "where that looks right), or 'none'; 'auto' (default): flip,crop,time for videos, "
                             "none for the sample datasets")
    parser.add_argument("--val-source", action="append", default=[], metavar="VIDEO",
                        help="hold out this video (its file name or path in the store) as validation data; "
                             "repeat for several")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--val-fraction", type=float, default=0.05)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto",
                        help="auto picks a local GPU when there is one")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's choice)")
    parser.add_argument("--num-workers", type=int, default=0, help="DataLoader worker processes")
    parser.add_argument("--resume", action="store_true", help="continue the run saved in --output")
    parser.add_argument("--force", action="store_true", help="overwrite an existing checkpoint in --output")


def run(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    import torch

    from latentlab.media.clip_store import ClipStore, StoreError
    from latentlab.ml.checkpoint import CONFIG_FILE, CheckpointError
    from latentlab.ml.config import ConfigError, VAEConfig
    from latentlab.ml.device import DeviceError
    from latentlab.ml.progress import TqdmProgress
    from latentlab.ml.trainer import Trainer, TrainingError, TrainSettings

    main = int(os.environ.get("RANK", "0")) == 0
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.output)
    if (out / CONFIG_FILE).exists() and not (args.resume or args.force):
        print(f"error: {out} already holds a checkpoint; pass --resume to continue it or --force to replace it",
              file=sys.stderr)
        return 2
    try:
        store = ClipStore.open(args.store)
        g = store.geometry
        config = VAEConfig(frames=g.frames, height=g.height, width=g.width, channels=g.channels,
                           latent_dim=args.latent_dim, base_width=args.width, frame_code=args.frame_code,
                           beta=args.beta, likelihood=args.likelihood, sigma=args.sigma, decoder=args.decoder,
                           learn_sigma=not args.fixed_sigma)
        settings = TrainSettings(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, minutes=args.minutes,
                                 kl_warmup=args.kl_warmup, lr_warmup=args.lr_warmup, seed=args.seed,
                                 val_fraction=args.val_fraction, num_workers=args.num_workers, device=args.device,
                                 augment=_augmentations(args.augment, store), val_sources=tuple(args.val_source))
        trainer = Trainer(config, store, out, settings, resume=args.resume)
        metrics = trainer.fit([TqdmProgress()] if main else [])
    except (StoreError, ConfigError, CheckpointError, TrainingError, DeviceError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if main:
        psnr = metrics.get("val_psnr")
        print(f"saved {out} (epoch {metrics.get('epoch')}, step {metrics.get('step')}"
              + (f", validation PSNR {psnr:.2f} dB)" if psnr is not None else ")"))
        held = getattr(trainer, "val_source_names", [])
        if held:
            print(f"validation videos (held out of training): {', '.join(held)}")
    return 0


def _augmentations(spec: str, store) -> tuple[str, ...]:
    from latentlab.ml.augment import DEFAULT_FOR_VIDEOS, check_augmentations

    if spec == "auto":
        procedural = any(str(s.get("path", "")).startswith("procedural:") for s in store.sources)
        return () if procedural else DEFAULT_FOR_VIDEOS
    if spec in ("none", ""):
        return ()
    return check_augmentations(spec.split(","))
