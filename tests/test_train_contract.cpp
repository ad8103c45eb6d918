// tests/test_train_contract.cpp — the whole training contract of host/backend.hpp, written out
// independently in float64, against the CPU backend.
//
// The reference below implements, from the documentation only (host/backend.hpp's contract,
// include/rbm/train.hpp's optimizer formulas, host/common/units.hpp's unit types and sampling
// rule), every option a TrainConfig has: visible bernoulli/spin and hidden
// bernoulli/spin/potts/potts-off units, CD-k and PCD, sgd, momentum, nesterov, rmsprop with and
// without momentum, adam with bias correction, L2 and L1 decay of W, the sparsity penalty,
// centering, per-epoch schedules of the learning rate, momentum, batch size and CD steps, the
// Philox stream layout, the epoch permutation and the per-epoch reconstruction error. It uses
// only the public headers, and host/common/philox.hpp for the uniforms (the contract defines
// randomness as that generator).
//
// ---- The tolerance: a float32 error bound carried next to every float64 value ----------------
// The library computes in float32, the reference in float64. Rather than one number per case,
// the reference carries, next to each value x it computes, a bound e(x) on how far the library's
// float result can be from x: forward error analysis of the operation sequence the contract
// prescribes, with u = 2^−24 (float's unit roundoff). The rules (products of errors included,
// so the bound is rigorous, not first-order, given libm's documented accuracy):
//  * an exactly representable input (data bits, samples, the initial float parameters): e = 0;
//    a schedule's value, rounded to float for the epoch: e = |float(x) − x|;
//  * one float operation, each rounded on its own (host/common/optimizer.hpp's contract):
//    e(a ± b) = e(a) + e(b) + u·|a ± b|, e(a·b) = |a|e(b) + |b|e(a) + e(a)e(b) + u·|ab|,
//    e(a/b) = (e(a) + |a/b|·e(b))/(|b| − e(b)) + u·|a/b|,
//    e(√a) = min(√e(a), e(a)/(√a + √(a − e(a)))) + u·√a; x ± 0 and x·0 are exact;
//  * a GEMM/GEMV entry Σ_k a_k b_k of length n (OpenBLAS: any order, FMA or not):
//    Σ(|a|e(b) + |b|e(a) + e(a)e(b)) + γ_n·Σ|a||b|, γ_n = nu/(1 − nu) (Higham, Accuracy and
//    Stability of Numerical Algorithms, §3.1); γ_{n+2} with alpha = 1/B (itself rounded);
//  * a column mean summed in double and rounded to float: Σe/rows + u·|mean|; the difference of
//    two such means of exact values is exact when they are equal (they round alike);
//  * σ(f) in float (1/(1 + expf(−f)); expf within 4 ulp even as glibc's vector expf): σ's
//    steepest slope on [f − e, f + e] times e(f), plus 8u·p for the roundings;
//  * a one-hot row's softmax e^{f_k − max}/Σ: |Δ log p_k| ≤ e(f_k) + max_l e(f_l) (log-sum-exp
//    is 1-Lipschitz in the max norm) plus the relative roundings (f − max, expf within 1 ulp,
//    the sum, the division); a cumulative sum of means adds its terms' bounds and γ_k;
//  * moving averages, the optimizer updates, centering and sparsity: the rules above applied to
//    the formulas as the contract and include/rbm/train.hpp write them.
// Errors feed back: a parameter's bound enters the next step's fields (sums of D or L terms),
// probabilities and gradients, and the optimizer passes a gradient's error on multiplied by lr
// (sgd), lr/(1 − μ) at most (momentum), lr·(1 + μ)/(1 − μ) (nesterov), or, for rmsprop and adam,
// by lr/(√s + ε)-like factors: ≤ 2·lr/ε for rmsprop's g/(√s + ε) (its √s ≥ √(1−α)·|g|), and for
// adam lr·(1 + K)/ε with K = |m̂|/√ŝ. Worst cases add up, so the bound grows geometrically,
// about (1 + lr·K')^steps with K' ~ (D + L)·(1 + centering's D·|μ|); the cases below are sized
// to keep it small (few epochs of few steps, lr ≤ 0.1, small models), and the adaptive ones keep
// their denominators away from zero with ε = 1e-3 or 1e-2 (which also makes ε's place in the
// formula visible); the default-ε adam case works because its gradients stay away from zero,
// which the bound checks rather than assumes (a gradient tiny at every step would inflate the
// bound of its parameter, and of everything that parameter feeds, instead of hiding in a
// global tolerance). The test requires |library − reference| ≤ e for W, b, c and for every
// epoch's reconstruction error, with no extra factor, and that the largest bound is below 1% of
// the largest change training made to a parameter (so the comparison has teeth: a formula
// mistake moves the parameters by a fraction of a step, far beyond the bound). The bounds come out
// between 4e-6 and 1.5e-3 for parameter changes of 0.04 to 0.75; the library's actual distance is
// at most a quarter of the bound.
//
// Sampling is discrete: a unit whose uniform u lies within its probability's bound of p (for a
// one-hot row: of a cumulative sum), or an L1 sign(θ) with |θ| ≤ e(θ), could go either way in
// float, and one flip would change everything after it. The reference flags every such draw;
// the fixed seeds of the cases below have none (the flags depend on float64 values only, so
// they are the same on every machine), and a case with one fails naming the draw.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "host/common/philox.hpp"
#include "rbm/rbm.hpp"

