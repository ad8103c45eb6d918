// host/cpu/cpu_chains.cpp — chain sets on the CPU: sweeps at per-chain inverse temperatures,
// tempering swaps, annealing log-weights and free energies (the chains contract of
// host/backend.hpp). Each model's chains run one model after the other; the parallelism is in
// the GEMMs (OpenBLAS) and in the per-element and per-chain loops (the pool).
#include <algorithm>
#include <cmath>

#include "host/check.hpp"
#include "host/common/chains.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/cpu_math.hpp"

namespace rbm::detail {
namespace {

using namespace cpu;

struct CpuChains final : ChainState {
  ChainStart start;  ///< models, base biases, seeds, stream, clamping (visible moves out)
  int M = 0, C = 0, D = 0, L = 0;
  std::vector<float> visible;       ///< [M][C][D]
  std::vector<double> log_weights;  ///< [M][C]
  std::uint64_t sweeps = 0;         ///< t: sweeps (rounds) done, the same for every model
  int ladder_levels = 0;            ///< R of the swap counters
  std::vector<std::uint64_t> accepted, attempted;     ///< [M][R − 1]
  std::vector<float> g_h, h, g_v, sampled, u, zeros;  ///< one model's workspace

  float* x(int m) { return visible.data() + static_cast<std::size_t>(m) * C * D; }
  const float* base_visible(int m) const {
    return start.base_visible_bias.data() + std::size_t(m) * D;
  }
  const float* base_hidden(int m) const {
    return start.base_hidden_bias.data() + std::size_t(m) * L;
  }
};

CpuChains& as_chains(ChainState& state) {
  return static_cast<CpuChains&>(state);
}

/// F_β of one chain from its visible state x [D] and weight product g = xW [L].
double chain_free_energy(const CpuChains& s, int m, float beta, const float* x, const float* g) {
  const Model& model = s.start.models[m];
  const float *a = s.base_visible(m), *d = s.base_hidden(m);
  double energy = 0;
  for (int i = 0; i < s.D; ++i)
    energy += chains::visible_term(beta, x[i], a[i], model.visible_bias[i]);
  if (units::is_one_hot(model.hidden_type)) {
    double total = chains::one_hot_start(model.hidden_type);
    for (int j = 0; j < s.L; ++j)
      total =
          log_add_exp(total, chains::interpolated_field(beta, g[j], d[j], model.hidden_bias[j]));
    return energy - total;
  }
  for (int j = 0; j < s.L; ++j)
    energy += chains::hidden_term(
        model.hidden_type, chains::interpolated_field(beta, g[j], d[j], model.hidden_bias[j]));
  return energy;
}

/// fields[c][k] ← interpolated_field(β_c, fields[c][k], base[k], bias[k]) for C rows of n.
template <typename BetaOf>
void interpolate_rows(float* fields,
                      int rows,
                      int n,
                      const float* base,
                      const float* bias,
                      const BetaOf& beta_of,
                      ThreadPool& pool) {
  pool.parallel_for(
      rows,
      [&](std::size_t b, std::size_t e) {
        for (std::size_t r = b; r < e; ++r) {
          const float beta = beta_of(r);
          float* row = fields + r * n;
          for (int k = 0; k < n; ++k)
            row[k] = chains::interpolated_field(beta, row[k], base[k], bias[k]);
        }
      },
      min_rows_per_thread(n));
}

class ChainRunner {
 public:
  ChainRunner(CpuChains& s, ThreadPool& pool) : s_(s), pool_(pool) {}

  /// g_h = x·W for model m's chains (the start of every sweep and free energy).
  void hidden_products(int m) { hidden_fields(s_.start.models[m], s_.x(m), s_.C, s_.g_h.data()); }

  /// The sweep of model m from g_h (hidden_products), chain c at β = beta_of(c).
  template <typename BetaOf>
  void sweep_from_products(int m, const BetaOf& beta_of) {
    const Model& model = s_.start.models[m];
    const int C = s_.C, D = s_.D, L = s_.L;
    const std::size_t CL = std::size_t(C) * L, CD = std::size_t(C) * D;
    s_.u.resize(CL + CD);
    const std::uint64_t first = s_.sweeps * (CL + CD);
    const std::uint64_t seed = s_.start.seeds[m];
    pool_.parallel_for(
        CL + CD,
        [&](std::size_t b, std::size_t e) {
          fill_uniforms(seed, s_.start.stream, 0, first + b, e - b, s_.u.data() + b);
        },
        kMinElementsPerThread);
    interpolate_rows(s_.g_h.data(), C, L, s_.base_hidden(m), model.hidden_bias.data(), beta_of,
                     pool_);
    run_layer({model.hidden_type, C, L, s_.g_h.data(), s_.zeros.data(), s_.u.data(), s_.h.data()},
              pool_);
    visible_fields(model, s_.h.data(), C, s_.g_v.data());
    interpolate_rows(s_.g_v.data(), C, D, s_.base_visible(m), model.visible_bias.data(), beta_of,
                     pool_);
    run_layer({model.visible_type, C, D, s_.g_v.data(), s_.zeros.data(), s_.u.data() + CL,
               s_.sampled.data()},
              pool_);
    float* x = s_.x(m);
    const std::vector<std::uint8_t>& clamped = s_.start.clamped;
    if (clamped.empty()) {
      std::copy(s_.sampled.begin(), s_.sampled.begin() + CD, x);
    } else {
      for (std::size_t e = 0; e < CD; ++e)
        if (!clamped[e]) x[e] = s_.sampled[e];
    }
  }

