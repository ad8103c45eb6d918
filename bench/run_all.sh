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
# A failing test is reported but does not stop the measurements (the log comes back in full).
(cd "$build" && RBM_REQUIRE_GPU=1 ctest --output-on-failure --timeout 300 -j 4) >"$out_dir/ctest.log" 2>&1 ||
  echo "ctest: FAILURES, see $out_dir/ctest.log"
tail -3 "$out_dir/ctest.log"

# One measurement: its JSON lines go to $results; a failure is reported and the rest still runs.
measure() { "$@" | tee -a "$results" || echo "FAILED ($?): $*"; }

logz="$build/bench/bench_logz"
# Exact log Z at D = 784, the size of an MNIST image: small-weight and unit-scale models,
# with the CPU reference where it is cheap enough.
measure "$logz" --backend cuda --D 784 --L 16,20,24,28 --scale 0.01,0.1,1 --repeat 3 --reference
measure "$logz" --backend cuda --D 784 --L 32 --scale 0.01,0.1,1 --repeat 2
measure "$logz" --backend cuda --D 784 --L 36 --scale 0.1 --repeat 1
measure "$logz" --backend cpu --D 784 --L 20 --scale 0.1 --repeat 3

# The FP32 GEMM rate that the training floor is counted against.
# Then the GEMMs of one CD step at L = 500 (fields 500×B×784, visible 784×B×500, gradient
# 500×784×B), B = 100 and 1000: their sum is the cuBLAS part of a step.
[ -x "$build/bench/sgemm_peak" ] && measure "$build/bench/sgemm_peak" --tf32 --mnk 8192,8192,8192 \
  --mnk 500,100,784 --mnk 784,100,500 --mnk 500,784,100 \
  --mnk 500,1000,784 --mnk 784,1000,500 --mnk 500,784,1000

train="$build/bench/bench_train"
if [ -x "$train" ]; then
  data_args=()
  [ -d "$mnist" ] && data_args=(--data mnist --mnist-dir "$mnist")
  for args in "--L 500 --B 100 --k 1" "--L 500 --B 100 --k 10" "--L 500 --B 1000 --k 1" \
              "--L 4096 --B 1000 --k 1" "--L 64 --B 100 --k 1 --models 1" "--L 64 --B 100 --k 1 --models 32" \
              "--L 500 --B 100 --k 1 --pcd" "--L 500 --B 100 --k 1 --tf32" "--L 500 --B 1000 --k 1 --tf32"; do
    measure "$train" --backend cuda "${data_args[@]}" $args
  done
fi

# AIS against exact log Z at L = 16, 20, 24 and AIS's cost at 784×500 (K = 10^4; C = 100 and
# 1000 on the GPU), on MNIST models trained there.
[ -d "$mnist" ] && RBM="$build/rbm" RBM_BACKEND=cuda RBM_MNIST_DIR="$mnist" OUT="$out_dir" \
  bash "$here/bench/ais_bench.sh" || echo "FAILED: bench/ais_bench.sh"

# Plain PyTorch on the same GPU (the baselines the CUDA backend is compared with, measured again
# here), when torch is there.
if python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  torch_args=(--mnist-dir "$mnist")
  measure python3 "$here/bench/torch_baseline.py" logz --L 20,24 --scale 0.1 --repeat 3
  measure python3 "$here/bench/torch_baseline.py" train --L 500 --B 100,1000 --k 1 --graph "${torch_args[@]}"
  measure python3 "$here/bench/torch_baseline.py" train --L 500 --B 100 --k 10 --graph "${torch_args[@]}"
  measure python3 "$here/bench/torch_baseline.py" train --L 4096 --B 1000 --k 1 "${torch_args[@]}"
fi

# Last, memcheck over the GPU tests (bounded: the figures above are already saved). Tests that
# provoke failed allocations or cancel on purpose are left out: memcheck reports those as errors.
if command -v compute-sanitizer >/dev/null; then
  if timeout 150 compute-sanitizer --tool memcheck --error-exitcode 3 "$build/tests/rbm_tests" \
      --gtest_filter='CudaLogZ*:CudaBackend.*-*OutOfDeviceMemory*:*Cancel*' \
      >"$out_dir/memcheck.log" 2>&1; then
    echo "memcheck: clean"
  else
    echo "memcheck: errors, a failed test or a timeout (status $?); see $out_dir/memcheck.log"
  fi
fi
echo "results: $results"