namespace rbm::test {
namespace {

constexpr double kU = 0x1.0p-24;  // float32 unit roundoff

double gamma(int n) {
  return n * kU / (1.0 - n * kU);
}

/// A float32 quantity of the library as the reference knows it: its float64 value v and a bound
/// e on the distance of the library's float result from v.
struct Bounded {
  double v = 0, e = 0;
};

Bounded exact(double v) {
  return {v, 0.0};
}
/// A double rounded to float by the library (hyper-parameters evaluated from schedules).
Bounded rounded(double v) {
  return {v, std::fabs(static_cast<double>(static_cast<float>(v)) - v)};
}
bool is_exact_zero(const Bounded& a) {
  return a.v == 0.0 && a.e == 0.0;
}
/// One float rounding of a result whose propagated error is `propagated`.
Bounded round_result(double v, double propagated) {
  return {v, propagated + kU * (std::fabs(v) + propagated)};
}

Bounded operator+(const Bounded& a, const Bounded& b) {
  if (is_exact_zero(b)) return a;
  if (is_exact_zero(a)) return b;
  return round_result(a.v + b.v, a.e + b.e);
}
Bounded operator-(const Bounded& a) {
  return {-a.v, a.e};
}
Bounded operator-(const Bounded& a, const Bounded& b) {
  return a + (-b);
}
Bounded operator*(const Bounded& a, const Bounded& b) {
  if (is_exact_zero(a) || is_exact_zero(b)) return exact(0.0);
  return round_result(a.v * b.v, std::fabs(a.v) * b.e + std::fabs(b.v) * a.e + a.e * b.e);
}
Bounded operator/(const Bounded& a, const Bounded& b) {
  const double r = a.v / b.v;
  const double margin = std::fabs(b.v) - b.e;
  if (!(margin > 0)) return {r, std::numeric_limits<double>::infinity()};
  return round_result(r, (a.e + std::fabs(r) * b.e) / margin);
}
Bounded sqrt(const Bounded& a) {
  const double r = std::sqrt(std::max(a.v, 0.0));
  double e = std::sqrt(a.e);
  if (r > 0) e = std::min(e, a.e / (r + std::sqrt(std::max(a.v - a.e, 0.0))));
  return round_result(r, e);
}
double logistic(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}
/// σ(f) as the library's float sigmoid computes it.
Bounded logistic(const Bounded& f) {
  const double p = logistic(f.v);
  const double nearest = logistic(std::max(0.0, std::fabs(f.v) - f.e));  // steepest point
  const double propagated = nearest * (1.0 - nearest) * f.e;
  return {p, propagated + 8 * kU * (p + propagated)};
}

/// Σ_k a[k·sa]·b[k·sb] over n terms as a float GEMM entry, times alpha (alpha = 1 or a rounded
/// 1/rows).
Bounded dot(
    const Bounded* a, std::size_t sa, const Bounded* b, std::size_t sb, int n, double alpha = 1.0) {
  double v = 0, propagated = 0, magnitude = 0;
  for (int k = 0; k < n; ++k) {
    const Bounded& x = a[k * sa];
    const Bounded& y = b[k * sb];
    v += x.v * y.v;
    propagated += std::fabs(x.v) * y.e + std::fabs(y.v) * x.e + x.e * y.e;
    magnitude += (std::fabs(x.v) + x.e) * (std::fabs(y.v) + y.e);
  }
  const double roundings = alpha == 1.0 ? gamma(n) : gamma(n + 2);
  return {alpha * v, alpha * (propagated + roundings * magnitude)};
}

/// Column mean of `rows` rows (stride `width`) summed in double, rounded to float.
Bounded column_mean(const Bounded* x, int rows, int width) {
  double v = 0, e = 0;
  for (int r = 0; r < rows; ++r) {
    v += x[static_cast<std::size_t>(r) * width].v;
    e += x[static_cast<std::size_t>(r) * width].e;
  }
  return round_result(v / rows, e / rows);
}

/// The difference of two column means of exact values (data, samples), each summed in double
/// and rounded to float, subtracted in float: exactly 0 when the means are equal.
Bounded mean_difference(double mean_a, double mean_b) {
  if (mean_a == mean_b) return exact(0.0);
  return round_result(mean_a, 0.0) - round_result(mean_b, 0.0);
}

/// The paper trail of draws that a float result could decide the other way.
struct Hazards {
  std::vector<std::string> items;
  std::string where;
  void check(double u, const Bounded& p, const char* what, int row, int unit) {
    if (std::fabs(u - p.v) > p.e) return;
    std::ostringstream out;
    out << where << ": " << what << " row " << row << " unit " << unit << ": uniform " << u
        << " is within " << p.e << " of " << p.v;
    items.push_back(out.str());
  }
};

double off_value(UnitType type) {
  return type == UnitType::spin ? -1.0 : 0.0;
}

/// One layer of `rows` rows of `n` units: `fields` [rows][n] hold the GEMM outputs on entry;
/// the bias is added (one float add each), the means go to `mean` and, when `u` is given
/// (u(r, k) = the uniform of unit k of row r), the samples to `sample`.
template <typename Uniform>
void layer(UnitType type,
           std::vector<Bounded>& fields,
           const std::vector<Bounded>& bias,
           int rows,
           int n,
           std::vector<Bounded>* mean,
           std::vector<Bounded>* sample,
           const Uniform& u,
           Hazards& hazards,
           const char* what) {
  mean->resize(static_cast<std::size_t>(rows) * n);
  if (sample) sample->resize(mean->size());
  for (int r = 0; r < rows; ++r) {
    Bounded* f = fields.data() + static_cast<std::size_t>(r) * n;
    Bounded* m = mean->data() + static_cast<std::size_t>(r) * n;
    for (int k = 0; k < n; ++k) f[k] = f[k] + bias[k];
    if (type == UnitType::bernoulli || type == UnitType::spin) {
      for (int k = 0; k < n; ++k) {
        // p(on) = σ(f) or σ(2f) (×2 is exact); the spin mean is 2p − 1 (2p exact, one rounding).
        const Bounded p = logistic(type == UnitType::spin ? Bounded{2 * f[k].v, 2 * f[k].e} : f[k]);
        m[k] = type == UnitType::spin ? Bounded{2 * p.v, 2 * p.e} - exact(1.0) : p;
        if (sample) {
          const double uk = u(r, k);
          hazards.check(uk, p, what, r, k);
          (*sample)[static_cast<std::size_t>(r) * n + k] = exact(uk < p.v ? 1.0 : off_value(type));
        }
      }
      continue;
    }
    // One-hot rows: softmax over the row (and the "off" state's logit 0 for potts-off), as
    // e^{f_k − max} / Σ. Field errors: |Δ log p_k| ≤ |Δf_k| + max_l |Δf_l| (log-sum-exp is
    // 1-Lipschitz in the max norm). Roundings, relative: f_k − max (u·|f_k − max| in the
    // exponent), expf (2u), the sum of n (+1) terms (γ_{n+1} and the terms' own errors), the
    // division (u).
    const bool with_off = type == UnitType::potts_off;
    double top = with_off ? 0.0 : f[0].v, largest_e = 0;
    for (int k = 0; k < n; ++k) {
      top = std::max(top, f[k].v);
      largest_e = std::max(largest_e, f[k].e);
    }
    double sum = with_off ? std::exp(-top) : 0.0, widest = with_off ? std::fabs(top) : 0.0;
    for (int k = 0; k < n; ++k) {
      sum += std::exp(f[k].v - top);
      widest = std::max(widest, top - f[k].v);
    }
    for (int k = 0; k < n; ++k) {
      const double p = std::exp(f[k].v - top) / sum;
      const double rounding = kU * (top - f[k].v + widest) + 5 * kU + gamma(n + 1);
      const double e = p * std::expm1(f[k].e + largest_e + rounding);
      m[k] = {p, e};
    }
    if (!sample) continue;
    // The first unit μ with u < Σ_{ν≤μ} mean_ν; else all off (potts-off) or the last unit; the
    // row's one uniform is the one of its slot [r][0].
    const double ur = u(r, 0);
    int chosen = with_off ? -1 : n - 1;
    Bounded cumulative = exact(0.0);
    for (int k = 0; k < n; ++k) {
      cumulative = cumulative + m[k];
      hazards.check(ur, cumulative, what, r, k);
      if (ur < cumulative.v) {
        chosen = k;
        break;
      }
    }
    for (int k = 0; k < n; ++k)
      (*sample)[static_cast<std::size_t>(r) * n + k] = exact(k == chosen ? 1.0 : 0.0);
  }
}

/// The fields A·W (hidden: A [rows][D] times W [D][L]) or A·Wᵀ (visible: A [rows][L]).
std::vector<Bounded> hidden_fields(
    const std::vector<Bounded>& a, const std::vector<Bounded>& W, int rows, int D, int L) {
  std::vector<Bounded> out(static_cast<std::size_t>(rows) * L);
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < L; ++j)
      out[static_cast<std::size_t>(r) * L + j] =
          dot(a.data() + static_cast<std::size_t>(r) * D, 1, W.data() + j, L, D);
  return out;
}
std::vector<Bounded> visible_fields(
    const std::vector<Bounded>& a, const std::vector<Bounded>& W, int rows, int D, int L) {
  std::vector<Bounded> out(static_cast<std::size_t>(rows) * D);
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < D; ++i)
      out[static_cast<std::size_t>(r) * D + i] =
          dot(a.data() + static_cast<std::size_t>(r) * L, 1,
              W.data() + static_cast<std::size_t>(i) * L, 1, L);
  return out;
}

