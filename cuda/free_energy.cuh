// cuda/free_energy.cuh — the free energy's row reduction, fused after the GEMM of hidden fields.
#pragma once
#include <cuda_runtime.h>

#include "rbm/model.hpp"

namespace rbm::cuda {

/// energies[r] = −Σ_i b_i·v[r][i] − (the hidden layer's log-partition of fields[r] + c) for
/// r < rows: Σ_j log_partition_term for elementwise units, the one-hot log-sum-exp for Potts
/// (host/common/units.hpp). v [rows][D] holds unit values, fields = v·W [rows][L]; terms and
/// sums in double, one warp per row, in a fixed order (run-to-run identical). Device pointers.
void launch_free_energy_rows(const float* v,
                             const float* fields,
                             const float* visible_bias,
                             const float* hidden_bias,
                             UnitType hidden_type,
                             int rows,
                             int n_visible,
                             int n_hidden,
                             double* energies,
                             cudaStream_t stream);

}  // namespace rbm::cuda
