#!/usr/bin/env bash
# CPU training epochs on the MNIST shape (60000×784, L=500, B=100), in one run, interleaved so
# that the machine's drift affects every variant alike:
#   1. this tree against a baseline commit (default: the last commit before the per-epoch
#      training engine), CD-1 and PCD-1 — the engine must not cost more than 3 %;
#   2. every optimizer (and centering, sparsity) against classical momentum;
#   3. the own thread pool against OpenMP (-DRBM_OPENMP=ON): CD-1, PCD-1 and exact log Z.
# JSON lines (bench_train's, plus "build") go to stdout; a summary to stderr.
#   bash bench/cpu_engine_bench.sh [BASE_COMMIT] [REPEATS] > bench/results/<date>-cpu-engine.jsonl
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${1:-f71fe35}"
repeats="${2:-3}"
mnist="${RBM_MNIST_DIR:-$here/../shared/data/mnist}"
scratch="${RBM_BENCH_SCRATCH:-$here/build-engine-bench}"  # git-ignored
mkdir -p "$scratch"

build() {  # build SOURCE_DIR BUILD_DIR [CMAKE_ARGS...]
  cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DRBM_WITH_CUDA=OFF -DRBM_BUILD_TESTS=OFF \
    "${@:3}" >/dev/null
  cmake --build "$2" -j "$(nproc)" --target bench_train bench_logz >/dev/null
}
if [ ! -d "$scratch/base-src" ]; then
  git -C "$here" worktree add --detach "$scratch/base-src" "$base" >/dev/null
fi
build "$scratch/base-src" "$scratch/base-build"
build "$here" "$scratch/current-build"
build "$here" "$scratch/openmp-build" -DRBM_OPENMP=ON

run() {  # run BUILD_LABEL BINARY ARGS...
  local label="$1" binary="$2"
  shift 2
  (cd "$here" && "$binary" --backend cpu --data mnist --mnist-dir "$mnist" --L 500 --B 100 \
    --epochs 3 --warmup 0 "$@") |
    python3 -c "import json,sys; [print(json.dumps({**json.loads(l), 'build': '$label'})) for l in sys.stdin]"
}
for r in $(seq "$repeats"); do
  for mode in "" "--pcd"; do
    run base "$scratch/base-build/bench/bench_train" --k 1 $mode
    run current "$scratch/current-build/bench/bench_train" --k 1 $mode
    run openmp "$scratch/openmp-build/bench/bench_train" --k 1 $mode
  done
  for label in current openmp; do
    "$scratch/$label-build/bench/bench_logz" --backend cpu --D 784 --L 20 --scale 0.1 --repeat 3 |
      python3 -c "import json,sys; [print(json.dumps({**json.loads(l), 'build': '$label'})) for l in sys.stdin]"
  done
  for variant in "--optimizer momentum" "--optimizer sgd" "--optimizer nesterov" \
    "--optimizer rmsprop" "--optimizer adam" "--centering" "--sparsity"; do
    run current "$scratch/current-build/bench/bench_train" --k 1 $variant
  done
done | tee "$scratch/lines.jsonl"
python3 - "$scratch/lines.jsonl" <<'PY' >&2
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(pred): 
    v = [r["seconds"] for r in rows if pred(r)]
    return statistics.median(v) if v else float("nan")
for pcd in (False, True):
    b = med(lambda r: r["build"] == "base" and r.get("pcd") == pcd)
    c = med(lambda r: r["build"] == "current" and r.get("pcd") == pcd and r.get("optimizer", "momentum") == "momentum" and not r.get("centering") and not r.get("sparsity"))
    o = med(lambda r: r["build"] == "openmp" and r.get("pcd") == pcd)
    print(f"{'PCD' if pcd else 'CD'}-1: base {b:.3f} s, current {c:.3f} s, ratio {c/b:.3f}; "
          f"OpenMP {o:.3f} s, pool/OpenMP {c/o:.3f}")
z = {b: med(lambda r: r["build"] == b and r.get("task") == "exact_logz") for b in ("current", "openmp")}
print(f"log Z L=20: pool {z['current']:.3f} s, OpenMP {z['openmp']:.3f} s, pool/OpenMP {z['current']/z['openmp']:.3f}")
m = med(lambda r: r["build"] == "current" and not r.get("pcd") and r.get("optimizer") == "momentum" and not r.get("centering") and not r.get("sparsity"))
for name in ("sgd", "nesterov", "rmsprop", "adam"):
    o = med(lambda r: r["build"] == "current" and not r.get("pcd") and r.get("optimizer") == name)
    print(f"{name}: {o:.3f} s, {o/m:.3f}x momentum")
for flag in ("centering", "sparsity"):
    o = med(lambda r: r["build"] == "current" and r.get(flag))
    print(f"{flag}: {o:.3f} s, {o/m:.3f}x momentum")
PY
