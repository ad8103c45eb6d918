// host/common/parallel.hpp — a small persistent thread pool for the CPU backend's loops.
// Persistent because the training loop calls it several times per mini-batch, where spawning
// threads each time would cost more than the work. BLAS calls keep their own (OpenBLAS) threads.
// Built with -DRBM_OPENMP=ON, the same ranges run on an OpenMP team instead (for comparison: the
// pool measured as fast or faster on the training and log Z benchmarks, see bench/RESULTS.md).
#pragma once
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rbm::detail {

// The hot loops are compiled for AVX-512 and AVX2+FMA as well as the baseline; the loader
// picks the best clone for the CPU it runs on (GCC function multi-versioning).
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define RBM_HOT_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define RBM_HOT_CLONES
#endif

class ThreadPool {
 public:
  /// n_threads = 0: all hardware threads.
  explicit ThreadPool(int n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  /// Runs body(begin, end) over [0, n) split into at most size() contiguous ranges, the
  /// calling thread taking the first. Ranges depend only on n and size(), so results that are
  /// combined per range in order are deterministic for a given thread count. Rethrows the
  /// first exception a range threw. Safe to call from several threads (calls take turns) and
  /// from inside a body (the nested call runs on the calling thread alone).
  void parallel_for(std::size_t n,
                    const std::function<void(std::size_t, std::size_t)>& body,
                    std::size_t min_per_thread = 1);

 private:
  void worker_loop(int index);

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex callers_;  ///< one parallel_for at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(std::size_t, std::size_t)>* body_ = nullptr;
  std::vector<std::pair<std::size_t, std::size_t>> ranges_;
  std::size_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace rbm::detail
