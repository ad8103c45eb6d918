#!/usr/bin/env bash
# Builds rbm and runs the whole test suite (ctest), then builds the Python package with
# `pip install .` and runs its pytest suite (tests/run_python_tests.sh). Installs the Debian
# packages it needs. GPU tests skip themselves on machines without a CUDA device.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/examples/ensure_deps.sh"
# Python's safetensors reads our model files in one test (skipped when it cannot be installed).
python3 -c "import safetensors.numpy" 2>/dev/null ||
  python3 -m pip install -q safetensors numpy 2>/dev/null || echo "rbm: python safetensors unavailable"
build="${RBM_BUILD_DIR:-$here/build}"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release ${RBM_CMAKE_ARGS:-}
cmake --build "$build" -j "$(nproc)"
cd "$build"
# What the machine is, for reading a failure from another machine's log.
cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- || true)"
echo "rbm: $(nproc) cores,${cpu:- $(uname -m)}"
if ! ctest --output-on-failure -j "$(nproc)"; then
  # The failures' output once more, at the end of the log where a truncated log still shows it;
  # the rerun also tells a failure that repeats from one that does not. Either way: failed.
  echo "rbm: rerunning the failed tests alone"
  ctest --rerun-failed --output-on-failure || true
  exit 1
fi
bash "$here/tests/run_python_tests.sh"
