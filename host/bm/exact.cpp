// host/bm/exact.cpp — the Boltzmann machine's exact log Z, log-likelihood and gradient by
// enumerating every state of the free units, in float64.
//
// The free units are split into an inner block of K ≤ 10 units and the outer rest. For each
// outer state the 2^K log-weights of the block are −E = base + Σ_{k∈b} g_k + J(b): base and the
// block's fields g come from the fixed and outer units (O(N²) per outer state, shared by 2^K
// states), J(b), the couplings within the block, is tabled once. So a state costs a few
// additions and one exp, and the pair moments need only per-block sums: ⟨s_i s_j⟩ of two
// non-block units is the block's total weight times s_i s_j, of a non-block and a block unit
// the block's weighted count of s_k, and of two block units a sum over a 2^K table.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "host/bm/bm_math.hpp"
#include "host/check.hpp"
#include "host/common/numeric.hpp"

namespace rbm {
namespace detail::bm {
namespace {

constexpr int kBlockUnits = 10;
/// Outer states are summed in this many chunks, combined in order (deterministic sums).
constexpr std::uint64_t kChunks = 64;

/// Which units are fixed, in the block, and outer; and the block's coupling table J.
struct Layout {
  int n = 0, first_free = 0, first_outer = 0, block = 0, n_outer = 0;
  std::vector<double> block_couplings;  ///< J(b) for every block state b, [2^K]

