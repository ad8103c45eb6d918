// host/common/units.hpp — the unit types of a layer (rbm::UnitType), as both backends evaluate
// them: what a unit's field (pre-activation, bias included) means for its on-probability, its
// mean and its sample. Host and device (RBM_HD).
//
//   bernoulli  values {0, 1}:   p(on) = σ(f),   mean = p,          free-energy term softplus(f)
//   spin       values {−1, +1}: p(on) = σ(2f),  mean = 2p − 1 = tanh f,  term log 2cosh(f)
//   potts      one-hot row of L units: mean = softmax(f),          term log Σ_μ e^{f_μ}
//   potts_off  as potts plus an "all off" state with logit 0:      term log(1 + Σ_μ e^{f_μ})
// Sampling rule: an elementwise unit is on when u < p(on); a one-hot row is unit μ for the first
// μ with u < Σ_{ν ≤ μ} mean_ν, else all off (potts_off) or unit L − 1 (potts, rounding only).
// Data bits x ∈ {0, 1} enter a spin layer as v = 2x − 1.
#pragma once
#include <math.h>

#include <cstdint>

#include "host/common/numeric.hpp"
#include "rbm/model.hpp"

namespace rbm::detail::units {

RBM_HD bool is_one_hot(UnitType type) {
  return type == UnitType::potts || type == UnitType::potts_off;
}

RBM_HD float off_value(UnitType type) {
  return type == UnitType::spin ? -1.0f : 0.0f;
}

/// A data bit as the value of a unit of `type` (spin: 2x − 1).
RBM_HD float from_bit(UnitType type, std::uint8_t bit) {
  return bit ? 1.0f : off_value(type);
}

/// p(on | field) of an elementwise unit.
RBM_HD float on_probability(UnitType type, float field) {
  return sigmoid(type == UnitType::spin ? 2.0f * field : field);
}

/// E[unit | field] from p(on): p, or 2p − 1 for spin (2p is exact, so one rounding).
RBM_HD float mean_from_probability(UnitType type, float p) {
  return type == UnitType::spin ? 2.0f * p - 1.0f : p;
}

/// The sampling rule of an elementwise unit: on when u < p.
RBM_HD float sample(UnitType type, float p, float u) {
  return u < p ? 1.0f : off_value(type);
}

/// The hidden layer's free-energy term of one elementwise unit with field f (log Σ_h e^{f h}).
RBM_HD double log_partition_term(UnitType type, double field) {
  return type == UnitType::spin ? log_2cosh(field) : softplus(field);
}

/// One one-hot row: row[μ] holds the GEMM output on entry and the mean (softmax of row + bias)
/// on exit; when `sample` is non-null it receives the one-hot state drawn with uniform u.
RBM_HD void one_hot_row(
    float* row, const float* bias, int n, bool with_off, float u, float* sample) {
  float max = with_off ? 0.0f : -INFINITY;
  for (int k = 0; k < n; ++k) {
    row[k] = add_rn(row[k], bias[k]);
    max = fmaxf(max, row[k]);
  }
  float sum = 0.0f;
  for (int k = 0; k < n; ++k) {
    row[k] = expf(sub_rn(row[k], max));
    sum = add_rn(sum, row[k]);
  }
  if (with_off) sum = add_rn(sum, expf(-max));
  for (int k = 0; k < n; ++k) row[k] = div_rn(row[k], sum);
  if (!sample) return;
  int chosen = with_off ? -1 : n - 1;
  float cumulative = 0.0f;
  for (int k = 0; k < n; ++k) {
    cumulative = add_rn(cumulative, row[k]);
    if (u < cumulative) {
      chosen = k;
      break;
    }
  }
  for (int k = 0; k < n; ++k) sample[k] = k == chosen ? 1.0f : 0.0f;
}

/// log Σ over the states of a one-hot row of e^{field} (fields with bias), in double.
RBM_HD double one_hot_log_partition(const double* field, int n, bool with_off) {
  double total = with_off ? 0.0 : -INFINITY;
  for (int k = 0; k < n; ++k) total = log_add_exp(total, field[k]);
  return total;
}

}  // namespace rbm::detail::units
