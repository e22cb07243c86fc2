"""Decode latency and training throughput of the video VAE against the CPU's fp32 matmul roof.

Measured in one run, for each thread count: (1) the fp32 matmul peak (the best rate over square
torch.mm of 256..2048, measured before and after the decodes, the higher kept); (2) batch-1 decode
latency of the demo model (median and best of many calls, eager, inference_mode, as the app runs
it) against its FLOPs divided by that peak (reported: the goal is batch-1 decode <= 2 ms on one
thread at the demo geometry); the same for the other decoder architecture (random weights: latency does
not depend on the values) as a baseline, and for
the 8x64x64x3 geometry; (3) training throughput in clips/s at batch 64 and as a fraction of the
peak (a training step counted as 3x the forward FLOPs).

    python benchmarks/bench_model.py [--threads 1 2] [--checkpoint checkpoints/demo] [--no-train] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time


def matmul_peak(torch, sizes=(256, 512, 1024, 2048), reps: int = 20) -> float:
    """The best fp32 GEMM rate in FLOP/s over square ``torch.mm`` of several sizes (best of ``reps``).

    Taking the best over sizes makes the roof as high (and any ratio against it as unflattering)
    as this CPU allows: mid-sized products often beat 1024^3, which an earlier version used alone.
    """
    best_rate = 0.0
    for n in sizes:
        a, b, out = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
        for _ in range(3):
            torch.mm(a, b, out=out)
        best = float("inf")
        for _ in range(reps if n <= 1024 else max(3, reps // 4)):
            t = time.perf_counter()
            torch.mm(a, b, out=out)
            best = min(best, time.perf_counter() - t)
        best_rate = max(best_rate, 2 * n**3 / best)
    return best_rate


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
    p.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=[1, 2],
        help="thread counts to measure (the GUI decodes on all cores but one)",
    )
    p.add_argument("--checkpoint", default=str(demo_checkpoint_dir()))
    p.add_argument("--no-train", action="store_true", help="skip the training-throughput rows")
    p.add_argument("--json")
    args = p.parse_args()

    demo, _ = load_checkpoint(args.checkpoint)
    demo.eval().requires_grad_(False)
    c = demo.config
    geometry = "x".join(map(str, (c.frames, c.height, c.width, c.channels)))
    other = "tokens" if c.decoder != "tokens" else "conv"  # the previous design as the same-run baseline
    models = [
        (f"demo {geometry}, {c.decoder} decoder (bundled weights)", demo),
        (
            f"{geometry}, {other} decoder (random weights, same run baseline)",
            VideoVAE(VAEConfig(**{**c.to_dict(), "decoder": other})).eval(),
        ),
        (
            f"{c.frames}x64x64x{c.channels}, {c.decoder} decoder (random weights)",
            VideoVAE(VAEConfig(**{**c.to_dict(), "height": 64, "width": 64})).eval(),
        ),
    ]
    result = {"torch": torch.__version__, "machine": platform.processor() or platform.machine(), "runs": []}
    print(f"torch {torch.__version__}; roof = decoder FLOPs / the best fp32 GEMM rate measured in the same run")
    print(
        "| threads | clip | decoder GFLOP | decode ms, batch 1 (median / best) | roof ms | best / roof "
        "| train clips/s | train % of peak |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for threads in args.threads:
        torch.set_num_threads(threads)
        peak = matmul_peak(torch)
        timed = [(name, model, *decode_latency(torch, model)) for name, model in models]
        peak = max(peak, matmul_peak(torch))  # measured before and after the decodes: the higher roof
        rows = {}
        for name, model, lat, best in timed:
            flops = decoder_flops(model.config)
            roof = flops / peak
            row = {
                "decoder_gflop": flops / 1e9,
                "decode_ms": lat * 1e3,
                "decode_best_ms": best * 1e3,
                "roof_ms": roof * 1e3,
                "ratio_to_roof": lat / roof,
                "best_ratio_to_roof": best / roof,
            }
            if not args.no_train:
                train = train_throughput(torch, VideoVAE(model.config))
                row["train_clips_per_s"] = train
                row["train_fraction_of_peak"] = train * 3 * (flops + encoder_flops(model.config)) / peak
            rows[name] = row
            train_cells = (
                "| – | – |"
                if args.no_train
                else f"| {row['train_clips_per_s']:.0f} | {100 * row['train_fraction_of_peak']:.0f} % |"
            )
            print(
                f"| {threads} | {name} | {flops / 1e9:.3f} | {lat * 1e3:.2f} / {best * 1e3:.2f} | "
                f"{roof * 1e3:.2f} | **{best / roof:.2f}x** {train_cells}",
                flush=True,
            )
        print(f"|   | fp32 matmul peak on {threads} thread(s): {peak / 1e9:.0f} GFLOP/s | | | | | | |", flush=True)
        result["runs"].append({"threads": threads, "matmul_peak_gflops": peak / 1e9, "models": rows})
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