  /// One tempering swap round of model m on g_h (see the contract), exchanging rows of x and g_h.
  void swap_round(int m, const std::vector<float>& ladder) {
    const int R = static_cast<int>(ladder.size()), C = s_.C, D = s_.D, L = s_.L;
    const std::uint64_t seed = s_.start.seeds[m];
    float* x = s_.x(m);
    for (int c = 0; c + 1 < C; ++c) {
      if (!chains::opens_swap_pair(c, C, R, s_.sweeps)) continue;
      const int r = c % R;
      float *x0 = x + std::size_t(c) * D, *x1 = x0 + D;
      float *g0 = s_.g_h.data() + std::size_t(c) * L, *g1 = g0 + L;
      const float a = ladder[r], b = ladder[r + 1];
      const bool swap = chains::accept_swap(
          chain_free_energy(s_, m, a, x0, g0), chain_free_energy(s_, m, b, x0, g0),
          chain_free_energy(s_, m, a, x1, g1), chain_free_energy(s_, m, b, x1, g1),
          random_uniform(seed, s_.start.stream, 2, s_.sweeps * C + c));
      const std::size_t pair = std::size_t(m) * (R - 1) + r;
      ++s_.attempted[pair];
      if (!swap) continue;
      ++s_.accepted[pair];
      std::swap_ranges(x0, x0 + D, x1);
      std::swap_ranges(g0, g0 + L, g1);
    }
  }

 private:
  CpuChains& s_;
  ThreadPool& pool_;
};

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
                      s->x(m) + std::size_t(c) * s->D);
  }
  s->log_weights.assign(std::size_t(s->M) * s->C, 0.0);
  const std::size_t CL = std::size_t(s->C) * s->L, CD = std::size_t(s->C) * s->D;
  s->g_h.resize(CL);
  s->h.resize(CL);
  s->g_v.resize(CD);
  s->sampled.resize(CD);
  s->zeros.assign(std::max(s->D, s->L), 0.0f);
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
  ChainRunner run(s, pool_);
  const auto beta_of = [&](std::size_t c) { return ladder[c % R]; };
  const std::uint64_t first_sweep = s.sweeps;
  for (int m = 0; m < s.M; ++m) {
    s.sweeps = first_sweep;
    for (int t = 0; t < rounds; ++t, ++s.sweeps) {
      run.hidden_products(m);
      if (R > 1) run.swap_round(m, ladder);
      run.sweep_from_products(m, beta_of);
    }
  }
  s.sweeps = first_sweep + rounds;
}

void CpuBackend::anneal(ChainState& state,
                        const std::vector<float>& ladder,
                        bool sweep_after_last) {
  CpuChains& s = as_chains(state);
  ChainRunner run(s, pool_);
  const int n = static_cast<int>(ladder.size()) - 1;
  const std::uint64_t first_sweep = s.sweeps;
  for (int m = 0; m < s.M; ++m) {
    s.sweeps = first_sweep;
    double* log_w = s.log_weights.data() + std::size_t(m) * s.C;
    for (int j = 1; j <= n; ++j) {
      run.hidden_products(m);
      const float from = ladder[j - 1], to = ladder[j];
      pool_.parallel_for(s.C, [&](std::size_t b, std::size_t e) {
        for (std::size_t c = b; c < e; ++c) {
          const float* x = s.x(m) + c * s.D;
          const float* g = s.g_h.data() + c * s.L;
          log_w[c] += chain_free_energy(s, m, from, x, g) - chain_free_energy(s, m, to, x, g);
        }
      });
      if (j == n && !sweep_after_last) break;
      run.sweep_from_products(m, [to](std::size_t) { return to; });
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
  ChainRunner run(s, pool_);
  std::vector<double> energies(std::size_t(s.M) * s.C);
  for (int m = 0; m < s.M; ++m) {
    run.hidden_products(m);
    pool_.parallel_for(s.C, [&](std::size_t b, std::size_t e) {
      for (std::size_t c = b; c < e; ++c)
        energies[std::size_t(m) * s.C + c] =
            chain_free_energy(s, m, beta, s.x(m) + c * s.D, s.g_h.data() + c * s.L);
    });
  }
  return energies;
}

}  // namespace rbm::detail
