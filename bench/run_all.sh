#!/usr/bin/env bash
# Everything measured on a GPU machine, in one call (the device machine keeps nothing between
# calls): build for sm_90, run the whole test suite (GPU tests included), then the benchmarks,
# writing one JSON line per measurement to $OUT/<date>-<device>.jsonl (or bench/results/).
#
#   bash bench/run_all.sh            # MNIST from .data/mnist (copy ../shared/data/mnist there,
#                                    # it is git-ignored; the device machine has no ../shared)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${RBM_BUILD_DIR:-$here/build-bench}"
out_dir="${OUT:-$here/bench/results}"
device="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | tr ' ' '-' | tr 'A-Z' 'a-z')"
results="$out_dir/$(date +%F)-${device:-cpu}.jsonl"
mnist="${RBM_MNIST_DIR:-$here/.data/mnist}"
mkdir -p "$out_dir"

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 ${RBM_CMAKE_ARGS:-}
cmake --build "$build" -j "$(nproc)"
(cd "$build" && ctest --output-on-failure -j 4) | tee "$out_dir/ctest.log" | tail -5

logz="$build/bench/bench_logz"
# Exact log Z at D = 784 (issue 3): small-weight and unit-scale models, reference where cheap.
"$logz" --backend cuda --D 784 --L 16,20,24,28 --scale 0.01,0.1,1 --repeat 3 --reference | tee -a "$results"
"$logz" --backend cuda --D 784 --L 32 --scale 0.01,0.1,1 --repeat 2 | tee -a "$results"
"$logz" --backend cuda --D 784 --L 36 --scale 0.1 --repeat 1 | tee -a "$results"
"$logz" --backend cpu --D 784 --L 20 --scale 0.1 --repeat 3 | tee -a "$results"

# The FP32 GEMM rate that the training floor is counted against.
[ -x "$build/bench/sgemm_peak" ] && "$build/bench/sgemm_peak" --mnk 8192,8192,8192 --mnk 100,500,784 | tee -a "$results"

train="$build/bench/bench_train"
if [ -x "$train" ]; then
  data_args=()
  [ -d "$mnist" ] && data_args=(--data mnist --mnist-dir "$mnist")
  for args in "--L 500 --B 100 --k 1" "--L 500 --B 100 --k 10" "--L 500 --B 1000 --k 1" \
              "--L 4096 --B 1000 --k 1" "--L 64 --B 100 --k 1 --models 1" "--L 64 --B 100 --k 1 --models 32"; do
    "$train" --backend cuda "${data_args[@]}" $args | tee -a "$results"
  done
fi
echo "results: $results"
