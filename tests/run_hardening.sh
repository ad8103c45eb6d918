#!/usr/bin/env bash
# Hardening checks, run by CI after the README's test command (tests/run_tests.sh):
#   sanitizers  the CPU build (-DRBM_WITH_CUDA=OFF) and the whole ctest suite under
#               AddressSanitizer + UndefinedBehaviorSanitizer (g++, every report fatal);
#   fuzz        every libFuzzer target of tests/fuzz (clang-14) for a bounded time, starting
#               from the checked-in seed corpora; any crash, sanitizer report, leak, timeout,
#               out-of-memory or exception that is not an rbm::Error fails the step.
# Usage: bash tests/run_hardening.sh [sanitizers|fuzz|all]        (default: all)
# Environment: RBM_FUZZ_SECONDS (per target, default 25), RBM_JOBS (default: all cores), RBM_ASAN_BUILD_DIR,
# RBM_FUZZ_BUILD_DIR (default build-asan, build-fuzz in the repository), RBM_CMAKE_ARGS.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
source "$here/examples/ensure_deps.sh"
jobs="${RBM_JOBS:-$(nproc)}"
what="${1:-all}"

elapsed() { echo "rbm-hardening: $1 took $(($(date +%s) - $2)) s"; }

# A subshell: the sanitizer flags and options stay out of the fuzz step.
run_sanitizers() (
  local start build
  start=$(date +%s)
  build="${RBM_ASAN_BUILD_DIR:-$here/build-asan}"
  # Through the environment rather than -DCMAKE_CXX_FLAGS: CMake takes its initial flags from
  # CXXFLAGS/CFLAGS/LDFLAGS, so the example projects that the find_package and C API tests
  # configure and link against the sanitized librbm (the C program too) get the same runtime.
  export CXXFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  export CFLAGS="$CXXFLAGS"
  export LDFLAGS="-fsanitize=address,undefined"
  export ASAN_OPTIONS="detect_leaks=1"
  # Third-party caches kept until exit (fontconfig under PLplot), listed with reasons there.
  export LSAN_OPTIONS="suppressions=$here/tests/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  cmake -S "$here" -B "$build" -DRBM_WITH_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DRBM_BUILD_BENCH=OFF ${RBM_CMAKE_ARGS:-}
  cmake --build "$build" -j "$jobs"
  elapsed "sanitizer build" "$start"
  local test_start
  test_start=$(date +%s)
  (cd "$build" && ctest --output-on-failure -j "$jobs")
  elapsed "sanitizer ctest" "$test_start"
  elapsed "sanitizer step" "$start"
)

ensure_clang() {
  if command -v clang++-14 >/dev/null 2>&1 &&
    [ -n "$(ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a 2>/dev/null)" ]; then
    return
  fi
  echo "rbm: installing clang-14 and its sanitizer/libFuzzer runtimes"
  rbm_apt_install clang-14 libclang-rt-14-dev
}

run_fuzz() {
  local start build seconds fuzz_dir failed=0
  start=$(date +%s)
  build="${RBM_FUZZ_BUILD_DIR:-$here/build-fuzz}"
  seconds="${RBM_FUZZ_SECONDS:-25}"
  fuzz_dir="$here/tests/fuzz"
  ensure_clang
  cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DRBM_WITH_CUDA=OFF \
    -DRBM_BUILD_FUZZERS=ON -DRBM_BUILD_TESTS=OFF -DRBM_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug \
    ${RBM_CMAKE_ARGS:-}
  cmake --build "$build" -j "$jobs" --target fuzzers
  elapsed "fuzzer build" "$start"
  # Each target mutates a scratch copy of its seeds (the checked-in corpus stays as it is);
  # findings land in $work as crash-*/leak-*/timeout-*/oom-* files.
  work="$build/fuzz-runs"  # global: wait_for_fuzzer reads the logs there
  rm -rf "$work"
  mkdir -p "$work"
  local targets=(idx csv amat safetensors tensor_file spec train_config)
  local pids=() names=()
  for name in "${targets[@]}"; do
    mkdir -p "$work/$name"
    cp "$fuzz_dir/corpus/$name"/* "$work/$name/"
    # File loaders get a 32 MB limit on any single allocation: inputs are at most 4 KB
    # (libFuzzer's default -max_len), which gzip can expand to about 4 MB, 16 MB as floats;
    # anything larger is an allocation the file cannot justify (a lying header).
    local options=(-malloc_limit_mb=32)
    case "$name" in
      safetensors | tensor_file) options+=(-dict="$fuzz_dir/safetensors.dict") ;;
      spec) options=(-dict="$fuzz_dir/spec.dict") ;;
      train_config) options=(-dict="$fuzz_dir/train_config.dict") ;;
    esac
    "$build/tests/fuzz/fuzz_$name" "$work/$name" "${options[@]}" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/$name-" \
      >"$work/$name.log" 2>&1 &
    pids+=($!)
    names+=("$name")
    # One fuzzer per core: wait for the oldest before starting more.
    if [ "${#pids[@]}" -ge "$jobs" ]; then
      wait_for_fuzzer "${pids[0]}" "${names[0]}" || failed=1
      pids=("${pids[@]:1}")
      names=("${names[@]:1}")
    fi
  done
  for k in "${!pids[@]}"; do
    wait_for_fuzzer "${pids[$k]}" "${names[$k]}" || failed=1
  done
  elapsed "fuzz step" "$start"
  if [ "$failed" != 0 ]; then
    echo "rbm-hardening: FUZZING FOUND PROBLEMS; reproduce with: $build/tests/fuzz/fuzz_NAME FILE"
    ls "$work"/*-crash-* "$work"/*-leak-* "$work"/*-timeout-* "$work"/*-oom-* 2>/dev/null || true
    return 1
  fi
}

wait_for_fuzzer() {
  local rc=0
  wait "$1" || rc=$?
  local log="$work/$2.log"
  local units
  units=$(grep -o 'number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  if [ "$rc" != 0 ]; then
    echo "rbm-hardening: fuzz_$2 FAILED (exit $rc) after ${units:-?} inputs; end of its log:"
    tail -n 60 "$log"
    return 1
  fi
  echo "rbm-hardening: fuzz_$2 ok, ${units:-?} inputs"
}

case "$what" in
  sanitizers) run_sanitizers ;;
  fuzz) run_fuzz ;;
  all)
    run_sanitizers
    run_fuzz
    ;;
  *)
    echo "usage: $0 [sanitizers|fuzz|all]" >&2
    exit 2
    ;;
esac
