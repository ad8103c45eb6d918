// host/common/parallel.cpp — the persistent thread pool.
#include "host/common/parallel.hpp"

#include <algorithm>

namespace rbm::detail {
namespace {
/// Set while a thread runs a body: a nested parallel_for then runs inline instead of waiting
/// for workers that are busy with the outer call.
thread_local bool t_inside_body = false;

void run_body(const std::function<void(std::size_t, std::size_t)>& body,
              std::size_t begin,
              std::size_t end) {
  t_inside_body = true;
  try {
    body(begin, end);
  } catch (...) {
    t_inside_body = false;
    throw;
  }
  t_inside_body = false;
}

#ifdef RBM_OPENMP
/// The pool's ranges on an OpenMP team: range p runs body(n·p/parts, n·(p+1)/parts).
void run_on_openmp(std::size_t n,
                   std::size_t parts,
                   const std::function<void(std::size_t, std::size_t)>& body) {
  std::exception_ptr error;
  std::mutex error_mutex;
  const int team = static_cast<int>(parts);
#pragma omp parallel for num_threads(team) schedule(static, 1)
  for (std::size_t p = 0; p < parts; ++p) {
    try {
      run_body(body, n * p / parts, n * (p + 1) / parts);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}
#endif
}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0)
    n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_threads_ = n_threads;
#ifdef RBM_OPENMP
  return;  // OpenMP keeps its own team
#endif
  for (int t = 1; t < n_threads; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::worker_loop(int index) {
  std::size_t seen = 0;
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    const auto range = index < static_cast<int>(ranges_.size())
                           ? ranges_[index]
                           : std::make_pair<std::size_t, std::size_t>(0, 0);
    const auto* body = body_;
    lock.unlock();
    std::exception_ptr error;
    if (range.first < range.second) {
      try {
        run_body(*body, range.first, range.second);
      } catch (...) {
        error = std::current_exception();
      }
    }
    lock.lock();
    if (error && !error_) error_ = error;
    if (--pending_ == 0) done_.notify_one();
  }
}

void ThreadPool::parallel_for(std::size_t n,
                              const std::function<void(std::size_t, std::size_t)>& body,
                              std::size_t min_per_thread) {
  if (n == 0) return;
  const std::size_t parts = std::min<std::size_t>(
      size(), std::max<std::size_t>(1, n / std::max<std::size_t>(1, min_per_thread)));
  if (parts <= 1 || size() == 1 || t_inside_body) {
    body(0, n);
    return;
  }
#ifdef RBM_OPENMP
  run_on_openmp(n, parts, body);
  return;
#endif
  const std::lock_guard<std::mutex> one_caller(callers_);
  std::vector<std::pair<std::size_t, std::size_t>> ranges(size(), {0, 0});
  for (std::size_t p = 0; p < parts; ++p) ranges[p] = {n * p / parts, n * (p + 1) / parts};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ranges_ = ranges;
    body_ = &body;
    error_ = nullptr;
    pending_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  std::exception_ptr error;
  try {
    run_body(body, ranges[0].first, ranges[0].second);
  } catch (...) {
    error = std::current_exception();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return pending_ == 0; });
  if (!error) error = error_;
  if (error) std::rethrow_exception(error);
}

}  // namespace rbm::detail
