// cuda/launch.cuh — what every elementwise launcher of the training and sampling kernels shares:
// the block size, the ceil-div grid helper, grids of M models (blockIdx.y = model) and a
// deterministic block sum.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>

#include "cuda/check.cuh"
#include "host/check.hpp"

namespace rbm::cuda {

inline constexpr int kThreads = 256;
inline constexpr unsigned kMaxGridY = 65535;

inline unsigned ceil_div(std::size_t n, std::size_t d) {
  return static_cast<unsigned>((n + d - 1) / d);
}

/// A grid of `blocks` × n_models (blockIdx.y = model), refusing what CUDA cannot launch.
inline dim3 model_grid(unsigned blocks, int n_models) {
  RBM_EXPECTS(n_models >= 1 && static_cast<unsigned>(n_models) <= kMaxGridY,
              "the CUDA backend runs at most ", kMaxGridY, " models in one call, got ", n_models);
  return dim3(blocks, static_cast<unsigned>(n_models));
}

#ifdef __CUDACC__
/// Sum of one double per thread over a block of kThreads, in a fixed tree order (deterministic).
__device__ inline double block_sum(double value) {
  __shared__ double warp_sums[kThreads / 32];
  for (int delta = 16; delta > 0; delta /= 2) value += __shfl_down_sync(0xffffffffu, value, delta);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) warp_sums[warp] = value;
  __syncthreads();
  double total = 0;
  if (threadIdx.x == 0)
    for (int w = 0; w < kThreads / 32; ++w) total += warp_sums[w];
  __syncthreads();  // warp_sums may be reused by the next call
  return total;     // valid in thread 0
}
#endif

}  // namespace rbm::cuda
