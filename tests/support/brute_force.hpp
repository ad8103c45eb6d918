// tests/support/brute_force.hpp — the ground truth for tiny RBMs: exhaustive enumeration of
// every (v,h) state in float64. Each quantity is written out plainly and independently of the
// library (and, for log Z, three times independently of itself) so that the library's CPU
// backend can be checked against it and the GPU backend against the CPU one.
//
// Conventions: state index s encodes unit i as bit i (v_i = (s >> i) & 1); W is [D][L]
// row-major as in rbm::Model; float parameters are read exactly into doubles, so the reference
// and the library evaluate the same mathematical function of the same numbers.
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

/// Unit i of state s as 0.0 or 1.0, for n units.
inline std::vector<double> unpack_state(std::uint64_t state, int n) {
  std::vector<double> units(n);
  for (int i = 0; i < n; ++i) units[i] = static_cast<double>((state >> i) & 1u);
  return units;
}

// ---- the model in double --------------------------------------------------------------------

/// A model's parameters converted (exactly) to double.
struct Params {
  int n_visible = 0;                 ///< D
  int n_hidden = 0;                  ///< L
  std::vector<double> weights;       ///< [D][L]
  std::vector<double> visible_bias;  ///< [D]
  std::vector<double> hidden_bias;   ///< [L]

  explicit Params(const Model& model)
      : n_visible(model.n_visible),
        n_hidden(model.n_hidden),
        weights(model.weights.begin(), model.weights.end()),
        visible_bias(model.visible_bias.begin(), model.visible_bias.end()),
        hidden_bias(model.hidden_bias.begin(), model.hidden_bias.end()) {
    if (weights.size() != static_cast<std::size_t>(n_visible) * n_hidden ||
        visible_bias.size() != static_cast<std::size_t>(n_visible) ||
        hidden_bias.size() != static_cast<std::size_t>(n_hidden))
      throw std::invalid_argument("brute force: model shapes disagree");
  }
  double w(int i, int j) const { return weights[static_cast<std::size_t>(i) * n_hidden + j]; }
};

