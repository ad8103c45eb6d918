// cuda/cuda_backend.hpp — the CUDA backend's factory, with no CUDA types, so that
// host/backend.cpp can call it without including CUDA headers.
#pragma once
#include <memory>

#include "host/backend.hpp"

namespace rbm::cuda {

/// Number of usable CUDA devices; 0 on any error (no driver, no device). Never throws.
int device_count() noexcept;
/// Throws CudaError when the device cannot be used.
std::unique_ptr<detail::Backend> make_cuda_backend(const EngineOptions& options);

}  // namespace rbm::cuda
