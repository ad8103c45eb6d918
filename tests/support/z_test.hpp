// tests/support/z_test.hpp — the normal quantile of z-tests: tolerances of estimators whose
// standard errors are known, at a stated false-alarm rate.
#pragma once
#include <cmath>

namespace rbm::test {

/// z with P(|Z| > z) = alpha for a standard normal Z (bisection on erfc, to 1e-12).
inline double two_sided_normal_quantile(double alpha) {
  double low = 0, high = 40;
  while (high - low > 1e-12) {
    const double mid = 0.5 * (low + high);
    (std::erfc(mid / std::sqrt(2.0)) > alpha ? low : high) = mid;
  }
  return 0.5 * (low + high);
}

}  // namespace rbm::test
