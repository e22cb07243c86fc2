"""Throughput and probe latency of diffusers video VAEs at their published sizes, random weights.

    python benchmarks/bench_foreign_vae.py --device cuda                      # GPU: the figures issue 17 asks for
    python benchmarks/bench_foreign_vae.py --device cpu --size 64 --frames 9  # CPU: a small size

For each model (the diffusers class with its default configuration, which is the published one:
Wan 2.1, CogVideoX-2b, LTX-Video), it writes a store of procedural clips, opens it through
latentlab's :func:`~latentlab.ml.model_loading.open_codec` (clip fitting, PCA pre-reduction fitted on
the clips), then prints encode throughput (clips/s, batches of ``--batch``) and the drag's decode
latency: ``--moves`` probe decodes of one latent each (the PCA inverse, the decoder, uint8 frames),
median and p95, as the explorer's decode worker runs them. Needs ``pip install latentlab[diffusers]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MODELS = ("AutoencoderKLWan", "AutoencoderKLCogVideoX", "AutoencoderKLLTXVideo")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--frames", type=int, default=17)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--clips", type=int, default=64)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--moves", type=int, default=30)
    ap.add_argument("--models", nargs="*", default=list(MODELS))
    args = ap.parse_args()

    import diffusers
    import torch

    from latentlab.media.demo_data import DemoSpec, write_demo_store
    from latentlab.ml.model_loading import open_codec

    tmp = Path(tempfile.mkdtemp())
    store = write_demo_store(tmp / "clips", DemoSpec(n_clips=args.clips, frames=args.frames, size=args.size))
    clips = store.read(np.arange(len(store)))
    print(
        f"{args.clips} clips of {args.frames}x{args.size}x{args.size}, torch {torch.__version__}, "
        f"diffusers {diffusers.__version__}"
    )
    for name in args.models:
        torch.manual_seed(0)
        folder = tmp / name
        getattr(diffusers, name)().save_pretrained(str(folder))  # the published configuration, random weights
        t0 = time.perf_counter()
        codec = open_codec(str(folder), args.device, store)
        opened = time.perf_counter() - t0
        codec.max_batch = args.batch
        sync = torch.cuda.synchronize if codec.device.startswith("cuda") else (lambda: None)
        codec.encode(clips[: args.batch])  # warm-up
        sync()
        t0 = time.perf_counter()
        mu, _ = codec.encode(clips)
        sync()
        enc = len(clips) / (time.perf_counter() - t0)
        lat = []
        rng = np.random.default_rng(0)
        codec.decode(mu[:1])
        for _ in range(args.moves):
            z = mu[rng.integers(len(mu))] + 0.1 * rng.standard_normal(mu.shape[1]).astype(np.float32)
            t0 = time.perf_counter()
            codec.decode(z[None])
            lat.append(1000 * (time.perf_counter() - t0))
        params = codec.clip_model.n_parameters / 1e6
        print(
            f"{name}: {params:.0f} M parameters on {codec.device}; {codec.describe()}; opened and fitted in "
            f"{opened:.1f} s; encode {enc:.2f} clips/s; probe decode median {np.median(lat):.0f} ms, "
            f"p95 {np.percentile(lat, 95):.0f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