/// (1 − rate)·average + rate·value, each operation rounded.
Bounded moving_average(const Bounded& average, const Bounded& value, const Bounded& rate) {
  return (exact(1.0) - rate) * average + rate * value;
}

/// A parameter and its optimizer's state slots.
struct Param {
  Bounded theta, s0, s1;
};

/// One epoch's hyper-parameters as the library rounds them to float.
struct Hyper {
  Bounded lr, momentum;
  double lr_value = 0, momentum_value = 0;
};

/// The optimizer step of include/rbm/train.hpp for ascent direction g at step t (1-based).
void optimizer_step(
    const TrainConfig& c, const Hyper& h, std::uint64_t t, const Bounded& g, Param& p) {
  const Bounded one = exact(1.0);
  switch (c.optimizer) {
    case Optimizer::sgd:  // θ += lr·g
      p.theta = p.theta + h.lr * g;
      return;
    case Optimizer::momentum:  // v = μ·v + lr·g;  θ += v
      p.s0 = h.momentum * p.s0 + h.lr * g;
      p.theta = p.theta + p.s0;
      return;
    case Optimizer::nesterov:  // b = μ·b + g;  θ += lr·(g + μ·b)
      p.s0 = h.momentum * p.s0 + g;
      p.theta = p.theta + h.lr * (g + h.momentum * p.s0);
      return;
    case Optimizer::rmsprop: {  // s = α·s + (1−α)·g²;  b = μ·b + g/(√s + ε), θ += lr·b
      const Bounded alpha = exact(c.rmsprop_alpha);
      p.s0 = alpha * p.s0 + (one - alpha) * (g * g);
      const Bounded scaled = g / (sqrt(p.s0) + exact(c.epsilon));
      if (h.momentum_value > 0) {
        p.s1 = h.momentum * p.s1 + scaled;
        p.theta = p.theta + h.lr * p.s1;
      } else {
        p.theta = p.theta + h.lr * scaled;
      }
      return;
    }
    case Optimizer::adam: {  // θ += (lr/(1−β1^t))·m/(√s/√(1−β2^t) + ε)
      const Bounded beta1 = exact(c.adam_beta1), beta2 = exact(c.adam_beta2);
      p.s0 = beta1 * p.s0 + (one - beta1) * g;
      p.s1 = beta2 * p.s1 + (one - beta2) * g * g;
      const double correction1 = 1.0 - std::pow(static_cast<double>(c.adam_beta1), double(t));
      const double correction2 = 1.0 - std::pow(static_cast<double>(c.adam_beta2), double(t));
      // Both scalars are computed in double from the float lr and rounded once.
      const double step_v = h.lr.v / correction1;
      const Bounded step = round_result(step_v, h.lr.e / correction1);
      const Bounded root2 = round_result(std::sqrt(correction2), 0.0);
      p.theta = p.theta + step * (p.s0 / (sqrt(p.s1) / root2 + exact(c.epsilon)));
      return;
    }
  }
}

