// cuda/layers.cuh — one layer of block-Gibbs for M models: bias + unit function (means) +
// sampling with in-kernel Philox uniforms (+ the reconstruction error's partial sums), fused.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>

#include "cuda/uniforms.cuh"
#include "rbm/model.hpp"

namespace rbm::cuda {

/// One layer's fields turned into means (host/common/units.hpp) for [M][rows][cols] fields.
struct LayerArgs {
  UnitType type = UnitType::bernoulli;
  float* field = nullptr;       ///< GEMM output in, means out
  const float* bias = nullptr;  ///< [M][cols], or shared when bias_stride = 0
  std::size_t bias_stride = 0;
  int rows = 0, cols = 0;
  bool probabilities = false;  ///< write p(on) instead of the mean (spin inference)
  float* samples = nullptr;    ///< sampled units, or null
  Uniforms uniforms;
  /// Optional: recon_partials[m][block] = Σ (target − mean)² over the block's elements, in
  /// double (recon_partial_count blocks per model; one-hot layers are never targets).
  const float* target = nullptr;
  double* recon_partials = nullptr;
};
void launch_layer(const LayerArgs& args, int n_models, cudaStream_t stream);
/// Blocks per model of an elementwise launch_layer, i.e. the reconstruction partials it writes.
int recon_partial_count(int rows, int cols);

}  // namespace rbm::cuda
