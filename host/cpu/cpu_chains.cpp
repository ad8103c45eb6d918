// host/cpu/cpu_chains.cpp — chains on the CPU (the chains contract of host/backend.hpp): sweeps
// at per-chain inverse temperatures, tempering swaps, annealing log-weights and free energies,
// for chain sets and for the tempering negative phase of training. Each model's chains run one
// model after the other; the parallelism is in the GEMMs (OpenBLAS) and in the per-element and
// per-chain loops (the pool).
#include <algorithm>
#include <cmath>

#include "host/check.hpp"
#include "host/common/chains.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/cpu_math.hpp"

namespace rbm::detail {
namespace cpu {

ChainLevel level_at(const ChainBlock& block, float beta) {
  const Model& model = *block.model;
  const int D = model.n_visible, L = model.n_hidden;
  ChainLevel level{beta, std::vector<float>(D), std::vector<float>(L)};
  for (int i = 0; i < D; ++i)
    level.visible[i] =
        chains::interpolated_bias(beta, block.base_visible[i], model.visible_bias[i]);
  for (int j = 0; j < L; ++j)
    level.hidden[j] = chains::interpolated_bias(beta, block.base_hidden[j], model.hidden_bias[j]);
  return level;
}

std::vector<ChainLevel> levels_at(const ChainBlock& block, const std::vector<float>& ladder) {
  std::vector<ChainLevel> levels;
  for (float beta : ladder) levels.push_back(level_at(block, beta));
  return levels;
}

double chain_free_energy(const ChainLevel& level,
                         UnitType hidden_type,
                         const float* x,
                         const float* g) {
  const int D = static_cast<int>(level.visible.size()), L = static_cast<int>(level.hidden.size());
  const double energy = visible_free_energy(level.visible.data(), x, D);
  if (units::is_one_hot(hidden_type)) {
    double total = chains::one_hot_start(hidden_type);
    for (int j = 0; j < L; ++j)
      total = log_add_exp(total, chains::field_at(level.beta, g[j], level.hidden[j]));
    return energy - total;
  }
  return energy + hidden_free_energy(hidden_type, level.beta, g, level.hidden.data(), L);
}

void hidden_products(const ChainBlock& block, ChainWorkspace& ws) {
  ws.g_h.resize(static_cast<std::size_t>(block.rows) * block.model->n_hidden);
  hidden_fields(*block.model, block.x, block.rows, ws.g_h.data());
}

namespace {

/// fields[c][k] ← field_at(β of row c, fields[c][k], level's bias k) for rows of n units.
void interpolate_rows(float* fields,
                      int rows,
                      int n,
                      const std::vector<ChainLevel>& levels,
                      bool visible,
                      ThreadPool& pool) {
  const int R = static_cast<int>(levels.size());
  pool.parallel_for(
      rows,
      [&](std::size_t b, std::size_t e) {
        for (std::size_t r = b; r < e; ++r) {
          const ChainLevel& level = levels[r % R];
          const float* bias = visible ? level.visible.data() : level.hidden.data();
          float* row = fields + r * n;
          for (int k = 0; k < n; ++k) row[k] = chains::field_at(level.beta, row[k], bias[k]);
        }
      },
      min_rows_per_thread(n));
}

}  // namespace

void sweep_from_products(const ChainBlock& block,
                         const std::vector<ChainLevel>& levels,
                         const float* u,
                         ChainWorkspace& ws,
                         ThreadPool& pool) {
  const Model& model = *block.model;
  const int C = block.rows, D = model.n_visible, L = model.n_hidden;
  const std::size_t CL = std::size_t(C) * L, CD = std::size_t(C) * D;
  ws.h.resize(CL);
  ws.g_v.resize(CD);
  ws.sampled.resize(CD);
  ws.zeros.assign(std::max(D, L), 0.0f);
  interpolate_rows(ws.g_h.data(), C, L, levels, false, pool);
  run_layer({model.hidden_type, C, L, ws.g_h.data(), ws.zeros.data(), u, ws.h.data()}, pool);
  visible_fields(model, ws.h.data(), C, ws.g_v.data());
  interpolate_rows(ws.g_v.data(), C, D, levels, true, pool);
  run_layer({model.visible_type, C, D, ws.g_v.data(), ws.zeros.data(), u + CL, ws.sampled.data()},
            pool);
  if (!block.clamped) {
    std::copy(ws.sampled.begin(), ws.sampled.begin() + CD, block.x);
  } else {
    for (std::size_t e = 0; e < CD; ++e)
      if (!block.clamped[e]) block.x[e] = ws.sampled[e];
  }
}

void swap_round(const ChainBlock& block,
                const std::vector<ChainLevel>& levels,
                std::uint64_t round,
                ChainWorkspace& ws,
                std::uint64_t* accepted,
                std::uint64_t* attempted) {
  const int R = static_cast<int>(levels.size()), C = block.rows;
  const int D = block.model->n_visible, L = block.model->n_hidden;
  const UnitType type = block.model->hidden_type;
  for (int c = 0; c + 1 < C; ++c) {
    if (!chains::opens_swap_pair(c, C, R, round)) continue;
    const int r = c % R;
    float *x0 = block.x + std::size_t(c) * D, *x1 = x0 + D;
    float *g0 = ws.g_h.data() + std::size_t(c) * L, *g1 = g0 + L;
    const ChainLevel &a = levels[r], &b = levels[r + 1];
    const bool swap =
        chains::accept_swap(chain_free_energy(a, type, x0, g0), chain_free_energy(b, type, x0, g0),
                            chain_free_energy(a, type, x1, g1), chain_free_energy(b, type, x1, g1),
                            random_uniform(block.seed, block.stream, 2, round * C + c));
    ++attempted[r];
    if (!swap) continue;
    ++accepted[r];
    std::swap_ranges(x0, x0 + D, x1);
    std::swap_ranges(g0, g0 + L, g1);
  }
}

}  // namespace cpu

namespace {

using namespace cpu;

struct CpuChains final : ChainState {
  ChainStart start;  ///< models, base biases, seeds, stream, clamping (visible moves out)
  int M = 0, C = 0, D = 0, L = 0;
  std::vector<float> visible;       ///< [M][C][D]
  std::vector<double> log_weights;  ///< [M][C]
  std::uint64_t sweeps = 0;         ///< t: sweeps (rounds) done, the same for every model
  int ladder_levels = 0;            ///< R of the swap counters
  std::vector<std::uint64_t> accepted, attempted;  ///< [M][R − 1]
  ChainWorkspace ws;
  std::vector<float> u;

