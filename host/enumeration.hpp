// host/enumeration.hpp — exact log Z above the backend seam: every unit-type combination is
// reduced to a {0,1} model whose smaller layer is enumerated by a backend, except a one-hot
// (Potts) hidden layer, whose L (+1) states are summed here directly.
#pragma once
#include "host/backend.hpp"

namespace rbm::detail {

/// A model reduced for enumeration: log Z = log Z'(layers) + log_offset.
struct ReducedModel {
  EnumerationModel<double> layers;
  double log_offset = 0;
  bool enumerated_hidden = true;  ///< the original hidden layer is the enumerated one
};

/// The {0,1} model with the same Z up to a constant, oriented so that its hidden layer is the
/// smaller one. A unit with values a + d·x, x ∈ {0,1} (Bernoulli a = 0, d = 1; spin a = −1,
/// d = 2) turns −E into a bilinear form of x and y plus a constant:
///   W' = d_v d_h W,  b'_i = d_v (b_i + a_h Σ_j W_ij),  c'_j = d_h (c_j + a_v Σ_i W_ij),
///   log Z = log Z' + a_v Σ_i b_i + a_h Σ_j c_j + a_v a_h Σ_ij W_ij.
/// Computed in double, so the CPU's float64 enumeration stays exact.
ReducedModel reduce_for_enumeration(const Model& model);

/// The layers in float, each value rounded once (for float32 backends).
EnumerationModel<float> rounded_to_float(const EnumerationModel<double>& layers);

/// log Z of a model with a one-hot hidden layer, in float64:
///   log Σ_μ exp(c_μ + Σ_i term(b_i + W_iμ)) [⊕ Σ_i term(b_i) for the all-off state],
/// term = softplus (Bernoulli visible) or log 2cosh (spin visible).
LogZResult one_hot_log_z(const Model& model);

}  // namespace rbm::detail
