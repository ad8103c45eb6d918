#!/usr/bin/env bash
# The GPU measurements left open by the changes after the 2026-12-04 H200 run, in one short call
# (about 6 minutes on an H200 with 16 cores, most of it the build):
#  - the GPU tests, which now cover PCD with hidden and visible chains, bf16 training, log Z
#    models sharing launches and parts, and the chain sets (AIS, tempering, clamped sampling,
#    label posteriors: the backend-parameterised suites' CUDA instances);
#  - exact log Z's fixed cost per call at small L (goal: at most 0.2 ms) and M models per call;
#  - PCD-1 with hidden chains against visible ones;
#  - bf16 GEMMs against FP32 and TF32 (epoch time at L = 65536 and L = 500, B = 1000), and the
#    exact test log-likelihood of an L = 20 MNIST 7/8/9 model trained with each.
#
#   bash bench/gpu_followup.sh    # MNIST from .data/mnist (git-ignored; carry it to the device)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${RBM_BUILD_DIR:-$here/build-bench}"
out_dir="${OUT:-$here/bench/results}"
mnist="${RBM_MNIST_DIR:-$here/.data/mnist}"
results="$out_dir/$(date +%F)-gpu-followup.jsonl"
mkdir -p "$out_dir"

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DRBM_WITH_PLOTS=OFF ${RBM_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)" --target rbm_tests rbm_cli bench_logz bench_train >/dev/null
RBM_REQUIRE_GPU=1 "$build/tests/rbm_tests" --gtest_filter='Cuda*:*/cuda:*_cuda' >"$out_dir/gpu_tests.log" 2>&1 ||
  echo "GPU tests: FAILURES, see $out_dir/gpu_tests.log"
tail -3 "$out_dir/gpu_tests.log"

measure() { "$@" | tee -a "$results" || echo "FAILED ($?): $*"; }
logz="$build/bench/bench_logz" train="$build/bench/bench_train"
measure "$logz" --backend cuda --D 784 --L 12,16,20,24 --scale 0.1 --repeat 5
measure "$logz" --backend cuda --D 784 --L 20 --scale 0.1 --models 32 --repeat 3
measure "$logz" --backend cuda --D 784 --L 16 --scale 0.1 --models 256 --repeat 3
data=(--data mnist --mnist-dir "$mnist")
for chains in hidden visible; do
  measure "$train" --backend cuda "${data[@]}" --L 500 --B 100 --k 1 --pcd --pcd-chains $chains
done
for math in fp32 tf32 bf16; do
  measure "$train" --backend cuda "${data[@]}" --L 65536 --B 1000 --k 1 --epochs 2 --math $math
  measure "$train" --backend cuda "${data[@]}" --L 500 --B 1000 --k 1 --math $math
done
# Exact test log-likelihood of L = 20 models (2^20 states) trained with each arithmetic.
rbm="$build/rbm" digits="mnist:$mnist:train:7,8,9" test="mnist:$mnist:test:7,8,9"
for math in fp32 tf32 bf16; do
  "$rbm" train --data "$digits" --hidden 20 --cd 1 --optimizer rmsprop --lr 0.005 --momentum 0 \
    --batch 100 --epochs 20 --models 5 --math $math --backend cuda --quiet \
    --out "$out_dir/l20_$math.safetensors" >/dev/null
  "$rbm" eval --model "$out_dir/l20_$math.safetensors" --data "$test" --backend cuda --json |
    sed "s/^{/{\"math\":\"$math\",/" | tee -a "$results"
done
# AIS against exact on MNIST models, and AIS's cost at 784×500 (K = 10^4, C = 1000; goal ≤ 2 s).
RBM="$rbm" RBM_BACKEND=cuda RBM_MNIST_DIR="$mnist" OUT="$out_dir" bash "$here/bench/ais_bench.sh" ||
  echo "FAILED: bench/ais_bench.sh"
echo "results: $results"
