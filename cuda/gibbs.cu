// cuda/gibbs.cu — fused block-Gibbs kernels (see gibbs.cuh for what each computes).
//
// Why fused: between two GEMMs a training step needs bias-add, the unit function, sampling and
// (at t = 1) the reconstruction error of the same elements; one kernel reads the GEMM output
// once and writes means and samples once. Uniforms are computed in the kernel from
// (seed, index) with host/common/philox.hpp — one Philox block gives four consecutive indices,
// so each thread handles the four elements whose uniforms share a block — and are therefore
// exactly the CPU backend's, whatever the launch geometry.
//
// Arithmetic is the CPU backend's: the unit functions, optimizer updates and rounding helpers
// are the shared host/device headers; column sums run in double (exact for 0/1 and ±1 columns,
// in any order) with each mean rounded to float. For equal GEMM outputs the backends agree to
// the last bit or nearly so (expf may differ by an ulp).
#include <algorithm>
#include <cub/device/device_radix_sort.cuh>
#include <limits>

#include "cuda/check.cuh"
#include "cuda/gibbs.cuh"
#include "host/common/units.hpp"

namespace rbm::cuda {
namespace {

using detail::Philox4;
using detail::random_block;
using detail::random_uniform;
using detail::RandomStream;
using detail::StepScalars;
using detail::uniform_from_bits;
namespace units = detail::units;

constexpr int kThreads = 256;
constexpr unsigned kMaxGridY = 65535;

unsigned ceil_div(std::size_t n, std::size_t d) {
  return static_cast<unsigned>((n + d - 1) / d);
}

/// A grid of `blocks` × n_models (blockIdx.y = model), refusing what CUDA cannot launch.
dim3 model_grid(unsigned blocks, int n_models) {
  RBM_EXPECTS(n_models >= 1 && static_cast<unsigned>(n_models) <= kMaxGridY,
              "the CUDA backend runs at most ", kMaxGridY, " models in one call, got ", n_models);
  return dim3(blocks, static_cast<unsigned>(n_models));
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

/// First uniform index of a layer for model m (Philox), see Uniforms.
__device__ std::uint64_t first_uniform(const Uniforms& u) {
  return u.base + (u.cursor ? u.cursor->offset : 0ull);
}

// ---- gather ----------------------------------------------------------------------------------
__global__ void gather_rows_kernel(const std::uint8_t* __restrict__ data,
                                   int n_visible,
                                   UnitType type,
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
  out[m * per_model + e] = units::from_bit(type, data[row * n_visible + i]);
}

// ---- layers: bias + unit function + sampling (+ reconstruction partials) ---------------------
__global__ void __launch_bounds__(kThreads) layer_kernel(const LayerArgs a) {
  const int m = blockIdx.y;
  const std::size_t n = static_cast<std::size_t>(a.rows) * a.cols;
  const std::size_t model_offset = m * n;
  const Uniforms& u = a.uniforms;
  const bool philox = a.samples && !u.values;
  // Thread g takes the elements whose uniform indices lie in Philox block (first / 4) + g,
  // i.e. elements 4g − head .. 4g − head + 3.
  const std::uint64_t first = philox ? first_uniform(u) : 0;
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
      const float p = units::on_probability(a.type, a.field[at] + a.bias[m * a.bias_stride + col]);
      const float mean = a.probabilities ? p : units::mean_from_probability(a.type, p);
      a.field[at] = mean;
      if (a.samples) {
        const float uniform =
            philox ? uniform_from_bits(bits.v[lane]) : u.values[m * u.values_stride + u.base + e];
        a.samples[at] = units::sample(a.type, p, uniform);
      }
      if (a.target) {
        const double d = static_cast<double>(a.target[at]) - mean;
        squares += d * d;
      }
      col = col + 1 == a.cols ? 0 : col + 1;
    }
  }
  if (a.target) {
    const double total = block_sum(squares);
    if (threadIdx.x == 0)
      a.recon_partials[static_cast<std::size_t>(m) * gridDim.x + blockIdx.x] = total;
  }
}

/// One thread per row of a one-hot layer: units::one_hot_row, with the row's first uniform.
__global__ void one_hot_kernel(const LayerArgs a) {
  const int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= a.rows) return;
  const int m = blockIdx.y;
  const std::size_t at = (static_cast<std::size_t>(m) * a.rows + r) * a.cols;
  const Uniforms& u = a.uniforms;
  float uniform = 0.0f;
  if (a.samples) {
    const std::size_t slot = static_cast<std::size_t>(r) * a.cols;
    uniform = u.values ? u.values[m * u.values_stride + u.base + slot]
                       : random_uniform(u.seeds[m], u.stream, u.substream, first_uniform(u) + slot);
  }
  units::one_hot_row(a.field + at, a.bias + m * a.bias_stride, a.cols,
                     a.type == UnitType::potts_off, uniform, a.samples ? a.samples + at : nullptr);
}

