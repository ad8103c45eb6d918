// cuda/free_energy.cu — F(v) per row, after the GEMM of hidden fields. Each term is evaluated in
// double on the float field plus the float bias, with the CPU's own functions
// (host/common/units.hpp), so the backends differ only by the fields' GEMM rounding.
#include "cuda/check.cuh"
#include "cuda/free_energy.cuh"
#include "host/common/units.hpp"

namespace rbm::cuda {
namespace {

namespace units = detail::units;
constexpr int kWarpsPerBlock = 8;

__device__ __forceinline__ double warp_sum(double value) {
  for (int delta = 16; delta > 0; delta /= 2) value += __shfl_down_sync(0xffffffffu, value, delta);
  return value;  // valid in lane 0
}

/// log Σ e^{x} over the warp's lanes (each holding a partial log-sum), in a fixed tree order.
__device__ __forceinline__ double warp_log_sum(double value) {
  for (int delta = 16; delta > 0; delta /= 2)
    value = detail::log_add_exp(value, __shfl_down_sync(0xffffffffu, value, delta));
  return value;  // valid in lane 0
}

__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    free_energy_rows_kernel(const float* __restrict__ v,
                            const float* __restrict__ fields,
                            const float* __restrict__ b,
                            const float* __restrict__ c,
                            UnitType hidden_type,
                            int rows,
                            int D,
                            int L,
                            double* __restrict__ energies) {
  const int row = blockIdx.x * kWarpsPerBlock + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;  // whole warps leave together
  const float* v_row = v + static_cast<std::size_t>(row) * D;
  const float* f_row = fields + static_cast<std::size_t>(row) * L;
  double visible = 0;
  for (int i = lane; i < D; i += 32) visible += static_cast<double>(b[i]) * v_row[i];
  visible = warp_sum(visible);
  double hidden;
  if (units::is_one_hot(hidden_type)) {
    double partial = -INFINITY;
    for (int j = lane; j < L; j += 32)
      partial = detail::log_add_exp(partial, static_cast<double>(f_row[j]) + c[j]);
    hidden = warp_log_sum(partial);
    if (hidden_type == UnitType::potts_off) hidden = detail::log_add_exp(hidden, 0.0);
  } else {
    double partial = 0;
    for (int j = lane; j < L; j += 32)
      partial += units::log_partition_term(hidden_type, static_cast<double>(f_row[j]) + c[j]);
    hidden = warp_sum(partial);
  }
  if (lane == 0) energies[row] = -visible - hidden;
}

}  // namespace

void launch_free_energy_rows(const float* v,
                             const float* fields,
                             const float* visible_bias,
                             const float* hidden_bias,
                             UnitType hidden_type,
                             int rows,
                             int n_visible,
                             int n_hidden,
                             double* energies,
                             cudaStream_t stream) {
  if (rows == 0) return;
  const unsigned blocks = static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
  free_energy_rows_kernel<<<blocks, kWarpsPerBlock * 32, 0, stream>>>(
      v, fields, visible_bias, hidden_bias, hidden_type, rows, n_visible, n_hidden, energies);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

}  // namespace rbm::cuda
