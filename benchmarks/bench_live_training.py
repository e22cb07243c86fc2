"""What watching a run costs: epochs with and without the live callback (training panel, issue 7.5).

Trains the same model for one epoch twice on a procedural store, once plain and once with
:class:`latentlab.ml.live_training.LiveTraining` (loss terms every step, the fixed sample of clips
re-embedded and mapped with aligned PCA at the epoch's end), and prints the epoch times, the
re-embedding time alone and the overhead. Medians of ``--repeats`` runs, alternating the two.

    python benchmarks/bench_live_training.py [--clips 4000] [--sample 1000] [--threads 1] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=4000)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--sample", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import torch

    from latentlab.media.demo_data import DemoSpec, write_demo_store
    from latentlab.ml.config import VAEConfig
    from latentlab.ml.live_training import LiveTraining
    from latentlab.ml.trainer import Trainer, TrainSettings

    torch.set_num_threads(args.threads)
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    store = write_demo_store(tmp / "store", DemoSpec(n_clips=args.clips, frames=args.frames, size=args.size))
    config = VAEConfig(frames=args.frames, height=args.size, width=args.size, latent_dim=16, base_width=16)
    settings = TrainSettings(epochs=1, batch_size=64, device="cpu", val_fraction=0.05)
    plain, live_times, embed_times = [], [], []
    for r in range(args.repeats):
        for watched in (False, True):
            trainer = Trainer(config, store, tmp / f"ck-{r}-{int(watched)}", settings)
            callbacks = []
            if watched:
                live = LiveTraining(store, sample_size=args.sample)
                live.attach(trainer)
                callbacks = [live]
            t0 = time.perf_counter()
            trainer.fit(callbacks)
            (live_times if watched else plain).append(time.perf_counter() - t0)
            if watched:
                t1 = time.perf_counter()
                live.on_epoch_end(1, {})  # the same work again, timed alone (weights unchanged)
                embed_times.append(time.perf_counter() - t1)
    p, w, e = statistics.median(plain), statistics.median(live_times), statistics.median(embed_times)
    print(
        f"store {args.clips} clips {args.frames}x{args.size}x{args.size}x3, sample {args.sample}, "
        f"torch threads {args.threads}, torch {torch.__version__}"
    )
    print(f"epoch, plain trainer          : {p:7.2f} s  (runs {', '.join(f'{x:.2f}' for x in plain)})")
    print(f"epoch, with LiveTraining      : {w:7.2f} s  (runs {', '.join(f'{x:.2f}' for x in live_times)})")
    print(f"re-embed sample + aligned PCA : {e:7.2f} s")
    print(f"overhead per epoch            : {100 * (w - p) / p:+.1f} %  (ratio {w / p:.3f})")


if __name__ == "__main__":
    main()
