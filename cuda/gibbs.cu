// cuda/gibbs.cu — fused block-Gibbs kernels (see gibbs.cuh for what each computes).
//
// Why fused: between two GEMMs a training step needs bias-add, sigmoid, Bernoulli sampling and
// (at t = 1) the reconstruction error of the same elements; one kernel reads the GEMM output
// once and writes probabilities and samples once. Uniforms are computed in the kernel from
// (seed, index) with host/common/philox.hpp — one Philox block gives four consecutive indices,
// so each thread handles the four elements whose uniforms share a block — and are therefore
// exactly the CPU backend's, whatever the launch geometry. The update kernel does the bias
// column means and the momentum step for W, b and c in one launch.
//
// Arithmetic mirrors host/cpu (clamped logistic, column sums in double — exact for the 0/1
// columns, in any order — each mean rounded to float, and an uncontracted momentum update:
// __fmul_rn/__fadd_rn keep nvcc from fusing into FMAs the CPU does not use), so that for equal
// GEMM outputs the backends agree to the last bit or nearly so.
#include <algorithm>
#include <cub/device/device_radix_sort.cuh>
#include <limits>

#include "cuda/check.cuh"
#include "cuda/gibbs.cuh"

namespace rbm::cuda {
namespace {

using detail::Philox4;
using detail::random_block;
using detail::random_uniform;
using detail::RandomStream;
using detail::uniform_from_bits;

constexpr int kThreads = 256;

unsigned ceil_div(std::size_t n, std::size_t d) {
  return static_cast<unsigned>((n + d - 1) / d);
}

/// The CPU backend's logistic (host/cpu/cpu_sigmoid.cpp): clamped to ±80 so exp never overflows.
__device__ __forceinline__ float sigmoid(float x) {
  x = fminf(fmaxf(x, -80.0f), 80.0f);
  return 1.0f / (1.0f + expf(-x));
}

/// Sum of one double per thread over the block, in a fixed tree order (deterministic).
__device__ double block_sum(double value) {
  __shared__ double warp_sums[kThreads / 32];
  for (int delta = 16; delta > 0; delta /= 2) value += __shfl_down_sync(0xffffffffu, value, delta);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) warp_sums[warp] = value;
  __syncthreads();
  double total = 0;
  if (threadIdx.x == 0)
    for (int w = 0; w < kThreads / 32; ++w) total += warp_sums[w];
  return total;  // valid in thread 0
}

// ---- gather ----------------------------------------------------------------------------------
__global__ void gather_rows_kernel(const std::uint8_t* __restrict__ data,
                                   int n_visible,
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
  out[m * per_model + e] = data[row * n_visible + i];
}

// ---- bias + sigmoid + Bernoulli (+ reconstruction partials) ----------------------------------
struct SigmoidArgs {
  float* field;
  const float* bias;
  std::size_t bias_stride;
  int rows, cols;
  float* samples;
  Uniforms uniforms;
  const float* target;
  double* partials;
};

__global__ void __launch_bounds__(kThreads) sigmoid_sample_kernel(const SigmoidArgs a) {
  const int m = blockIdx.y;
  const std::size_t n = static_cast<std::size_t>(a.rows) * a.cols;
  const std::size_t model_offset = m * n;
  const Uniforms& u = a.uniforms;
  const bool philox = a.samples && !u.values;
  // Uniform index of element 0; thread g takes the elements whose indices lie in Philox block
  // (first / 4) + g, i.e. elements 4g − head .. 4g − head + 3.
  std::uint64_t first = u.base;
  if (philox && u.cursor) first += u.cursor->step * u.per_step;
  const long long head = philox ? static_cast<long long>(first & 3) : 0;
  const std::size_t g = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const long long e0 = 4 * static_cast<long long>(g) - head;
  double squares = 0;
  if (e0 < static_cast<long long>(n) && e0 + 4 > 0) {
    Philox4 bits{};
    if (philox) bits = random_block(u.seeds[m], u.stream, u.substream, (first >> 2) + g);
    // One division for the four elements; the column then steps with wrap-around.
    int col = static_cast<int>((e0 < 0 ? 0 : e0) % a.cols);
    for (int lane = 0; lane < 4; ++lane) {
      const long long e = e0 + lane;
      if (e < 0 || e >= static_cast<long long>(n)) continue;
      const std::size_t at = model_offset + static_cast<std::size_t>(e);
      const float p = sigmoid(a.field[at] + a.bias[m * a.bias_stride + col]);
      a.field[at] = p;
      if (a.samples) {
        const float uniform =
            philox ? uniform_from_bits(bits.v[lane]) : u.values[m * u.values_stride + u.base + e];
        a.samples[at] = uniform < p ? 1.0f : 0.0f;
      }
      if (a.target) {
        const double d = static_cast<double>(a.target[at]) - p;
        squares += d * d;
      }
      col = col + 1 == a.cols ? 0 : col + 1;
    }
  }
  if (a.target) {
    const double total = block_sum(squares);
    if (threadIdx.x == 0) a.partials[static_cast<std::size_t>(m) * gridDim.x + blockIdx.x] = total;
  }
}

unsigned sigmoid_blocks(int rows, int cols) {
  // One group of four per thread, plus one group for a misaligned head (first % 4 != 0).
  const std::size_t groups = (static_cast<std::size_t>(rows) * cols + 3) / 4 + 1;
  return ceil_div(groups, kThreads);
}

// ---- update ----------------------------------------------------------------------------------
/// θ += (velocity = μ·velocity + lr·(grad − decay·θ)), rounded step by step like the CPU.
__device__ __forceinline__ void momentum_step(
    float& theta, float& velocity, float grad, const Hyper& h, float decay) {
  const float g = __fsub_rn(grad, __fmul_rn(decay, theta));
  velocity = __fadd_rn(__fmul_rn(h.momentum, velocity), __fmul_rn(h.learning_rate, g));
  theta = __fadd_rn(theta, velocity);
}

// Bias gradients are column means over B (or R) rows. A block takes kColumnsPerBlock columns
// and splits the rows into kRowSlices interleaved slices (one warp each, coalesced rows), so a
// thread sums ~B/8 values instead of B: the reduction is latency-bound, not bandwidth-bound.
constexpr int kColumnsPerBlock = 32;
constexpr int kRowSlices = kThreads / kColumnsPerBlock;

/// Σ x[r][col] over rows r ≡ slice (mod kRowSlices), in double.
__device__ double slice_sum(const float* x, int rows, int cols, int col, int slice) {
  double sum = 0;
#pragma unroll 4
  for (int r = slice; r < rows; r += kRowSlices) sum += x[static_cast<std::size_t>(r) * cols + col];
  return sum;
}

__global__ void __launch_bounds__(kThreads) update_kernel(const UpdateArgs a, unsigned w_blocks) {
  const int m = blockIdx.y;
  const int D = a.n_visible, L = a.n_hidden;
  const Hyper h = a.hyper[m];
  if (blockIdx.x < w_blocks) {  // W: elementwise
    const std::size_t n = static_cast<std::size_t>(D) * L, base = m * n;
    for (std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n;
         e += static_cast<std::size_t>(w_blocks) * blockDim.x) {
      float theta = a.weights[base + e], velocity = a.velocity_w[base + e];
      momentum_step(theta, velocity, a.grad_w[base + e], h, h.weight_decay);
      a.weights[base + e] = theta;
      a.velocity_w[base + e] = velocity;
    }
    return;
  }
  const unsigned bias_block = blockIdx.x - w_blocks;
  if (bias_block == 0 && threadIdx.x == 0) {
    if (a.recon_sum) {
      double sum = 0;
      for (int k = 0; k < a.recon_count; ++k)
        sum += a.recon_partials[static_cast<std::size_t>(m) * a.recon_count + k];
      a.recon_sum[m] += sum / (static_cast<double>(a.batch_rows) * D);
    }
    // No kernel of this launch reads the cursor, so advancing it here is race-free.
    if (m == 0 && a.cursor) {
      a.cursor->step += 1;
      a.cursor->batch += 1;
    }
  }
  // gb = mean_rows(V0) − mean_rows(X) for columns < D; gc = mean_rows(P0) − mean_rows(Ph) after.
  const int lane = threadIdx.x % kColumnsPerBlock, slice = threadIdx.x / kColumnsPerBlock;
  const int col = static_cast<int>(bias_block) * kColumnsPerBlock + lane;
  const int B = a.batch_rows, R = a.chain_rows;
  const bool visible = col < D;
  const int width = visible ? D : L, j = visible ? col : col - D;
  const float* positive_rows =
      visible ? a.v0 + m * std::size_t(B) * D : a.p0 + m * std::size_t(B) * L;
  const float* negative_rows =
      visible ? a.x + m * std::size_t(R) * D : a.ph + m * std::size_t(R) * L;
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
  const float gradient =
      __fadd_rn(static_cast<float>(positive_sum / B), static_cast<float>(-negative_sum / R));
  float* theta = visible ? a.visible_bias + static_cast<std::size_t>(m) * D + j
                         : a.hidden_bias + static_cast<std::size_t>(m) * L + j;
  float* velocity = visible ? a.velocity_b + static_cast<std::size_t>(m) * D + j
                            : a.velocity_c + static_cast<std::size_t>(m) * L + j;
  float t = *theta, v = *velocity;
  momentum_step(t, v, gradient, h, 0.0f);
  *theta = t;
  *velocity = v;
}

// ---- chain starts, sample storage, counters, checks ------------------------------------------
__global__ void init_chains_kernel(const float* bias,
                                   const std::uint64_t* seeds,
                                   RandomStream stream,
                                   std::uint32_t substream,
                                   int rows,
                                   int cols,
                                   float* x) {
  const std::size_t n = static_cast<std::size_t>(rows) * cols;
  const std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= n) return;
  const int m = blockIdx.y;
  // The CPU's unclamped 1/(1 + e^−b) for PCD starts; 1/2 for the sampler's random starts.
  const float p =
      bias ? 1.0f / (1.0f + expf(-bias[static_cast<std::size_t>(m) * cols + e % cols])) : 0.5f;
  x[m * n + e] = random_uniform(seeds[m], stream, substream, e) < p ? 1.0f : 0.0f;
}

