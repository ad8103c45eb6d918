// cuda/free_energy.cuh — the free energy's row reduction, fused after the GEMM of hidden fields.
#pragma once
#include <cuda_runtime.h>

namespace rbm::cuda {

/// energies[r] = −Σ_i b_i·v[r][i] − Σ_j softplus(fields[r][j] + c_j) for r < rows, with v
/// [rows][D] (0/1 floats), fields = v·W [rows][L], b [D], c [L]; every term and the sums in
/// double, one warp per row, in a fixed order (run-to-run identical). Device pointers.
void launch_free_energy_rows(const float* v,
                             const float* fields,
                             const float* visible_bias,
                             const float* hidden_bias,
                             int rows,
                             int n_visible,
                             int n_hidden,
                             double* energies,
                             cudaStream_t stream);

}  // namespace rbm::cuda
