// cuda/logz.cuh — exact log Z on the device: the host launcher of the split-product kernels
// (cuda/logz.cu; the arithmetic they share with the CPU tests is in host/common/logz_math.hpp).
#pragma once
#include <cuda_runtime.h>

#include <vector>

#include "cuda/device_buffer.cuh"
#include "host/backend.hpp"
#include "rbm/logz.hpp"

namespace rbm::cuda {

/// Exact log Z' of each model (host/backend.hpp: EnumerationModel, already oriented so that its
/// hidden layer is the enumerated one, of one shape, validated by the Engine). Runs on the
/// current device and `stream`; calls options.progress between chunks with the fraction done of
/// the whole call and throws Cancelled when it returns false. Fills log_z (the raw sum), states,
/// pairs and seconds (each model's own wall time). Deterministic: repeated calls return
/// bit-identical log_z. Synchronizes `stream` before returning (and before throwing).
/// `workspace`, when given, is grown as needed and kept by the caller, so that repeated calls
/// skip cudaMalloc/cudaFree (a noticeable share of a call at L ≤ 20, which takes ~0.1 ms);
/// without it the call allocates its own.
std::vector<LogZResult> exact_log_z(const std::vector<detail::EnumerationModel<float>>& models,
                                    const LogZOptions& options,
                                    cudaStream_t stream,
                                    DeviceBuffer<unsigned char>* workspace = nullptr);

/// The split-product kernel's throughput on `device`, for exact log Z's time budget: the rate
/// measured on an H200 (see the definition), scaled by the device's SM count × clock.
detail::LogZRate log_z_rate(int device);

}  // namespace rbm::cuda
