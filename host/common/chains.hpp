// host/common/chains.hpp — the arithmetic of the chains contract (host/backend.hpp) that both
// backends evaluate per element: fields at an inverse temperature β between a base-rate model
// and the model, the terms of a chain's free energy, and the tempering swap rule. Host and
// device (RBM_HD).
#pragma once
#include <math.h>

#include "host/common/numeric.hpp"
#include "host/common/units.hpp"

namespace rbm::detail::chains {

/// A unit's field at β on the path E_β = (1 − β)·E_base + β·E_model, where the base-rate model
/// has bias `base` and no weights and `g` is the model's weight product (vW or hWᵀ):
/// β·g + ((1 − β)·base + β·bias), rounded step by step. At β = 1 with base 0 it is g + bias
/// exactly, the plain model's field.
/// Computed as field_at(β, g, interpolated_bias(β, base, bias)), so that a loop over the rows
/// of one column may compute the bias part once.
RBM_HD float interpolated_bias(float beta, float base, float bias) {
  return add_rn(mul_rn(sub_rn(1.0f, beta), base), mul_rn(beta, bias));
}
RBM_HD float field_at(float beta, float g, float interpolated) {
  return add_rn(mul_rn(beta, g), interpolated);
}
RBM_HD float interpolated_field(float beta, float g, float base, float bias) {
  return field_at(beta, g, interpolated_bias(beta, base, bias));
}

/// A visible unit's share of F_β(v): −b_β,i·v_i in double, b_β,i = interpolated_bias.
RBM_HD double visible_term(float interpolated, float v) {
  return -static_cast<double>(interpolated) * v;
}

/// An elementwise hidden unit's share of F_β(v): −log Σ_h e^{field·h}.
RBM_HD double hidden_term(UnitType type, float field) {
  return -units::log_partition_term(type, static_cast<double>(field));
}

/// The first value of a one-hot row's running log Σ e^{field}: the "all off" state's e^0 for
/// potts_off, nothing for potts. Fold the fields in with log_add_exp; the row's share of F_β is
/// minus the total.
RBM_HD double one_hot_start(UnitType type) {
  return type == UnitType::potts_off ? 0.0 : -INFINITY;
}

/// Tempering round t: whether chains c and c + 1 (of C, on a ladder of R levels, chain c at
/// level c mod R) form a swap pair — levels r, r + 1 with r ≡ t (mod 2).
RBM_HD bool opens_swap_pair(int c, int n_chains, int levels, unsigned long long round) {
  const int r = c % levels;
  return r + 1 < levels && c + 1 < n_chains && static_cast<unsigned long long>(r % 2) == round % 2;
}

/// Tempering: whether the chains at levels a (state x) and b (state y) exchange states, given
/// F_a(x), F_b(x), F_a(y), F_b(y) and a uniform u in (0, 1] (Metropolis rule for the swap:
/// accept with probability min(1, p_a(y) p_b(x) / (p_a(x) p_b(y)))).
RBM_HD bool accept_swap(double fa_x, double fb_x, double fa_y, double fb_y, float u) {
  const double log_ratio = (fa_x + fb_y) - (fa_y + fb_x);
  return log_ratio >= 0 || log(static_cast<double>(u)) < log_ratio;
}

}  // namespace rbm::detail::chains
