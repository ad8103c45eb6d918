// cuda/logz.cuh — exact log Z on the device: the host launcher of the split-product kernels
// (cuda/logz.cu; the arithmetic they share with the CPU tests is in cuda/logz_math.hpp).
#pragma once
#include <cuda_runtime.h>

#include <vector>

#include "cuda/device_buffer.cuh"
#include "host/common/log_sum.hpp"
#include "rbm/logz.hpp"
#include "rbm/model.hpp"

namespace rbm::cuda {

/// Exact log Z's work units on the GPU for a model whose (smaller) hidden layer has n_hidden
/// units: its prefix tiles of 64 prefixes (they do not depend on the device). Throws
/// InvalidArgument beyond 2^48 states.
std::uint64_t log_z_tiles(int n_visible, int n_hidden);

/// Enumerates prefix tiles [begin, end) of `model` (validated, float, its hidden layer the
/// smaller one) and pushes their nodes of host/common/log_sum.hpp's tree onto `stack`. Runs on
/// the current device and `stream`; calls options.progress between chunks with the fraction of
/// the range done and throws Cancelled when it returns false. Deterministic: the nodes do not
/// depend on the device, the chunk size or on how a caller splits the tiles into ranges.
/// Synchronizes `stream` before returning (and before throwing). `workspace` is grown as
/// needed and kept by the caller, so that repeated calls skip cudaMalloc/cudaFree (a noticeable
/// share of a call at L ≤ 20, which takes ~0.1 ms).
void exact_log_z_range(const Model& model,
                       std::uint64_t begin,
                       std::uint64_t end,
                       const LogZOptions& options,
                       cudaStream_t stream,
                       DeviceBuffer<unsigned char>& workspace,
                       detail::TreeStack& stack);

}  // namespace rbm::cuda
