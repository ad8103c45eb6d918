// cuda/logz.cuh — exact log Z on the device: the host launcher of the split-product kernels
// (cuda/logz.cu; the arithmetic they share with the CPU tests is in host/common/logz_math.hpp).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "cuda/device_buffer.cuh"
#include "host/backend.hpp"
#include "rbm/logz.hpp"

namespace rbm::cuda {

/// What a backend keeps between exact log Z calls, so that a warm call allocates nothing and
/// queries nothing: the device workspace (grown as needed), pinned host staging for the inputs
/// and results, the chunk events and the main kernel's resident blocks (queried once).
class LogZResources {
 public:
  LogZResources() = default;
  ~LogZResources();
  LogZResources(const LogZResources&) = delete;
  LogZResources& operator=(const LogZResources&) = delete;

  DeviceBuffer<unsigned char> workspace;
  PinnedBuffer<unsigned char> staging;
  /// One of two events (chunk n waits on n & 1), created on first use.
  cudaEvent_t event(std::uint64_t n);
  /// Blocks of the split-product kernel resident on the current device at once.
  int resident_blocks();

 private:
  cudaEvent_t events_[2] = {nullptr, nullptr};
  int resident_blocks_ = 0;
};

/// Exact log Z' of each model (host/backend.hpp: EnumerationModel, already oriented so that its
/// hidden layer is the enumerated one, of one shape, validated by the Engine). Runs on the
/// current device and `stream`. Models whose enumeration is a single chunk (L ≤ 25 at D = 784)
/// share every kernel launch, in groups, and each group waits once; larger models run one after
/// another, chunk by chunk. options.progress is called after each group or chunk with the
/// fraction done of the whole call; Cancelled is thrown when it returns false. Fills log_z (the
/// raw sum), states, pairs and seconds (a model's own wall time, or its group's shared equally).
/// Deterministic: a model's log_z is bit-identical whatever else is in the call. Synchronizes
/// `stream` before returning (and before throwing).
std::vector<LogZResult> exact_log_z(const std::vector<detail::EnumerationModel<float>>& models,
                                    const LogZOptions& options,
                                    cudaStream_t stream,
                                    LogZResources& resources);

/// The split-product kernel's throughput on `device`, for exact log Z's time budget: the rate
/// measured on an H200 (see the definition), scaled by the device's SM count × clock.
detail::LogZRate log_z_rate(int device);

}  // namespace rbm::cuda
