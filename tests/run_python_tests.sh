#!/usr/bin/env bash
# Builds the Python package the way users do (`pip install .`) into a virtual environment under
# the build folder and runs its pytest suite (tests/python). Called by tests/run_tests.sh after
# the C++ suite; installs what it needs (Debian: python3-venv, python3-dev; PyPI: numpy,
# scikit-learn, pytest, nanobind, scikit-build-core).
#   RBM_BUILD_DIR            the build folder (default build/); the venv is in python/venv there
#   RBM_PYTHON_WITH_CUDA     the extension's RBM_WITH_CUDA (default OFF, see below)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/examples/ensure_deps.sh"
build="${RBM_BUILD_DIR:-$here/build}"
python="${PYTHON:-python3}"
venv="$build/python/venv"

# Debian splits venv/ensurepip and the C headers of its Python into packages of their own.
if ! "$python" -c "import ensurepip, venv, sysconfig, os, sys
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" 2>/dev/null; then
  echo "rbm: installing Debian packages: python3-venv python3-dev"
  rbm_apt_install python3-venv python3-dev
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q numpy scikit-learn pytest nanobind scikit-build-core

# The extension is built without the CUDA backend here: the C++ build above has compiled the
# CUDA kernels and run their tests already, and compiling them once more for the extension would
# add minutes on a 2-core machine without a GPU while checking nothing new (the Python CUDA
# tests skip without a device anyway). `pip install .` elsewhere builds CUDA when nvcc is found.
"$venv/bin/python" -m pip install -q --no-build-isolation \
  -Cbuild-dir="$build/python/wheel-build" \
  -Ccmake.define.RBM_WITH_CUDA="${RBM_PYTHON_WITH_CUDA:-OFF}" "$here"

cd "$here/tests/python"
# RBM_CLI: the command-line tool of the C++ build, for the test that both read the same files.
cli="$build/rbm"
[ -x "$cli" ] && export RBM_CLI="$cli"
"$venv/bin/python" -m pytest -q -p no:cacheprovider
