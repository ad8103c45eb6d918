// cuda/bf16.cuh — bfloat16 copies of float arrays, the GEMM operands of GemmMath::bf16 training.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>

namespace rbm::cuda {

/// out[e] = in[e] rounded to the nearest bfloat16 (ties to even), e < n.
void launch_to_bf16(const float* in, std::size_t n, __nv_bfloat16* out, cudaStream_t stream);

}  // namespace rbm::cuda
