// cuda/logz.cuh — exact log Z on the device: the host launcher of the split-product kernels
// (cuda/logz.cu; the arithmetic they share with the CPU tests is in cuda/logz_math.hpp).
#pragma once
#include <cuda_runtime.h>

#include <vector>

#include "cuda/device_buffer.cuh"
#include "rbm/logz.hpp"
#include "rbm/model.hpp"

namespace rbm::cuda {

/// Exact log Z of each model by enumerating its smaller layer (transposing when D < L).
/// `models` are validated and of one shape (the Engine checks both). Runs on the current device
/// and `stream`; calls options.progress between chunks with the fraction done of the whole call
/// and throws Cancelled when it returns false. Every LogZResult field is filled; `seconds` is
/// each model's own wall time. Deterministic: repeated calls return bit-identical log_z.
/// Synchronizes `stream` before returning (and before throwing).
/// `workspace`, when given, is grown as needed and kept by the caller, so that repeated calls
/// skip cudaMalloc/cudaFree (a noticeable share of a call at L ≤ 20, which takes ~0.1 ms);
/// without it the call allocates its own.
std::vector<LogZResult> exact_log_z(const std::vector<Model>& models,
                                    const LogZOptions& options,
                                    cudaStream_t stream,
                                    DeviceBuffer<unsigned char>* workspace = nullptr);

}  // namespace rbm::cuda
