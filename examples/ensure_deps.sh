# Sourced by the README's commands: installs the Debian packages rbm builds against when one
# is missing, and puts a CUDA toolkit on PATH when it is installed in the usual place.
if [ -d /usr/local/cuda/bin ] && ! command -v nvcc >/dev/null 2>&1; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi

# rbm_missing_packages P...: those of the Debian packages P... that are not installed.
rbm_missing_packages() {
  local p
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || printf ' %s' "$p"
  done
}

# rbm_apt_install ARGS...: apt-get install -y ARGS, as root or through sudo.
rbm_apt_install() {
  local sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@"
}

rbm_missing="$(rbm_missing_packages cmake g++ make pkg-config zlib1g-dev libpng-dev \
  libopenblas-dev libcli11-dev nlohmann-json3-dev libgtest-dev)"
if [ -n "$rbm_missing" ]; then
  echo "rbm: installing Debian packages:$rbm_missing"
  rbm_apt_install $rbm_missing
fi
# Optional: PLplot (C++ binding + cairo driver) for rbm's plots. rbm builds without it
# (RBM_WITH_PLOTS=AUTO), so a machine that cannot install packages just goes on without plots.
rbm_missing="$(rbm_missing_packages libplplot-dev plplot-driver-cairo)"
if [ -n "$rbm_missing" ]; then
  echo "rbm: installing optional Debian packages (plots):$rbm_missing"
  rbm_apt_install --no-install-recommends $rbm_missing ||
    echo "rbm: could not install$rbm_missing; building without plots"
fi
# Optional: Open MPI for rbm_mpi and `mpirun rbm ...` (RBM_WITH_MPI=AUTO builds without it).
rbm_missing="$(rbm_missing_packages libopenmpi-dev openmpi-bin)"
if [ -n "$rbm_missing" ]; then
  echo "rbm: installing optional Debian packages (MPI):$rbm_missing"
  rbm_apt_install --no-install-recommends $rbm_missing ||
    echo "rbm: could not install$rbm_missing; building without MPI"
fi
