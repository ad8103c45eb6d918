// cuda/gather.cu — data rows into unit values (see gather.cuh).
#include "cuda/gather.cuh"
#include "cuda/launch.cuh"
#include "host/common/units.hpp"

namespace rbm::cuda {
namespace {

namespace units = detail::units;

__global__ void gather_rows_kernel(const std::uint8_t* __restrict__ data,
                                   int n_visible,
                                   UnitType type,
                                   const std::uint32_t* __restrict__ perm,
                                   std::size_t n_samples,
                                   const StepCursor* cursor,
                                   std::size_t first_row,
                                   int rows,
                                   float* __restrict__ out) {
  const std::size_t per_model = static_cast<std::size_t>(rows) * n_visible;
  const std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= per_model) return;
  const int m = blockIdx.y;
  const std::size_t r = e / n_visible, i = e % n_visible;
  const std::size_t row =
      perm ? perm[m * n_samples + static_cast<std::size_t>(cursor->batch) * rows + r]
           : first_row + r;
  out[m * per_model + e] = units::from_bit(type, data[row * n_visible + i]);
}

}  // namespace

void launch_gather_rows(const std::uint8_t* data,
                        int n_visible,
                        UnitType type,
                        const std::uint32_t* perm,
                        std::size_t n_samples,
                        const StepCursor* cursor,
                        std::size_t first_row,
                        int rows,
                        int n_models,
                        float* out,
                        cudaStream_t stream) {
  const std::size_t n = static_cast<std::size_t>(rows) * n_visible;
  if (n == 0 || n_models == 0) return;
  gather_rows_kernel<<<model_grid(ceil_div(n, kThreads), n_models), kThreads, 0, stream>>>(
      data, n_visible, type, perm, n_samples, cursor, first_row, rows, out);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

}  // namespace rbm::cuda
