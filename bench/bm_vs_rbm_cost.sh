#!/usr/bin/env bash
# The cost of one training epoch of a general Boltzmann machine against an RBM of the same size
# (bars-and-stripes 3×3, 9 visible + 6 hidden units, PCD-1 with 100 chains, batch 14, Adam, the
# settings of examples/boltzmann_vs_rbm.sh), measured two ways because the machine is shared:
#   instructions  valgrind --tool=callgrind, 1 thread: runs of E1 and E2 epochs, the difference
#                 divided by E2 − E1 (start-up and file writing cancel out);
#   time          R interleaved runs of E epochs each (machine, then RBM, R times), the sum of
#                 the runs' per-epoch wall times from --json, median over the runs.
#   bash bench/bm_vs_rbm_cost.sh [RBM] [OUT.jsonl]
# Appends JSON lines to OUT (default bench/results/<date>-bm-vs-rbm.jsonl).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rbm="${1:-$here/build/rbm}"
out="${2:-$here/bench/results/$(date -u +%F)-bm-vs-rbm.jsonl}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
settings=(--data bas:3 --hidden 6 --pcd 1 --chains 100 --batch 14 --optimizer adam
          --lr exp:0.02:0.002 --seed 1 --quiet)
command_of() {  # MODEL: the training command of the machine or the RBM
  if [ "$1" = bm ]; then echo "$rbm bm train"; else echo "$rbm train --backend cpu"; fi
}

instructions() {  # MODEL EPOCHS: instructions of one run on one thread
  # shellcheck disable=SC2046
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" $(command_of "$1") --threads 1 \
    "${settings[@]}" --epochs "$2" --out "$work/m.safetensors" >/dev/null 2>"$work/cg.err"
  grep -o 'Collected : [0-9]*' "$work/cg.err" | grep -o '[0-9]*$'
}

seconds_per_epoch() {  # MODEL EPOCHS: mean wall time per epoch of one run (from --json)
  # shellcheck disable=SC2046
  $(command_of "$1") "${settings[@]}" --epochs "$2" --json --out "$work/m.safetensors" |
    python3 -c 'import json, sys
rows = [json.loads(l) for l in sys.stdin]
epochs = [r["seconds"] for r in rows if r.get("event") == "epoch"]
print(sum(epochs) / len(epochs))'
}

e1=200 e2=400 epochs=1000 runs=5
date="$(date -u +%FT%TZ)"
for model in bm rbm; do
  i1=$(instructions "$model" "$e1")
  i2=$(instructions "$model" "$e2")
  echo "{\"task\": \"epoch_instructions\", \"model\": \"$model\", \"date\": \"$date\", \"epochs\": [$e1, $e2], \"instructions_per_epoch\": $(((i2 - i1) / (e2 - e1))), \"threads\": 1}" |
    tee -a "$out"
done
declare -A times=([bm]="" [rbm]="")
for ((r = 0; r < runs; r++)); do
  for model in bm rbm; do times[$model]+="$(seconds_per_epoch "$model" "$epochs") "; done
done
for model in bm rbm; do
  median=$(printf '%s\n' ${times[$model]} | sort -g | sed -n "$(((runs + 1) / 2))p")
  echo "{\"task\": \"epoch_seconds\", \"model\": \"$model\", \"date\": \"$date\", \"epochs\": $epochs, \"runs\": $runs, \"median_seconds_per_epoch\": $median, \"load_average\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" |
    tee -a "$out"
done
