"""How close can a batch-1 clip decoder get to the CPU's matmul roof? (issue 3's <= 1.25x goal)

Measured in one run against the fp32 matmul peak (best 1024^3 ``torch.mm``), best of many batch-1
calls under ``inference_mode``, 8x32x32x3 clips:

1. the demo decoder as the app runs it (eager), traced + frozen TorchScript, and ``torch.compile``
   with inductor's freezing and weight prepacking (exact rewrites: same outputs);
2. the same architecture, wider (random weights): more FLOPs per op;
3. a decoder made of nothing but GEMMs (random weights): per frame, a linear map to a 4x4 grid of
   C-channel patch codes, a per-patch MLP, and a linear map to 8x8x3 pixels per patch, so every
   FLOP sits in a large matrix product. If even this stays far from the roof, the goal is out of
   reach at this model size on this CPU, whatever the architecture.

    python benchmarks/bench_decoder_roof.py [--threads 2] [--no-compile] [--json out.json]
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


def gemm_decoder(torch, latent_dim: int, frames: int, code: int = 256, grid: int = 4, c: int = 128, patch: int = 8):
    """A decoder of GEMMs only, and its FLOPs (2 per multiply-add)."""
    nn = torch.nn

    class GemmDecoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp, self.mid = nn.Linear(latent_dim, code), nn.Linear(code, code)
            self.time = nn.Parameter(0.5 * torch.randn(frames, code))
            self.grid = nn.Linear(code, grid * grid * c)
            self.mix, self.pix = nn.Linear(c, c), nn.Linear(c, patch * patch * 3)

        def forward(self, z):
            b = z.shape[0]
            g = torch.relu(self.mid(torch.relu(self.inp(z)))[:, None, :] + self.time).reshape(b * frames, -1)
            q = torch.relu(self.mix(torch.relu(self.grid(g)).view(-1, c)))  # (B*T*G*G, C)
            px = self.pix(q).view(b, frames, grid, grid, patch, patch, 3)
            return torch.sigmoid(px.permute(0, 6, 1, 2, 4, 3, 5).reshape(b, 3, frames, grid * patch, grid * patch))

    flops = 2 * (latent_dim * code + code * code + frames * (code * grid * grid * c + grid * grid * (c * c + c * patch * patch * 3)))
    return GemmDecoder().eval(), flops


def main() -> int:
    import torch

    from latentlab.ml.checkpoint import load_checkpoint
    from latentlab.ml.config import VAEConfig
    from latentlab.ml.model import VideoVAE, decoder_flops
    from latentlab.paths import demo_checkpoint_dir

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-compile", action="store_true", help="skip torch.compile (needs a C++ compiler)")
    p.add_argument("--json")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    demo, _ = load_checkpoint(demo_checkpoint_dir())
    demo.eval().requires_grad_(False)
    cfg = demo.config
    z = torch.zeros(1, cfg.latent_dim)
    peak = matmul_peak(torch)
    rows = []

    def row(name, fn, flops):
        best = best_latency(torch, fn, z)
        rows.append({"variant": name, "mflop": flops / 1e6, "best_ms": best * 1e3, "roof_ms": flops / peak * 1e3,
                     "ratio": best / (flops / peak)})
        r = rows[-1]
        print(f"| {name} | {r['mflop']:.0f} | {r['best_ms']:.3f} | {r['roof_ms']:.3f} | {r['ratio']:.2f}x |", flush=True)

    print(f"fp32 matmul peak {peak / 1e9:.0f} GFLOP/s on {args.threads} threads, torch {torch.__version__}")
    print("| variant | MFLOP | best ms | roof ms | best / roof |\n|---|---|---|---|---|")
    flops = decoder_flops(cfg)
    row("demo decoder, eager (the app)", demo.decode, flops)

    class Decode(torch.nn.Module):
        def __init__(self, m) -> None:
            super().__init__()
            self.m = m

        def forward(self, z):
            return self.m.decode(z)

    frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(Decode(demo).eval(), z)))
    row("demo decoder, TorchScript trace + freeze", frozen, flops)
    if not args.no_compile:
        import torch._inductor.config as inductor

        inductor.freezing, inductor.cpp.weight_prepack = True, True
        compiled = torch.compile(demo.decode, dynamic=False)
        with torch.inference_mode():
            compiled(z)
        row("demo decoder, torch.compile (inductor, freezing)", compiled, flops)
    for width in (32, 64):
        wide = VideoVAE(VAEConfig(**{**cfg.to_dict(), "base_width": width})).eval()
        row(f"same architecture, base width {width} (random weights)", wide.decode, decoder_flops(wide.config))
    for c in (128, 256, 512):
        gemm, f = gemm_decoder(torch, cfg.latent_dim, cfg.frames, c=c)
        row(f"GEMM-only decoder, C={c} (random weights)", gemm, f)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"threads": args.threads, "peak_gflops": peak / 1e9, "torch": torch.__version__,
                       "machine": platform.machine(), "rows": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
