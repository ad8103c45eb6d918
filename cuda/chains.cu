// cuda/chains.cu — chain starts, sample storage and the sweep counter (see chains.cuh).
#include "cuda/chains.cuh"
#include "cuda/launch.cuh"
#include "host/common/units.hpp"

namespace rbm::cuda {
namespace {

using detail::random_uniform;
using detail::RandomStream;
namespace units = detail::units;

__global__ void init_chains_kernel(const float* bias,
                                   UnitType type,
                                   const std::uint64_t* seeds,
                                   RandomStream stream,
                                   std::uint32_t substream,
                                   int rows,
                                   int cols,
                                   float* x) {
  const std::size_t n = static_cast<std::size_t>(rows) * cols;
  const std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= n) return;
  const int m = blockIdx.y;
  const float p =
      bias ? units::on_probability(type, bias[static_cast<std::size_t>(m) * cols + e % cols])
           : 0.5f;
  x[m * n + e] = units::sample(type, p, random_uniform(seeds[m], stream, substream, e));
}

__global__ void store_samples_kernel(
    const float* x, int chains, int cols, int samples_per_chain, int sample, std::uint8_t* out) {
  const std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= static_cast<std::size_t>(chains) * cols) return;
  const std::size_t c = e / cols, i = e % cols;
  out[(c * samples_per_chain + sample) * cols + i] = x[e] > 0.0f ? 1 : 0;
}

__global__ void advance_kernel(StepCursor* cursor, std::uint64_t per_sweep) {
  cursor->offset += per_sweep;
}

}  // namespace

void launch_init_chains(const float* bias,
                        UnitType type,
                        const std::uint64_t* seeds,
                        RandomStream stream_id,
                        std::uint32_t substream,
                        int rows,
                        int cols,
                        int n_models,
                        float* x,
                        cudaStream_t stream) {
  const std::size_t n = static_cast<std::size_t>(rows) * cols;
  if (n == 0 || n_models == 0) return;
  init_chains_kernel<<<model_grid(ceil_div(n, kThreads), n_models), kThreads, 0, stream>>>(
      bias, type, seeds, stream_id, substream, rows, cols, x);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_store_samples(const float* x,
                          int chains,
                          int cols,
                          int samples_per_chain,
                          int sample,
                          std::uint8_t* out,
                          cudaStream_t stream) {
  const std::size_t n = static_cast<std::size_t>(chains) * cols;
  if (n == 0) return;
  store_samples_kernel<<<ceil_div(n, kThreads), kThreads, 0, stream>>>(
      x, chains, cols, samples_per_chain, sample, out);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_advance(StepCursor* cursor, std::uint64_t per_sweep, cudaStream_t stream) {
  advance_kernel<<<1, 1, 0, stream>>>(cursor, per_sweep);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

}  // namespace rbm::cuda
