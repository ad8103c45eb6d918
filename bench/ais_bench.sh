#!/usr/bin/env bash
# bench/ais_bench.sh — AIS against exact log Z on MNIST models trained here, and AIS's cost at a
# large hidden layer, side by side with a plain numpy AIS on the same model.
#
#   bash bench/ais_bench.sh [--quick] [accuracy] [cost]   # both parts by default;
#                                          # RBM=build/rbm, RBM_MNIST_DIR=../shared/data/mnist
#
# For L = 16, 20, 24: train 784×L on MNIST (PCD-1, 5 epochs), take log Z exactly, then by AIS
# with K intermediate distributions and C chains (base rate fitted to the training data, as
# Salakhutdinov & Murray 2008): |AIS − exact| against the reported standard error, and seconds.
# Then a 784×500 model: AIS K = 10^4, C = 100 by rbm and by bench/ais_numpy.py (the same
# algorithm in numpy: what a Python user would write). One JSON line per run to
# bench/results/<date>-<device>-ais.jsonl (device named in each line).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rbm="${RBM:-$here/build/rbm}"
mnist="${RBM_MNIST_DIR:-$here/../shared/data/mnist}"
backend="${RBM_BACKEND:-cpu}"
quick=0 parts=""
for arg in "$@"; do [[ "$arg" == --quick ]] && quick=1 || parts+=" $arg"; done
parts="${parts:- accuracy cost}"
[[ -d "$mnist" ]] || { echo "no MNIST at $mnist: skipped"; exit 0; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ "$backend" == cuda ]]; then
  device="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
else
  device="cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
fi
tag="$(echo "${device%%,*}" | tr -c 'A-Za-z0-9\n' '-' | tr 'A-Z' 'a-z' | cut -c1-24)"
results="${OUT:-$here/bench/results}/$(date +%F)-${backend}-ais.jsonl"
((quick)) && results="$work/quick.jsonl"
data="mnist:$mnist:train"
epochs=5 sizes="16 20 24" runs="1000:100 10000:100 10000:1000"
((quick)) && epochs=1 sizes="12" runs="100:50"

# Adds the run's context to a JSON line of rbm and appends it to the results.
# Data specs under the repository's parent are recorded as ../ paths (as the README writes them), so
# that no machine's paths end up in the results.
record() { sed "s#$here/\.\./#../#g" | jq -c --arg device "$device" --arg commit "$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --arg date "$(date -Is)" --argjson load "$(cut -d' ' -f1 /proc/loadavg)" ". + $1 + {device: \$device,
  commit: \$commit, date: \$date, load_average: \$load}" | tee -a "$results"; }

[[ "$parts" == *accuracy* ]] && for L in $sizes; do
  model="$work/mnist-$L.safetensors"
  "$rbm" train --data "$data" --hidden "$L" --pcd 1 --epochs "$epochs" --batch 100 --lr 0.05 \
    --seed 1 --backend "$backend" --quiet --out "$model" >/dev/null
  exact="$("$rbm" logz --model "$model" --backend "$backend" --json | tail -1)"
  echo "$exact" | record "{bench: \"exact_log_z\", D: 784, L: $L}"
  exact_log_z="$(echo "$exact" | jq .log_z)"
  for run in $runs; do
    K="${run%%:*}" C="${run##*:}"
    "$rbm" logz --model "$model" --method ais --betas "$K" --chains "$C" --data "$data" \
      --backend "$backend" --json | tail -1 |
      record "{bench: \"ais_vs_exact\", D: 784, L: $L, K: $K, C: $C, exact_log_z: $exact_log_z}
              + {abs_error: ((.log_z - $exact_log_z) | fabs)}"
  done
done

# AIS's cost at L = 500 (no exact value exists): rbm against numpy on the same model (numpy
# with its default BLAS threads, and with one: on a loaded machine OpenBLAS's spinning threads
# can cost numpy several times its single-threaded time).
[[ "$parts" == *cost* ]] || { echo "results: $results"; exit 0; }
L=500 K=10000 C=100
[[ "$backend" == cuda ]] && C=1000
((quick)) && L=50 K=200 C=100
model="$work/mnist-$L.safetensors"
"$rbm" train --data "$data" --hidden "$L" --cd 1 --epochs 1 --batch 100 --lr 0.05 --seed 1 \
  --backend "$backend" --quiet --out "$model" >/dev/null
"$rbm" logz --model "$model" --method ais --betas "$K" --chains "$C" --data "$data" \
  --backend "$backend" --json | tail -1 | record "{bench: \"ais_cost\", tool: \"rbm\", D: 784, L: $L, K: $K, C: $C}"
if [[ "$backend" == cpu ]] && python3 -c "import numpy" 2>/dev/null; then
  numpy_ais() { python3 "$here/bench/ais_numpy.py" --model "$model" --mnist "$mnist" --betas "$K" --chains "$C"; }
  numpy_ais | record "{bench: \"ais_cost\", tool: \"numpy\", D: 784, L: $L, K: $K, C: $C}"
  OPENBLAS_NUM_THREADS=1 numpy_ais |
    record "{bench: \"ais_cost\", tool: \"numpy, 1 BLAS thread\", D: 784, L: $L, K: $K, C: $C}"
fi
echo "results: $results"
