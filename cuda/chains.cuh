// cuda/chains.cuh — the device kernels of the chains contract (host/backend.hpp), for M models
// at once: sweeps at per-chain inverse temperatures and tempering swaps. Chain sets
// (cuda/chains.cu) and the tempering negative phase of training (cuda/training.cu) use them.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/uniforms.cuh"
#include "host/common/philox.hpp"
#include "rbm/model.hpp"

namespace rbm::cuda {

/// The inverse temperature of chain c: a ladder in device memory (level c mod R), or one β.
struct BetaOf {
  const float* ladder = nullptr;
  int levels = 1;
  float beta = 1.0f;
  __device__ float operator()(int c) const { return ladder ? ladder[c % levels] : beta; }
};

/// What the chain kernels read: the shape, the parameters and the chains (device pointers).
struct ChainArgs {
  int M = 0, C = 0, D = 0, L = 0;
  UnitType visible_type = UnitType::bernoulli, hidden_type = UnitType::bernoulli;
  const float *w = nullptr, *b = nullptr, *c = nullptr;             ///< [M][D][L], [M][D], [M][L]
  const float *base_b = nullptr, *base_c = nullptr;                 ///< [M][D], [M][L]
  const float* zeros = nullptr;                                     ///< [L]
  const std::uint64_t* seeds = nullptr;                             ///< [M]
  detail::RandomStream stream = detail::RandomStream::sample;       ///< sweep uniforms
  detail::RandomStream swap_stream = detail::RandomStream::sample;  ///< substream 2
  float* x = nullptr;                                               ///< [M][C][D] visible states
  float* g_h = nullptr;                                             ///< [M][C][L] x·W
  float* h = nullptr;                                               ///< [M][C][L] hidden samples
  float* g_v = nullptr;                                             ///< [M][C][D] h·Wᵀ
  const std::uint8_t* clamped = nullptr;                            ///< [C][D] or null
  /// Training: positions come from the step cursor in device memory (so that CUDA graphs can
  /// replay a step): uniform indices are offset by cursor->offset and swap rounds by
  /// cursor->offset / per_round. Null for chain sets.
  const StepCursor* cursor = nullptr;
  std::uint64_t per_round = 1;
};

/// One layer of a sweep from its weight products (g_h for the hidden layer, g_v for the
/// visible one): fields at β of each chain, unit function, samples into h (hidden) or x
/// (visible; clamped units keep their value). Sweep uniforms start at index `first` (+ the
/// cursor's offset).
void launch_chain_layer(
    const ChainArgs& a, BetaOf beta_of, bool visible, std::uint64_t first, cudaStream_t stream);

/// Tempering round (`round` + the cursor's rounds): the swaps of the chains contract on x and
/// g_h, counted per level pair in accepted / attempted [M][levels − 1] (may be null).
void launch_swaps(const ChainArgs& a,
                  const float* ladder,
                  int levels,
                  std::uint64_t round,
                  unsigned long long* accepted,
                  unsigned long long* attempted,
                  cudaStream_t stream);

}  // namespace rbm::cuda