  Layout(const Params& p, int n_fixed) : n(p.n_units), first_free(n_fixed) {
    block = std::min(kBlockUnits, n - n_fixed);
    first_outer = first_free + block;
    n_outer = n - first_outer;
    block_couplings.assign(std::size_t{1} << block, 0.0);
    for (std::size_t b = 1; b < block_couplings.size(); ++b) {
      const int k = __builtin_ctzll(b);  // J(b) = J(b without k) + Σ_{l ∈ b, l ≠ k} w_kl
      const std::size_t rest = b & (b - 1);
      double sum = block_couplings[rest];
      for (int l = 0; l < block; ++l)
        if ((rest >> l) & 1u) sum += p.row(first_free + k)[first_free + l];
      block_couplings[b] = sum;
    }
  }
  std::size_t block_states() const { return block_couplings.size(); }
  std::uint64_t outer_states() const { return std::uint64_t{1} << n_outer; }
};

/// The state with the fixed units, the block off and outer state `a`; the log-weights −E of
/// its 2^K block states into x.
void block_log_weights(const Params& p,
                       const Layout& layout,
                       std::uint64_t a,
                       std::uint8_t* state,
                       std::vector<double>& x) {
  const int n = layout.n;
  for (int k = 0; k < layout.block; ++k) state[layout.first_free + k] = 0;
  for (int k = 0; k < layout.n_outer; ++k) state[layout.first_outer + k] = (a >> k) & 1u;
  double base = 0;
  for (int i = 0; i < n; ++i) {
    if (!state[i]) continue;
    base += p.bias[i];
    for (int j = i + 1; j < n; ++j)
      if (state[j]) base += p.row(i)[j];
  }
  double fields[kBlockUnits];
  for (int k = 0; k < layout.block; ++k) {
    const int unit = layout.first_free + k;
    double f = p.bias[unit];
    for (int j = 0; j < n; ++j)
      if (state[j]) f += p.row(unit)[j];
    fields[k] = f;
  }
  x[0] = 0;  // the linear part L(b) = Σ_{k∈b} g_k, built from b without its lowest unit
  for (std::size_t b = 1; b < x.size(); ++b) x[b] = x[b & (b - 1)] + fields[__builtin_ctzll(b)];
  for (std::size_t b = 0; b < x.size(); ++b) x[b] += base + layout.block_couplings[b];
}

/// [begin, end) of chunk c of `total` outer states.
std::pair<std::uint64_t, std::uint64_t> chunk_range(std::uint64_t c,
                                                    std::uint64_t chunks,
                                                    std::uint64_t total) {
  return {total * c / chunks, total * (c + 1) / chunks};
}

double log_sum(const Params& p,
               const Layout& layout,
               std::vector<std::uint8_t> state,
               ThreadPool& pool) {
  const std::uint64_t total = layout.outer_states(), chunks = std::min(total, kChunks);
  std::vector<double> partial(chunks, -INFINITY);
  pool.parallel_for(chunks, [&](std::size_t c0, std::size_t c1) {
    std::vector<std::uint8_t> s = state;
    std::vector<double> x(layout.block_states());
    for (std::size_t c = c0; c < c1; ++c) {
      const auto [a0, a1] = chunk_range(c, chunks, total);
      for (std::uint64_t a = a0; a < a1; ++a) {
        block_log_weights(p, layout, a, s.data(), x);
        const double top = *std::max_element(x.begin(), x.end());
        double sum = 0;
        for (double v : x) sum += std::exp(v - top);
        partial[c] = log_add_exp(partial[c], top + std::log(sum));
      }
    }
  });
  double total_log = -INFINITY;
  for (double v : partial) total_log = log_add_exp(total_log, v);
  return total_log;
}

/// Upper-triangle sums of p(s)·s_i s_j over the states, given log Σ = `log_total`.
std::vector<double> moment_sums(const Params& p,
                                const Layout& layout,
                                std::vector<std::uint8_t> state,
                                double log_total,
                                ThreadPool& pool) {
  const int n = layout.n, K = layout.block, first_block = layout.first_free;
  const std::uint64_t total = layout.outer_states(), chunks = std::min(total, kChunks);
  const std::size_t n2 = static_cast<std::size_t>(n) * n, states = layout.block_states();
  // Per chunk: the pair sums of non-block units and non-block × block units, and the block
  // states' accumulated weights (for the block × block pairs).
  std::vector<std::vector<double>> pairs(chunks, std::vector<double>(n2, 0.0));
  std::vector<std::vector<double>> block_weight(chunks, std::vector<double>(states, 0.0));
  pool.parallel_for(chunks, [&](std::size_t c0, std::size_t c1) {
    std::vector<std::uint8_t> s = state;
    std::vector<double> x(states);
    std::vector<double> unit_weight(K);
    for (std::size_t c = c0; c < c1; ++c) {
      const auto [a0, a1] = chunk_range(c, chunks, total);
      double* sums = pairs[c].data();
      for (std::uint64_t a = a0; a < a1; ++a) {
        block_log_weights(p, layout, a, s.data(), x);
        double weight = 0;
        std::fill(unit_weight.begin(), unit_weight.end(), 0.0);
        for (std::size_t b = 0; b < states; ++b) {
          const double q = std::exp(x[b] - log_total);
          weight += q;
          block_weight[c][b] += q;
          for (std::size_t rest = b; rest; rest &= rest - 1)
            unit_weight[__builtin_ctzll(rest)] += q;
        }
        for (int i = 0; i < n; ++i) {
          if (!s[i]) continue;  // block units are off in s: only non-block units pass
          double* row = sums + static_cast<std::size_t>(i) * n;
          for (int j = i; j < n; ++j)
            if (s[j]) row[j] += weight;
          for (int k = 0; k < K; ++k) {
            const int unit = first_block + k;
            sums[static_cast<std::size_t>(std::min(i, unit)) * n + std::max(i, unit)] +=
                unit_weight[k];
          }
        }
      }
    }
  });
  std::vector<double> sums(n2, 0.0), block_total(states, 0.0);
  for (std::uint64_t c = 0; c < chunks; ++c) {
    for (std::size_t e = 0; e < n2; ++e) sums[e] += pairs[c][e];
    for (std::size_t b = 0; b < states; ++b) block_total[b] += block_weight[c][b];
  }
  for (std::size_t b = 1; b < states; ++b)
    for (int k = 0; k < K; ++k) {
      if (!((b >> k) & 1u)) continue;
      for (int l = k; l < K; ++l)
        if ((b >> l) & 1u)
          sums[static_cast<std::size_t>(first_block + k) * n + first_block + l] += block_total[b];
    }
  return sums;
}

}  // namespace

void require_enumerable(int free_units, const BmExactOptions& options, const char* what) {
  RBM_EXPECTS(options.max_units >= 0 && options.max_units <= kBmMaxExactUnits,
              "BmExactOptions::max_units is ", options.max_units,
              "; exact sums enumerate at most 2^", kBmMaxExactUnits, " states");
  RBM_EXPECTS(free_units <= options.max_units, what, " enumerates 2^", free_units, " = ",
              std::ldexp(1.0, free_units), " states; the limit is 2^", options.max_units,
              " (raise BmExactOptions::max_units / --max-units, or use fewer units)");
}

double enumerate(const Params& params,
                 const std::uint8_t* fixed,
                 int n_fixed,
                 std::vector<double>* moments,
                 ThreadPool& pool) {
  const Layout layout(params, n_fixed);
  std::vector<std::uint8_t> state(params.n_units, 0);
  std::copy(fixed, fixed + n_fixed, state.begin());
  const double log_total = log_sum(params, layout, state, pool);
  if (moments)
    *moments =
        mean_products(moment_sums(params, layout, state, log_total, pool), params.n_units, 1.0);
  return log_total;
}

DistinctRows distinct_rows(const Dataset& data) {
  DistinctRows result;
  std::map<std::vector<std::uint8_t>, std::size_t> index;
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const auto* row = data.values.data() + n * data.n_visible;
    std::vector<std::uint8_t> key(row, row + data.n_visible);
    const auto [it, inserted] = index.emplace(key, result.rows.size());
    if (inserted) {
      result.rows.push_back(std::move(key));
      result.counts.push_back(0);
    }
    result.counts[it->second] += 1;
    result.row_of_sample.push_back(it->second);
  }
  return result;
}

}  // namespace detail::bm

