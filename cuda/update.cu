// cuda/update.cu — statistics, centering and the optimizer update (see update.cuh). Column sums
// run in double (exact for 0/1 and ±1 columns, in any order) with each mean rounded to float, as
// on the CPU; parameters step with the shared optimizer functions.
#include <algorithm>

#include "cuda/launch.cuh"
#include "cuda/update.cuh"
#include "host/common/numeric.hpp"

namespace rbm::cuda {
namespace {

using detail::StepScalars;

// ---- statistics, centering, update -----------------------------------------------------------
// Column statistics: a block takes kColumnsPerBlock columns and splits the rows into kRowSlices
// interleaved slices (one warp each, coalesced rows), so a thread sums ~B/8 values instead of B:
// the reduction is latency-bound, not bandwidth-bound.
constexpr int kColumnsPerBlock = 32;
constexpr int kRowSlices = kThreads / kColumnsPerBlock;

/// Σ x[r][col] over rows r ≡ slice (mod kRowSlices), in double.
__device__ double slice_sum(const float* x, int rows, int cols, int col, int slice) {
  double sum = 0;
#pragma unroll 4
  for (int r = slice; r < rows; r += kRowSlices) sum += x[static_cast<std::size_t>(r) * cols + col];
  return sum;
}

__global__ void __launch_bounds__(kThreads) statistics_kernel(const UpdateArgs a) {
  const int m = blockIdx.y;
  const int D = a.shape.n_visible, L = a.shape.n_hidden, B = a.shape.batch_rows,
            R = a.shape.chain_rows;
  const int lane = threadIdx.x % kColumnsPerBlock, slice = threadIdx.x / kColumnsPerBlock;
  const int col = static_cast<int>(blockIdx.x) * kColumnsPerBlock + lane;
  const bool visible = col < D;
  const int width = visible ? D : L, j = visible ? col : col - D;
  const float* positive_rows =
      visible ? a.phases.v0 + m * std::size_t(B) * D : a.phases.m0 + m * std::size_t(B) * L;
  const float* negative_rows =
      visible ? a.phases.x + m * std::size_t(R) * D : a.phases.mh + m * std::size_t(R) * L;
  __shared__ double sums[2][kRowSlices][kColumnsPerBlock];
  const bool active = col < D + L;
  sums[0][slice][lane] = active ? slice_sum(positive_rows, B, width, j, slice) : 0.0;
  sums[1][slice][lane] = active ? slice_sum(negative_rows, R, width, j, slice) : 0.0;
  __syncthreads();
  if (slice != 0 || !active) return;
  double positive_sum = 0, negative_sum = 0;
  for (int s = 0; s < kRowSlices; ++s) {  // fixed order: run-to-run identical
    positive_sum += sums[0][s][lane];
    negative_sum += sums[1][s][lane];
  }
  // As the CPU: each mean rounded to float, then added in float.
  const float positive_mean = static_cast<float>(positive_sum / B);
  const float gradient = detail::add_rn(positive_mean, static_cast<float>(-negative_sum / R));
  const StepHyper& h = a.progress.hyper[m];
  if (visible) {
    a.grad.b[static_cast<std::size_t>(m) * D + j] = gradient;
    if (a.grad.visible_means)
      a.grad.visible_means[static_cast<std::size_t>(m) * D + j] = positive_mean;
    return;
  }
  const std::size_t at = static_cast<std::size_t>(m) * L + j;
  a.grad.c[at] = gradient;
  if (a.grad.hidden_means) a.grad.hidden_means[at] = positive_mean;
  if (a.shape.sparsity) {
    const float q = a.progress.cursor->steps == 0
                        ? positive_mean
                        : detail::moving_average(a.sparsity.q[at], positive_mean,
                                                 detail::sub_rn(1.0f, h.sparsity_decay));
    a.sparsity.q[at] = q;
    a.sparsity.pull[at] = detail::sparsity_pull(h, q);
  }
}

__global__ void center_weights_kernel(const UpdateArgs a) {
  const int m = blockIdx.y;
  const int D = a.shape.n_visible, L = a.shape.n_hidden;
  const std::size_t n = static_cast<std::size_t>(D) * L;
  const std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= n) return;
  const std::size_t i = e / L, j = e % L;
  float& g = a.grad.w[m * n + e];
  g = detail::centered_weight_gradient(g, a.centering.visible_offsets[m * std::size_t(D) + i],
                                       a.centering.hidden_offsets[m * std::size_t(L) + j],
                                       a.grad.b[m * std::size_t(D) + i],
                                       a.grad.c[m * std::size_t(L) + j]);
}

/// The optimizer slots of parameter `index` of model m (null beyond the optimizer's slots).
struct Slots {
  float* s[2];
};
__device__ Slots slots_of(const UpdateArgs& a, int m, std::size_t index, std::size_t per_model) {
  Slots out{{nullptr, nullptr}};
  for (int k = 0; k < a.shape.slots; ++k)
    out.s[k] = a.params.state + (static_cast<std::size_t>(k) * gridDim.y + m) * per_model + index;
  return out;
}

__device__ void step(const UpdateArgs& a,
                     const StepHyper& h,
                     const StepScalars& scalars,
                     float g,
                     float& theta,
                     Slots slots) {
  float unused0 = 0, unused1 = 0;
  detail::optimizer_step(a.shape.optimizer, h, scalars, g, theta,
                         slots.s[0] ? *slots.s[0] : unused0, slots.s[1] ? *slots.s[1] : unused1);
}

__global__ void __launch_bounds__(kThreads) update_kernel(const UpdateArgs a, unsigned w_blocks) {
  const int m = blockIdx.y;
  const std::size_t D = a.shape.n_visible, L = a.shape.n_hidden, DL = D * L, P = DL + D + L;
  const StepHyper h = a.progress.hyper[m];
  __shared__ StepScalars scalars;
  if (threadIdx.x == 0)
    scalars = detail::step_scalars(a.shape.optimizer, h, a.progress.cursor->steps + 1);
  __syncthreads();
  if (blockIdx.x < w_blocks) {  // W: elementwise
    for (std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < DL;
         e += static_cast<std::size_t>(w_blocks) * blockDim.x) {
      float sparsity = 0.0f;
      if (a.shape.sparsity)
        sparsity =
            detail::mul_rn(a.sparsity.pull[m * L + e % L], a.grad.visible_means[m * D + e / L]);
      float theta = a.params.weights[m * DL + e];
      const float g = detail::weight_gradient(h, a.grad.w[m * DL + e], theta, sparsity);
      step(a, h, scalars, g, theta, slots_of(a, m, e, P));
      a.params.weights[m * DL + e] = theta;
    }
    return;
  }
  // Biases, one element per thread: b (k < D), then c.
  const std::size_t k = static_cast<std::size_t>(blockIdx.x - w_blocks) * blockDim.x + threadIdx.x;
  if (k == 0) {
    if (a.progress.recon_sum) {
      double sum = 0;
      for (int p = 0; p < a.progress.recon_count; ++p)
        sum += a.progress.recon_partials[static_cast<std::size_t>(m) * a.progress.recon_count + p];
      a.progress.recon_sum[m] +=
          sum / (static_cast<double>(a.shape.batch_rows) * a.shape.n_visible);
    }
  }
  if (k >= D + L) return;
  if (k < D) {
    float g = a.grad.b[m * D + k];
    if (a.shape.centering) g = detail::sub_rn(g, a.centering.correction_b[m * D + k]);
    step(a, h, scalars, g, a.params.visible_bias[m * D + k], slots_of(a, m, DL + k, P));
    if (a.shape.centering)
      a.centering.visible_offsets[m * D + k] =
          detail::moving_average(a.centering.visible_offsets[m * D + k],
                                 a.grad.visible_means[m * D + k], h.centering_rate);
    return;
  }
  const std::size_t j = k - D;
  float g = a.grad.c[m * L + j];
  if (a.shape.centering) g = detail::sub_rn(g, a.centering.correction_c[m * L + j]);
  if (a.shape.sparsity) g = detail::sub_rn(g, a.sparsity.pull[m * L + j]);
  step(a, h, scalars, g, a.params.hidden_bias[m * L + j], slots_of(a, m, DL + D + j, P));
  if (a.shape.centering)
    a.centering.hidden_offsets[m * L + j] = detail::moving_average(
        a.centering.hidden_offsets[m * L + j], a.grad.hidden_means[m * L + j], h.centering_rate);
}

/// Advances the cursor after the update (a separate launch: the update's blocks read it).
__global__ void advance_step_kernel(StepCursor* cursor, std::uint64_t step_uniforms) {
  cursor->offset += step_uniforms;
  cursor->steps += 1;
  cursor->batch += 1;
}

}  // namespace

