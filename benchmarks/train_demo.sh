#!/usr/bin/env bash
# Reproduce the bundled demo model checkpoints/demo/ (config.json + model.safetensors).
#
#   benchmarks/train_demo.sh [STORE] [OUT]        (defaults: /tmp/latentlab-demo32, checkpoints/demo)
#
# 1. the procedural sprites the app regenerates from config.json's data.demo_spec (8 x 32 x 32 RGB,
#    20 000 clips, seed 0; the last 5 % of clips are the validation split),
# 2. the training run (fixed seed, two CPU threads: about 25 min on a 2-core VM),
# 3. the resume files are dropped (the bundle ships weights + config only),
# 4. the held-out figures: PSNR, active units, linear probes.
set -euo pipefail
STORE=${1:-/tmp/latentlab-demo32}
OUT=${2:-checkpoints/demo}
[ -f "$STORE/manifest.json" ] || latentlab demo-data -o "$STORE" --frames 8 --size 32 --n 20000 --seed 0
latentlab train "$STORE" -o "$OUT" --force --seed 0 --threads 2 \
    --epochs 12 --batch-size 32 --lr 2e-3 --width 16 --latent-dim 16 --sigma 0.05 --kl-warmup 1
rm -f "$OUT/training_state.json" "$OUT/training_state.safetensors"
python benchmarks/probe_demo_model.py "$OUT"
latentlab eval "$OUT" "$STORE" --split val
