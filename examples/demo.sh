#!/usr/bin/env bash
# The main job: build rbm, train an RBM on bars-and-stripes 4×4 (data the library generates),
# then print its exact log Z and exact mean log-likelihood. Uses the GPU when one is present.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/examples/ensure_deps.sh"
build="${RBM_BUILD_DIR:-$here/build}"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release ${RBM_CMAKE_ARGS:-}
cmake --build "$build" -j "$(nproc)" --target rbm_cli
rbm="$build/rbm"
out="${RBM_DEMO_OUT:-$build/demo}"
mkdir -p "$out"
"$rbm" train --data bas:4 --hidden 16 --cd 10 --epochs 3000 --batch 10 --lr 0.05 \
  --momentum 0.5 --seed 1 --out "$out/bas4.safetensors"
"$rbm" eval --model "$out/bas4.safetensors" --data bas:4
echo "optimum for bars-and-stripes 4x4: log(1/30) = -3.4012"
