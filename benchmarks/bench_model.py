"""Decode latency and training throughput of the video VAE against the CPU's fp32 matmul roof.

Measured in one run: (1) the fp32 matmul peak (best of several 1024^3 torch.mm calls) at the chosen
thread count; (2) batch-1 decode latency of the demo model (median of many calls, eager,
inference_mode) against its FLOPs divided by that peak (the goal is <= 1.25x the roof); the same
for the 8x64x64x3 geometry with random weights; (3) training throughput in clips/s at batch 64 and
as a fraction of the peak (a training step counted as 3x the forward FLOPs).

    python benchmarks/bench_model.py [--threads 2] [--checkpoint checkpoints/demo] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time


def matmul_peak(torch, n: int = 1024, reps: int = 20) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        torch.mm(a, b)
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best


def decode_latency(torch, model, reps: int = 300) -> tuple[float, float]:
    """Median and best batch-1 decode time in seconds (the best is comparable with the best-of
    matmul peak when other processes share the CPU)."""
    z = torch.zeros(1, model.config.latent_dim)
    with torch.inference_mode():
        for _ in range(20):
            model.decode(z)
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            model.decode(z)
            times.append(time.perf_counter() - t)
    return statistics.median(times), min(times)


def train_throughput(torch, model, batch: int = 64, steps: int = 12) -> float:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.rand(batch, *model.config.clip_shape)
    model.train()
    times = []
    for i in range(steps):
        t = time.perf_counter()
        loss, _ = model.loss(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i >= 2:
            times.append(time.perf_counter() - t)
    return batch / statistics.median(times)


def main() -> int:
    import torch

    from latentlab.ml.checkpoint import load_checkpoint
    from latentlab.ml.config import VAEConfig
    from latentlab.ml.model import VideoVAE, decoder_flops, encoder_flops
    from latentlab.paths import demo_checkpoint_dir

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--checkpoint", default=str(demo_checkpoint_dir()))
    p.add_argument("--json")
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    demo, _ = load_checkpoint(args.checkpoint)
    c = demo.config
    big = VideoVAE(VAEConfig(**{**c.to_dict(), "height": 64, "width": 64})).eval()
    peak = matmul_peak(torch)
    rows = {}
    for name, model in (("demo " + "x".join(map(str, (c.frames, c.height, c.width, c.channels))), demo),
                        (f"{c.frames}x64x64x{c.channels} (random weights)", big)):
        flops = decoder_flops(model.config)
        lat, best = decode_latency(torch, model)
        roof = flops / peak
        train = train_throughput(torch, VideoVAE(model.config))
        train_flops = 3 * (flops + encoder_flops(model.config))
        rows[name] = {"decoder_gflop": flops / 1e9, "decode_ms": lat * 1e3, "decode_best_ms": best * 1e3,
                      "roof_ms": roof * 1e3, "ratio_to_roof": lat / roof, "best_ratio_to_roof": best / roof,
                      "train_clips_per_s": train,
                      "train_fraction_of_peak": train * train_flops / peak}
    result = {"threads": args.threads, "matmul_peak_gflops": peak / 1e9, "torch": torch.__version__,
              "machine": platform.processor() or platform.machine(), "models": rows}
    print(f"fp32 matmul peak: {peak / 1e9:.0f} GFLOP/s on {args.threads} threads (torch {torch.__version__})")
    print("| clip | decoder GFLOP | decode ms, batch 1 (median / best) | roof ms | ratio (median / best) "
          "| train clips/s | train % of peak |")
    print("|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['decoder_gflop']:.3f} | {r['decode_ms']:.2f} / {r['decode_best_ms']:.2f} | "
              f"{r['roof_ms']:.2f} | {r['ratio_to_roof']:.2f}x / {r['best_ratio_to_roof']:.2f}x | "
              f"{r['train_clips_per_s']:.0f} | {100 * r['train_fraction_of_peak']:.0f} % |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