unsigned layer_blocks(int rows, int cols) {
  // One group of four per thread, plus one group for a misaligned head (first % 4 != 0).
  const std::size_t groups = (static_cast<std::size_t>(rows) * cols + 3) / 4 + 1;
  return ceil_div(groups, kThreads);
}

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
  const int D = a.n_visible, L = a.n_hidden, B = a.batch_rows, R = a.chain_rows;
  const int lane = threadIdx.x % kColumnsPerBlock, slice = threadIdx.x / kColumnsPerBlock;
  const int col = static_cast<int>(blockIdx.x) * kColumnsPerBlock + lane;
  const bool visible = col < D;
  const int width = visible ? D : L, j = visible ? col : col - D;
  const float* positive_rows =
      visible ? a.v0 + m * std::size_t(B) * D : a.m0 + m * std::size_t(B) * L;
  const float* negative_rows =
      visible ? a.x + m * std::size_t(R) * D : a.mh + m * std::size_t(R) * L;
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
  const StepHyper& h = a.hyper[m];
  if (visible) {
    a.grad_b[static_cast<std::size_t>(m) * D + j] = gradient;
    if (a.visible_means) a.visible_means[static_cast<std::size_t>(m) * D + j] = positive_mean;
    return;
  }
  const std::size_t at = static_cast<std::size_t>(m) * L + j;
  a.grad_c[at] = gradient;
  if (a.hidden_means) a.hidden_means[at] = positive_mean;
  if (a.sparsity) {
    const float q = a.cursor->steps == 0
                        ? positive_mean
                        : detail::moving_average(a.sparsity_q[at], positive_mean,
                                                 detail::sub_rn(1.0f, h.sparsity_decay));
    a.sparsity_q[at] = q;
    a.pull[at] = detail::sparsity_pull(h, q);
  }
}

__global__ void center_weights_kernel(const UpdateArgs a) {
  const int m = blockIdx.y;
  const int D = a.n_visible, L = a.n_hidden;
  const std::size_t n = static_cast<std::size_t>(D) * L;
  const std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= n) return;
  const std::size_t i = e / L, j = e % L;
  float& g = a.grad_w[m * n + e];
  g = detail::centered_weight_gradient(
      g, a.visible_offsets[m * std::size_t(D) + i], a.hidden_offsets[m * std::size_t(L) + j],
      a.grad_b[m * std::size_t(D) + i], a.grad_c[m * std::size_t(L) + j]);
}

/// The optimizer slots of parameter `index` of model m (null beyond the optimizer's slots).
struct Slots {
  float* s[2];
};
__device__ Slots slots_of(const UpdateArgs& a, int m, std::size_t index, std::size_t per_model) {
  Slots out{{nullptr, nullptr}};
  for (int k = 0; k < a.slots; ++k)
    out.s[k] = a.state + (static_cast<std::size_t>(k) * gridDim.y + m) * per_model + index;
  return out;
}

__device__ void step(const UpdateArgs& a,
                     const StepHyper& h,
                     const StepScalars& scalars,
                     float g,
                     float& theta,
                     Slots slots) {
  float unused0 = 0, unused1 = 0;
  detail::optimizer_step(a.optimizer, h, scalars, g, theta, slots.s[0] ? *slots.s[0] : unused0,
                         slots.s[1] ? *slots.s[1] : unused1);
}