__global__ void store_samples_kernel(
    const float* x, int chains, int cols, int samples_per_chain, int sample, std::uint8_t* out) {
  const std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= static_cast<std::size_t>(chains) * cols) return;
  const std::size_t c = e / cols, i = e % cols;
  out[(c * samples_per_chain + sample) * cols + i] = x[e] != 0.0f ? 1 : 0;
}

__global__ void advance_kernel(StepCursor* cursor) {
  cursor->step += 1;
}

__global__ void count_nonfinite_kernel(const float* a0,
                                       const float* a1,
                                       const float* a2,
                                       std::size_t n0,
                                       std::size_t n1,
                                       std::size_t n2,
                                       unsigned int* counts) {
  const int m = blockIdx.y;
  unsigned int bad = 0;
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  const std::size_t start = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (std::size_t e = start; e < n0; e += stride) bad += !isfinite(a0[m * n0 + e]);
  for (std::size_t e = start; e < n1; e += stride) bad += !isfinite(a1[m * n1 + e]);
  for (std::size_t e = start; e < n2; e += stride) bad += !isfinite(a2[m * n2 + e]);
  for (int delta = 16; delta > 0; delta /= 2) bad += __shfl_down_sync(0xffffffffu, bad, delta);
  if (threadIdx.x % 32 == 0 && bad) atomicAdd(&counts[m], bad);  // integer: order-independent
}

