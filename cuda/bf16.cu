// cuda/bf16.cu — float → bfloat16 copies (see bf16.cuh).
#include "cuda/bf16.cuh"
#include "cuda/check.cuh"
#include "cuda/launch.cuh"

namespace rbm::cuda {
namespace {

__global__ void to_bf16_kernel(const float* in, std::size_t n, __nv_bfloat16* out) {
  const std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e < n) out[e] = __float2bfloat16_rn(in[e]);
}

}  // namespace

void launch_to_bf16(const float* in, std::size_t n, __nv_bfloat16* out, cudaStream_t stream) {
  if (n == 0) return;
  to_bf16_kernel<<<ceil_div(n, kThreads), kThreads, 0, stream>>>(in, n, out);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

}  // namespace rbm::cuda
