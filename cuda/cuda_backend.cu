// cuda/cuda_backend.cu — the CUDA backend (device query and factory).
#include "cuda/check.cuh"
#include "cuda/cuda_backend.hpp"

namespace rbm::cuda {

int device_count() noexcept {
  // Queried once: any error (no driver, no device) means zero devices.
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();
      n = 0;
    }
    return n;
  }();
  return count;
}

std::unique_ptr<detail::Backend> make_cuda_backend(const EngineOptions&) {
  RBM_THROW(NotBuilt, "the CUDA backend's operations are not built yet");
}

}  // namespace rbm::cuda
