// cuda/uniforms.cuh — where the training and sampling kernels take their uniforms from: the run's
// position in device memory (so that a captured graph can be replayed) and Philox streams keyed
// by the model's seed (host/common/philox.hpp), or explicit values for the cd_step test seam.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "host/common/philox.hpp"

namespace rbm::cuda {

/// The run's position, kept in device memory so that a captured graph can be replayed: kernels
/// read it, and the last kernel of a step (or sweep) advances it.
struct StepCursor {
  unsigned long long offset;  ///< first uniform index of the current step (or sweep)
  unsigned long long steps;   ///< steps done since the run began (Adam's t − 1)
  unsigned int batch;         ///< mini-batches done in the current epoch
};

/// Where a kernel's uniforms come from. Element e of model m draws
///  Philox:   random_uniform(seeds[m], stream, substream, cursor->offset + base + e)
///  explicit: values[m·values_stride + base + e]      (the cd_step test seam)
struct Uniforms {
  const std::uint64_t* seeds = nullptr;  ///< [M], device
  const StepCursor* cursor = nullptr;    ///< device; null reads as offset 0
  std::uint64_t base = 0;                ///< this layer's offset inside the step
  detail::RandomStream stream = detail::RandomStream::gibbs;
  std::uint32_t substream = 0;
  const float* values = nullptr;  ///< explicit uniforms, device; used when non-null
  std::size_t values_stride = 0;
};

#ifdef __CUDACC__
/// First uniform index of a layer (Philox), see Uniforms.
__device__ inline std::uint64_t first_uniform(const Uniforms& u) {
  return u.base + (u.cursor ? u.cursor->offset : 0ull);
}
#endif

}  // namespace rbm::cuda