void launch_statistics(const UpdateArgs& args, int n_models, cudaStream_t stream) {
  if (n_models == 0) return;
  const unsigned blocks = ceil_div(
      static_cast<std::size_t>(args.shape.n_visible) + args.shape.n_hidden, kColumnsPerBlock);
  statistics_kernel<<<model_grid(blocks, n_models), kThreads, 0, stream>>>(args);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_center_weights(const UpdateArgs& args, int n_models, cudaStream_t stream) {
  const std::size_t n = static_cast<std::size_t>(args.shape.n_visible) * args.shape.n_hidden;
  if (n == 0 || n_models == 0) return;
  center_weights_kernel<<<model_grid(ceil_div(n, kThreads), n_models), kThreads, 0, stream>>>(args);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_update(const UpdateArgs& args, int n_models, cudaStream_t stream) {
  if (n_models == 0) return;
  const std::size_t weights = static_cast<std::size_t>(args.shape.n_visible) * args.shape.n_hidden;
  // Four weights per thread keeps the grid small for M models.
  const unsigned w_blocks = std::max(1u, ceil_div(weights, 4 * kThreads));
  const unsigned bias_blocks =
      ceil_div(static_cast<std::size_t>(args.shape.n_visible) + args.shape.n_hidden, kThreads);
  update_kernel<<<model_grid(w_blocks + bias_blocks, n_models), kThreads, 0, stream>>>(args,
                                                                                       w_blocks);
  RBM_CUDA_CHECK_LAUNCH(stream);
  advance_step_kernel<<<1, 1, 0, stream>>>(args.progress.cursor, args.progress.step_uniforms);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

}  // namespace rbm::cuda
