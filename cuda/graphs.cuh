// cuda/graphs.cuh — replaying a recorded step (or sampling sweep) through CUDA graphs.
#pragma once
#include "cuda/context.cuh"

namespace rbm::cuda {

/// Runs a recorded step n times: the very first step eagerly (so that every kernel, library
/// call and lazily loaded module has run once before anything is captured), then through CUDA
/// graphs of kStepsPerGraph steps and of one step, directly where capture is not possible.
/// Steps read their position from device memory, which is what makes a replayed graph
/// correct. One Repeater per step shape (a shape change records different launches).
class Repeater {
 public:
  static constexpr int kStepsPerGraph = 10;

  template <typename Record>
  void run(Context& ctx, long long n, const Record& record) {
    cudaStream_t stream = ctx.stream();
    ctx.cublas();  // created (and its workspace allocated) outside any capture
    used_graphs_ = false;
    if (n > 0 && !warmed_up_) {
      record();
      warmed_up_ = true;
      --n;
    }
    while (n >= kStepsPerGraph) {
      if (!chunk_tried_) {
        chunk_tried_ = true;
        chunk_ = capture(stream, [&] {
          for (int s = 0; s < kStepsPerGraph; ++s) record();
        });
      }
      if (!chunk_) break;
      chunk_.launch(stream);
      used_graphs_ = true;
      n -= kStepsPerGraph;
    }
    for (; n > 0; --n) {
      if (!single_tried_) {
        single_tried_ = true;
        single_ = capture(stream, record);
      }
      if (single_) {
        single_.launch(stream);
        used_graphs_ = true;
      } else {
        record();
      }
    }
  }

  /// Whether the last run() replayed any step through a graph.
  bool used_graphs() const { return used_graphs_; }

 private:
  /// A CUDA error or failed allocation while capturing (e.g. a library call that cannot be
  /// captured) means: run eagerly; a genuine error then surfaces from the eager run.
  template <typename Record>
  static GraphExec capture(cudaStream_t stream, const Record& record) {
    try {
      return capture_graph(stream, record);
    } catch (const CudaError&) {
      return {};
    } catch (const OutOfMemory&) {
      return {};
    }
  }

  GraphExec chunk_, single_;
  bool warmed_up_ = false, chunk_tried_ = false, single_tried_ = false, used_graphs_ = false;
};

}  // namespace rbm::cuda