/// What the reference computes: the trained parameters, the per-epoch reconstruction errors and
/// schedule values, with their bounds, and the draws that could have gone either way.
struct Reference {
  std::vector<Bounded> W, b, c;
  std::vector<Bounded> recon;
  std::vector<int> batch_size, cd_steps;
  std::vector<double> learning_rate, momentum;
  Hazards hazards;
};

Reference contract_train(const Model& initial, const TrainConfig& config, const Dataset& data) {
  using detail::random_block;
  using detail::random_uniform;
  using detail::RandomStream;
  const int D = initial.n_visible, L = initial.n_hidden, E = config.epochs;
  const UnitType vt = initial.visible_type, ht = initial.hidden_type;
  const std::size_t N = data.n_samples;
  const std::uint64_t seed = config.seed;
  Reference ref;
  Hazards& hazards = ref.hazards;

  std::vector<Param> W(static_cast<std::size_t>(D) * L), b(D), c(L);
  for (std::size_t k = 0; k < W.size(); ++k) W[k].theta = exact(initial.weights[k]);
  for (int i = 0; i < D; ++i) b[i].theta = exact(initial.visible_bias[i]);
  for (int j = 0; j < L; ++j) c[j].theta = exact(initial.hidden_bias[j]);
  auto thetas = [](const std::vector<Param>& ps) {
    std::vector<Bounded> out(ps.size());
    for (std::size_t k = 0; k < ps.size(); ++k) out[k] = ps[k].theta;
    return out;
  };

  // PCD chains: n_chains, or one per row of the run's largest batch; visible chains start as
  // sample_v(b) with uniform number r·D + i of the init stream's substream 1, hidden chains as
  // sample_h(c) with uniform r·L + j.
  int largest_batch = 0;
  for (int e = 0; e < E; ++e)
    largest_batch = std::max(largest_batch, config.batch_size.at_int(e, E));
  const int chain_rows = config.n_chains > 0 ? config.n_chains : largest_batch;
  const bool hidden_chains = config.persistent && config.pcd_chains == PcdChains::hidden;
  std::vector<Bounded> chains;
  if (config.persistent) {
    hazards.where = "initial chains";
    const int width = hidden_chains ? L : D;
    std::vector<Bounded> fields(static_cast<std::size_t>(chain_rows) * width, exact(0.0));
    std::vector<Bounded> means;
    layer(
        hidden_chains ? ht : vt, fields, thetas(hidden_chains ? c : b), chain_rows, width, &means,
        &chains,
        [&](int r, int i) {
          return random_uniform(seed, RandomStream::init, 1, std::uint64_t(r) * width + i);
        },
        hazards, "chain start");
  }
  // Centering offsets start at the data's means in unit values (μ) and at the mean of a hidden
  // unit with zero field (λ).
  std::vector<Bounded> mu, lambda;
  if (config.centering) {
    for (int i = 0; i < D; ++i) {
      double p = 0;
      for (std::size_t n = 0; n < N; ++n) p += data.at(n, i);
      p /= static_cast<double>(N);
      mu.push_back(rounded(vt == UnitType::spin ? 2 * p - 1 : p));
    }
    const double start = ht == UnitType::bernoulli ? 0.5
                         : ht == UnitType::spin    ? 0.0
                         : ht == UnitType::potts   ? 1.0 / L
                                                   : 1.0 / (L + 1);
    lambda.assign(L, rounded(start));
  }
  const bool sparsity = config.sparsity_cost > 0;
  std::vector<Bounded> q(L);

  std::uint64_t offset = 0, steps = 0;
  for (int epoch = 0; epoch < E; ++epoch) {
    const int B = config.batch_size.at_int(epoch, E), k_steps = config.cd_steps.at_int(epoch, E);
    Hyper hyper;
    hyper.lr_value = config.learning_rate.at(epoch, E);
    hyper.momentum_value = config.momentum.at(epoch, E);
    hyper.lr = rounded(hyper.lr_value);
    hyper.momentum = rounded(hyper.momentum_value);
    ref.batch_size.push_back(B);
    ref.cd_steps.push_back(k_steps);
    ref.learning_rate.push_back(hyper.lr_value);
    ref.momentum.push_back(hyper.momentum_value);
    const int R = config.persistent ? chain_rows : B;

    std::vector<std::pair<std::uint32_t, std::size_t>> order(N);
    for (std::size_t n = 0; n < N; ++n)
      order[n] = {random_block(seed, RandomStream::shuffle, epoch, n).v[0], n};
    std::sort(order.begin(), order.end());

    const std::size_t n_batches = N / B;
    double recon_sum = 0, recon_bound = 0;
    for (std::size_t s = 0; s < n_batches; ++s, ++steps) {
      hazards.where = "epoch " + std::to_string(epoch) + " step " + std::to_string(s);
      std::uint64_t next = offset;
      const std::vector<Bounded> Wt = thetas(W), bt = thetas(b), ct = thetas(c);
      std::vector<Bounded> v0(static_cast<std::size_t>(B) * D);
      for (int r = 0; r < B; ++r)
        for (int i = 0; i < D; ++i)
          v0[static_cast<std::size_t>(r) * D + i] =
              exact(data.at(order[s * B + r].second, i) ? 1.0 : off_value(vt));
      auto uniform_at = [&](std::uint64_t base, int width) {
        return [=](int r, int k) {
          return random_uniform(seed, RandomStream::gibbs, 0, base + std::uint64_t(r) * width + k);
        };
      };
      // 1–2. Positive phase and the negative start (one set of fields for CD); hidden chains
      // are the negative start themselves and draw no h0.
      std::vector<Bounded> m0, h, x, mh, mv, fields = hidden_fields(v0, Wt, B, D, L);
      if (hidden_chains) {
        layer(ht, fields, ct, B, L, &m0, nullptr, uniform_at(0, 0), hazards, "M0");
        h = chains;
      } else if (config.persistent) {
        layer(ht, fields, ct, B, L, &m0, nullptr, uniform_at(0, 0), hazards, "M0");
        fields = hidden_fields(chains, Wt, R, D, L);
        layer(ht, fields, ct, R, L, &mh, &h, uniform_at(next, L), hazards, "h0");
      } else {
        layer(ht, fields, ct, B, L, &m0, &h, uniform_at(next, L), hazards, "h0");
      }
      if (!hidden_chains) next += static_cast<std::uint64_t>(R) * L;
      // 3. k Gibbs steps.
      double recon = 0, recon_e = 0;
      auto add_recon = [&](const std::vector<Bounded>& means) {  // in double, of float means
        for (std::size_t e = 0; e < v0.size(); ++e) {
          const double d = v0[e].v - means[e].v;
          recon += d * d;
          recon_e += 2 * std::fabs(d) * means[e].e + means[e].e * means[e].e;
        }
      };
      for (int t = 1; t <= k_steps; ++t) {
        fields = visible_fields(h, Wt, R, D, L);
        layer(vt, fields, bt, R, D, &mv, &x, uniform_at(next, D), hazards, "v_t");
        if (t == 1 && !config.persistent) add_recon(mv);
        next += static_cast<std::uint64_t>(R) * D;
        fields = hidden_fields(x, Wt, R, D, L);
        const bool sample = t < k_steps || hidden_chains;  // hidden chains keep the last h
        layer(ht, fields, ct, R, L, &mh, sample ? &h : nullptr, uniform_at(next, L), hazards,
              "h_t");
        if (sample) next += static_cast<std::uint64_t>(R) * L;
      }
      if (config.persistent) {  // the mean-field reconstruction of the data
        std::vector<Bounded> recon_means;
        fields = visible_fields(m0, Wt, B, D, L);
        layer(vt, fields, bt, B, D, &recon_means, nullptr, uniform_at(0, 0), hazards, "recon");
        add_recon(recon_means);
      }
      recon_sum += recon / static_cast<double>(v0.size());
      recon_bound += recon_e / static_cast<double>(v0.size());
      offset += static_cast<std::uint64_t>(k_steps) * R * (L + D);
      EXPECT_EQ(next, offset) << "the reference consumed the wrong number of uniforms";

      // 4. Likelihood statistics.
      std::vector<Bounded> gW(W.size()), gb(D), gc(L), visible_means(D), hidden_means(L);
      for (int i = 0; i < D; ++i)
        for (int j = 0; j < L; ++j) {
          const Bounded positive = dot(v0.data() + i, D, m0.data() + j, L, B, 1.0 / B);
          const Bounded negative = dot(x.data() + i, D, mh.data() + j, L, R, 1.0 / R);
          gW[static_cast<std::size_t>(i) * L + j] = positive - negative;
        }
      for (int i = 0; i < D; ++i) {
        visible_means[i] = column_mean(v0.data() + i, B, D);
        gb[i] = mean_difference(visible_means[i].v, column_mean(x.data() + i, R, D).v);
      }
      for (int j = 0; j < L; ++j) {
        hidden_means[j] = column_mean(m0.data() + j, B, L);
        gc[j] = hidden_means[j] - column_mean(mh.data() + j, R, L);
      }
      if (config.centering) {
        // gW ← gW − μ_i·gc_j − gb_i·λ_j; then gb ← gb − gW·λ, gc ← gc − gWᵀ·μ (GEMVs).
        for (int i = 0; i < D; ++i)
          for (int j = 0; j < L; ++j) {
            Bounded& g = gW[static_cast<std::size_t>(i) * L + j];
            g = (g - mu[i] * gc[j]) - gb[i] * lambda[j];
          }
        for (int i = 0; i < D; ++i)
          gb[i] = gb[i] - dot(gW.data() + static_cast<std::size_t>(i) * L, 1, lambda.data(), 1, L);
        for (int j = 0; j < L; ++j) gc[j] = gc[j] - dot(gW.data() + j, L, mu.data(), 1, D);
      }
      std::vector<Bounded> pull(L);
      if (sparsity) {
        // q ← colmean(M0) at the first step, else (1 − (1 − d))·q + (1 − d)·colmean(M0); the
        // pull cost·(q − target) comes off gc and, times colmean(V0)_i, off gW.
        const Bounded rate = exact(1.0) - exact(config.sparsity_decay);
        for (int j = 0; j < L; ++j) {
          q[j] = steps == 0 ? hidden_means[j] : moving_average(q[j], hidden_means[j], rate);
          pull[j] = exact(config.sparsity_cost) * (q[j] - exact(config.sparsity_target));
          gc[j] = gc[j] - pull[j];
        }
      }
      // 5. Optimizer steps: W with its regularized gradient, b and c as they are.
      for (int i = 0; i < D; ++i)
        for (int j = 0; j < L; ++j) {
          Param& p = W[static_cast<std::size_t>(i) * L + j];
          Bounded g = gW[static_cast<std::size_t>(i) * L + j];
          if (sparsity) g = g - pull[j] * visible_means[i];
          g = g - exact(config.weight_decay) * p.theta;
          if (config.l1_weight_decay != 0) {
            if (std::fabs(p.theta.v) <= p.theta.e) {
              hazards.items.push_back(hazards.where + ": sign of W[" + std::to_string(i) + "][" +
                                      std::to_string(j) + "] undecided for L1");
            }
            const double sign = p.theta.v > 0 ? 1.0 : (p.theta.v < 0 ? -1.0 : 0.0);
            g = g - exact(config.l1_weight_decay) * exact(sign);
          }
          optimizer_step(config, hyper, steps + 1, g, p);
        }
      for (int i = 0; i < D; ++i) optimizer_step(config, hyper, steps + 1, gb[i], b[i]);
      for (int j = 0; j < L; ++j) optimizer_step(config, hyper, steps + 1, gc[j], c[j]);
      if (config.centering) {  // the offsets move after the step
        const Bounded rate = exact(config.centering_rate);
        for (int i = 0; i < D; ++i) mu[i] = moving_average(mu[i], visible_means[i], rate);
        for (int j = 0; j < L; ++j) lambda[j] = moving_average(lambda[j], hidden_means[j], rate);
      }
      // 6. PCD: the chains move on.
      if (config.persistent) chains = hidden_chains ? h : x;
    }
    ref.recon.push_back({recon_sum / n_batches, recon_bound / n_batches + 1e-15});
  }
  ref.W = thetas(W);
  ref.b = thetas(b);
  ref.c = thetas(c);
  return ref;
}

