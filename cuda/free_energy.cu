// cuda/free_energy.cu — F(v) = −bᵀv − Σ_j softplus(c_j + vᵀW_{:,j}) per row, after the GEMM.
// softplus is evaluated in double on the float field plus the float bias, like the CPU
// reference, so the backends differ only by the fields' GEMM rounding.
#include "cuda/check.cuh"
#include "cuda/free_energy.cuh"

namespace rbm::cuda {
namespace {

constexpr int kWarpsPerBlock = 8;

__device__ __forceinline__ double softplus(double x) {
  return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

__device__ __forceinline__ double warp_sum(double value) {
  for (int delta = 16; delta > 0; delta /= 2) value += __shfl_down_sync(0xffffffffu, value, delta);
  return value;  // valid in lane 0
}

__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    free_energy_rows_kernel(const float* __restrict__ v,
                            const float* __restrict__ fields,
                            const float* __restrict__ b,
                            const float* __restrict__ c,
                            int rows,
                            int D,
                            int L,
                            double* __restrict__ energies) {
  const int row = blockIdx.x * kWarpsPerBlock + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;  // whole warps leave together
  const float* v_row = v + static_cast<std::size_t>(row) * D;
  const float* f_row = fields + static_cast<std::size_t>(row) * L;
  double visible = 0, hidden = 0;
  for (int i = lane; i < D; i += 32) visible += static_cast<double>(b[i]) * v_row[i];
  for (int j = lane; j < L; j += 32) hidden += softplus(static_cast<double>(f_row[j]) + c[j]);
  const double energy = -warp_sum(visible) - warp_sum(hidden);
  if (lane == 0) energies[row] = energy;
}

}  // namespace

void launch_free_energy_rows(const float* v,
                             const float* fields,
                             const float* visible_bias,
                             const float* hidden_bias,
                             int rows,
                             int n_visible,
                             int n_hidden,
                             double* energies,
                             cudaStream_t stream) {
  if (rows == 0) return;
  const unsigned blocks = static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
  free_energy_rows_kernel<<<blocks, kWarpsPerBlock * 32, 0, stream>>>(
      v, fields, visible_bias, hidden_bias, rows, n_visible, n_hidden, energies);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

}  // namespace rbm::cuda
