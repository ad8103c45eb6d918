// tests/support/bm_brute_force.hpp — the ground truth for tiny Boltzmann machines and deep
// belief nets: every state enumerated in float64, written plainly and independently of the
// library (no block split, no shared code), so the library's sums, samplers and estimators can
// be checked against it.
//
// Conventions: state index s encodes unit i as bit i; units 0..D−1 are visible, so a visible
// row v with index x and hidden state y make the state x | y << D.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "rbm/boltzmann.hpp"
#include "rbm/dataset.hpp"
#include "tests/support/brute_force.hpp"

namespace rbm::test::bm {

/// A machine's parameters in float64 (perturbable for finite differences).
struct Machine {
  int n = 0, d = 0;
  std::vector<double> w;  ///< [N][N] symmetric
  std::vector<double> b;  ///< [N]
  explicit Machine(const BoltzmannMachine& m)
      : n(m.n_units),
        d(m.n_visible),
        w(m.couplings.begin(), m.couplings.end()),
        b(m.bias.begin(), m.bias.end()) {
    if (n > kMaxBruteForceUnits) throw std::invalid_argument("brute force: machine too large");
  }
  double coupling(int i, int j) const { return w[static_cast<std::size_t>(i) * n + j]; }
};

inline int bit(std::uint64_t s, int i) {
  return static_cast<int>((s >> i) & 1u);
}

/// E(s) = −Σ_{i<j} w_ij s_i s_j − Σ_i b_i s_i.
inline double energy(const Machine& m, std::uint64_t s) {
  double e = 0;
  for (int i = 0; i < m.n; ++i) {
    if (!bit(s, i)) continue;
    e -= m.b[i];
    for (int j = i + 1; j < m.n; ++j)
      if (bit(s, j)) e -= m.coupling(i, j);
  }
  return e;
}

/// −E(s)/T for every state.
inline std::vector<double> log_weights(const Machine& m, double temperature = 1.0) {
  std::vector<double> x(std::size_t{1} << m.n);
  for (std::uint64_t s = 0; s < x.size(); ++s) x[s] = -energy(m, s) / temperature;
  return x;
}

inline double log_z(const Machine& m) {
  return log_sum_exp(log_weights(m));
}

/// p(s) ∝ e^{−E(s)/T} for every state.
inline std::vector<double> distribution(const Machine& m, double temperature = 1.0) {
  const std::vector<double> x = log_weights(m, temperature);
  const double lz = log_sum_exp(x);
  std::vector<double> p(x.size());
  for (std::size_t s = 0; s < x.size(); ++s) p[s] = std::exp(x[s] - lz);
  return p;
}

/// The index of data row n as a visible state.
inline std::uint64_t row_index(const Dataset& data, std::size_t n) {
  std::uint64_t x = 0;
  for (int i = 0; i < data.n_visible; ++i) x |= std::uint64_t{data.at(n, i)} << i;
  return x;
}

/// log Σ_h e^{−E(v,h)} for the visible state x.
inline double clamped_log_sum(const Machine& m, std::uint64_t x) {
  std::vector<double> terms;
  for (std::uint64_t y = 0; y < (std::uint64_t{1} << (m.n - m.d)); ++y)
    terms.push_back(-energy(m, x | (y << m.d)));
  return log_sum_exp(terms);
}

/// Mean over the rows of log p(v).
inline double mean_log_likelihood(const Machine& m, const Dataset& data) {
  const double lz = log_z(m);
  double sum = 0;
  for (std::size_t r = 0; r < data.n_samples; ++r)
    sum += clamped_log_sum(m, row_index(data, r)) - lz;
  return sum / static_cast<double>(data.n_samples);
}

/// ⟨s_i s_j⟩ (diagonal ⟨s_i⟩) under p(s), [N][N].
inline std::vector<double> moments(const Machine& m, const std::vector<double>& p) {
  std::vector<double> mom(static_cast<std::size_t>(m.n) * m.n, 0.0);
  for (std::uint64_t s = 0; s < p.size(); ++s)
    for (int i = 0; i < m.n; ++i)
      for (int j = 0; j < m.n; ++j)
        mom[static_cast<std::size_t>(i) * m.n + j] += p[s] * bit(s, i) * bit(s, j);
  return mom;
}

/// ⟨s_i s_j⟩ under p(h | v) for visible state x, [N][N].
inline std::vector<double> clamped_moments(const Machine& m, std::uint64_t x) {
  const double ls = clamped_log_sum(m, x);
  std::vector<double> p(std::size_t{1} << m.n, 0.0);
  for (std::uint64_t y = 0; y < (std::uint64_t{1} << (m.n - m.d)); ++y) {
    const std::uint64_t s = x | (y << m.d);
    p[s] = std::exp(-energy(m, s) - ls);
  }
  return moments(m, p);
}

/// The data's clamped moments averaged over the rows, [N][N].
inline std::vector<double> data_moments(const Machine& m, const Dataset& data) {
  std::vector<double> mom(static_cast<std::size_t>(m.n) * m.n, 0.0);
  for (std::size_t r = 0; r < data.n_samples; ++r) {
    const std::vector<double> c = clamped_moments(m, row_index(data, r));
    for (std::size_t e = 0; e < mom.size(); ++e)
      mom[e] += c[e] / static_cast<double>(data.n_samples);
  }
  return mom;
}

/// The sweep order rbm/boltzmann.hpp documents, from its rule: unit k (from first_unit on)
/// takes the smallest colour no coupled lower-numbered unit has; colour by colour, then index.
inline std::vector<int> documented_sweep_order(const BoltzmannMachine& machine,
                                               int first_unit = 0) {
  const int n = machine.n_units;
  std::vector<int> colour(n, -1);
  for (int k = first_unit; k < n; ++k) {
    auto taken = [&](int c) {
      for (int j = first_unit; j < k; ++j)
        if (machine.coupled(k, j) && colour[j] == c) return true;
      return false;
    };
    int c = 0;
    while (taken(c)) ++c;
    colour[k] = c;
  }
  std::vector<int> order;
  for (int c = 0; c < n; ++c)
    for (int k = first_unit; k < n; ++k)
      if (colour[k] == c) order.push_back(k);
  return order;
}

/// Applies one single-site Gibbs update of unit k at temperature T to a distribution over
/// states: p'(s) = Σ_{s'} p(s') P(s | s') with P setting unit k from σ(f_k/T).
inline void single_site_update(const Machine& m,
                               int k,
                               double temperature,
                               std::vector<double>& p) {
  for (std::uint64_t s = 0; s < p.size(); ++s) {
    if (bit(s, k)) continue;
    const std::uint64_t on = s | (std::uint64_t{1} << k);
    double field = m.b[k];
    for (int j = 0; j < m.n; ++j)
      if (j != k && bit(s, j)) field += m.coupling(k, j);
    const double p_on = 1.0 / (1.0 + std::exp(-field / temperature));
    const double mass = p[s] + p[on];
    p[s] = mass * (1.0 - p_on);
    p[on] = mass * p_on;
  }
}

/// The distribution after one sweep over `order` at temperature T.
inline void sweep(const Machine& m,
                  const std::vector<int>& order,
                  double temperature,
                  std::vector<double>& p) {
  for (int k : order) single_site_update(m, k, temperature, p);
}

/// max over `starts` of the total-variation distance from `target` after `sweeps` sweeps at
/// temperature T (a chain's mixing, so that a statistical test on its samples is valid).
inline double worst_distance_after(const Machine& m,
                                   const std::vector<int>& order,
                                   double temperature,
                                   int sweeps,
                                   const std::vector<std::uint64_t>& starts,
                                   const std::vector<double>& target) {
  double worst = 0;
  for (std::uint64_t start : starts) {
    std::vector<double> p(target.size(), 0.0);
    p[start] = 1.0;
    for (int t = 0; t < sweeps; ++t) sweep(m, order, temperature, p);
    double tv = 0;
    for (std::size_t s = 0; s < p.size(); ++s) tv += 0.5 * std::abs(p[s] - target[s]);
    worst = std::max(worst, tv);
  }
  return worst;
}

/// The same for free chains: every state a start, p_T the target.
inline double worst_free_distance_after(const Machine& m,
                                        const std::vector<int>& order,
                                        double temperature,
                                        int sweeps) {
  std::vector<std::uint64_t> starts(std::size_t{1} << m.n);
  for (std::uint64_t s = 0; s < starts.size(); ++s) starts[s] = s;
  return worst_distance_after(m, order, temperature, sweeps, starts, distribution(m, temperature));
}

/// The same for clamped chains (hidden units swept, v fixed), worst over every visible state.
inline double worst_clamped_distance_after(const Machine& m,
                                           const std::vector<int>& hidden_order,
                                           int sweeps) {
  double worst = 0;
  for (std::uint64_t x = 0; x < (std::uint64_t{1} << m.d); ++x) {
    const double ls = clamped_log_sum(m, x);
    std::vector<double> target(std::size_t{1} << m.n, 0.0);
    std::vector<std::uint64_t> starts;
    for (std::uint64_t y = 0; y < (std::uint64_t{1} << (m.n - m.d)); ++y) {
      const std::uint64_t s = x | (y << m.d);
      target[s] = std::exp(-energy(m, s) - ls);
      starts.push_back(s);
    }
    worst = std::max(worst, worst_distance_after(m, hidden_order, 1.0, sweeps, starts, target));
  }
  return worst;
}

}  // namespace rbm::test::bm
