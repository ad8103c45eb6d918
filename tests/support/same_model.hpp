// tests/support/same_model.hpp — bit-for-bit comparison of two models. When they differ, the
// failure names the first differing element (tensor, index, both values and their bits) and how
// many elements differ, so that a determinism failure on another machine explains itself.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "rbm/rbm.hpp"

namespace rbm::test {

inline std::uint32_t float_bits(float x) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

/// Success when both models have the same shape and the same bits in W, b and c.
inline ::testing::AssertionResult same_bits(const Model& a, const Model& b) {
  if (a.n_visible != b.n_visible || a.n_hidden != b.n_hidden)
    return ::testing::AssertionFailure() << "shapes differ: " << a.n_visible << "x" << a.n_hidden
                                         << " vs " << b.n_visible << "x" << b.n_hidden;
  const struct {
    const char* name;
    const std::vector<float>& x;
    const std::vector<float>& y;
  } tensors[] = {{"weights", a.weights, b.weights},
                 {"visible_bias", a.visible_bias, b.visible_bias},
                 {"hidden_bias", a.hidden_bias, b.hidden_bias}};
  for (const auto& t : tensors) {
    if (t.x.size() != t.y.size())
      return ::testing::AssertionFailure()
             << t.name << " sizes differ: " << t.x.size() << " vs " << t.y.size();
    std::size_t first = t.x.size(), count = 0;
    for (std::size_t i = 0; i < t.x.size(); ++i)
      if (float_bits(t.x[i]) != float_bits(t.y[i])) {
        if (count++ == 0) first = i;
      }
    if (count == 0) continue;
    char values[160];
    std::snprintf(values, sizeof values, "%.9g vs %.9g (bits %08x vs %08x)", t.x[first], t.y[first],
                  float_bits(t.x[first]), float_bits(t.y[first]));
    return ::testing::AssertionFailure()
           << t.name << "[" << first << "] differs: " << values << "; " << count << " of "
           << t.x.size() << " elements differ";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace rbm::test
