// tests/support/chi_square.hpp — Pearson's χ² goodness-of-fit test of sampled visible states
// against an exact distribution, with the threshold from the χ² distribution at a fixed small
// false-positive rate.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

#include "rbm/dataset.hpp"

namespace rbm::test {

// False-positive rate of each goodness-of-fit test: 1e-4, i.e. z = Φ⁻¹(1 − 1e-4) = 3.7190.
inline constexpr double kFalsePositiveZ = 3.7190164854556804;
// Bins whose expected count is below this are pooled (the usual validity rule of the χ² test).
inline constexpr double kMinExpectedCount = 5;
/// χ²_k quantile at 1 − α by the Wilson–Hilferty cube-root normal approximation:
/// k·(1 − 2/(9k) + z·√(2/(9k)))³ (accurate to ≲ 1% of the quantile for k ≥ 3 at this z).
inline double chi_square_quantile(int dof, double z) {
  const double a = 2.0 / (9.0 * dof);
  return dof * std::pow(1.0 - a + z * std::sqrt(a), 3);
}

struct GoodnessOfFit {
  double statistic = 0;
  int dof = 0;
  double threshold = 0;
  std::string report;  // the worst bins, for failure messages
};

/// Pearson's χ² of `counts` (N samples in all) against probabilities `expected`, after pooling
/// the bins with expected counts < kMinExpectedCount into one (joined with the next smallest
/// bin while the pool itself is still below the limit).
inline GoodnessOfFit chi_square_test(const std::vector<double>& expected,
                                     const std::vector<std::size_t>& counts,
                                     std::size_t n_samples) {
  std::vector<std::size_t> order(expected.size());
  for (std::size_t s = 0; s < order.size(); ++s) order[s] = s;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return expected[a] < expected[b]; });
  const double n = static_cast<double>(n_samples);
  std::vector<double> bin_expected, bin_observed;
  std::vector<std::string> bin_names;
  double pool_expected = 0, pool_observed = 0;
  std::size_t next = 0;
  while (next < order.size() && (expected[order[next]] * n < kMinExpectedCount ||
                                 (pool_expected > 0 && pool_expected < kMinExpectedCount))) {
    pool_expected += expected[order[next]] * n;
    pool_observed += static_cast<double>(counts[order[next]]);
    ++next;
  }
  if (pool_expected > 0) {
    bin_expected.push_back(pool_expected);
    bin_observed.push_back(pool_observed);
    bin_names.push_back("pool of " + std::to_string(next) + " states");
  }
  for (; next < order.size(); ++next) {
    bin_expected.push_back(expected[order[next]] * n);
    bin_observed.push_back(static_cast<double>(counts[order[next]]));
    bin_names.push_back("v=" + std::to_string(order[next]));
  }
  GoodnessOfFit fit;
  std::vector<std::pair<double, std::size_t>> contributions;
  for (std::size_t b = 0; b < bin_expected.size(); ++b) {
    const double term = std::pow(bin_observed[b] - bin_expected[b], 2) / bin_expected[b];
    fit.statistic += term;
    contributions.emplace_back(term, b);
  }
  fit.dof = static_cast<int>(bin_expected.size()) - 1;
  fit.threshold = chi_square_quantile(fit.dof, kFalsePositiveZ);
  std::sort(contributions.rbegin(), contributions.rend());
  std::ostringstream report;
  report << "chi2 = " << fit.statistic << " with " << fit.dof << " dof, threshold " << fit.threshold
         << "; largest terms:";
  for (std::size_t r = 0; r < std::min<std::size_t>(4, contributions.size()); ++r) {
    const std::size_t b = contributions[r].second;
    report << " [" << bin_names[b] << " observed " << bin_observed[b] << " expected "
           << bin_expected[b] << "]";
  }
  fit.report = report.str();
  return fit;
}

/// Histogram over the 2^D visible states (bit i of the index is v_i).
inline std::vector<std::size_t> histogram(const Dataset& samples) {
  std::vector<std::size_t> counts(std::size_t{1} << samples.n_visible, 0);
  for (std::size_t n = 0; n < samples.n_samples; ++n) {
    std::size_t state = 0;
    for (int i = 0; i < samples.n_visible; ++i)
      state |= static_cast<std::size_t>(samples.at(n, i)) << i;
    ++counts[state];
  }
  return counts;
}

/// The precondition of a χ² test of a Markov chain's samples: max over start states a of the
/// total-variation distance of T^t(a, ·) from p, for a transition matrix t [n][n] (t[a·n + b] =
/// P(a → b)) and its stationary distribution p.
inline double worst_distance_after(const std::vector<double>& t,
                                   const std::vector<double>& p,
                                   int steps) {
  const std::size_t n = p.size();
  std::vector<double> power(n * n, 0.0);  // T^0 = I
  for (std::size_t a = 0; a < n; ++a) power[a * n + a] = 1;
  for (int step = 0; step < steps; ++step) {
    std::vector<double> next(n * n, 0.0);
    for (std::size_t a = 0; a < n; ++a)
      for (std::size_t c = 0; c < n; ++c)
        for (std::size_t b = 0; b < n; ++b) next[a * n + b] += power[a * n + c] * t[c * n + b];
    power.swap(next);
  }
  double worst = 0;
  for (std::size_t a = 0; a < n; ++a) {
    double tv = 0;
    for (std::size_t b = 0; b < n; ++b) tv += 0.5 * std::abs(power[a * n + b] - p[b]);
    worst = std::max(worst, tv);
  }
  return worst;
}

}  // namespace rbm::test
