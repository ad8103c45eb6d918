// tests/support/brute_force.hpp — the ground truth for tiny RBMs: exhaustive enumeration of
// every (v,h) state in float64. Each quantity is written out plainly and independently of the
// library (and, for log Z, three times independently of itself) so that the library's CPU
// backend can be checked against it and the GPU backend against the CPU one.
//
// Unit types (rbm::UnitType, read from model.visible_type / model.hidden_type; the reference
// reads Model as a plain struct and never calls Model::validate):
//   bernoulli  each unit in {0,1};        a layer of n units has 2^n states
//   spin       each unit in {-1,+1};      2^n states
//   potts      hidden only, one-hot;      n states (state μ: unit μ on, the others 0)
//   potts_off  hidden only, ≤ one on;     n + 1 states (state n: all units off)
// The energy is always E(v,h) = −bᵀv − cᵀh − vᵀWh with v, h taking their type's values, and
// p(v,h) = e^{−E}/Z.
//
// Conventions:
//  - State index s of a Bernoulli or spin layer encodes unit i as bit i: x_i = (s >> i) & 1,
//    and the unit's value is x_i (bernoulli) or 2x_i − 1 (spin). A potts(_off) state index is
//    the number of the unit that is on (n for "all off").
//  - Datasets always hold bits {0,1} (rbm::Dataset); a spin visible layer reads bit x as
//    v = 2x − 1. This is also the library's convention, and it makes row bits and the visible
//    state index agree for both visible types.
//  - W is [D][L] row-major as in rbm::Model; float parameters are read exactly into doubles, so
//    the reference and the library evaluate the same mathematical function of the same numbers.
//  - Everything that could overflow is done in the log domain (log-sum-exp, softplus,
//    log 2cosh), so fields of ±100 and more are fine.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "rbm/dataset.hpp"
#include "rbm/model.hpp"

