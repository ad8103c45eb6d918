// cuda/health.cuh — the divergence check: parameters that are non-finite or out of bounds.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>

namespace rbm::cuda {

/// counts[m] = number of values that are non-finite or beyond ±bound among the `per_model`
/// floats of each of `arrays` (up to 3 arrays, model stride = per_model). counts must be zeroed.
void launch_count_unhealthy(const float* const arrays[3],
                            const std::size_t per_model[3],
                            float bound,
                            int n_models,
                            unsigned int* counts,
                            cudaStream_t stream);

}  // namespace rbm::cuda
