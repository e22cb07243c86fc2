"""How close do clip decoders get to the CPU's matmul roof at batch 1? (issue 3's <= 1.25x goal)

Measured in one run against the fp32 matmul peak (``bench_model.matmul_peak``: the best square
``torch.mm`` rate over 256..2048, before and after the decodes), best of many batch-1 calls under
``inference_mode``, at each thread count:

1. the bundled demo model's decoder as the app runs it (eager);
2. the token decoder at other widths (random weights: latency does not depend on the values);
3. the conv decoder (the first demo's architecture) eager, traced + frozen TorchScript, and
   ``torch.compile`` with inductor's freezing and weight prepacking (for both decoders). These are
   exact rewrites of the same networks: they show how much of the gap to the roof a compiler
   closes (the app does not compile: 4-15 s at start-up and a C++ compiler would be needed).

    python benchmarks/bench_decoder_roof.py [--threads 1 2] [--no-compile] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

from bench_model import matmul_peak  # the same roof as bench_model.py (run from benchmarks/ or by path)


def best_latency(torch, fn, z, reps: int = 400) -> float:
    with torch.inference_mode():
        for _ in range(30):
            fn(z)
        best = float("inf")
        for _ in range(reps):
            t = time.perf_counter()
            fn(z)
            best = min(best, time.perf_counter() - t)
    return best


def main() -> int:
    import torch

    from latentlab.ml.checkpoint import load_checkpoint
    from latentlab.ml.config import VAEConfig
    from latentlab.ml.model import VideoVAE, decoder_flops
    from latentlab.paths import demo_checkpoint_dir

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--no-compile", action="store_true", help="skip torch.compile (needs a C++ compiler)")
    p.add_argument("--json")
    args = p.parse_args()
    demo, _ = load_checkpoint(demo_checkpoint_dir())
    demo.eval().requires_grad_(False)
    cfg = demo.config
    z = torch.zeros(1, cfg.latent_dim)

    class Decode(torch.nn.Module):
        def __init__(self, m) -> None:
            super().__init__()
            self.m = m

        def forward(self, z):
            return self.m.decode(z)

    variants = [
        (f"demo model ({cfg.decoder} decoder, F={cfg.frame_code}), eager: the app", demo.decode, decoder_flops(cfg))
    ]
    for width in (320, 384):
        m = VideoVAE(VAEConfig(**{**cfg.to_dict(), "decoder": "tokens", "frame_code": width})).eval()
        variants.append((f"token decoder, F={width} (random weights)", m.decode, decoder_flops(m.config)))
    conv = VideoVAE(VAEConfig(**{**cfg.to_dict(), "decoder": "conv"})).eval().requires_grad_(False)
    flops = decoder_flops(conv.config)
    variants.append(("conv decoder (first demo's architecture), eager", conv.decode, flops))
    frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(Decode(conv).eval(), z)))
    variants.append(("conv decoder, TorchScript trace + freeze", frozen, flops))
    if not args.no_compile:
        import torch._inductor.config as inductor

        inductor.freezing, inductor.cpp.weight_prepack = True, True
        for name, model in (("demo model", demo), ("conv decoder", conv)):
            compiled = torch.compile(model.decode, dynamic=False)
            with torch.inference_mode():
                compiled(z)
            variants.append((f"{name}, torch.compile (inductor, freezing)", compiled, decoder_flops(model.config)))

    runs = []
    print(f"torch {torch.__version__}")
    print("| threads | variant | MFLOP | best ms | roof ms | best / roof |\n|---|---|---|---|---|---|")
    for threads in args.threads:
        torch.set_num_threads(threads)
        peak = matmul_peak(torch)
        timed = [(name, flops, best_latency(torch, fn, z)) for name, fn, flops in variants]
        peak = max(peak, matmul_peak(torch))
        rows = []
        for name, flops, best in timed:
            rows.append(
                {
                    "variant": name,
                    "mflop": flops / 1e6,
                    "best_ms": best * 1e3,
                    "roof_ms": flops / peak * 1e3,
                    "ratio": best / (flops / peak),
                }
            )
            r = rows[-1]
            print(
                f"| {threads} | {name} | {r['mflop']:.0f} | {r['best_ms']:.3f} | {r['roof_ms']:.3f} "
                f"| {r['ratio']:.2f}x |",
                flush=True,
            )
        print(f"| {threads} | fp32 matmul peak {peak / 1e9:.0f} GFLOP/s | | | | |", flush=True)
        runs.append({"threads": threads, "peak_gflops": peak / 1e9, "rows": rows})
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"torch": torch.__version__, "machine": platform.machine(), "runs": runs}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
