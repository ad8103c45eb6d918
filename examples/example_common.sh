# Sourced by the example scripts: parses --quick, finds (or builds) the `rbm` tool, the data
# folder and the output folder.
#   RBM=path/to/rbm          use this tool instead of building one
#   RBM_DATA_DIR=DIR         where mnist/ and digits/ are (default: ../shared/data beside the repo)
#   RBM_EXAMPLE_OUT=DIR      where the pictures and numbers go (default: build/examples/NAME)
#   RBM_BACKEND=cpu|cuda     (default auto)
set -euo pipefail
example_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
  esac
done
if [ -z "${RBM:-}" ]; then
  source "$example_root/examples/ensure_deps.sh"
  build="${RBM_BUILD_DIR:-$example_root/build}"
  cmake -S "$example_root" -B "$build" -DCMAKE_BUILD_TYPE=Release ${RBM_CMAKE_ARGS:-} >/dev/null
  cmake --build "$build" -j "$(nproc)" --target rbm_cli >/dev/null
  RBM="$build/rbm"
fi
data_dir="${RBM_DATA_DIR:-$example_root/../shared/data}"
backend="--backend ${RBM_BACKEND:-auto}"

# example_output NAME: the output folder, created.
example_output() {
  local dir="${RBM_EXAMPLE_OUT:-${RBM_BUILD_DIR:-$example_root/build}/examples/$1}"
  mkdir -p "$dir"
  echo "$dir"
}

# require_data FILE: skip the example politely when FILE is absent.
require_data() {
  if [ ! -e "$1" ]; then
    echo "skipping: $1 not found (point RBM_DATA_DIR at a folder holding mnist/ and digits/)"
    exit 0
  fi
}
