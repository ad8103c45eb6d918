// cuda/health.cu — counts unhealthy parameters per model (see health.cuh).
#include <algorithm>

#include "cuda/health.cuh"
#include "cuda/launch.cuh"

namespace rbm::cuda {
namespace {

__global__ void count_unhealthy_kernel(const float* a0,
                                       const float* a1,
                                       const float* a2,
                                       std::size_t n0,
                                       std::size_t n1,
                                       std::size_t n2,
                                       float bound,
                                       unsigned int* counts) {
  const int m = blockIdx.y;
  unsigned int bad = 0;
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  const std::size_t start = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  // !(|x| <= bound) also counts NaN.
  for (std::size_t e = start; e < n0; e += stride) bad += !(fabsf(a0[m * n0 + e]) <= bound);
  for (std::size_t e = start; e < n1; e += stride) bad += !(fabsf(a1[m * n1 + e]) <= bound);
  for (std::size_t e = start; e < n2; e += stride) bad += !(fabsf(a2[m * n2 + e]) <= bound);
  for (int delta = 16; delta > 0; delta /= 2) bad += __shfl_down_sync(0xffffffffu, bad, delta);
  if (threadIdx.x % 32 == 0 && bad) atomicAdd(&counts[m], bad);  // integer: order-independent
}

}  // namespace

void launch_count_unhealthy(const float* const arrays[3],
                            const std::size_t per_model[3],
                            float bound,
                            int n_models,
                            unsigned int* counts,
                            cudaStream_t stream) {
  const std::size_t largest = std::max({per_model[0], per_model[1], per_model[2]});
  if (largest == 0 || n_models == 0) return;
  count_unhealthy_kernel<<<model_grid(std::min(ceil_div(largest, kThreads), 1024u), n_models),
                           kThreads, 0, stream>>>(arrays[0], arrays[1], arrays[2], per_model[0],
                                                  per_model[1], per_model[2], bound, counts);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

}  // namespace rbm::cuda