  ChainBlock block(int m) {
    return {&start.models[m],
            start.base_visible_bias.data() + std::size_t(m) * D,
            start.base_hidden_bias.data() + std::size_t(m) * L,
            visible.data() + std::size_t(m) * C * D,
            C,
            start.clamped.empty() ? nullptr : start.clamped.data(),
            start.seeds[m],
            start.stream};
  }
};

CpuChains& as_chains(ChainState& state) {
  return static_cast<CpuChains&>(state);
}

/// The sweep uniforms of chain set sweep t: random_uniform(seed, stream, 0, t·C·(L+D) + i).
const float* sweep_uniforms(CpuChains& s, const ChainBlock& block, ThreadPool& pool) {
  const std::size_t count = std::size_t(s.C) * (s.L + s.D);
  s.u.resize(count);
  pool.parallel_for(
      count,
      [&](std::size_t b, std::size_t e) {
        fill_uniforms(block.seed, block.stream, 0, s.sweeps * count + b, e - b, s.u.data() + b);
      },
      kMinElementsPerThread);
  return s.u.data();
}

}  // namespace

std::unique_ptr<ChainState> CpuBackend::start_chains(const ChainStart& start) {
  auto s = std::make_unique<CpuChains>();
  s->M = static_cast<int>(start.models.size());
  s->C = start.n_chains;
  s->D = start.models.front().n_visible;
  s->L = start.models.front().n_hidden;
  s->start = start;
  s->visible = std::move(s->start.visible);
  if (start.data) {  // chain c starts at data row rows[c], the same for every model
    const CpuData& data = as_cpu(*start.data);
    s->visible.resize(std::size_t(s->M) * s->C * s->D);
    for (int m = 0; m < s->M; ++m)
      for (int c = 0; c < s->C; ++c)
        bits_to_units(start.models[m].visible_type, data.values.data() + start.rows[c] * s->D, s->D,
                      s->block(m).x + std::size_t(c) * s->D);
  }
  s->log_weights.assign(std::size_t(s->M) * s->C, 0.0);
  return s;
}

void CpuBackend::temper(ChainState& state, const std::vector<float>& ladder, int rounds) {
  CpuChains& s = as_chains(state);
  const int R = static_cast<int>(ladder.size());
  if (R != s.ladder_levels) {  // a new ladder: counts start over
    s.ladder_levels = R;
    s.accepted.assign(std::size_t(s.M) * std::max(R - 1, 0), 0);
    s.attempted = s.accepted;
  }
  const std::uint64_t first_sweep = s.sweeps;
  for (int m = 0; m < s.M; ++m) {
    const ChainBlock block = s.block(m);
    const std::vector<ChainLevel> levels = levels_at(block, ladder);
    s.sweeps = first_sweep;
    for (int t = 0; t < rounds; ++t, ++s.sweeps) {
      hidden_products(block, s.ws);
      if (R > 1)
        swap_round(block, levels, s.sweeps, s.ws, s.accepted.data() + std::size_t(m) * (R - 1),
                   s.attempted.data() + std::size_t(m) * (R - 1));
      sweep_from_products(block, levels, sweep_uniforms(s, block, pool_), s.ws, pool_);
    }
  }
  s.sweeps = first_sweep + rounds;
}

void CpuBackend::anneal(ChainState& state,
                        const std::vector<float>& ladder,
                        bool sweep_after_last) {
  CpuChains& s = as_chains(state);
  const int n = static_cast<int>(ladder.size()) - 1;
  const std::uint64_t first_sweep = s.sweeps;
  for (int m = 0; m < s.M; ++m) {
    const ChainBlock block = s.block(m);
    const UnitType type = block.model->hidden_type;
    s.sweeps = first_sweep;
    double* log_w = s.log_weights.data() + std::size_t(m) * s.C;
    for (int j = 1; j <= n; ++j) {
      hidden_products(block, s.ws);
      const ChainLevel from = level_at(block, ladder[j - 1]), to = level_at(block, ladder[j]);
      pool_.parallel_for(s.C, [&](std::size_t b, std::size_t e) {
        for (std::size_t c = b; c < e; ++c) {
          const float* x = block.x + c * s.D;
          const float* g = s.ws.g_h.data() + c * s.L;
          log_w[c] += chain_free_energy(from, type, x, g) - chain_free_energy(to, type, x, g);
        }
      });
      if (j == n && !sweep_after_last) break;
      sweep_from_products(block, {to}, sweep_uniforms(s, block, pool_), s.ws, pool_);
      ++s.sweeps;
    }
  }
}

ChainReadout CpuBackend::read_chains(ChainState& state) {
  const CpuChains& s = as_chains(state);
  return {s.visible, s.log_weights, s.accepted, s.attempted};
}

std::vector<double> CpuBackend::chain_free_energies(ChainState& state, float beta) {
  CpuChains& s = as_chains(state);
  std::vector<double> energies(std::size_t(s.M) * s.C);
  for (int m = 0; m < s.M; ++m) {
    const ChainBlock block = s.block(m);
    hidden_products(block, s.ws);
    const ChainLevel level = level_at(block, beta);
    pool_.parallel_for(s.C, [&](std::size_t b, std::size_t e) {
      for (std::size_t c = b; c < e; ++c)
        energies[std::size_t(m) * s.C + c] = chain_free_energy(
            level, block.model->hidden_type, block.x + c * s.D, s.ws.g_h.data() + c * s.L);
    });
  }
  return energies;
}

}  // namespace rbm::detail