__global__ void shuffle_keys_kernel(const std::uint64_t* seeds,
                                    std::uint32_t epoch,
                                    std::size_t n_samples,
                                    std::uint32_t* keys,
                                    std::uint32_t* rows) {
  const std::size_t n = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (n >= n_samples) return;
  const int m = blockIdx.y;
  keys[m * n_samples + n] = random_block(seeds[m], RandomStream::shuffle, epoch, n).v[0];
  rows[m * n_samples + n] = static_cast<std::uint32_t>(n);
}

}  // namespace

// ---- launchers -------------------------------------------------------------------------------
void launch_gather_rows(const std::uint8_t* data,
                        int n_visible,
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
  const dim3 grid(ceil_div(n, kThreads), n_models);
  gather_rows_kernel<<<grid, kThreads, 0, stream>>>(data, n_visible, perm, n_samples, cursor,
                                                    first_row, rows, out);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

int recon_partial_count(int rows, int cols) {
  return static_cast<int>(sigmoid_blocks(rows, cols));
}

void launch_sigmoid_sample(float* field,
                           const float* bias,
                           std::size_t bias_stride,
                           int rows,
                           int cols,
                           int n_models,
                           float* samples,
                           const Uniforms& uniforms,
                           const float* target,
                           double* recon_partials,
                           cudaStream_t stream) {
  if (rows == 0 || cols == 0 || n_models == 0) return;
  const SigmoidArgs args{field,   bias,     bias_stride, rows,          cols,
                         samples, uniforms, target,      recon_partials};
  const dim3 grid(sigmoid_blocks(rows, cols), n_models);
  sigmoid_sample_kernel<<<grid, kThreads, 0, stream>>>(args);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_update(const UpdateArgs& args, int n_models, cudaStream_t stream) {
  if (n_models == 0) return;
  const std::size_t weights = static_cast<std::size_t>(args.n_visible) * args.n_hidden;
  // Four weights per thread keeps the grid small for M models; bias columns: see update_kernel.
  const unsigned w_blocks = std::max(1u, ceil_div(weights, 4 * kThreads));
  const unsigned bias_blocks =
      ceil_div(static_cast<std::size_t>(args.n_visible) + args.n_hidden, kColumnsPerBlock);
  const dim3 grid(w_blocks + bias_blocks, n_models);
  update_kernel<<<grid, kThreads, 0, stream>>>(args, w_blocks);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_init_chains(const float* bias,
                        const std::uint64_t* seeds,
                        RandomStream stream_id,
                        std::uint32_t substream,
                        int rows,
                        int cols,
                        int n_models,
                        float* x,
                        cudaStream_t stream) {
  const std::size_t n = static_cast<std::size_t>(rows) * cols;
  if (n == 0 || n_models == 0) return;
  const dim3 grid(ceil_div(n, kThreads), n_models);
  init_chains_kernel<<<grid, kThreads, 0, stream>>>(bias, seeds, stream_id, substream, rows, cols,
                                                    x);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_store_samples(const float* x,
                          int chains,
                          int cols,
                          int samples_per_chain,
                          int sample,
                          std::uint8_t* out,
                          cudaStream_t stream) {
  const std::size_t n = static_cast<std::size_t>(chains) * cols;
  if (n == 0) return;
  store_samples_kernel<<<ceil_div(n, kThreads), kThreads, 0, stream>>>(
      x, chains, cols, samples_per_chain, sample, out);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_advance(StepCursor* cursor, cudaStream_t stream) {
  advance_kernel<<<1, 1, 0, stream>>>(cursor);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_count_nonfinite(const float* const arrays[3],
                            const std::size_t per_model[3],
                            int n_models,
                            unsigned int* counts,
                            cudaStream_t stream) {
  const std::size_t largest = std::max({per_model[0], per_model[1], per_model[2]});
  if (largest == 0 || n_models == 0) return;
  const dim3 grid(std::min(ceil_div(largest, kThreads), 1024u), n_models);
  count_nonfinite_kernel<<<grid, kThreads, 0, stream>>>(
      arrays[0], arrays[1], arrays[2], per_model[0], per_model[1], per_model[2], counts);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

// ---- Shuffler --------------------------------------------------------------------------------
Shuffler::Shuffler(std::size_t n_samples, int n_models)
    : n_samples_(n_samples), n_models_(n_models) {
  RBM_EXPECTS(n_samples <= static_cast<std::size_t>(std::numeric_limits<int>::max()),
              "the CUDA backend shuffles at most 2^31-1 rows per dataset, got ", n_samples);
  const std::size_t total = n_samples * n_models;
  keys_.resize(total);
  sorted_keys_.resize(total);
  rows_.resize(total);
  std::size_t temp_bytes = 0;
  RBM_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, keys_.data(),
                                                 sorted_keys_.data(), rows_.data(), rows_.data(),
                                                 static_cast<int>(n_samples)));
  temp_.resize(std::max<std::size_t>(temp_bytes, 1));
}

void Shuffler::run(const std::uint64_t* seeds,
                   std::uint32_t epoch,
                   std::uint32_t* perm,
                   cudaStream_t stream) {
  const dim3 grid(ceil_div(n_samples_, kThreads), n_models_);
  shuffle_keys_kernel<<<grid, kThreads, 0, stream>>>(seeds, epoch, n_samples_, keys_.data(),
                                                     rows_.data());
  RBM_CUDA_CHECK_LAUNCH(stream);
  // One sort per model (M calls per epoch, negligible next to the epoch's steps).
  for (int m = 0; m < n_models_; ++m) {
    const std::size_t offset = static_cast<std::size_t>(m) * n_samples_;
    std::size_t temp_bytes = temp_.size();
    RBM_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(
        temp_.data(), temp_bytes, keys_.data() + offset, sorted_keys_.data() + offset,
        rows_.data() + offset, perm + offset, static_cast<int>(n_samples_), 0, 32, stream));
  }
}

}  // namespace rbm::cuda