__global__ void __launch_bounds__(kThreads) update_kernel(const UpdateArgs a, unsigned w_blocks) {
  const int m = blockIdx.y;
  const std::size_t D = a.n_visible, L = a.n_hidden, DL = D * L, P = DL + D + L;
  const StepHyper h = a.hyper[m];
  __shared__ StepScalars scalars;
  if (threadIdx.x == 0) scalars = detail::step_scalars(a.optimizer, h, a.cursor->steps + 1);
  __syncthreads();
  if (blockIdx.x < w_blocks) {  // W: elementwise
    for (std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < DL;
         e += static_cast<std::size_t>(w_blocks) * blockDim.x) {
      float sparsity = 0.0f;
      if (a.sparsity)
        sparsity = detail::mul_rn(a.pull[m * L + e % L], a.visible_means[m * D + e / L]);
      float theta = a.weights[m * DL + e];
      const float g = detail::weight_gradient(h, a.grad_w[m * DL + e], theta, sparsity);
      step(a, h, scalars, g, theta, slots_of(a, m, e, P));
      a.weights[m * DL + e] = theta;
    }
    return;
  }
  // Biases, one element per thread: b (k < D), then c.
  const std::size_t k = static_cast<std::size_t>(blockIdx.x - w_blocks) * blockDim.x + threadIdx.x;
  if (k == 0) {
    if (a.recon_sum) {
      double sum = 0;
      for (int p = 0; p < a.recon_count; ++p)
        sum += a.recon_partials[static_cast<std::size_t>(m) * a.recon_count + p];
      a.recon_sum[m] += sum / (static_cast<double>(a.batch_rows) * a.n_visible);
    }
  }
  if (k >= D + L) return;
  if (k < D) {
    float g = a.grad_b[m * D + k];
    if (a.centering) g = detail::sub_rn(g, a.correction_b[m * D + k]);
    step(a, h, scalars, g, a.visible_bias[m * D + k], slots_of(a, m, DL + k, P));
    if (a.centering)
      a.visible_offsets[m * D + k] = detail::moving_average(
          a.visible_offsets[m * D + k], a.visible_means[m * D + k], h.centering_rate);
    return;
  }
  const std::size_t j = k - D;
  float g = a.grad_c[m * L + j];
  if (a.centering) g = detail::sub_rn(g, a.correction_c[m * L + j]);
  if (a.sparsity) g = detail::sub_rn(g, a.pull[m * L + j]);
  step(a, h, scalars, g, a.hidden_bias[m * L + j], slots_of(a, m, DL + D + j, P));
  if (a.centering)
    a.hidden_offsets[m * L + j] = detail::moving_average(
        a.hidden_offsets[m * L + j], a.hidden_means[m * L + j], h.centering_rate);
}

/// Advances the cursor after the update (a separate launch: the update's blocks read it).
__global__ void advance_step_kernel(StepCursor* cursor, std::uint64_t step_uniforms) {
  cursor->offset += step_uniforms;
  cursor->steps += 1;
  cursor->batch += 1;
}

// ---- chain starts, sample storage, counters, checks ------------------------------------------
__global__ void init_chains_kernel(const float* bias,
                                   UnitType type,
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
  const float p =
      bias ? units::on_probability(type, bias[static_cast<std::size_t>(m) * cols + e % cols])
           : 0.5f;
  x[m * n + e] = units::sample(type, p, random_uniform(seeds[m], stream, substream, e));
}

__global__ void store_samples_kernel(
    const float* x, int chains, int cols, int samples_per_chain, int sample, std::uint8_t* out) {
  const std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= static_cast<std::size_t>(chains) * cols) return;
  const std::size_t c = e / cols, i = e % cols;
  out[(c * samples_per_chain + sample) * cols + i] = x[e] > 0.0f ? 1 : 0;
}

__global__ void advance_kernel(StepCursor* cursor, std::uint64_t per_sweep) {
  cursor->offset += per_sweep;
}