// ---- Cases -----------------------------------------------------------------------------------

/// N random rows of D bits, column i on with probability 0.2 + 0.6·i/(D − 1) (so no two columns
/// look alike); column `dead` (if ≥ 0) is always off.
Dataset random_data(std::size_t N, int D, std::uint32_t seed, int dead = -1) {
  Dataset data;
  data.n_samples = N;
  data.n_visible = D;
  data.name = "random";
  std::mt19937 generator(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (std::size_t n = 0; n < N; ++n)
    for (int i = 0; i < D; ++i) {
      const double p = 0.2 + 0.6 * i / (D - 1);
      data.values.push_back(i != dead && uniform(generator) < p ? 1 : 0);
    }
  return data;
}

enum class Data { bas3, random_20x6, random_15x7_dead };

Dataset make_data(Data which) {
  switch (which) {
    case Data::bas3:
      return make_bars_and_stripes(3);  // N = 14, D = 9
    case Data::random_20x6:
      return random_data(20, 6, 17);
    case Data::random_15x7_dead:
      return random_data(15, 7, 23, /*dead=*/2);
  }
  return {};
}

struct Case {
  const char* name;
  Data data;
  int n_hidden;
  void (*configure)(TrainConfig&);
};

std::ostream& operator<<(std::ostream& out, const Case& c) {
  return out << c.name;
}

const Case kCases[] = {
    {"sgd_bernoulli_bernoulli_cd1", Data::bas3, 8,
     [](TrainConfig& c) {
       c.optimizer = Optimizer::sgd;
       c.learning_rate = 0.1;
       c.batch_size = 4;  // 14 rows: 3 steps, 2 rows dropped per epoch
       c.seed = 101;
     }},
    {"momentum_bernoulli_spin_cd2_l2_schedules", Data::bas3, 6,
     [](TrainConfig& c) {
       c.optimizer = Optimizer::momentum;
       c.learning_rate = Schedule::step(0.1, 0.5, 2);
       c.momentum = Schedule::linear(0.5, 0.9);
       c.batch_size = 3;
       c.cd_steps = 2;
       c.weight_decay = 0.01f;
       c.hidden_type = UnitType::spin;
       c.seed = 102;
     }},
    {"nesterov_spin_bernoulli_pcd_l1", Data::bas3, 7,
     [](TrainConfig& c) {
       c.optimizer = Optimizer::nesterov;
       c.learning_rate = Schedule::exponential(0.05, 0.01);
       c.momentum = Schedule::switch_at(0.5, 0.9, 0.5);
       c.persistent = true;
       c.pcd_chains = PcdChains::visible;
       c.n_chains = 5;
       c.batch_size = 4;
       c.cd_steps = 2;
       c.l1_weight_decay = 0.002f;
       c.visible_type = UnitType::spin;
       c.seed = 103;
     }},
    {"rmsprop_bernoulli_potts", Data::random_20x6, 4,
     [](TrainConfig& c) {
       c.optimizer = Optimizer::rmsprop;
       c.rmsprop_alpha = 0.9f;
       c.momentum = 0;  // plain rmsprop
       c.learning_rate = 0.005;
       c.epsilon = 1e-2f;
       c.batch_size = 5;
       c.hidden_type = UnitType::potts;
       c.seed = 104;
     }},
    {"rmsprop_momentum_spin_pottsoff_cd_schedule", Data::bas3, 5,
     [](TrainConfig& c) {
       c.optimizer = Optimizer::rmsprop;
       c.momentum = Schedule::switch_at(0.0, 0.5, 2);  // plain for 2 epochs, then momentum
       c.learning_rate = 0.002;
       c.epsilon = 1e-2f;
       c.batch_size = 7;
       c.cd_steps = Schedule::step(1, 2, 2);  // k = 1, 1, 2, 2, 4
       c.epochs = 5;
       c.visible_type = UnitType::spin;
       c.hidden_type = UnitType::potts_off;
       c.seed = 305;
     }},
    {"adam_bernoulli_bernoulli_sparsity_centering", Data::bas3, 6,
     [](TrainConfig& c) {
       c.optimizer = Optimizer::adam;
       c.learning_rate = 0.01;
       c.epsilon = 1e-3f;
       c.batch_size = 3;
       c.sparsity_target = 0.2f;
       c.sparsity_cost = 0.3f;
       c.sparsity_decay = 0.8f;
       c.centering = true;
       c.centering_rate = 0.1f;
       c.seed = 106;
     }},
    {"adam_spin_spin_pcd_default_chains_batch_schedule_centering", Data::random_20x6, 5,
     [](TrainConfig& c) {
       c.optimizer = Optimizer::adam;
       c.adam_beta1 = 0.8f;
       c.adam_beta2 = 0.99f;
       c.learning_rate = Schedule::linear(0.01, 0.002);
       c.persistent = true;
       c.batch_size = Schedule::linear(3, 6);  // 3, 4, 5, 6: chains = 6
       c.centering = true;
       c.centering_rate = 0.05f;
       c.visible_type = UnitType::spin;
       c.hidden_type = UnitType::spin;
       c.seed = 107;
     }},
    {"momentum_spin_potts_centering_l2", Data::bas3, 4,
     [](TrainConfig& c) {
       c.optimizer = Optimizer::momentum;
       c.learning_rate = 0.05;
       c.momentum = 0.7;
       c.batch_size = 5;
       c.cd_steps = 3;
       c.centering = true;
       c.centering_rate = 0.2f;
       c.weight_decay = 0.005f;
       c.visible_type = UnitType::spin;
       c.hidden_type = UnitType::potts;
       c.seed = 108;
     }},
    {"sgd_bernoulli_pottsoff_centering_l1_dead_pixel", Data::random_15x7_dead, 3,
     [](TrainConfig& c) {
       c.optimizer = Optimizer::sgd;
       c.learning_rate = Schedule::switch_at(0.05, 0.02, 3);
       c.batch_size = 4;
       c.cd_steps = 2;
       c.centering = true;
       c.l1_weight_decay = 0.001f;
       c.hidden_type = UnitType::potts_off;
       c.seed = 109;
     }},
    {"nesterov_bernoulli_spin_sparsity_batch_schedule", Data::random_15x7_dead, 5,
     [](TrainConfig& c) {
       c.optimizer = Optimizer::nesterov;
       c.learning_rate = 0.03;
       c.momentum = 0.6;
       c.batch_size = Schedule::linear(2, 5);  // CD: R follows the epoch's B
       c.sparsity_target = 0.25f;              // of spin means, which live in [−1, 1]
       c.sparsity_cost = 0.1f;
       c.hidden_type = UnitType::spin;
       c.seed = 110;
     }},
    {"adam_bernoulli_potts_pcd_l2_l1_default_epsilon", Data::bas3, 3,
     [](TrainConfig& c) {
       c.optimizer = Optimizer::adam;
       c.learning_rate = 0.005;
       c.persistent = true;
       c.pcd_chains = PcdChains::visible;
       c.n_chains = 8;
       c.batch_size = 3;
       c.cd_steps = 2;
       c.weight_decay = 0.01f;
       c.l1_weight_decay = 0.001f;
       c.hidden_type = UnitType::potts;
       c.seed = 111;
     }},
    {"momentum_bernoulli_bernoulli_pcd1_hidden_chains", Data::bas3, 6,
     [](TrainConfig& c) {
       c.optimizer = Optimizer::momentum;
       c.learning_rate = 0.05;
       c.momentum = 0.5;
       c.persistent = true;
       c.pcd_chains = PcdChains::hidden;
       c.n_chains = 7;
       c.batch_size = 4;
       c.seed = 113;
     }},
    {"adam_spin_bernoulli_pcd3_hidden_chains_l2", Data::random_20x6, 5,
     [](TrainConfig& c) {
       c.optimizer = Optimizer::adam;
       c.learning_rate = 0.01;
       c.persistent = true;
       c.pcd_chains = PcdChains::hidden;
       c.n_chains = 4;
       c.batch_size = 5;
       c.cd_steps = 3;
       c.weight_decay = 0.01f;
       c.visible_type = UnitType::spin;
       c.seed = 114;
     }},
    {"sgd_spin_pottsoff_pcd_sparsity_exp_lr", Data::random_20x6, 4,
     [](TrainConfig& c) {
       c.optimizer = Optimizer::sgd;
       c.learning_rate = Schedule::exponential(0.2, 0.05);
       c.persistent = true;
       c.n_chains = 3;
       c.batch_size = 6;
       c.sparsity_target = 0.1f;
       c.sparsity_cost = 0.5f;
       c.visible_type = UnitType::spin;
       c.hidden_type = UnitType::potts_off;
       c.seed = 112;
     }},
};

TrainConfig config_of(const Case& c) {
  TrainConfig config;
  config.epochs = 4;
  config.init_weight_std = 0.5f;  // weights that matter from the first step
  c.configure(config);
  return config;
}

class TrainContract : public ::testing::TestWithParam<Case> {};

TEST_P(TrainContract, CpuBackendMatchesTheReferenceWithinItsFloatBound) {
  const Case& in = GetParam();
  const Dataset data = make_data(in.data);
  const TrainConfig config = config_of(in);
  const Model initial = init_model(data, in.n_hidden, config);

  const Reference want = contract_train(initial, config, data);
  ASSERT_TRUE(want.hazards.items.empty())
      << want.hazards.items.size()
      << " draws could go either way; pick another seed. First: " << want.hazards.items.front();

  Engine engine(BackendKind::cpu);
  std::vector<EpochMetrics> metrics;
  const Model got =
      engine.train(initial, config, engine.upload(data), [&](const std::vector<EpochMetrics>& m) {
        EXPECT_EQ(m.size(), 1u);
        metrics.push_back(m.front());
        return true;
      });

  // Every epoch's metrics: its schedules' values and the reconstruction error.
  ASSERT_EQ(metrics.size(), static_cast<std::size_t>(config.epochs));
  for (int e = 0; e < config.epochs; ++e) {
    SCOPED_TRACE("epoch " + std::to_string(e));
    EXPECT_EQ(metrics[e].epoch, e + 1);
    EXPECT_EQ(metrics[e].batch_size, want.batch_size[e]);
    EXPECT_EQ(metrics[e].cd_steps, want.cd_steps[e]);
    EXPECT_EQ(metrics[e].learning_rate, static_cast<float>(want.learning_rate[e]));
    EXPECT_EQ(metrics[e].momentum, static_cast<float>(want.momentum[e]));
    EXPECT_NEAR(metrics[e].reconstruction_error, want.recon[e].v, want.recon[e].e)
        << "reconstruction error";
  }

  double largest_bound = 0, largest_change = 0, worst_ratio = 0;
  auto compare = [&](const std::vector<float>& got_values, const std::vector<Bounded>& want_values,
                     const std::vector<float>& start, const char* what) {
    ASSERT_EQ(got_values.size(), want_values.size());
    for (std::size_t k = 0; k < got_values.size(); ++k) {
      const double diff = std::fabs(got_values[k] - want_values[k].v);
      EXPECT_LE(diff, want_values[k].e) << what << "[" << k << "]: library " << got_values[k]
                                        << ", reference " << want_values[k].v;
      largest_bound = std::max(largest_bound, want_values[k].e);
      largest_change = std::max(largest_change, std::fabs(want_values[k].v - start[k]));
      if (want_values[k].e > 0) worst_ratio = std::max(worst_ratio, diff / want_values[k].e);
    }
  };
  compare(got.weights, want.W, initial.weights, "W");
  compare(got.visible_bias, want.b, initial.visible_bias, "b");
  compare(got.hidden_bias, want.c, initial.hidden_bias, "c");
  std::cout << "[ TrainContract ] " << in.name << ": largest bound " << largest_bound
            << ", largest parameter change " << largest_change
            << ", largest |library − reference| / bound " << worst_ratio << "\n";
  // The comparison has teeth: the bound is a small fraction of what training did.
  EXPECT_LT(largest_bound, 1e-2 * largest_change) << "the float bound is too loose to judge";
}

INSTANTIATE_TEST_SUITE_P(Cases,
                         TrainContract,
                         ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace rbm::test
