#!/usr/bin/env bash
# Train the bundled sample-data models: checkpoints/demo (sprites) and checkpoints/digits.
#
#   benchmarks/train_sample_models.sh [sprites|digits|both] [WORKDIR]      (default: both, $TMPDIR/latentlab-samples)
#
# For each: the procedural dataset (20 000 clips of 8 x 32 x 32 RGB, seed 0; digits from the 'train'
# handwriting), then a time-budgeted run on two CPU threads (45 minutes of training; the schedules
# are fractions of the budget), the resume files dropped (the bundle ships weights + config only),
# then the judge (benchmarks/judge_sample_models.py) on clips of a fresh seed.
# A time-budgeted run is not bit-reproducible (how many steps fit depends on the machine and its load).
set -euo pipefail
which=${1:-both}
work=${2:-${TMPDIR:-/tmp}/latentlab-samples}
mkdir -p "$work"
train() {  # kind, checkpoint folder, beta
    local kind=$1 out=$2 beta=$3
    [ -f "$work/$kind/manifest.json" ] || latentlab demo-data --kind "$kind" -o "$work/$kind" --size 32 --n 20000 --seed 0
    latentlab train "$work/$kind" -o "$out" --force --seed 0 --threads 2 --minutes 45 --epochs 1000 \
        --batch-size 64 --lr 2e-3 --width 16 --frame-code 192 --latent-dim 16 --beta "$beta" --augment none
    rm -f "$out/training_state.json" "$out/training_state.safetensors"
    python benchmarks/judge_sample_models.py "$out" --kind "$kind" --grid "$work/$kind-grid.png" --json "$work/$kind-judge.json"
}
case $which in
    sprites) train sprites checkpoints/demo 4 ;;
    digits) train digits checkpoints/digits 4 ;;
    both) train sprites checkpoints/demo 4; train digits checkpoints/digits 4 ;;
    *) echo "usage: $0 [sprites|digits|both] [WORKDIR]" >&2; exit 2 ;;
esac