namespace rbm::test {

/// Enumerations are only attempted over at most 2^20 states (e.g. D + L ≤ 20 for (v,h)).
constexpr int kMaxBruteForceUnits = 20;

// ---- scalar helpers -------------------------------------------------------------------------

/// log(1 + e^x) without overflow for large |x|.
inline double softplus(double x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

/// 1 / (1 + e^-x) without overflow for large |x|.
inline double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

/// log(e^x + e^−x) = log 2cosh(x) = |x| + log(1 + e^{−2|x|}): the spin unit's softplus.
inline double log_2cosh(double x) {
  const double a = std::abs(x);
  return a + softplus(-2.0 * a);
}

/// Sum by recursive halving: rounding error ≤ ⌈log2 n⌉·ε·Σ|x| instead of (n−1)·ε·Σ|x| for a
/// running sum, which matters at 2^20 terms and a 1e-10 comparison.
inline double pairwise_sum(const double* x, std::size_t n) {
  if (n <= 16) {
    double sum = 0;
    for (std::size_t k = 0; k < n; ++k) sum += x[k];
    return sum;
  }
  const std::size_t half = n / 2;
  return pairwise_sum(x, half) + pairwise_sum(x + half, n - half);
}

/// log Σ_k exp(x_k), shifted by the maximum so that nothing overflows.
inline double log_sum_exp(const std::vector<double>& x) {
  double max = -std::numeric_limits<double>::infinity();
  for (double value : x) max = std::max(max, value);
  if (!std::isfinite(max)) return max;
  std::vector<double> shifted(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) shifted[k] = std::exp(x[k] - max);
  return max + std::log(pairwise_sum(shifted.data(), shifted.size()));
}

/// Unit i of state s as 0.0 or 1.0, for n units (the Bernoulli case of layer_state).
inline std::vector<double> unpack_state(std::uint64_t state, int n) {
  std::vector<double> units(n);
  for (int i = 0; i < n; ++i) units[i] = static_cast<double>((state >> i) & 1u);
  return units;
}

// ---- layers: states, partition functions and conditionals of one layer of units --------------
//
// Given the other layer, an RBM layer is a set of units s with energy −fieldᵀs, so all of the
// following are functions of (type, field) only; both layers and every type use them.

/// Bernoulli and spin layers factorize over units (2^n states); potts layers do not.
inline bool is_binary(UnitType type) {
  return type == UnitType::bernoulli || type == UnitType::spin;
}

/// Number of states of a layer of n units: 2^n, 2^n, n or n + 1.
inline std::uint64_t layer_state_count(UnitType type, int n) {
  switch (type) {
    case UnitType::bernoulli:
    case UnitType::spin:
      if (n < 0 || n > 62) throw std::invalid_argument("brute force: layer too large");
      return std::uint64_t{1} << n;
    case UnitType::potts:
      return static_cast<std::uint64_t>(n);
    case UnitType::potts_off:
      return static_cast<std::uint64_t>(n) + 1;
  }
  throw std::invalid_argument("brute force: unknown unit type");
}

/// ⌈log2(number of states)⌉: what require_enumerable counts ("units" for binary layers).
inline int layer_state_bits(UnitType type, int n) {
  if (is_binary(type)) return n;
  int bits = 0;
  while ((std::uint64_t{1} << bits) < layer_state_count(type, n)) ++bits;
  return bits;
}

/// The unit values of state `index` of a layer of n units of `type` (see the conventions above).
inline std::vector<double> layer_state(UnitType type, int n, std::uint64_t index) {
  if (index >= layer_state_count(type, n))
    throw std::invalid_argument("brute force: state index out of range");
  if (type == UnitType::bernoulli) return unpack_state(index, n);
  std::vector<double> units(n, 0.0);
  if (type == UnitType::spin) {
    for (int i = 0; i < n; ++i) units[i] = ((index >> i) & 1u) ? 1.0 : -1.0;
  } else if (index < static_cast<std::uint64_t>(n)) {  // potts(_off); index n = all off
    units[index] = 1.0;
  }
  return units;
}

/// log Σ_s exp(fieldᵀs) over every state s of the layer, in closed form: Σ_i softplus(f_i)
/// (bernoulli), Σ_i log 2cosh(f_i) (spin), LSE_μ f_μ (potts), LSE(f_1..f_n, 0) (potts_off).
inline double layer_log_partition(UnitType type, const std::vector<double>& field) {
  double sum = 0;
  switch (type) {
    case UnitType::bernoulli:
      for (double f : field) sum += softplus(f);
      return sum;
    case UnitType::spin:
      for (double f : field) sum += log_2cosh(f);
      return sum;
    case UnitType::potts:
      return log_sum_exp(field);
    case UnitType::potts_off: {
      std::vector<double> logits = field;
      logits.push_back(0.0);  // the "all off" state has energy 0
      return log_sum_exp(logits);
    }
  }
  throw std::invalid_argument("brute force: unknown unit type");
}

/// E[s_i | field] for every unit: σ(f) (bernoulli), tanh(f) (spin), softmax of f (potts),
/// softmax of (f, 0) without its last entry (potts_off).
inline std::vector<double> layer_means(UnitType type, const std::vector<double>& field) {
  std::vector<double> mean(field.size());
  if (type == UnitType::bernoulli) {
    for (std::size_t i = 0; i < field.size(); ++i) mean[i] = sigmoid(field[i]);
  } else if (type == UnitType::spin) {
    for (std::size_t i = 0; i < field.size(); ++i) mean[i] = std::tanh(field[i]);
  } else {
    const double log_z = layer_log_partition(type, field);
    for (std::size_t i = 0; i < field.size(); ++i) mean[i] = std::exp(field[i] - log_z);
  }
  return mean;
}

/// p(unit i is "on" | field): σ(f) (bernoulli); p(s_i = +1) = e^f/(e^f + e^−f) = σ(2f) (spin);
/// the softmax of layer_means (potts, potts_off), where a unit's value is its on-indicator.
inline std::vector<double> layer_on_probabilities(UnitType type, const std::vector<double>& field) {
  if (type != UnitType::spin) return layer_means(type, field);
  std::vector<double> prob(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) prob[i] = sigmoid(2.0 * field[i]);
  return prob;
}

/// p(s | field) for every state index s of the layer: exp(fieldᵀs − log partition).
inline std::vector<double> layer_state_distribution(UnitType type,
                                                    const std::vector<double>& field) {
  const int n = static_cast<int>(field.size());
  const double log_z = layer_log_partition(type, field);
  std::vector<double> prob(layer_state_count(type, n));
  for (std::uint64_t s = 0; s < prob.size(); ++s) {
    const std::vector<double> units = layer_state(type, n, s);
    double dot = 0;
    for (int i = 0; i < n; ++i) dot += field[i] * units[i];
    prob[s] = std::exp(dot - log_z);
  }
  return prob;
}

// ---- the model in double --------------------------------------------------------------------

/// A model's parameters converted (exactly) to double, with its unit types.
struct Params {
  int n_visible = 0;  ///< D
  int n_hidden = 0;   ///< L
  UnitType visible_type = UnitType::bernoulli;
  UnitType hidden_type = UnitType::bernoulli;
  std::vector<double> weights;       ///< [D][L]
  std::vector<double> visible_bias;  ///< [D]
  std::vector<double> hidden_bias;   ///< [L]

  explicit Params(const Model& model)
      : n_visible(model.n_visible),
        n_hidden(model.n_hidden),
        visible_type(model.visible_type),
        hidden_type(model.hidden_type),
        weights(model.weights.begin(), model.weights.end()),
        visible_bias(model.visible_bias.begin(), model.visible_bias.end()),
        hidden_bias(model.hidden_bias.begin(), model.hidden_bias.end()) {
    if (weights.size() != static_cast<std::size_t>(n_visible) * n_hidden ||
        visible_bias.size() != static_cast<std::size_t>(n_visible) ||
        hidden_bias.size() != static_cast<std::size_t>(n_hidden))
      throw std::invalid_argument("brute force: model shapes disagree");
    // Data rows are bits, which only a Bernoulli or spin visible layer can read.
    if (!is_binary(visible_type))
      throw std::invalid_argument("brute force: the visible layer must be bernoulli or spin");
  }
  double w(int i, int j) const { return weights[static_cast<std::size_t>(i) * n_hidden + j]; }
  std::uint64_t visible_states() const { return layer_state_count(visible_type, n_visible); }
  std::uint64_t hidden_states() const { return layer_state_count(hidden_type, n_hidden); }
  std::vector<double> visible_state(std::uint64_t s) const {
    return layer_state(visible_type, n_visible, s);
  }
  std::vector<double> hidden_state(std::uint64_t s) const {
    return layer_state(hidden_type, n_hidden, s);
  }
};

/// Throws unless 2^n_units states is small enough to enumerate (n_units ≤ 20).
inline void require_enumerable(int n_units, const char* what) {
  if (n_units > kMaxBruteForceUnits)
    throw std::invalid_argument(std::string("brute force: ") + what + " needs 2^" +
                                std::to_string(n_units) + " states, more than 2^" +
                                std::to_string(kMaxBruteForceUnits));
}

/// ⌈log2⌉ of the number of visible (hidden) states, for require_enumerable.
inline int visible_bits(const Params& p) {
  return layer_state_bits(p.visible_type, p.n_visible);
}
inline int hidden_bits(const Params& p) {
  return layer_state_bits(p.hidden_type, p.n_hidden);
}

/// E(v,h) = −bᵀv − cᵀh − vᵀWh.
inline double energy(const Params& p, const std::vector<double>& v, const std::vector<double>& h) {
  double e = 0;
  for (int i = 0; i < p.n_visible; ++i) e -= p.visible_bias[i] * v[i];
  for (int j = 0; j < p.n_hidden; ++j) e -= p.hidden_bias[j] * h[j];
  for (int i = 0; i < p.n_visible; ++i)
    for (int j = 0; j < p.n_hidden; ++j) e -= v[i] * p.w(i, j) * h[j];
  return e;
}

/// Hidden field c_j + vᵀW_{:,j} for every j.
inline std::vector<double> hidden_field(const Params& p, const std::vector<double>& v) {
  std::vector<double> field(p.hidden_bias);
  for (int i = 0; i < p.n_visible; ++i)
    for (int j = 0; j < p.n_hidden; ++j) field[j] += v[i] * p.w(i, j);
  return field;
}

/// Visible field b_i + W_{i,:}h for every i.
inline std::vector<double> visible_field(const Params& p, const std::vector<double>& h) {
  std::vector<double> field(p.visible_bias);
  for (int i = 0; i < p.n_visible; ++i)
    for (int j = 0; j < p.n_hidden; ++j) field[i] += p.w(i, j) * h[j];
  return field;
}

/// F(v) = −log Σ_h e^{−E(v,h)} = −bᵀv − log Σ_h e^{fᵀh}, f = hidden_field(v): the sum is
/// Σ_j softplus(f_j) (bernoulli), Σ_j log 2cosh(f_j) (spin), LSE f (potts), LSE(f, 0) (potts_off).
inline double free_energy(const Params& p, const std::vector<double>& v) {
  double f = 0;
  for (int i = 0; i < p.n_visible; ++i) f -= p.visible_bias[i] * v[i];
  return f - layer_log_partition(p.hidden_type, hidden_field(p, v));
}
inline double free_energy(const Model& model, const std::vector<double>& v) {
  return free_energy(Params(model), v);
}

/// E[h_j | v] for every j: σ(f_j), tanh(f_j), or the softmax (with an "off" logit 0 for
/// potts_off) of the hidden fields. This is what the positive phase of a gradient uses.
inline std::vector<double> hidden_means(const Params& p, const std::vector<double>& v) {
  return layer_means(p.hidden_type, hidden_field(p, v));
}
inline std::vector<double> hidden_means(const Model& model, const std::vector<double>& v) {
  return hidden_means(Params(model), v);
}

/// E[v_i | h] for every i: σ(f_i) (bernoulli) or tanh(f_i) (spin); h may hold any values.
inline std::vector<double> visible_means(const Params& p, const std::vector<double>& h) {
  return layer_means(p.visible_type, visible_field(p, h));
}
inline std::vector<double> visible_means(const Model& model, const std::vector<double>& h) {
  return visible_means(Params(model), h);
}

/// p(h_j "on" | v) for every j: p(h_j = 1) (bernoulli), p(h_j = +1) = σ(2f_j) (spin), p(unit j
/// is the one on) (potts, potts_off). Equal to hidden_means except for spin (mean = 2p − 1).
inline std::vector<double> hidden_probabilities(const Params& p, const std::vector<double>& v) {
  return layer_on_probabilities(p.hidden_type, hidden_field(p, v));
}
inline std::vector<double> hidden_probabilities(const Model& model, const std::vector<double>& v) {
  return hidden_probabilities(Params(model), v);
}

/// p(v_i = 1 | h) (bernoulli) or p(v_i = +1 | h) = σ(2f_i) (spin) for every i; h may hold any
/// values (the library accepts [0,1] mean-field inputs).
inline std::vector<double> visible_probabilities(const Params& p, const std::vector<double>& h) {
  return layer_on_probabilities(p.visible_type, visible_field(p, h));
}
inline std::vector<double> visible_probabilities(const Model& model, const std::vector<double>& h) {
  return visible_probabilities(Params(model), h);
}

/// p(h = state s | v) for every hidden state index s (see layer_state).
inline std::vector<double> hidden_state_distribution(const Params& p,
                                                     const std::vector<double>& v) {
  return layer_state_distribution(p.hidden_type, hidden_field(p, v));
}

/// p(v = state s | h) for every visible state index s.
inline std::vector<double> visible_state_distribution(const Params& p,
                                                      const std::vector<double>& h) {
  return layer_state_distribution(p.visible_type, visible_field(p, h));
}

// ---- log Z, three independent ways -----------------------------------------------------------

/// log Σ_{v,h} exp(−E(v,h)) over every joint state (no closed form used).
inline double log_z_joint(const Params& p) {
  require_enumerable(visible_bits(p) + hidden_bits(p), "log Z over (v,h)");
  std::vector<std::vector<double>> hidden;
  for (std::uint64_t hs = 0; hs < p.hidden_states(); ++hs) hidden.push_back(p.hidden_state(hs));
  std::vector<double> terms;
  terms.reserve(p.visible_states() * hidden.size());
  for (std::uint64_t vs = 0; vs < p.visible_states(); ++vs) {
    const std::vector<double> v = p.visible_state(vs);
    for (const std::vector<double>& h : hidden) terms.push_back(-energy(p, v, h));
  }
  return log_sum_exp(terms);
}
inline double log_z_joint(const Model& model) {
  return log_z_joint(Params(model));
}

/// log Σ_h exp(cᵀh) Σ_v exp(vᵀ(b + Wh)): v summed out analytically, one factor per visible
/// unit (softplus for bernoulli, log 2cosh for spin).
inline double log_z_enumerate_hidden(const Params& p) {
  require_enumerable(hidden_bits(p), "log Z over h");
  std::vector<double> terms;
  for (std::uint64_t hs = 0; hs < p.hidden_states(); ++hs) {
    const std::vector<double> h = p.hidden_state(hs);
    double term = 0;
    for (int j = 0; j < p.n_hidden; ++j) term += p.hidden_bias[j] * h[j];
    terms.push_back(term + layer_log_partition(p.visible_type, visible_field(p, h)));
  }
  return log_sum_exp(terms);
}
inline double log_z_enumerate_hidden(const Model& model) {
  return log_z_enumerate_hidden(Params(model));
}

/// log Σ_v exp(−F(v)): h summed out analytically (see free_energy).
inline double log_z_enumerate_visible(const Params& p) {
  require_enumerable(visible_bits(p), "log Z over v");
  std::vector<double> terms;
  for (std::uint64_t vs = 0; vs < p.visible_states(); ++vs)
    terms.push_back(-free_energy(p, p.visible_state(vs)));
  return log_sum_exp(terms);
}
inline double log_z_enumerate_visible(const Model& model) {
  return log_z_enumerate_visible(Params(model));
}

// ---- spin layers as Bernoulli layers ---------------------------------------------------------
//
// A spin layer s ∈ {−1,+1}^n is a Bernoulli layer x ∈ {0,1}^n under s = 2x − 1, a bijection
// (bit i of a state index is x_i either way, so state indices agree too). Substituting it into
// −E = bᵀv + cᵀh + vᵀWh, with 1 the all-ones vector:
//
//  spin visible, v = 2x − 1 (any hidden type, since −E is linear in h):
//    −E = 2bᵀx − 1ᵀb + cᵀh + 2xᵀWh − 1ᵀWh = (2b)ᵀx + (c − Wᵀ1)ᵀh + xᵀ(2W)h − Σ_i b_i
//    ⇒ W' = 2W, b' = 2b, c' = c − Wᵀ1 (c'_j = c_j − Σ_i W_ij), offset −Σ_i b_i.
//  spin hidden, h = 2y − 1 (any visible values, since −E is linear in v):
//    −E = bᵀv + 2cᵀy − 1ᵀc + 2vᵀWy − vᵀW1 = (b − W1)ᵀv + (2c)ᵀy + vᵀ(2W)y − Σ_j c_j
//    ⇒ W' = 2W, c' = 2c, b' = b − W1 (b'_i = b_i − Σ_j W_ij), offset −Σ_j c_j.
//  both spin: the two substitutions one after the other (visible first, then hidden on the
//    result), or directly:
//    −E = (2b − 2W1)ᵀx + (2c − 2Wᵀ1)ᵀy + xᵀ(4W)y + (Σ_ij W_ij − Σ_i b_i − Σ_j c_j)
//    ⇒ W' = 4W, b' = 2b − 2W1, c' = 2c − 2Wᵀ1, offset Σ_ij W_ij − Σ_i b_i − Σ_j c_j.
//
// In each case −E(v,h) = −E'(x,y) + offset for every state, hence p(v,h) = p'(x,y), F(v) =
// F'(x) − offset and log Z = log Z' + offset. Potts hidden layers are left as they are.
// b' and c' are sums of parameters and are not exact in float: they are computed (and kept)
// in double here.

/// A model expressed with Bernoulli layers in place of its spin layers.
struct BernoulliEquivalent {
  Params params;        ///< the same distribution over state indices, spin layers → bernoulli
  double log_z_offset;  ///< log Z(model) = log Z(params) + log_z_offset
};

/// v = 2x − 1 substituted into a spin visible layer (see above).
inline BernoulliEquivalent substitute_spin_visible(const Params& p) {
  BernoulliEquivalent eq{p, 0.0};
  Params& q = eq.params;
  q.visible_type = UnitType::bernoulli;
  for (int i = 0; i < p.n_visible; ++i) {
    q.visible_bias[i] = 2 * p.visible_bias[i];
    eq.log_z_offset -= p.visible_bias[i];
    for (int j = 0; j < p.n_hidden; ++j) q.hidden_bias[j] -= p.w(i, j);  // c − Wᵀ1
  }
  for (double& w : q.weights) w *= 2;
  return eq;
}

/// h = 2y − 1 substituted into a spin hidden layer (see above).
inline BernoulliEquivalent substitute_spin_hidden(const Params& p) {
  BernoulliEquivalent eq{p, 0.0};
  Params& q = eq.params;
  q.hidden_type = UnitType::bernoulli;
  for (int j = 0; j < p.n_hidden; ++j) {
    q.hidden_bias[j] = 2 * p.hidden_bias[j];
    eq.log_z_offset -= p.hidden_bias[j];
  }
  for (int i = 0; i < p.n_visible; ++i)
    for (int j = 0; j < p.n_hidden; ++j) q.visible_bias[i] -= p.w(i, j);  // b − W1
  for (double& w : q.weights) w *= 2;
  return eq;
}

/// The model with every spin layer replaced by a Bernoulli one, and the log Z offset between
/// them; a model without spin layers comes back unchanged with offset 0.
inline BernoulliEquivalent bernoulli_equivalent(const Params& p) {
  BernoulliEquivalent eq{p, 0.0};
  if (eq.params.visible_type == UnitType::spin) eq = substitute_spin_visible(eq.params);
  if (eq.params.hidden_type == UnitType::spin) {
    const BernoulliEquivalent second = substitute_spin_hidden(eq.params);
    eq = {second.params, eq.log_z_offset + second.log_z_offset};
  }
  return eq;
}
inline BernoulliEquivalent bernoulli_equivalent(const Model& model) {
  return bernoulli_equivalent(Params(model));
}

// ---- data rows ------------------------------------------------------------------------------

/// The value a unit of a visible layer of `type` takes for data bit x: x, or 2x − 1 for spin.
inline double visible_value(UnitType type, std::uint8_t bit) {
  return type == UnitType::spin ? 2.0 * bit - 1.0 : static_cast<double>(bit);
}

/// The data bit of a visible unit value: the inverse of visible_value; throws on other values.
inline std::uint8_t visible_bit(UnitType type, double value) {
  const double off = type == UnitType::spin ? -1.0 : 0.0;
  if (value == 1.0) return 1;
  if (value == off) return 0;
  throw std::invalid_argument("brute force: " + std::to_string(value) +
                              " is not a value of this visible unit type");
}

/// The row n of a dataset as doubles (bits: the Bernoulli reading).
inline std::vector<double> row(const Dataset& data, std::size_t n) {
  std::vector<double> v(data.n_visible);
  for (int i = 0; i < data.n_visible; ++i) v[i] = data.at(n, i);
  return v;
}

/// The row n of a dataset as the visible values of a layer of `type` (v = 2x − 1 for spin).
inline std::vector<double> visible_row(UnitType type, const Dataset& data, std::size_t n) {
  std::vector<double> v(data.n_visible);
  for (int i = 0; i < data.n_visible; ++i) v[i] = visible_value(type, data.at(n, i));
  return v;
}

/// The visible state index of row n (bit i = data bit i, for either visible type).
inline std::uint64_t row_state(const Dataset& data, std::size_t n) {
  std::uint64_t s = 0;
  for (int i = 0; i < data.n_visible; ++i) s |= static_cast<std::uint64_t>(data.at(n, i)) << i;
  return s;
}

/// Rows of visible values of a layer of `type` (e.g. ±1 spins) as a bit Dataset.
inline Dataset dataset_from_values(UnitType type, const std::vector<std::vector<double>>& rows) {
  Dataset data;
  data.n_visible = rows.empty() ? 0 : static_cast<int>(rows.front().size());
  data.n_samples = rows.size();
  for (const std::vector<double>& v : rows) {
    if (static_cast<int>(v.size()) != data.n_visible)
      throw std::invalid_argument("brute force: rows of different lengths");
    for (double x : v) data.values.push_back(visible_bit(type, x));
  }
  data.name = "values";
  return data;
}

// ---- distributions, marginals, likelihood ---------------------------------------------------

/// Exact p(v) for every visible state index s (bit i of s is unit i's data bit).
inline std::vector<double> visible_distribution(const Params& p) {
  const double log_z = log_z_enumerate_visible(p);
  std::vector<double> prob(p.visible_states());
  for (std::uint64_t vs = 0; vs < prob.size(); ++vs)
    prob[vs] = std::exp(-free_energy(p, p.visible_state(vs)) - log_z);
  return prob;
}
inline std::vector<double> visible_distribution(const Model& model) {
  return visible_distribution(Params(model));
}

/// Exact mean over the dataset of log p(v) = −F(v) − log Z (spin layers read v = 2x − 1).
inline double mean_log_likelihood(const Model& model, const Dataset& data) {
  const Params p(model);
  const double log_z = log_z_enumerate_visible(p);
  double sum = 0;
  for (std::size_t n = 0; n < data.n_samples; ++n)
    sum += -free_energy(p, visible_row(p.visible_type, data, n)) - log_z;
  return sum / static_cast<double>(data.n_samples);
}

/// First and second moments ⟨v⟩, ⟨h⟩, ⟨v hᵀ⟩ — laid out like a Model ([D][L], [D], [L]), which
/// is also the layout of a gradient (a difference of moments).
struct Moments {
  std::vector<double> weights;       ///< ⟨v_i h_j⟩, [D][L]
  std::vector<double> visible_bias;  ///< ⟨v_i⟩, [D]
  std::vector<double> hidden_bias;   ///< ⟨h_j⟩, [L]

  Moments(int n_visible, int n_hidden)
      : weights(static_cast<std::size_t>(n_visible) * n_hidden, 0.0),
        visible_bias(n_visible, 0.0),
        hidden_bias(n_hidden, 0.0) {}

  /// Adds weight·(v, h, v hᵀ).
  void add(double weight, const std::vector<double>& v, const std::vector<double>& h) {
    const int n_hidden = static_cast<int>(h.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
      visible_bias[i] += weight * v[i];
      for (int j = 0; j < n_hidden; ++j) weights[i * n_hidden + j] += weight * v[i] * h[j];
    }
    for (int j = 0; j < n_hidden; ++j) hidden_bias[j] += weight * h[j];
  }
};
using Gradient = Moments;

inline Moments difference(const Moments& a, const Moments& b) {
  Moments d = a;
  for (std::size_t k = 0; k < d.weights.size(); ++k) d.weights[k] -= b.weights[k];
  for (std::size_t k = 0; k < d.visible_bias.size(); ++k) d.visible_bias[k] -= b.visible_bias[k];
  for (std::size_t k = 0; k < d.hidden_bias.size(); ++k) d.hidden_bias[k] -= b.hidden_bias[k];
  return d;
}

/// The positive phase: mean over the data of (v, E[h|v], v E[h|v]ᵀ).
inline Moments data_moments(const Model& model, const Dataset& data) {
  const Params p(model);
  Moments m(p.n_visible, p.n_hidden);
  const double weight = 1.0 / static_cast<double>(data.n_samples);
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const std::vector<double> v = visible_row(p.visible_type, data, n);
    m.add(weight, v, hidden_means(p, v));
  }
  return m;
}

/// The model's moments Σ_v p(v)·(v, E[h|v], v E[h|v]ᵀ) (h summed out analytically).
inline Moments model_moments(const Model& model) {
  const Params p(model);
  const std::vector<double> prob = visible_distribution(p);
  Moments m(p.n_visible, p.n_hidden);
  for (std::uint64_t vs = 0; vs < prob.size(); ++vs) {
    const std::vector<double> v = p.visible_state(vs);
    m.add(prob[vs], v, hidden_means(p, v));
  }
  return m;
}

/// The same moments as Σ_{v,h} p(v,h)·(v, h, v hᵀ), written independently as a cross-check.
inline Moments model_moments_joint(const Model& model) {
  const Params p(model);
  require_enumerable(visible_bits(p) + hidden_bits(p), "moments over (v,h)");
  const double log_z = log_z_joint(p);
  Moments m(p.n_visible, p.n_hidden);
  for (std::uint64_t vs = 0; vs < p.visible_states(); ++vs) {
    const std::vector<double> v = p.visible_state(vs);
    for (std::uint64_t hs = 0; hs < p.hidden_states(); ++hs) {
      const std::vector<double> h = p.hidden_state(hs);
      m.add(std::exp(-energy(p, v, h) - log_z), v, h);
    }
  }
  return m;
}

/// The exact gradient of the mean log-likelihood of `data`: ⟨·⟩_data − ⟨·⟩_model.
inline Gradient log_likelihood_gradient(const Model& model, const Dataset& data) {
  return difference(data_moments(model, data), model_moments(model));
}

/// One block-Gibbs sweep v → h → v' as a matrix over visible state indices,
/// T[v][v'] = Σ_h p(h|v) p(v'|h), the sum over every hidden state of the hidden type.
inline std::vector<double> gibbs_transition(const Model& model) {
  const Params p(model);
  // Visible-state² entries, each a sum over the hidden states.
  require_enumerable(2 * visible_bits(p) + hidden_bits(p), "the Gibbs transition matrix");
  const std::size_t n_v = p.visible_states(), n_h = p.hidden_states();
  std::vector<std::vector<double>> h_given_v(n_v), v_given_h(n_h);
  for (std::size_t vs = 0; vs < n_v; ++vs)
    h_given_v[vs] = hidden_state_distribution(p, p.visible_state(vs));
  for (std::size_t hs = 0; hs < n_h; ++hs)
    v_given_h[hs] = visible_state_distribution(p, p.hidden_state(hs));
  std::vector<double> t(n_v * n_v, 0.0);
  for (std::size_t a = 0; a < n_v; ++a)
    for (std::size_t hs = 0; hs < n_h; ++hs)
      for (std::size_t b = 0; b < n_v; ++b) t[a * n_v + b] += h_given_v[a][hs] * v_given_h[hs][b];
  return t;
}

/// The expectation (over all sampling) of the CD-k update direction of host/backend.hpp's
/// contract, started from the rows of `data`: data term − Σ_n (1/N) Σ_{v_k} T^k[v0_n][v_k]·
/// (v_k, E[h|v_k], v_k E[h|v_k]ᵀ). For large k it tends to the log-likelihood gradient.
inline Gradient expected_cd_gradient(const Model& model, const Dataset& data, int cd_steps) {
  const Params p(model);
  const std::size_t n_v = p.visible_states();
  const std::vector<double> t = gibbs_transition(model);
  // dist = the empirical distribution of the data, pushed k times through T.
  std::vector<double> dist(n_v, 0.0);
  for (std::size_t n = 0; n < data.n_samples; ++n)
    dist[row_state(data, n)] += 1.0 / static_cast<double>(data.n_samples);
  for (int step = 0; step < cd_steps; ++step) {
    std::vector<double> next(n_v, 0.0);
    for (std::size_t a = 0; a < n_v; ++a)
      for (std::size_t b = 0; b < n_v; ++b) next[b] += dist[a] * t[a * n_v + b];
    dist = next;
  }
  Moments negative(p.n_visible, p.n_hidden);
  for (std::size_t vs = 0; vs < n_v; ++vs) {
    const std::vector<double> v = p.visible_state(vs);
    negative.add(dist[vs], v, hidden_means(p, v));
  }
  return difference(data_moments(model, data), negative);
}

// ---- generators -----------------------------------------------------------------------------

/// Uniform in (0, 1] from the top 53 bits of a std::mt19937_64 draw (portable, unlike
/// std::uniform_real_distribution).
inline double uniform_open_closed(std::mt19937_64& rng) {
  return (static_cast<double>(rng() >> 11) + 1.0) * 0x1.0p-53;
}

/// Standard normal by Box–Muller (portable, unlike std::normal_distribution).
inline double standard_normal(std::mt19937_64& rng) {
  const double u1 = uniform_open_closed(rng), u2 = uniform_open_closed(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

/// A D×L model with every parameter (W, b, c) drawn from N(0, scale²), rounded to float.
inline Model make_random_model(int n_visible, int n_hidden, double scale, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Model model = Model::zeros(n_visible, n_hidden);
  for (float& x : model.weights) x = static_cast<float>(scale * standard_normal(rng));
  for (float& x : model.visible_bias) x = static_cast<float>(scale * standard_normal(rng));
  for (float& x : model.hidden_bias) x = static_cast<float>(scale * standard_normal(rng));
  return model;
}

/// The same parameters as the four-argument version, with the given unit types.
inline Model make_random_model(int n_visible,
                               int n_hidden,
                               double scale,
                               std::uint64_t seed,
                               UnitType visible_type,
                               UnitType hidden_type) {
  Model model = make_random_model(n_visible, n_hidden, scale, seed);
  model.visible_type = visible_type;
  model.hidden_type = hidden_type;
  return model;
}

/// The model with every parameter multiplied by `factor` (exact in float for powers of two).
inline Model scaled(const Model& model, float factor) {
  Model result = model;
  for (float& x : result.weights) x *= factor;
  for (float& x : result.visible_bias) x *= factor;
  for (float& x : result.hidden_bias) x *= factor;
  return result;
}

/// Every one of the 2^D visible states, row s being state s (for either visible type).
inline Dataset all_visible_states(int n_visible) {
  Dataset data;
  data.n_visible = n_visible;
  data.n_samples = std::size_t{1} << n_visible;
  data.values.resize(data.n_samples * n_visible);
  for (std::size_t s = 0; s < data.n_samples; ++s)
    for (int i = 0; i < n_visible; ++i) data.values[s * n_visible + i] = (s >> i) & 1u;
  data.name = "all-states:" + std::to_string(n_visible);
  return data;
}

/// N rows of D fair coin flips (bits; a spin layer reads them as ±1).
inline Dataset random_dataset(int n_visible, std::size_t n_samples, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Dataset data;
  data.n_visible = n_visible;
  data.n_samples = n_samples;
  data.values.resize(n_samples * n_visible);
  for (std::uint8_t& x : data.values) x = static_cast<std::uint8_t>(rng() >> 63);
  data.name = "random:" + std::to_string(seed);
  return data;
}

}  // namespace rbm::test
