// cuda/chains.cu — chain sets on the device (the chains contract of host/backend.hpp): sweeps at
// per-chain inverse temperatures, tempering swaps, annealing log-weights and free energies, for
// M models at once (blockIdx.y = model). The per-element arithmetic is host/common/chains.hpp and
// units.hpp, the CPU backend's own; the GEMMs are cuBLAS (cuda/context.cuh). Free energies are
// summed in double by block reductions, so they agree with the CPU's to rounding, not bit for
// bit.
#include "cuda/chains.cuh"
#include "cuda/check.cuh"
#include "cuda/context.cuh"
#include "cuda/launch.cuh"
#include "cuda/operations.cuh"
#include "host/common/chains.hpp"

namespace rbm::cuda {
namespace {

using detail::Philox4;
using detail::random_block;
using detail::random_uniform;
using detail::RandomStream;
using detail::uniform_from_bits;
namespace units = detail::units;
namespace chains = detail::chains;

// ---- layers: interpolated fields, unit function, sampling ------------------------------------
/// The first uniform index of a launch: `base` plus, in training, the step cursor's offset.
__device__ std::uint64_t first_uniform(const ChainArgs& a, std::uint64_t base) {
  return base + (a.cursor ? a.cursor->offset : 0ull);
}

/// Elementwise units of one layer ([M][C][n] fields g): samples into out (visible: clamped units
/// keep x). Thread k takes the four elements whose uniforms share Philox block (first / 4) + k.
__global__ void __launch_bounds__(kThreads)
    chain_layer_kernel(const ChainArgs a, BetaOf beta_of, bool visible, std::uint64_t base_index) {
  const std::uint64_t first = first_uniform(a, base_index);
  const int m = blockIdx.y, n = visible ? a.D : a.L;
  const UnitType type = visible ? a.visible_type : a.hidden_type;
  const float* base = (visible ? a.base_b : a.base_c) + static_cast<std::size_t>(m) * n;
  const float* bias = (visible ? a.b : a.c) + static_cast<std::size_t>(m) * n;
  const std::size_t count = static_cast<std::size_t>(a.C) * n, offset = m * count;
  const float* g = (visible ? a.g_v : a.g_h) + offset;
  float* out = (visible ? a.x : a.h) + offset;
  const long long head = static_cast<long long>(first & 3);
  const std::size_t k = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const long long e0 = 4 * static_cast<long long>(k) - head;
  if (e0 >= static_cast<long long>(count) || e0 + 4 <= 0) return;
  const Philox4 bits = random_block(a.seeds[m], a.stream, 0, (first >> 2) + k);
  for (int lane = 0; lane < 4; ++lane) {
    const long long e = e0 + lane;
    if (e < 0 || e >= static_cast<long long>(count)) continue;
    const int chain = static_cast<int>(e / n), col = static_cast<int>(e % n);
    if (visible && a.clamped && a.clamped[e]) continue;
    const float field = chains::interpolated_field(beta_of(chain), g[e], base[col], bias[col]);
    out[e] =
        units::sample(type, units::on_probability(type, field), uniform_from_bits(bits.v[lane]));
  }
}

/// One thread per one-hot hidden row: fields interpolated in place, then units::one_hot_row.
__global__ void chain_one_hot_kernel(const ChainArgs a, BetaOf beta_of, std::uint64_t base_index) {
  const std::uint64_t first = first_uniform(a, base_index);
  const int chain = blockIdx.x * blockDim.x + threadIdx.x;
  if (chain >= a.C) return;
  const int m = blockIdx.y, L = a.L;
  const std::size_t at = (static_cast<std::size_t>(m) * a.C + chain) * L;
  const float *base = a.base_c + static_cast<std::size_t>(m) * L, *bias = a.c + m * L;
  const float beta = beta_of(chain);
  for (int j = 0; j < L; ++j)
    a.g_h[at + j] = chains::interpolated_field(beta, a.g_h[at + j], base[j], bias[j]);
  const float u =
      random_uniform(a.seeds[m], a.stream, 0, first + static_cast<std::size_t>(chain) * L);
  units::one_hot_row(a.g_h + at, a.zeros, L, a.hidden_type == UnitType::potts_off, u, a.h + at);
}

// ---- free energies ---------------------------------------------------------------------------
/// log Σ e^{value} over the block (−inf is the identity); valid in thread 0.
__device__ double block_log_add_exp(double value) {
  __shared__ double warp_totals[kThreads / 32];
  for (int delta = 16; delta > 0; delta /= 2)
    value = detail::log_add_exp(value, __shfl_down_sync(0xffffffffu, value, delta));
  if (threadIdx.x % 32 == 0) warp_totals[threadIdx.x / 32] = value;
  __syncthreads();
  double total = -INFINITY;
  if (threadIdx.x == 0)
    for (int w = 0; w < kThreads / 32; ++w) total = detail::log_add_exp(total, warp_totals[w]);
  __syncthreads();
  return total;
}

/// F_β of chain `chain` of model m from x and g_h (block-wide; valid in thread 0).
__device__ double chain_free_energy(const ChainArgs& a, int m, int chain, float beta) {
  const std::size_t row = static_cast<std::size_t>(m) * a.C + chain;
  const float *x = a.x + row * a.D, *g = a.g_h + row * a.L;
  const float *b = a.b + static_cast<std::size_t>(m) * a.D, *base_b = a.base_b + m * a.D;
  const float *c = a.c + static_cast<std::size_t>(m) * a.L, *base_c = a.base_c + m * a.L;
  double visible = 0;
  for (int i = threadIdx.x; i < a.D; i += blockDim.x)
    visible += chains::visible_term(chains::interpolated_bias(beta, base_b[i], b[i]), x[i]);
  double energy = block_sum(visible);
  if (units::is_one_hot(a.hidden_type)) {
    double total = -INFINITY;
    for (int j = threadIdx.x; j < a.L; j += blockDim.x)
      total = detail::log_add_exp(total, chains::interpolated_field(beta, g[j], base_c[j], c[j]));
    total = block_log_add_exp(total);
    return energy - detail::log_add_exp(total, chains::one_hot_start(a.hidden_type));
  }
  double hidden = 0;
  for (int j = threadIdx.x; j < a.L; j += blockDim.x)
    hidden +=
        chains::hidden_term(a.hidden_type, chains::interpolated_field(beta, g[j], base_c[j], c[j]));
  return energy + block_sum(hidden);
}

/// One block per (chain, model): out[m][c] = F_β(x_c).
__global__ void __launch_bounds__(kThreads)
    free_energy_kernel(const ChainArgs a, BetaOf beta_of, double* out) {
  const int chain = blockIdx.x, m = blockIdx.y;
  const double f = chain_free_energy(a, m, chain, beta_of(chain));
  if (threadIdx.x == 0) out[static_cast<std::size_t>(m) * a.C + chain] = f;
}

/// One block per (chain, model): log_w[m][c] += F_from(x_c) − F_to(x_c).
__global__ void __launch_bounds__(kThreads)
    anneal_kernel(const ChainArgs a, float from, float to, double* log_w) {
  const int chain = blockIdx.x, m = blockIdx.y;
  const double f_from = chain_free_energy(a, m, chain, from);
  const double f_to = chain_free_energy(a, m, chain, to);
  if (threadIdx.x == 0) log_w[static_cast<std::size_t>(m) * a.C + chain] += f_from - f_to;
}

// ---- tempering swaps -------------------------------------------------------------------------
/// One block per (chain c, model) that opens a swap pair this round: F at both levels of both
/// chains, the Metropolis decision, and the exchange of the rows of x and g_h.
__global__ void __launch_bounds__(kThreads) swap_kernel(const ChainArgs a,
                                                        const float* ladder,
                                                        int levels,
                                                        unsigned long long base_round,
                                                        unsigned long long* accepted,
                                                        unsigned long long* attempted) {
  const unsigned long long round = base_round + (a.cursor ? a.cursor->offset / a.per_round : 0ull);
  const int chain = blockIdx.x, m = blockIdx.y;
  if (!chains::opens_swap_pair(chain, a.C, levels, round)) return;
  const int r = chain % levels;
  const float lo = ladder[r], hi = ladder[r + 1];
  const double fa_x = chain_free_energy(a, m, chain, lo);
  const double fb_x = chain_free_energy(a, m, chain, hi);
  const double fa_y = chain_free_energy(a, m, chain + 1, lo);
  const double fb_y = chain_free_energy(a, m, chain + 1, hi);
  __shared__ bool swap;
  if (threadIdx.x == 0) {
    const float u = random_uniform(a.seeds[m], a.swap_stream, 2, round * a.C + chain);
    swap = chains::accept_swap(fa_x, fb_x, fa_y, fb_y, u);
    const std::size_t pair = static_cast<std::size_t>(m) * (levels - 1) + r;
    if (attempted) atomicAdd(attempted + pair, 1ull);
    if (swap && accepted) atomicAdd(accepted + pair, 1ull);
  }
  __syncthreads();
  if (!swap) return;
  const std::size_t row = static_cast<std::size_t>(m) * a.C + chain;
  for (int i = threadIdx.x; i < a.D; i += blockDim.x) {
    const float t = a.x[row * a.D + i];
    a.x[row * a.D + i] = a.x[(row + 1) * a.D + i];
    a.x[(row + 1) * a.D + i] = t;
  }
  for (int j = threadIdx.x; j < a.L; j += blockDim.x) {
    const float t = a.g_h[row * a.L + j];
    a.g_h[row * a.L + j] = a.g_h[(row + 1) * a.L + j];
    a.g_h[(row + 1) * a.L + j] = t;
  }
}

/// x[m][c][i] = data row rows[c] as unit values.
__global__ void gather_start_kernel(
    const std::uint8_t* data, const std::uint64_t* rows, int C, int D, UnitType type, float* x) {
  const std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t per_model = static_cast<std::size_t>(C) * D;
  if (e >= per_model) return;
  x[blockIdx.y * per_model + e] = units::from_bit(type, data[rows[e / D] * D + e % D]);
}

// ---- the chain set ---------------------------------------------------------------------------
struct CudaChains final : detail::ChainState {
  ChainArgs args;
  DeviceModels params;
  DeviceBuffer<float> base_b, base_c, zeros, x, g_h, h, g_v, ladder;
  DeviceBuffer<std::uint64_t> seeds;
  DeviceBuffer<std::uint8_t> clamped;
  DeviceBuffer<double> log_w, energies;
  DeviceBuffer<unsigned long long> accepted, attempted;
  std::uint64_t sweeps = 0;
  int ladder_levels = 0;
};

CudaChains& as_chains(detail::ChainState& state) {
  return static_cast<CudaChains&>(state);
}

dim3 grid(unsigned blocks, int n_models) {
  RBM_EXPECTS(n_models >= 1 && n_models <= 65535, "the CUDA backend runs at most 65535 models ",
              "in one call, got ", n_models);
  RBM_EXPECTS(blocks >= 1 && blocks <= 0x7fffffffu, "a chain set of ", blocks,
              " blocks per model is too large for one launch");
  return dim3(blocks, static_cast<unsigned>(n_models));
}

void hidden_products(Context& ctx, CudaChains& s) {
  const ChainArgs& a = s.args;
  gemm_xw(ctx, a.C, a.L, a.D, a.x, a.w, a.g_h,
          {static_cast<long long>(a.C) * a.D, static_cast<long long>(a.D) * a.L,
           static_cast<long long>(a.C) * a.L},
          a.M);
}

/// The sweep from g_h (hidden_products): h from the hidden fields, v from h·Wᵀ.
void sweep_from_products(Context& ctx, CudaChains& s, BetaOf beta_of) {
  const ChainArgs& a = s.args;
  const std::size_t CL = std::size_t(a.C) * a.L, CD = std::size_t(a.C) * a.D;
  const std::uint64_t first = s.sweeps * (CL + CD);
  launch_chain_layer(a, beta_of, false, first, ctx.stream());
  gemm_xwt(
      ctx, a.C, a.D, a.L, a.h, a.w, a.g_v,
      {static_cast<long long>(CL), static_cast<long long>(a.D) * a.L, static_cast<long long>(CD)},
      a.M);
  launch_chain_layer(a, beta_of, true, first + CL, ctx.stream());
  ++s.sweeps;
}

}  // namespace

void launch_chain_layer(
    const ChainArgs& a, BetaOf beta_of, bool visible, std::uint64_t first, cudaStream_t stream) {
  if (!visible && units::is_one_hot(a.hidden_type)) {
    chain_one_hot_kernel<<<grid(ceil_div(a.C, kThreads), a.M), kThreads, 0, stream>>>(a, beta_of,
                                                                                      first);
  } else {
    const std::size_t count = std::size_t(a.C) * (visible ? a.D : a.L);
    chain_layer_kernel<<<grid(ceil_div(count + 3, 4 * kThreads), a.M), kThreads, 0, stream>>>(
        a, beta_of, visible, first);
  }
  RBM_CUDA_CHECK_LAUNCH(stream);
}

void launch_swaps(const ChainArgs& a,
                  const float* ladder,
                  int levels,
                  std::uint64_t round,
                  unsigned long long* accepted,
                  unsigned long long* attempted,
                  cudaStream_t stream) {
  swap_kernel<<<grid(a.C, a.M), kThreads, 0, stream>>>(a, ladder, levels, round, accepted,
                                                       attempted);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

std::unique_ptr<detail::ChainState> start_chains(Context& ctx, const detail::ChainStart& start) {
  cudaStream_t stream = ctx.stream();
  auto s = std::make_unique<CudaChains>();
  const Model& first = start.models.front();
  ChainArgs& a = s->args;
  a.M = static_cast<int>(start.models.size());
  a.C = start.n_chains;
  a.D = first.n_visible;
  a.L = first.n_hidden;
  a.visible_type = first.visible_type;
  a.hidden_type = first.hidden_type;
  a.stream = a.swap_stream = start.stream;
  std::vector<const Model*> models;
  for (const Model& model : start.models) models.push_back(&model);
  s->params = DeviceModels(models, stream);
  const std::size_t MCD = std::size_t(a.M) * a.C * a.D, MCL = std::size_t(a.M) * a.C * a.L;
  s->base_b.copy_from_host(start.base_visible_bias, stream);
  s->base_c.copy_from_host(start.base_hidden_bias, stream);
  s->zeros.copy_from_host(std::vector<float>(a.L, 0.0f), stream);
  s->seeds.copy_from_host(start.seeds, stream);
  s->clamped.copy_from_host(start.clamped, stream);
  s->x.resize(MCD);
  s->g_v.resize(MCD);
  s->g_h.resize(MCL);
  s->h.resize(MCL);
  s->log_w.copy_from_host(std::vector<double>(std::size_t(a.M) * a.C, 0.0), stream);
  s->energies.resize(std::size_t(a.M) * a.C);
  a.w = s->params.w.data();
  a.b = s->params.b.data();
  a.c = s->params.c.data();
  a.base_b = s->base_b.data();
  a.base_c = s->base_c.data();
  a.zeros = s->zeros.data();
  a.seeds = s->seeds.data();
  a.x = s->x.data();
  a.g_h = s->g_h.data();
  a.h = s->h.data();
  a.g_v = s->g_v.data();
  a.clamped = start.clamped.empty() ? nullptr : s->clamped.data();
  if (start.data) {  // chain c of every model starts at resident row rows[c]
    const auto* data = dynamic_cast<const CudaData*>(start.data);
    RBM_EXPECTS(data != nullptr, "dataset was uploaded to another backend, not CUDA");
    DeviceBuffer<std::uint64_t> rows;
    rows.copy_from_host(std::vector<std::uint64_t>(start.rows.begin(), start.rows.end()), stream);
    gather_start_kernel<<<grid(ceil_div(std::size_t(a.C) * a.D, kThreads), a.M), kThreads, 0,
                          stream>>>(data->values.data(), rows.data(), a.C, a.D, a.visible_type,
                                    a.x);
    RBM_CUDA_CHECK_LAUNCH(stream);
    ctx.synchronize("start_chains");  // before `rows` is freed
  } else {
    s->x.copy_from_host(start.visible, stream);
  }
  return s;
}

void temper(Context& ctx, detail::ChainState& state, const std::vector<float>& ladder, int rounds) {
  CudaChains& s = as_chains(state);
  const ChainArgs& a = s.args;
  cudaStream_t stream = ctx.stream();
  const int R = static_cast<int>(ladder.size());
  if (R != s.ladder_levels) {  // a new ladder: the swap counts start over
    s.ladder_levels = R;
    const std::vector<unsigned long long> zero(std::size_t(a.M) * std::max(R - 1, 0), 0);
    s.accepted.copy_from_host(zero, stream);
    s.attempted.copy_from_host(zero, stream);
  }
  s.ladder.copy_from_host(ladder, stream);
  const BetaOf beta_of{s.ladder.data(), R, 1.0f};
  for (int t = 0; t < rounds; ++t) {
    hidden_products(ctx, s);
    if (R > 1)
      launch_swaps(a, s.ladder.data(), R, s.sweeps, s.accepted.data(), s.attempted.data(), stream);
    sweep_from_products(ctx, s, beta_of);
  }
  ctx.synchronize("temper");  // before the ladder buffer can be replaced
}

void anneal(Context& ctx,
            detail::ChainState& state,
            const std::vector<float>& ladder,
            bool sweep_after_last) {
  CudaChains& s = as_chains(state);
  const ChainArgs& a = s.args;
  cudaStream_t stream = ctx.stream();
  const int n = static_cast<int>(ladder.size()) - 1;
  for (int j = 1; j <= n; ++j) {
    hidden_products(ctx, s);
    anneal_kernel<<<grid(a.C, a.M), kThreads, 0, stream>>>(a, ladder[j - 1], ladder[j],
                                                           s.log_w.data());
    RBM_CUDA_CHECK_LAUNCH(stream);
    if (j == n && !sweep_after_last) break;
    sweep_from_products(ctx, s, BetaOf{nullptr, 1, ladder[j]});
  }
  ctx.synchronize("anneal");
}

detail::ChainReadout read_chains(Context& ctx, detail::ChainState& state) {
  CudaChains& s = as_chains(state);
  cudaStream_t stream = ctx.stream();
  detail::ChainReadout out;
  out.visible.resize(s.x.size());
  out.log_weights.resize(s.log_w.size());
  std::vector<unsigned long long> accepted(s.accepted.size()), attempted(s.attempted.size());
  s.x.copy_to_host(out.visible.data(), stream);
  s.log_w.copy_to_host(out.log_weights.data(), stream);
  s.accepted.copy_to_host(accepted.data(), stream);
  s.attempted.copy_to_host(attempted.data(), stream);
  ctx.synchronize("read_chains");
  out.swaps_accepted.assign(accepted.begin(), accepted.end());
  out.swaps_attempted.assign(attempted.begin(), attempted.end());
  return out;
}

std::vector<double> chain_free_energies(Context& ctx, detail::ChainState& state, float beta) {
  CudaChains& s = as_chains(state);
  const ChainArgs& a = s.args;
  cudaStream_t stream = ctx.stream();
  hidden_products(ctx, s);
  free_energy_kernel<<<grid(a.C, a.M), kThreads, 0, stream>>>(a, BetaOf{nullptr, 1, beta},
                                                              s.energies.data());
  RBM_CUDA_CHECK_LAUNCH(stream);
  std::vector<double> out(s.energies.size());
  s.energies.copy_to_host(out.data(), stream);
  ctx.synchronize("chain_free_energies");
  return out;
}

}  // namespace rbm::cuda
