// host/enumeration.cpp — the reductions of exact log Z that do not depend on the device.
#include "host/enumeration.hpp"

#include <chrono>
#include <cmath>

#include "host/common/units.hpp"

namespace rbm::detail {
namespace {

/// a and d of a unit with values a + d·x.
struct Affine {
  double a, d;
};
Affine affine(UnitType type) {
  return type == UnitType::spin ? Affine{-1.0, 2.0} : Affine{0.0, 1.0};
}

}  // namespace

ReducedModel reduce_for_enumeration(const Model& model) {
  const int D = model.n_visible, L = model.n_hidden;
  const Affine v = affine(model.visible_type), h = affine(model.hidden_type);
  std::vector<double> row_sums(D, 0.0), column_sums(L, 0.0);
  double total = 0;
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < L; ++j) {
      const double w = model.weight(i, j);
      row_sums[i] += w;
      column_sums[j] += w;
      total += w;
    }
  ReducedModel reduced;
  EnumerationModel<double>& e = reduced.layers;
  e.n_visible = D;
  e.n_hidden = L;
  e.weights.resize(model.weights.size());
  for (std::size_t k = 0; k < e.weights.size(); ++k) e.weights[k] = v.d * h.d * model.weights[k];
  e.visible_bias.resize(D);
  e.hidden_bias.resize(L);
  reduced.log_offset = v.a * h.a * total;
  for (int i = 0; i < D; ++i) {
    e.visible_bias[i] = v.d * (model.visible_bias[i] + h.a * row_sums[i]);
    reduced.log_offset += v.a * model.visible_bias[i];
  }
  for (int j = 0; j < L; ++j) {
    e.hidden_bias[j] = h.d * (model.hidden_bias[j] + v.a * column_sums[j]);
    reduced.log_offset += h.a * model.hidden_bias[j];
  }
  if (L <= D) return reduced;
  // Enumerate the visible layer instead: swap the roles, transposing W.
  EnumerationModel<double> t;
  t.n_visible = L;
  t.n_hidden = D;
  t.weights.resize(e.weights.size());
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < L; ++j)
      t.weights[static_cast<std::size_t>(j) * D + i] =
          e.weights[static_cast<std::size_t>(i) * L + j];
  t.visible_bias = std::move(e.hidden_bias);
  t.hidden_bias = std::move(e.visible_bias);
  reduced.layers = std::move(t);
  reduced.enumerated_hidden = false;
  return reduced;
}

EnumerationModel<float> rounded_to_float(const EnumerationModel<double>& layers) {
  const auto rounded = [](const std::vector<double>& values) {
    return std::vector<float>(values.begin(), values.end());
  };
  EnumerationModel<float> f;
  f.n_visible = layers.n_visible;
  f.n_hidden = layers.n_hidden;
  f.weights = rounded(layers.weights);
  f.visible_bias = rounded(layers.visible_bias);
  f.hidden_bias = rounded(layers.hidden_bias);
  return f;
}

LogZResult one_hot_log_z(const Model& model) {
  const auto start = std::chrono::steady_clock::now();
  const int D = model.n_visible, L = model.n_hidden;
  const bool with_off = model.hidden_type == UnitType::potts_off;
  std::vector<double> state_terms(L, 0.0);
  double off_term = 0;
  for (int i = 0; i < D; ++i) {
    const double b = model.visible_bias[i];
    off_term += units::log_partition_term(model.visible_type, b);
    for (int j = 0; j < L; ++j)
      state_terms[j] += units::log_partition_term(model.visible_type, b + model.weight(i, j));
  }
  for (int j = 0; j < L; ++j) state_terms[j] += model.hidden_bias[j];
  double log_z = units::one_hot_log_partition(state_terms.data(), L, false);
  if (with_off) log_z = log_add_exp(log_z, off_term);
  LogZResult result;
  result.log_z = log_z;
  result.enumerated_hidden = true;
  result.states = L + (with_off ? 1 : 0);
  result.log2_states = std::log2(result.states);
  result.pairs = result.states * D;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace rbm::detail