__global__ void count_unhealthy_kernel(const float* a0,
                                       const float* a1,
                                       const float* a2,
                                       std::size_t n0,
                                       std::size_t n1,
                                       std::size_t n2,
                                       float bound,
                                       unsigned int* counts) {
  const int m = blockIdx.y;
  unsigned int bad = 0;
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  const std::size_t start = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  // !(|x| <= bound) also counts NaN.
  for (std::size_t e = start; e < n0; e += stride) bad += !(fabsf(a0[m * n0 + e]) <= bound);
  for (std::size_t e = start; e < n1; e += stride) bad += !(fabsf(a1[m * n1 + e]) <= bound);
  for (std::size_t e = start; e < n2; e += stride) bad += !(fabsf(a2[m * n2 + e]) <= bound);
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
                        UnitType type,
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
  gather_rows_kernel<<<model_grid(ceil_div(n, kThreads), n_models), kThreads, 0, stream>>>(
      data, n_visible, type, perm, n_samples, cursor, first_row, rows, out);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

int recon_partial_count(int rows, int cols) {
  return static_cast<int>(layer_blocks(rows, cols));
}

void launch_layer(const LayerArgs& args, int n_models, cudaStream_t stream) {
  if (args.rows == 0 || args.cols == 0 || n_models == 0) return;
  if (units::is_one_hot(args.type)) {
    RBM_EXPECTS(args.target == nullptr, "one-hot layers are never reconstruction targets");
    one_hot_kernel<<<model_grid(ceil_div(args.rows, kThreads), n_models), kThreads, 0, stream>>>(
        args);
  } else {
    layer_kernel<<<model_grid(layer_blocks(args.rows, args.cols), n_models), kThreads, 0, stream>>>(
        args);
  }
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_statistics(const UpdateArgs& args, int n_models, cudaStream_t stream) {
  if (n_models == 0) return;
  const unsigned blocks =
      ceil_div(static_cast<std::size_t>(args.n_visible) + args.n_hidden, kColumnsPerBlock);
  statistics_kernel<<<model_grid(blocks, n_models), kThreads, 0, stream>>>(args);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_center_weights(const UpdateArgs& args, int n_models, cudaStream_t stream) {
  const std::size_t n = static_cast<std::size_t>(args.n_visible) * args.n_hidden;
  if (n == 0 || n_models == 0) return;
  center_weights_kernel<<<model_grid(ceil_div(n, kThreads), n_models), kThreads, 0, stream>>>(args);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_update(const UpdateArgs& args, int n_models, cudaStream_t stream) {
  if (n_models == 0) return;
  const std::size_t weights = static_cast<std::size_t>(args.n_visible) * args.n_hidden;
  // Four weights per thread keeps the grid small for M models.
  const unsigned w_blocks = std::max(1u, ceil_div(weights, 4 * kThreads));
  const unsigned bias_blocks =
      ceil_div(static_cast<std::size_t>(args.n_visible) + args.n_hidden, kThreads);
  update_kernel<<<model_grid(w_blocks + bias_blocks, n_models), kThreads, 0, stream>>>(args,
                                                                                       w_blocks);
  RBM_CUDA_CHECK_LAUNCH(stream);
  advance_step_kernel<<<1, 1, 0, stream>>>(args.cursor, args.step_uniforms);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_init_chains(const float* bias,
                        UnitType type,
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
  init_chains_kernel<<<model_grid(ceil_div(n, kThreads), n_models), kThreads, 0, stream>>>(
      bias, type, seeds, stream_id, substream, rows, cols, x);
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

void launch_advance(StepCursor* cursor, std::uint64_t per_sweep, cudaStream_t stream) {
  advance_kernel<<<1, 1, 0, stream>>>(cursor, per_sweep);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_count_unhealthy(const float* const arrays[3],
                            const std::size_t per_model[3],
                            float bound,
                            int n_models,
                            unsigned int* counts,
                            cudaStream_t stream) {
  const std::size_t largest = std::max({per_model[0], per_model[1], per_model[2]});
  if (largest == 0 || n_models == 0) return;
  count_unhealthy_kernel<<<model_grid(std::min(ceil_div(largest, kThreads), 1024u), n_models),
                           kThreads, 0, stream>>>(arrays[0], arrays[1], arrays[2], per_model[0],
                                                  per_model[1], per_model[2], bound, counts);
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
  shuffle_keys_kernel<<<model_grid(ceil_div(n_samples_, kThreads), n_models_), kThreads, 0,
                        stream>>>(seeds, epoch, n_samples_, keys_.data(), rows_.data());
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
