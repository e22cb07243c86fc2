#!/usr/bin/env bash
# Train the bundled sample-data models: checkpoints/demo (sprites) and checkpoints/digits.
#
#   benchmarks/train_sample_models.sh [sprites|digits|both] [WORKDIR]      (default: both, $TMPDIR/latentlab-samples)
#
# For each: the procedural dataset (20 000 clips of 8 x 32 x 32 RGB, seed 0; digits from the 'train'
# handwriting), then a time-budgeted run on two CPU threads (55 minutes of training; the schedules
# are fractions of the budget) with a rate target: beta starts at 18 and, after the KL warm-up, adapts
# so that the KL settles at 55 nats per clip (latentlab.ml.kl_target), the resume files dropped (the
# bundle ships weights + config only), then the judge (benchmarks/judge_sample_models.py) on clips of
# a fresh seed.
# A time-budgeted run is not bit-reproducible (how many steps fit depends on the machine and its load).
set -euo pipefail
which=${1:-both}
work=${2:-${TMPDIR:-/tmp}/latentlab-samples}
mkdir -p "$work"
train() {  # kind, checkpoint folder, starting beta, KL target (nats per clip)
    local kind=$1 out=$2 beta=$3 rate=$4
    [ -f "$work/$kind/manifest.json" ] || latentlab demo-data --kind "$kind" -o "$work/$kind" --size 32 --n 20000 --seed 0
    latentlab train "$work/$kind" -o "$out" --force --seed 0 --threads 2 --minutes 55 --epochs 1000 \
        --batch-size 64 --lr 2e-3 --width 16 --frame-code 192 --latent-dim 16 --beta "$beta" --kl-target "$rate" --augment none
    rm -f "$out/training_state.json" "$out/training_state.safetensors"
    python benchmarks/judge_sample_models.py "$out" --kind "$kind" --grid "$work/$kind-grid.png" --json "$work/$kind-judge.json"
}
case $which in
    sprites) train sprites checkpoints/demo 18 55 ;;
    digits) train digits checkpoints/digits 18 55 ;;
    both) train sprites checkpoints/demo 18 55; train digits checkpoints/digits 18 55 ;;
    *) echo "usage: $0 [sprites|digits|both] [WORKDIR]" >&2; exit 2 ;;
esac
