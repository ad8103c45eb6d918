// cuda/resident.cuh — what the CUDA backend keeps on the device between calls: datasets (as
// compact uint8 data bits) and M models of one shape stacked for batched kernels and GEMMs.
#pragma once
#include <cstdint>
#include <vector>

#include "cuda/device_buffer.cuh"
#include "host/backend.hpp"

namespace rbm::cuda {

/// A dataset resident on the device: uint8 data bits (the compact form) and labels.
struct CudaData final : detail::ResidentData {
  int device = 0;
  DeviceBuffer<std::uint8_t> values;  ///< [N][D]
  DeviceBuffer<std::int32_t> labels;  ///< [N] or empty
};

/// M models of one shape stacked on the device: W [M][D][L], b [M][D], c [M][L].
struct DeviceModels {
  int n_models = 0, n_visible = 0, n_hidden = 0;
  DeviceBuffer<float> w, b, c;

  DeviceModels() = default;
  DeviceModels(const std::vector<const Model*>& models, cudaStream_t stream);
  /// Stream-ordered copies into models[m]; the caller synchronizes before using them.
  void download(const std::vector<Model*>& models, cudaStream_t stream) const;
  /// Device-to-device copy of all parameters from `other` (same shape).
  void copy_from(const DeviceModels& other, cudaStream_t stream);
};

}  // namespace rbm::cuda
