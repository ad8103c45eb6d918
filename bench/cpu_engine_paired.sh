#!/usr/bin/env bash
# Paired epochs of the baseline and this tree, alternating (5 pairs of CD-1 and PCD-1), then
# the OpenMP build with OMP_WAIT_POLICY=passive against the pool. Reuses the three builds that
# bench/cpu_engine_bench.sh leaves in RBM_BENCH_SCRATCH (default build-engine-bench); JSON lines to
# stdout:  bash bench/cpu_engine_paired.sh > bench/results/<date>-cpu-engine-paired.jsonl
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-SkylakeX}"
S="${RBM_BENCH_SCRATCH:-$PWD/build-engine-bench}"
run() { local label=$1 bin=$2; shift 2
  $bin --backend cpu --data mnist --mnist-dir ../shared/data/mnist --L 500 --B 100 --epochs 2 --warmup 0 --k 1 "$@" |
  python3 -c "import json,sys; [print(json.dumps({**json.loads(l), 'build': '$label', 'data': 'mnist:../shared/data/mnist:train'})) for l in sys.stdin]"; }
for r in 1 2 3 4 5; do
  for mode in "" "--pcd"; do
    run base $S/base-build/bench/bench_train $mode
    run current $S/current-build/bench/bench_train $mode
  done
done
for r in 1 2; do
  OMP_WAIT_POLICY=passive run openmp-passive $S/openmp-build/bench/bench_train
  run current $S/current-build/bench/bench_train
done
