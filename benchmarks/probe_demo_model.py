"""Linear probes and held-out figures of the bundled demo model (or any demo-data checkpoint).

The checkpoint records the DemoSpec it was trained on (config["data"]["demo_spec"]), so the exact
clips are regenerated here, no store needed. The validation clips of the trainer's split (the last
``val_fraction`` of clip indices) were never trained on; a second, fresh set is drawn with another
seed. A scikit-learn LinearRegression from the posterior mean mu is fitted on training clips and
scored (R^2) on the held-out validation clips for position, colour and the other factors.

    python benchmarks/probe_demo_model.py [CHECKPOINT] [--json out.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np


def main() -> int:
    from sklearn.linear_model import LinearRegression

    from latentlab.media.demo_data import DemoSpec, generate_clips
    from latentlab.ml.codec import ClipCodec
    from latentlab.paths import demo_checkpoint_dir

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("checkpoint", nargs="?", default=str(demo_checkpoint_dir()))
    p.add_argument("--n-fit", type=int, default=5000, help="training clips to fit the probes on")
    p.add_argument("--n-fresh", type=int, default=2000, help="clips of a fresh seed for PSNR")
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args()

    import torch

    torch.set_num_threads(2)
    codec = ClipCodec.from_checkpoint(args.checkpoint, device="cpu")
    cfg = codec.config
    spec_dict = cfg.get("data", {}).get("demo_spec")
    if not spec_dict:
        raise SystemExit(f"{args.checkpoint} was not trained on demo data (no data.demo_spec in config.json)")
    spec = DemoSpec(**spec_dict)
    n_val = int(round(spec.n_clips * cfg["training"].get("val_fraction", 0.05)))
    val_start = spec.n_clips - n_val

    t0 = time.perf_counter()
    fit_clips, fit_f = generate_clips(spec, 0, min(args.n_fit, val_start))
    val_clips, val_f = generate_clips(spec, val_start, n_val)
    fresh_spec = dataclasses.replace(spec, seed=spec.seed + 1)
    fresh_clips, _ = generate_clips(fresh_spec, 0, args.n_fresh)
    mu_fit, _ = codec.encode(fit_clips)
    mu_val, _ = codec.encode(val_clips)

    def psnr(clips):
        rec = codec.reconstruct(clips)
        mse = np.mean((rec.astype(np.float64) - clips) ** 2) / 255.0**2
        return float(10 * np.log10(1 / mse))

    results = {
        "checkpoint": args.checkpoint,
        "weights_blake2b": codec.weights_hash,
        "demo_spec": spec_dict,
        "val_clips": n_val,
        "psnr_val": psnr(val_clips),
        "psnr_fresh_seed": psnr(fresh_clips),
        "active_units": int((np.concatenate([mu_fit, mu_val]).var(0) > 0.01).sum()),
        "latent_dim": codec.latent_dim,
        "probe_r2": {},
    }
    for name in ("x_mid", "y_mid", "x", "y", "r", "g", "b", "size", "vx", "vy"):
        reg = LinearRegression().fit(mu_fit, fit_f[name])
        results["probe_r2"][name] = float(reg.score(mu_val, val_f[name]))
    results["train_seconds"] = cfg.get("metrics", {}).get("train_seconds")
    results["probe_seconds"] = time.perf_counter() - t0

    r2 = results["probe_r2"]
    print(
        f"checkpoint {args.checkpoint} ({codec.weights_hash[:12]}), trained "
        f"{(results['train_seconds'] or 0) / 60:.1f} min"
    )
    print(
        f"held-out PSNR: {results['psnr_val']:.2f} dB on {n_val} validation clips, "
        f"{results['psnr_fresh_seed']:.2f} dB on {args.n_fresh} clips of a fresh seed"
    )
    print(f"active units: {results['active_units']} of {codec.latent_dim}")
    print("linear probe R^2 (mu -> factor, held-out): " + ", ".join(f"{k} {v:.3f}" for k, v in r2.items()))
    ok = (
        results["psnr_val"] >= 25
        and results["active_units"] >= codec.latent_dim / 2
        and min(r2["x_mid"], r2["y_mid"], r2["r"], r2["g"], r2["b"]) >= 0.8
    )
    print("acceptance (PSNR >= 25, >= half active, R^2 >= 0.8 for x_mid, y_mid, r, g, b):", "PASS" if ok else "FAIL")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