namespace {

using detail::bm::Params;

void expect_data(const BoltzmannMachine& machine, const Dataset& data, const char* what) {
  data.validate();
  RBM_EXPECTS(data.n_samples > 0, what, ": the dataset '", data.name, "' is empty");
  RBM_EXPECTS(data.n_visible == machine.n_visible, what, ": the machine has D=", machine.n_visible,
              " visible units but the dataset has ", data.n_visible, " columns");
}

/// log Σ_h e^{−E(v,h)} for every distinct row.
std::vector<double> clamped_log_sums(const Params& p,
                                     const detail::bm::DistinctRows& rows,
                                     std::vector<std::vector<double>>* moments,
                                     detail::ThreadPool& pool) {
  std::vector<double> logs(rows.rows.size());
  if (moments) moments->assign(rows.rows.size(), {});
  pool.parallel_for(rows.rows.size(), [&](std::size_t r0, std::size_t r1) {
    for (std::size_t r = r0; r < r1; ++r)  // nested: each row's sum runs on this thread
      logs[r] = detail::bm::enumerate(p, rows.rows[r].data(), p.n_visible,
                                      moments ? &(*moments)[r] : nullptr, pool);
  });
  return logs;
}

}  // namespace

double bm_log_z(const BoltzmannMachine& machine, const BmExactOptions& options) {
  machine.validate();
  detail::bm::require_enumerable(machine.n_units, options, "exact log Z");
  detail::ThreadPool pool(options.threads);
  return detail::bm::enumerate(Params(machine), nullptr, 0, nullptr, pool);
}

std::vector<double> bm_log_likelihoods(const BoltzmannMachine& machine,
                                       const Dataset& data,
                                       const BmExactOptions& options) {
  machine.validate();
  expect_data(machine, data, "bm_log_likelihoods");
  detail::bm::require_enumerable(machine.n_units, options, "the exact log-likelihood's log Z");
  detail::ThreadPool pool(options.threads);
  const Params p(machine);
  const double log_z = detail::bm::enumerate(p, nullptr, 0, nullptr, pool);
  const auto rows = detail::bm::distinct_rows(data);
  const std::vector<double> logs = clamped_log_sums(p, rows, nullptr, pool);
  std::vector<double> result(data.n_samples);
  for (std::size_t n = 0; n < data.n_samples; ++n) result[n] = logs[rows.row_of_sample[n]] - log_z;
  return result;
}

double bm_mean_log_likelihood(const BoltzmannMachine& machine,
                              const Dataset& data,
                              const BmExactOptions& options) {
  const std::vector<double> ll = bm_log_likelihoods(machine, data, options);
  return std::accumulate(ll.begin(), ll.end(), 0.0) / static_cast<double>(ll.size());
}

BmGradient bm_exact_gradient(const BoltzmannMachine& machine,
                             const Dataset& data,
                             const BmExactOptions& options) {
  machine.validate();
  expect_data(machine, data, "bm_exact_gradient");
  detail::bm::require_enumerable(machine.n_units, options, "the exact gradient's free phase");
  detail::ThreadPool pool(options.threads);
  const Params p(machine);
  const std::size_t n = machine.n_units;
  std::vector<double> free_moments;
  detail::bm::enumerate(p, nullptr, 0, &free_moments, pool);
  const auto rows = detail::bm::distinct_rows(data);
  std::vector<std::vector<double>> clamped;
  clamped_log_sums(p, rows, &clamped, pool);
  std::vector<double> data_moments(n * n, 0.0);
  for (std::size_t r = 0; r < rows.rows.size(); ++r)
    for (std::size_t e = 0; e < n * n; ++e)
      data_moments[e] += rows.counts[r] * clamped[r][e] / static_cast<double>(data.n_samples);
  return detail::bm::gradient_from_moments(machine, data_moments, free_moments);
}

}  // namespace rbm
