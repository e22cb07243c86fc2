"""``latentlab train STORE -o CHECKPOINT_DIR``: train a video VAE on a clip store.

Runs unchanged under ``torchrun --nproc_per_node=N`` (DistributedDataParallel; only rank 0 prints
and writes). ``--resume`` continues a run from the bundle in ``-o`` exactly where it stopped.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from latentlab.commands.options import FRACTION_OPEN, SEED, float_range, int_range
    from latentlab.ml.config import DECODERS, DEVICE_CHOICES, VAEConfig  # torch-free: --help stays fast

    defaults = VAEConfig()

    parser.add_argument("store", help="clip store folder (see `latentlab ingest` / `latentlab demo-data`)")
    parser.add_argument(
        "-o", "--output", required=True, help="checkpoint folder to write (config.json + model.safetensors)"
    )
    parser.add_argument(
        "--epochs", type=int_range(1, 100_000), default=20, help="epochs to train (with --minutes: at most)"
    )
    parser.add_argument(
        "--minutes",
        type=float_range(0.0, 1e6, low_open=True),
        default=None,
        metavar="M",
        help="a time budget: the schedules fit it, training stops when it is spent and the last finished step is saved",
    )
    parser.add_argument("--batch-size", type=int_range(1, 65_536), default=64)
    parser.add_argument(
        "--lr",
        type=float_range(0.0, 10.0, low_open=True),
        default=2e-3,
        help="peak learning rate (AdamW, cosine schedule)",
    )
    parser.add_argument("--latent-dim", type=int_range(1, 4096), default=16)
    parser.add_argument(
        "--width",
        type=int_range(1, 1024),
        default=16,
        help="base channel width of the encoder (and of the conv decoder)",
    )
    parser.add_argument(
        "--frame-code",
        type=int_range(1, 65536),
        default=defaults.frame_code,
        help=f"width of the per-frame code and of the decoder's token MLP (default {defaults.frame_code})",
    )
    parser.add_argument(
        "--decoder",
        choices=DECODERS,
        default=defaults.decoder,
        help="upconv: token GEMMs then upsampling convolutions, no patch seams (default); "
        "tokens: per-patch GEMMs; conv: transposed convolutions",
    )
    parser.add_argument("--beta", type=float_range(0.0, 1e6), default=1.0, help="weight of the KL term")
    parser.add_argument("--likelihood", choices=("gaussian", "bernoulli"), default="gaussian")
    parser.add_argument(
        "--sigma",
        type=float_range(0.0, 1.0, low_open=True),
        default=0.05,
        help="std. dev. of the Gaussian likelihood (0..1 pixels): its starting value, or with "
        "--fixed-sigma its value throughout",
    )
    parser.add_argument(
        "--fixed-sigma", action="store_true", help="keep --sigma fixed instead of learning it with the weights"
    )
    parser.add_argument(
        "--linear-path",
        choices=("auto", "on", "off"),
        default="auto",
        help="start from probabilistic PCA of the clips, the networks as residuals (auto: on for "
        "your videos, off for the sample data, whose shapes PCA cannot draw)",
    )
    parser.add_argument(
        "--split",
        choices=("auto", "sources", "time"),
        default="auto",
        help="validation clips: whole videos, or the last moments of every video (auto: time "
        "with the linear path, else sources)",
    )
    parser.add_argument(
        "--keep",
        choices=("auto", "best", "last"),
        default="auto",
        help="end with the weights of the best validation ELBO, or the last step's (auto: best with the linear path)",
    )
    parser.add_argument(
        "--save-every",
        type=float_range(0.0, 1e6),
        default=60.0,
        metavar="SECONDS",
        help="write the checkpoint at most this often (default 60; 0: after every epoch); "
        "always at the end and when stopped",
    )
    parser.add_argument(
        "--kl-warmup",
        type=float_range(0.0, 1.0),
        default=0.2,
        metavar="FRACTION",
        help="fraction of the run over which beta ramps up from 0 (default 0.2)",
    )
    parser.add_argument(
        "--kl-target",
        type=float_range(0.0, 1e6, low_open=True),
        default=None,
        metavar="NATS",
        help="a rate target: after the warm-up, beta adapts so that the KL settles at NATS per clip "
        "(--beta is where it starts; the checkpoint keeps the beta reached)",
    )
    parser.add_argument(
        "--lr-warmup",
        type=float_range(0.0, 1.0),
        default=0.03,
        metavar="FRACTION",
        help="fraction of the run over which the learning rate ramps up (default 0.03)",
    )
    parser.add_argument(
        "--augment",
        type=augment_list,
        default="auto",
        metavar="LIST",
        help="comma-separated augmentations: flip, crop, time, reverse (played backwards: only "
        "where that looks right), or 'none'; 'auto' (default): none with the linear path (flips "
        "and crops cost PCA's directions), flip,crop,time for videos without it, none for "
        "the sample datasets",
    )
    parser.add_argument(
        "--val-source",
        action="append",
        default=[],
        metavar="VIDEO",
        help="hold out this video (its file name or path in the store) as validation data; repeat for several",
    )
    parser.add_argument("--seed", type=SEED, default=0)
    parser.add_argument("--val-fraction", type=FRACTION_OPEN, default=0.05)
    parser.add_argument(
        "--device", choices=DEVICE_CHOICES, default="auto", help="auto picks a local GPU when there is one"
    )
    parser.add_argument(
        "--threads", type=int_range(1, 4096), default=None, help="CPU threads (default: torch's choice)"
    )
    parser.add_argument("--num-workers", type=int_range(0, 256), default=0, help="DataLoader worker processes")
    parser.add_argument("--resume", action="store_true", help="continue the run saved in --output")
    parser.add_argument("--force", action="store_true", help="overwrite an existing checkpoint in --output")


def run(args: argparse.Namespace) -> int:
    import contextlib
    import os
    from pathlib import Path

    from latentlab.core.output_guard import CHECKPOINT, check_writable, output_lock, refuse_foreign_output
    from latentlab.media.clip_store import ClipStore
    from latentlab.ml.checkpoint import CONFIG_FILE

    main = int(os.environ.get("RANK", "0")) == 0
    out = Path(args.output)
    refuse_foreign_output(out, allowed=(CHECKPOINT,))  # never a checkpoint inside a store or a project

    def exists() -> bool:
        return (out / CONFIG_FILE).exists() and not (args.resume or args.force)

    if exists():
        print(
            f"latentlab train: error: {out} already holds a checkpoint; pass --resume to continue it "
            "or --force to replace it",
            file=sys.stderr,
        )
        return 2
    store = ClipStore.open(args.store)
    if main:
        check_writable(out)  # a file, a read-only folder or a full disk: refused before the first step
    # The output is locked for the whole run (rank 0 writes it): a second run into it is refused.
    with output_lock(out) if main else contextlib.nullcontext():
        if exists():  # another run finished into it meanwhile
            print(f"latentlab train: error: {out} now holds a checkpoint; pass --resume or --force", file=sys.stderr)
            return 2
        metrics = _train(args, store, out, main, had_bundle=(out / CONFIG_FILE).exists())
    if main:
        psnr = metrics.get("val_psnr")
        print(
            f"saved {out} (epoch {metrics.get('epoch')}, step {metrics.get('step')}"
            + (f", validation PSNR {psnr:.2f} dB)" if psnr is not None else ")")
        )
        held = metrics.get("val_sources") or []
        if held:
            print(f"validation videos (held out of training): {', '.join(held)}")
        elif metrics.get("split"):
            print(f"validation clips: {metrics['split']}")
    return 0


def augment_list(text: str) -> str:
    """``--augment``: 'auto', 'none' or known names separated by commas (checked without torch)."""
    from latentlab.ml.config import AUGMENTATIONS as known  # torch-free

    if text in ("auto", "none", ""):
        return text
    unknown = [n for n in text.split(",") if n not in known]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown augmentation {', '.join(unknown)}; choose from {', '.join(known)}, 'auto' or 'none'"
        )
    return text


def _augmentations(spec: str, auto: tuple[str, ...]) -> tuple[str, ...]:
    if spec == "auto":
        return auto
    return tuple(n for n in spec.split(",") if n and spec != "none")


def _train(args: argparse.Namespace, store, out, main: bool, *, had_bundle: bool) -> dict:
    import errno

    import torch

    from latentlab.core.output_guard import OutputRefused
    from latentlab.ml.config import VAEConfig
    from latentlab.ml.progress import TqdmProgress
    from latentlab.ml.recipe import recipe_for
    from latentlab.ml.trainer import Trainer, TrainSettings

    if args.threads:
        torch.set_num_threads(args.threads)
    g = store.geometry
    auto = recipe_for(store.sources, args.likelihood, {"on": True, "off": False}.get(args.linear_path))
    config = VAEConfig.for_clips(
        g,
        latent_dim=args.latent_dim,
        base_width=args.width,
        frame_code=args.frame_code,
        beta=args.beta,
        likelihood=args.likelihood,
        sigma=args.sigma,
        decoder=args.decoder,
        learn_sigma=not args.fixed_sigma,
        linear_path=auto.linear_path,
    )
    settings = TrainSettings(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        minutes=args.minutes,
        kl_warmup=args.kl_warmup,
        kl_target=args.kl_target,
        lr_warmup=args.lr_warmup,
        seed=args.seed,
        val_fraction=args.val_fraction,
        num_workers=args.num_workers,
        device=args.device,
        augment=_augmentations(args.augment, auto.augment),
        val_sources=tuple(args.val_source),
        split=auto.split if args.split == "auto" else args.split,
        save_interval_s=args.save_every,
        keep_best=auto.keep_best if args.keep == "auto" else args.keep == "best",
    )
    trainer = Trainer(config, store, out, settings, resume=args.resume)
    callbacks = [TqdmProgress()] if main else []
    try:
        metrics = trainer.fit(callbacks)
        return {**metrics, "val_sources": trainer.val_source_names, "split": trainer.split_note}
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES):
            raise
        kept = (
            "the previous checkpoint in it is kept as it was"
            if had_bundle
            else "the last completed epoch, if any, is kept"
        )
        raise OutputRefused(f"cannot save the checkpoint to {out}: {exc.strerror or exc}; {kept}") from None
    finally:
        for callback in callbacks:  # close the progress bar, so that an error gets a line of its own
            callback.on_fit_end({})
