// cuda/gather.cuh — data rows (compact uint8 bits on the device) into unit values for M models.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "cuda/uniforms.cuh"
#include "rbm/model.hpp"

namespace rbm::cuda {

/// out[m][r][:] = the data bits of row `row` as `type` unit values (spin: 2x − 1), row =
/// perm[m][cursor->batch·rows + r] when `perm` is given (training: the epoch's shuffled order),
/// else first_row + r (chunks of the dataset).
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
                        cudaStream_t stream);

}  // namespace rbm::cuda