/// Throws unless 2^n_units states is small enough to enumerate (n_units ≤ 20).
inline void require_enumerable(int n_units, const char* what) {
  if (n_units > kMaxBruteForceUnits)
    throw std::invalid_argument(std::string("brute force: ") + what + " needs 2^" +
                                std::to_string(n_units) + " states, more than 2^" +
                                std::to_string(kMaxBruteForceUnits));
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

/// F(v) = −bᵀv − Σ_j softplus(c_j + vᵀW_{:,j}).
inline double free_energy(const Params& p, const std::vector<double>& v) {
  double f = 0;
  for (int i = 0; i < p.n_visible; ++i) f -= p.visible_bias[i] * v[i];
  for (double x : hidden_field(p, v)) f -= softplus(x);
  return f;
}
inline double free_energy(const Model& model, const std::vector<double>& v) {
  return free_energy(Params(model), v);
}

/// p(h_j = 1 | v) for every j.
inline std::vector<double> hidden_probabilities(const Params& p, const std::vector<double>& v) {
  std::vector<double> prob = hidden_field(p, v);
  for (double& x : prob) x = sigmoid(x);
  return prob;
}
inline std::vector<double> hidden_probabilities(const Model& model, const std::vector<double>& v) {
  return hidden_probabilities(Params(model), v);
}

/// p(v_i = 1 | h) for every i; h may hold any values (the library accepts [0,1]).
inline std::vector<double> visible_probabilities(const Params& p, const std::vector<double>& h) {
  std::vector<double> prob = visible_field(p, h);
  for (double& x : prob) x = sigmoid(x);
  return prob;
}
inline std::vector<double> visible_probabilities(const Model& model, const std::vector<double>& h) {
  return visible_probabilities(Params(model), h);
}

// ---- log Z, three independent ways -----------------------------------------------------------

/// log Σ_{v,h} exp(−E(v,h)) over all 2^(D+L) joint states.
inline double log_z_joint(const Model& model) {
  require_enumerable(model.n_visible + model.n_hidden, "log Z over (v,h)");
  const Params p(model);
  const std::uint64_t n_v = std::uint64_t{1} << p.n_visible;
  const std::uint64_t n_h = std::uint64_t{1} << p.n_hidden;
  std::vector<double> terms;
  terms.reserve(n_v * n_h);
  for (std::uint64_t vs = 0; vs < n_v; ++vs) {
    const std::vector<double> v = unpack_state(vs, p.n_visible);
    for (std::uint64_t hs = 0; hs < n_h; ++hs)
      terms.push_back(-energy(p, v, unpack_state(hs, p.n_hidden)));
  }
  return log_sum_exp(terms);
}

/// log Σ_h exp(cᵀh) Π_i (1 + exp(b_i + W_{i,:}h)): v summed out analytically.
inline double log_z_enumerate_hidden(const Model& model) {
  require_enumerable(model.n_hidden, "log Z over h");
  const Params p(model);
  std::vector<double> terms;
  for (std::uint64_t hs = 0; hs < (std::uint64_t{1} << p.n_hidden); ++hs) {
    const std::vector<double> h = unpack_state(hs, p.n_hidden);
    double term = 0;
    for (int j = 0; j < p.n_hidden; ++j) term += p.hidden_bias[j] * h[j];
    for (double x : visible_field(p, h)) term += softplus(x);
    terms.push_back(term);
  }
  return log_sum_exp(terms);
}

/// log Σ_v exp(−F(v)): h summed out analytically.
inline double log_z_enumerate_visible(const Model& model) {
  require_enumerable(model.n_visible, "log Z over v");
  const Params p(model);
  std::vector<double> terms;
  for (std::uint64_t vs = 0; vs < (std::uint64_t{1} << p.n_visible); ++vs)
    terms.push_back(-free_energy(p, unpack_state(vs, p.n_visible)));
  return log_sum_exp(terms);
}

// ---- distributions, marginals, likelihood ---------------------------------------------------

/// Exact p(v) for every visible state s = 0 .. 2^D − 1 (bit i of s is v_i).
inline std::vector<double> visible_distribution(const Model& model) {
  const double log_z = log_z_enumerate_visible(model);
  const Params p(model);
  std::vector<double> prob(std::size_t{1} << p.n_visible);
  for (std::size_t vs = 0; vs < prob.size(); ++vs)
    prob[vs] = std::exp(-free_energy(p, unpack_state(vs, p.n_visible)) - log_z);
  return prob;
}

/// The row n of a dataset as doubles.
inline std::vector<double> row(const Dataset& data, std::size_t n) {
  std::vector<double> v(data.n_visible);
  for (int i = 0; i < data.n_visible; ++i) v[i] = data.at(n, i);
  return v;
}

/// Exact mean over the dataset of log p(v) = −F(v) − log Z.
inline double mean_log_likelihood(const Model& model, const Dataset& data) {
  const double log_z = log_z_enumerate_visible(model);
  const Params p(model);
  double sum = 0;
  for (std::size_t n = 0; n < data.n_samples; ++n) sum += -free_energy(p, row(data, n)) - log_z;
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

/// The positive phase: mean over the data of (v, p(h|v), v p(h|v)ᵀ).
inline Moments data_moments(const Model& model, const Dataset& data) {
  const Params p(model);
  Moments m(p.n_visible, p.n_hidden);
  const double weight = 1.0 / static_cast<double>(data.n_samples);
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const std::vector<double> v = row(data, n);
    m.add(weight, v, hidden_probabilities(p, v));
  }
  return m;
}

/// The model's moments Σ_v p(v)·(v, p(h|v), v p(h|v)ᵀ) (h summed out analytically).
inline Moments model_moments(const Model& model) {
  const Params p(model);
  const std::vector<double> prob = visible_distribution(model);
  Moments m(p.n_visible, p.n_hidden);
  for (std::size_t vs = 0; vs < prob.size(); ++vs) {
    const std::vector<double> v = unpack_state(vs, p.n_visible);
    m.add(prob[vs], v, hidden_probabilities(p, v));
  }
  return m;
}

/// The same moments as Σ_{v,h} p(v,h)·(v, h, v hᵀ), written independently as a cross-check.
inline Moments model_moments_joint(const Model& model) {
  require_enumerable(model.n_visible + model.n_hidden, "moments over (v,h)");
  const Params p(model);
  const double log_z = log_z_joint(model);
  Moments m(p.n_visible, p.n_hidden);
  for (std::uint64_t vs = 0; vs < (std::uint64_t{1} << p.n_visible); ++vs) {
    const std::vector<double> v = unpack_state(vs, p.n_visible);
    for (std::uint64_t hs = 0; hs < (std::uint64_t{1} << p.n_hidden); ++hs) {
      const std::vector<double> h = unpack_state(hs, p.n_hidden);
      m.add(std::exp(-energy(p, v, h) - log_z), v, h);
    }
  }
  return m;
}

/// The exact gradient of the mean log-likelihood of `data`: ⟨·⟩_data − ⟨·⟩_model.
inline Gradient log_likelihood_gradient(const Model& model, const Dataset& data) {
  return difference(data_moments(model, data), model_moments(model));
}

/// One block-Gibbs sweep v → h → v' as a 2^D × 2^D matrix, T[v][v'] = Σ_h p(h|v) p(v'|h).
inline std::vector<double> gibbs_transition(const Model& model) {
  // 2^D × 2^D entries, each a sum over 2^L hidden states.
  require_enumerable(2 * model.n_visible + model.n_hidden, "the Gibbs transition matrix");
  const Params p(model);
  const std::size_t n_v = std::size_t{1} << p.n_visible, n_h = std::size_t{1} << p.n_hidden;
  // p(h|v) and p(v|h) as products of independent Bernoulli units.
  auto product = [](const std::vector<double>& prob_one, std::size_t state) {
    double q = 1;
    for (std::size_t k = 0; k < prob_one.size(); ++k)
      q *= ((state >> k) & 1u) ? prob_one[k] : 1.0 - prob_one[k];
    return q;
  };
  std::vector<double> h_given_v(n_v * n_h), v_given_h(n_h * n_v);
  for (std::size_t vs = 0; vs < n_v; ++vs) {
    const std::vector<double> ph = hidden_probabilities(p, unpack_state(vs, p.n_visible));
    for (std::size_t hs = 0; hs < n_h; ++hs) h_given_v[vs * n_h + hs] = product(ph, hs);
  }
  for (std::size_t hs = 0; hs < n_h; ++hs) {
    const std::vector<double> pv = visible_probabilities(p, unpack_state(hs, p.n_hidden));
    for (std::size_t vs = 0; vs < n_v; ++vs) v_given_h[hs * n_v + vs] = product(pv, vs);
  }
  std::vector<double> t(n_v * n_v, 0.0);
  for (std::size_t a = 0; a < n_v; ++a)
    for (std::size_t hs = 0; hs < n_h; ++hs)
      for (std::size_t b = 0; b < n_v; ++b)
        t[a * n_v + b] += h_given_v[a * n_h + hs] * v_given_h[hs * n_v + b];
  return t;
}

/// The expectation (over all sampling) of the CD-k update direction of host/backend.hpp's
/// contract, started from the rows of `data`: data term − Σ_n (1/N) Σ_{v_k} T^k[v0_n][v_k]·
/// (v_k, p(h|v_k), v_k p(h|v_k)ᵀ). For large k it tends to the log-likelihood gradient.
inline Gradient expected_cd_gradient(const Model& model, const Dataset& data, int cd_steps) {
  const Params p(model);
  const std::size_t n_v = std::size_t{1} << p.n_visible;
  const std::vector<double> t = gibbs_transition(model);
  // dist = the empirical distribution of the data, pushed k times through T.
  std::vector<double> dist(n_v, 0.0);
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    std::size_t vs = 0;
    for (int i = 0; i < data.n_visible; ++i) vs |= static_cast<std::size_t>(data.at(n, i)) << i;
    dist[vs] += 1.0 / static_cast<double>(data.n_samples);
  }
  for (int step = 0; step < cd_steps; ++step) {
    std::vector<double> next(n_v, 0.0);
    for (std::size_t a = 0; a < n_v; ++a)
      for (std::size_t b = 0; b < n_v; ++b) next[b] += dist[a] * t[a * n_v + b];
    dist = next;
  }
  Moments negative(p.n_visible, p.n_hidden);
  for (std::size_t vs = 0; vs < n_v; ++vs) {
    const std::vector<double> v = unpack_state(vs, p.n_visible);
    negative.add(dist[vs], v, hidden_probabilities(p, v));
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

/// The model with every parameter multiplied by `factor` (exact in float for powers of two).
inline Model scaled(const Model& model, float factor) {
  Model result = model;
  for (float& x : result.weights) x *= factor;
  for (float& x : result.visible_bias) x *= factor;
  for (float& x : result.hidden_bias) x *= factor;
  return result;
}

/// Every one of the 2^D visible states, row s being state s.
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

/// N rows of D fair coin flips.
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
