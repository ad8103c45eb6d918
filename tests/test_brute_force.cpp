// tests/test_brute_force.cpp — the brute-force reference (tests/support/brute_force.hpp) checked
// against itself, for every combination of unit types: visible ∈ {bernoulli, spin} × hidden ∈
// {bernoulli, spin, potts, potts_off}.
//
// The library is tested against this reference, so the reference must first be right on its
// own: quantities it computes by different routes (log Z three ways, moments two ways, the
// conditionals against the joint, the Gibbs chain against p(v), a spin model against its
// Bernoulli equivalent) must agree, and a few hand-computed models anchor the conventions that
// self-consistency alone cannot catch (signs, state encodings, the "off" state of potts_off).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/brute_force.hpp"

namespace rbm::test {
namespace {

// ---- tolerances -----------------------------------------------------------------------------

constexpr double kEpsilon = 0x1.0p-52;  // double precision machine epsilon
// log Z: every route sums ≤ 2^12 terms pairwise, each an exponent with absolute error ≲
// (D·L + D + L)·ε·Σ|θ| ≲ 1e-12 for the models below: 1e-10 relative leaves a wide margin.
constexpr double kLogZRel = 1e-10;

/// Σ|θ| over W, b, c: bounds |E(v,h)| for unit values in [−1,1], and so the size of every
/// exponent the reference takes.
double magnitude(const Model& model) {
  double sum = 0;
  for (float x : model.weights) sum += std::abs(x);
  for (float x : model.visible_bias) sum += std::abs(x);
  for (float x : model.hidden_bias) sum += std::abs(x);
  return sum;
}

/// Absolute tolerance for probabilities and moments (sums of probabilities times values in
/// [−1,1]). A probability is exp(exponent − log Z) where both carry an absolute error ≲
/// (D·L + D + L + 2)·ε·Σ|θ| (a running sum of that many products of size ≤ Σ|θ|), which becomes
/// its relative error; summed over states weighted by probabilities it stays the same absolute
/// bound. A factor 16 covers exp/log/log1p's own ulps and the pairwise sums.
double probability_tolerance(const Model& model) {
  const double terms = model.n_visible * model.n_hidden + model.n_visible + model.n_hidden + 2;
  return 16 * terms * kEpsilon * (1 + magnitude(model)) + 1e-14;
}

::testing::AssertionResult near_relative(double got, double want, double rel, const char* what) {
  const double tol = rel * std::max(1.0, std::abs(want));
  if (std::abs(got - want) <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": got " << got << ", want " << want
                                       << ", |diff| " << std::abs(got - want) << " > tol " << tol;
}

/// Compares two vectors entry by entry, reporting the first few differences.
::testing::AssertionResult all_near(const std::vector<double>& got,
                                    const std::vector<double>& want,
                                    double tol,
                                    const std::string& what) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure()
           << what << ": " << got.size() << " entries, want " << want.size();
  int failures = 0;
  std::ostringstream out;
  for (std::size_t k = 0; k < got.size(); ++k) {
    if (!(std::abs(got[k] - want[k]) <= tol) && failures++ < 5)
      out << " [" << k << "] got " << got[k] << " want " << want[k] << ";";
  }
  if (failures == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << what << ": " << failures << " entries differ by more than " << tol << ":" << out.str();
}

// ---- the cases ------------------------------------------------------------------------------

const char* type_name(UnitType type) {
  switch (type) {
    case UnitType::bernoulli:
      return "bernoulli";
    case UnitType::spin:
      return "spin";
    case UnitType::potts:
      return "potts";
    case UnitType::potts_off:
      return "potts_off";
  }
  return "unknown";
}

struct Case {
  UnitType visible;
  UnitType hidden;
  int n_visible;  // D
  int n_hidden;   // L
  double scale;   // every parameter ~ N(0, scale²)
  std::uint64_t seed;
};

std::string describe(const Case& c) {
  std::ostringstream out;
  out << type_name(c.visible) << "/" << type_name(c.hidden) << " D=" << c.n_visible
      << " L=" << c.n_hidden << " scale=" << c.scale << " seed=" << c.seed;
  return out.str();
}
void PrintTo(const Case& c, std::ostream* out) {
  *out << describe(c);
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const Case& c = info.param;
  std::ostringstream scale;
  scale << c.scale;
  std::string scale_text = scale.str();
  for (char& ch : scale_text)
    if (ch == '.') ch = 'p';  // test names allow only [A-Za-z0-9_]
  return std::string(type_name(c.visible)) + "_" + type_name(c.hidden) + "_D" +
         std::to_string(c.n_visible) + "_L" + std::to_string(c.n_hidden) + "_scale" + scale_text;
}

/// Every type combination × shapes with D + L ≤ 12, from near-uniform (0.1) to sharply peaked
/// models whose fields reach ±100 (scale 10 with up to 11 terms per field).
std::vector<Case> all_cases() {
  struct Shape {
    int n_visible, n_hidden;
    double scale;
  };
  const Shape shapes[] = {{1, 1, 3.0}, {3, 4, 0.1},   {4, 7, 1.0}, {7, 4, 2.0},
                          {5, 5, 5.0}, {2, 10, 10.0}, {9, 2, 1.0}, {6, 6, 10.0}};
  std::vector<Case> cases;
  std::uint64_t seed = 1;
  for (UnitType visible : {UnitType::bernoulli, UnitType::spin})
    for (UnitType hidden :
         {UnitType::bernoulli, UnitType::spin, UnitType::potts, UnitType::potts_off})
      for (const Shape& s : shapes)
        cases.push_back({visible, hidden, s.n_visible, s.n_hidden, s.scale, seed++});
  return cases;
}

class BruteForce : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    case_ = GetParam();
    model_ = make_random_model(case_.n_visible, case_.n_hidden, case_.scale, case_.seed,
                               case_.visible, case_.hidden);
    tol_ = probability_tolerance(model_);
  }
  Case case_{};
  Model model_;
  double tol_ = 0;
};

// ---- log Z and p(v) -------------------------------------------------------------------------

TEST_P(BruteForce, LogZThreeWaysAgree) {
  SCOPED_TRACE(describe(case_));
  const double joint = log_z_joint(model_);
  ASSERT_TRUE(std::isfinite(joint));
  EXPECT_TRUE(near_relative(log_z_enumerate_hidden(model_), joint, kLogZRel, "log Z over h"));
  EXPECT_TRUE(near_relative(log_z_enumerate_visible(model_), joint, kLogZRel, "log Z over v"));
}

TEST_P(BruteForce, VisibleDistributionIsTheMarginalOfTheJoint) {
  SCOPED_TRACE(describe(case_));
  const Params p(model_);
  const std::vector<double> prob = visible_distribution(model_);
  ASSERT_EQ(prob.size(), p.visible_states());
  double total = 0;
  for (double x : prob) total += x;
  EXPECT_NEAR(total, 1.0, tol_);
  // p(v) = Σ_h e^{−E(v,h)}/Z from the energy and the joint log Z, not from F(v).
  const double log_z = log_z_joint(p);
  std::vector<double> marginal(prob.size());
  for (std::uint64_t vs = 0; vs < prob.size(); ++vs) {
    std::vector<double> terms;
    for (std::uint64_t hs = 0; hs < p.hidden_states(); ++hs)
      terms.push_back(-energy(p, p.visible_state(vs), p.hidden_state(hs)));
    marginal[vs] = std::exp(log_sum_exp(terms) - log_z);
  }
  EXPECT_TRUE(all_near(prob, marginal, tol_, "p(v) vs Σ_h p(v,h)"));
}

// ---- conditionals and moments ---------------------------------------------------------------

/// p(state | other layer) from the energies of the whole joint row: e^{−E}/Σ e^{−E}.
std::vector<double> conditional_from_energies(const std::vector<double>& minus_energies) {
  const double log_norm = log_sum_exp(minus_energies);
  std::vector<double> prob(minus_energies.size());
  for (std::size_t s = 0; s < prob.size(); ++s) prob[s] = std::exp(minus_energies[s] - log_norm);
  return prob;
}

/// Σ_s p(s)·s: a layer's mean from its state distribution.
std::vector<double> mean_of(const std::vector<double>& prob, UnitType type, int n) {
  std::vector<double> mean(n, 0.0);
  for (std::uint64_t s = 0; s < prob.size(); ++s) {
    const std::vector<double> units = layer_state(type, n, s);
    for (int i = 0; i < n; ++i) mean[i] += prob[s] * units[i];
  }
  return mean;
}

/// For spin the "on" probability is p(+1) = (1 + mean)/2; otherwise it is the mean itself.
std::vector<double> on_probability_from_mean(const std::vector<double>& mean, UnitType type) {
  std::vector<double> prob = mean;
  if (type == UnitType::spin)
    for (double& x : prob) x = 0.5 * (1 + x);
  return prob;
}

TEST_P(BruteForce, HiddenConditionalsMatchTheJoint) {
  SCOPED_TRACE(describe(case_));
  const Params p(model_);
  for (std::uint64_t vs = 0; vs < p.visible_states(); ++vs) {
    const std::vector<double> v = p.visible_state(vs);
    std::vector<double> minus_energies;
    for (std::uint64_t hs = 0; hs < p.hidden_states(); ++hs)
      minus_energies.push_back(-energy(p, v, p.hidden_state(hs)));
    const std::vector<double> want = conditional_from_energies(minus_energies);
    const std::string at = " at visible state " + std::to_string(vs);
    ASSERT_TRUE(all_near(hidden_state_distribution(p, v), want, tol_, "p(h|v)" + at));
    const std::vector<double> mean = mean_of(want, p.hidden_type, p.n_hidden);
    ASSERT_TRUE(all_near(hidden_means(p, v), mean, tol_, "E[h|v]" + at));
    ASSERT_TRUE(all_near(hidden_probabilities(p, v), on_probability_from_mean(mean, p.hidden_type),
                         tol_, "p(h_j on|v)" + at));
  }
}

TEST_P(BruteForce, VisibleConditionalsMatchTheJoint) {
  SCOPED_TRACE(describe(case_));
  const Params p(model_);
  for (std::uint64_t hs = 0; hs < p.hidden_states(); ++hs) {
    const std::vector<double> h = p.hidden_state(hs);
    std::vector<double> minus_energies;
    for (std::uint64_t vs = 0; vs < p.visible_states(); ++vs)
      minus_energies.push_back(-energy(p, p.visible_state(vs), h));
    const std::vector<double> want = conditional_from_energies(minus_energies);
    const std::string at = " at hidden state " + std::to_string(hs);
    ASSERT_TRUE(all_near(visible_state_distribution(p, h), want, tol_, "p(v|h)" + at));
    const std::vector<double> mean = mean_of(want, p.visible_type, p.n_visible);
    ASSERT_TRUE(all_near(visible_means(p, h), mean, tol_, "E[v|h]" + at));
    ASSERT_TRUE(all_near(visible_probabilities(p, h),
                         on_probability_from_mean(mean, p.visible_type), tol_, "p(v_i on|h)" + at));
  }
}

TEST_P(BruteForce, ModelMomentsTwoRoutesAgree) {
  SCOPED_TRACE(describe(case_));
  const Moments analytic = model_moments(model_);
  const Moments joint = model_moments_joint(model_);
  EXPECT_TRUE(all_near(analytic.weights, joint.weights, tol_, "<v h>"));
  EXPECT_TRUE(all_near(analytic.visible_bias, joint.visible_bias, tol_, "<v>"));
  EXPECT_TRUE(all_near(analytic.hidden_bias, joint.hidden_bias, tol_, "<h>"));
}

// ---- likelihood, data convention, gradients -------------------------------------------------

TEST_P(BruteForce, LikelihoodReadsRowsByTheDataConvention) {
  SCOPED_TRACE(describe(case_));
  // Data bits index visible states directly (bit i = unit i's bit, v = 2x − 1 for spin), so the
  // mean log-likelihood is the mean of log p[row's state index].
  const Params p(model_);
  const Dataset data = random_dataset(case_.n_visible, 25, case_.seed + 100);
  const std::vector<double> prob = visible_distribution(model_);
  double want = 0;
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    EXPECT_EQ(visible_row(p.visible_type, data, n), p.visible_state(row_state(data, n)));
    want += std::log(prob[row_state(data, n)]) / static_cast<double>(data.n_samples);
  }
  // log p carries the probability's relative error (tol_ bounds it, see probability_tolerance).
  EXPECT_NEAR(mean_log_likelihood(model_, data), want, tol_ * (1 + std::abs(want)));
}

/// The number of Gibbs sweeps after which the empirical distribution of `data`, pushed through
/// the exact transition matrix, is within total variation `distance` of p(v); −1 if that takes
/// more than `max_sweeps`.
int sweeps_to_mix(const Model& model, const Dataset& data, double distance, int max_sweeps) {
  const std::vector<double> t = gibbs_transition(model);
  const std::vector<double> prob = visible_distribution(model);
  const std::size_t n = prob.size();
  std::vector<double> dist(n, 0.0);
  for (std::size_t r = 0; r < data.n_samples; ++r)
    dist[row_state(data, r)] += 1.0 / static_cast<double>(data.n_samples);
  for (int sweep = 0; sweep <= max_sweeps; ++sweep) {
    double tv = 0;
    for (std::size_t s = 0; s < n; ++s) tv += 0.5 * std::abs(dist[s] - prob[s]);
    if (tv <= distance) return sweep;
    std::vector<double> next(n, 0.0);
    for (std::size_t a = 0; a < n; ++a)
      for (std::size_t b = 0; b < n; ++b) next[b] += dist[a] * t[a * n + b];
    dist.swap(next);
  }
  return -1;
}

TEST_P(BruteForce, CdGradientBetweenZeroStepsAndTheExactGradient) {
  SCOPED_TRACE(describe(case_));
  const Dataset data = random_dataset(case_.n_visible, 10, case_.seed + 200);
  // CD-0 compares the data with itself: exactly no update.
  const Gradient zero = expected_cd_gradient(model_, data, 0);
  for (double g : zero.weights) EXPECT_NEAR(g, 0.0, 1e-15);
  for (double g : zero.visible_bias) EXPECT_NEAR(g, 0.0, 1e-15);
  for (double g : zero.hidden_bias) EXPECT_NEAR(g, 0.0, 1e-15);
  // Once the chain has mixed to total variation δ, CD-k's negative phase (an expectation of
  // values in [−1,1]) is within 2δ of the model's: CD-k is then the exact gradient. Peaked
  // models mix too slowly to enumerate that many sweeps, so the check runs on the model scaled
  // down by a power of two (exact in float) to parameters of scale ≤ 0.25.
  float factor = 1;
  while (case_.scale * factor > 0.25) factor /= 2;
  const Model model = scaled(model_, factor);
  constexpr double kDistance = 1e-13;
  const int sweeps = sweeps_to_mix(model, data, kDistance, 3000);
  ASSERT_GE(sweeps, 0) << "the chain does not mix within 3000 sweeps";
  const Gradient cd = expected_cd_gradient(model, data, sweeps);
  const Gradient exact = log_likelihood_gradient(model, data);
  const double tol = 2 * kDistance + tol_;
  const std::string what = "CD-" + std::to_string(sweeps) + " vs exact: ";
  std::cout << "[ BruteForce ] " << describe(case_) << " scaled by " << factor << ": " << what
            << "chain mixed\n";
  EXPECT_TRUE(all_near(cd.weights, exact.weights, tol, what + "W"));
  EXPECT_TRUE(all_near(cd.visible_bias, exact.visible_bias, tol, what + "b"));
  EXPECT_TRUE(all_near(cd.hidden_bias, exact.hidden_bias, tol, what + "c"));
}

// ---- the Gibbs chain ------------------------------------------------------------------------

TEST_P(BruteForce, GibbsTransitionIsStochasticWithStationaryDistributionP) {
  SCOPED_TRACE(describe(case_));
  const std::vector<double> t = gibbs_transition(model_);
  const std::vector<double> prob = visible_distribution(model_);
  const std::size_t n = prob.size();
  ASSERT_EQ(t.size(), n * n);
  std::vector<double> row_sums(n, 0.0), p_times_t(n, 0.0);
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = 0; b < n; ++b) {
      row_sums[a] += t[a * n + b];
      p_times_t[b] += prob[a] * t[a * n + b];
    }
  EXPECT_TRUE(all_near(row_sums, std::vector<double>(n, 1.0), tol_, "Σ_v' T[v][v']"));
  EXPECT_TRUE(all_near(p_times_t, prob, tol_, "pT vs p"));
  // Block Gibbs v → h → v' is reversible: p(v)T[v][v'] = Σ_h p(h) p(v|h) p(v'|h) is symmetric.
  double worst = 0;
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = 0; b < a; ++b)
      worst = std::max(worst, std::abs(prob[a] * t[a * n + b] - prob[b] * t[b * n + a]));
  EXPECT_LE(worst, tol_) << "detailed balance";
}

// ---- spin layers as Bernoulli layers --------------------------------------------------------

TEST_P(BruteForce, BernoulliEquivalentIsTheSameDistribution) {
  SCOPED_TRACE(describe(case_));
  const Params p(model_);
  const BernoulliEquivalent eq = bernoulli_equivalent(model_);
  const Params& q = eq.params;
  EXPECT_EQ(q.visible_type, UnitType::bernoulli);
  EXPECT_EQ(q.hidden_type, p.hidden_type == UnitType::spin ? UnitType::bernoulli : p.hidden_type);
  if (p.visible_type != UnitType::spin && p.hidden_type != UnitType::spin) {
    EXPECT_EQ(eq.log_z_offset, 0.0) << "nothing to substitute";
  }
  // The defining property, state by state: −E(v,h) = −E'(x,y) + offset, the states having the
  // same indices. Each energy has absolute rounding error ≲ (D·L + D + L)·ε·Σ|θ|.
  const double energy_tol = probability_tolerance(model_) * (1 + magnitude(model_));
  for (std::uint64_t vs = 0; vs < p.visible_states(); ++vs)
    for (std::uint64_t hs = 0; hs < p.hidden_states(); ++hs) {
      const double original = -energy(p, p.visible_state(vs), p.hidden_state(hs));
      const double substituted = -energy(q, q.visible_state(vs), q.hidden_state(hs));
      ASSERT_NEAR(original, substituted + eq.log_z_offset, energy_tol)
          << "visible state " << vs << ", hidden state " << hs;
    }
  // Hence log Z = log Z' + offset, by each of the three routes of the equivalent model.
  const double log_z = log_z_joint(p);
  EXPECT_TRUE(near_relative(log_z_joint(q) + eq.log_z_offset, log_z, kLogZRel, "log Z' (v,h)"));
  EXPECT_TRUE(
      near_relative(log_z_enumerate_hidden(q) + eq.log_z_offset, log_z, kLogZRel, "log Z' h"));
  EXPECT_TRUE(
      near_relative(log_z_enumerate_visible(q) + eq.log_z_offset, log_z, kLogZRel, "log Z' v"));
  // And p(v) is p'(x) index by index.
  EXPECT_TRUE(all_near(visible_distribution(q), visible_distribution(p), tol_, "p'(x) vs p(v)"));
}

INSTANTIATE_TEST_SUITE_P(BruteForceAllTypes,
                         BruteForce,
                         ::testing::ValuesIn(all_cases()),
                         case_name);

// ---- layers ---------------------------------------------------------------------------------

TEST(BruteForceLayers, StatesAreEnumeratedByTheConventions) {
  for (int n = 1; n <= 5; ++n) {
    EXPECT_EQ(layer_state_count(UnitType::bernoulli, n), std::uint64_t{1} << n);
    EXPECT_EQ(layer_state_count(UnitType::spin, n), std::uint64_t{1} << n);
    EXPECT_EQ(layer_state_count(UnitType::potts, n), static_cast<std::uint64_t>(n));
    EXPECT_EQ(layer_state_count(UnitType::potts_off, n), static_cast<std::uint64_t>(n) + 1);
    for (UnitType type :
         {UnitType::bernoulli, UnitType::spin, UnitType::potts, UnitType::potts_off}) {
      SCOPED_TRACE(std::string(type_name(type)) + " n=" + std::to_string(n));
      std::set<std::vector<double>> seen;
      for (std::uint64_t s = 0; s < layer_state_count(type, n); ++s) {
        const std::vector<double> units = layer_state(type, n, s);
        ASSERT_EQ(units.size(), static_cast<std::size_t>(n));
        seen.insert(units);
        int on = 0;
        for (int i = 0; i < n; ++i) {
          const double bit = static_cast<double>((s >> i) & 1u);
          // Binary layers: bit i of the index; potts(_off): the index is the unit that is on.
          const double want = type == UnitType::bernoulli          ? bit
                              : type == UnitType::spin             ? 2 * bit - 1
                              : s == static_cast<std::uint64_t>(i) ? 1.0
                                                                   : 0.0;
          EXPECT_EQ(units[i], want) << "state " << s << " unit " << i;
          on += units[i] == 1.0;
        }
        if (!is_binary(type)) {
          const bool all_off = type == UnitType::potts_off && s == static_cast<std::uint64_t>(n);
          EXPECT_EQ(on, all_off ? 0 : 1) << "state " << s;
        }
      }
      EXPECT_EQ(seen.size(), layer_state_count(type, n)) << "states are distinct";
      EXPECT_THROW(layer_state(type, n, layer_state_count(type, n)), std::invalid_argument);
    }
  }
}

TEST(BruteForceLayers, SpinIdentities) {
  // log 2cosh f = f + softplus(−2f) and E[s] = tanh f = 2σ(2f) − 1, over fields up to ±100 and
  // against a one-unit spin layer enumerated state by state.
  const std::vector<double> fields = {-100,  -37.5, -20, -3, -1,  -1e-3, -1e-12, 0,
                                      1e-12, 1e-3,  0.5, 1,  2.5, 19,    40,     100};
  for (double f : fields) {
    SCOPED_TRACE("f = " + std::to_string(f));
    const double tol = 4 * kEpsilon * (1 + std::abs(f));
    EXPECT_NEAR(log_2cosh(f), f + softplus(-2 * f), tol);
    EXPECT_NEAR(layer_log_partition(UnitType::spin, {f}), log_sum_exp({f, -f}), tol);
    if (std::abs(f) <= 20) {  // where cosh is far from overflowing
      EXPECT_NEAR(log_2cosh(f), std::log(2 * std::cosh(f)), tol);
    }
    const double mean = layer_means(UnitType::spin, {f})[0];
    EXPECT_NEAR(mean, 2 * sigmoid(2 * f) - 1, 4 * kEpsilon);
    const std::vector<double> prob = layer_state_distribution(UnitType::spin, {f});  // {−1, +1}
    EXPECT_NEAR(mean, prob[1] - prob[0], 4 * kEpsilon);
    EXPECT_NEAR(layer_on_probabilities(UnitType::spin, {f})[0], prob[1], 4 * kEpsilon);
  }
}

TEST(BruteForceLayers, HugeFieldsStayFinite) {
  for (UnitType type : {UnitType::bernoulli, UnitType::spin, UnitType::potts, UnitType::potts_off})
    for (double f : {-1000.0, -100.0, 100.0, 1000.0}) {
      SCOPED_TRACE(std::string(type_name(type)) + " f=" + std::to_string(f));
      const std::vector<double> field = {f, -f, 0.5 * f};
      EXPECT_TRUE(std::isfinite(layer_log_partition(type, field)));
      for (double x : layer_means(type, field)) EXPECT_TRUE(std::isfinite(x));
      double total = 0;
      for (double x : layer_state_distribution(type, field)) total += x;
      EXPECT_NEAR(total, 1.0, 1e-15);
    }
}

// ---- anchors: models whose log Z is known by hand ------------------------------------------

/// The three log Z of a model, checked equal to `want`.
void expect_log_z(const Model& model, double want, const char* what) {
  EXPECT_TRUE(near_relative(log_z_joint(model), want, kLogZRel, what)) << "joint";
  EXPECT_TRUE(near_relative(log_z_enumerate_hidden(model), want, kLogZRel, what)) << "over h";
  EXPECT_TRUE(near_relative(log_z_enumerate_visible(model), want, kLogZRel, what)) << "over v";
}

TEST(BruteForceAnchors, ZeroParametersCountTheStates) {
  // With E ≡ 0, Z is the number of joint states.
  for (int d = 1; d <= 4; ++d)
    for (int l = 1; l <= 5; ++l) {
      SCOPED_TRACE("D=" + std::to_string(d) + " L=" + std::to_string(l));
      Model model = Model::zeros(d, l);
      model.hidden_type = UnitType::potts_off;
      expect_log_z(model, d * std::log(2.0) + std::log(l + 1.0), "potts_off: D log 2 + log(L+1)");
      model.hidden_type = UnitType::potts;
      expect_log_z(model, d * std::log(2.0) + std::log(static_cast<double>(l)), "potts");
      model.visible_type = UnitType::spin;
      model.hidden_type = UnitType::spin;
      expect_log_z(model, (d + l) * std::log(2.0), "spin/spin: (D+L) log 2");
    }
}

TEST(BruteForceAnchors, HandComputedTinyModels) {
  const double b = 0.7, c1 = -0.4, c2 = 1.3, w1 = 2.1, w2 = -0.9;
  {  // spin/spin, D = L = 1: Z = Σ_{v,h=±1} e^{bv + c1 h + w1 vh}.
    Model model = Model::zeros(1, 1);
    model.visible_type = model.hidden_type = UnitType::spin;
    model.visible_bias = {static_cast<float>(b)};
    model.hidden_bias = {static_cast<float>(c1)};
    model.weights = {static_cast<float>(w1)};
    const double bf = model.visible_bias[0], cf = model.hidden_bias[0], wf = model.weights[0];
    const double z = std::exp(bf + cf + wf) + std::exp(bf - cf - wf) + std::exp(-bf + cf - wf) +
                     std::exp(-bf - cf + wf);
    expect_log_z(model, std::log(z), "spin/spin by hand");
  }
  // D = 1, L = 2 with one-hot hidden units: Z = Σ_{v} e^{bv} (e^{c1 + v w1} + e^{c2 + v w2}
  // [+ 1 for the all-off state]), v ∈ {0,1} or {−1,+1}.
  for (UnitType visible : {UnitType::bernoulli, UnitType::spin})
    for (UnitType hidden : {UnitType::potts, UnitType::potts_off}) {
      SCOPED_TRACE(std::string(type_name(visible)) + "/" + type_name(hidden));
      Model model = Model::zeros(1, 2);
      model.visible_type = visible;
      model.hidden_type = hidden;
      model.visible_bias = {static_cast<float>(b)};
      model.hidden_bias = {static_cast<float>(c1), static_cast<float>(c2)};
      model.weights = {static_cast<float>(w1), static_cast<float>(w2)};
      const Params p(model);
      double z = 0;
      for (double v : {visible == UnitType::spin ? -1.0 : 0.0, 1.0}) {
        double hidden_sum = std::exp(p.hidden_bias[0] + v * p.weights[0]) +
                            std::exp(p.hidden_bias[1] + v * p.weights[1]);
        if (hidden == UnitType::potts_off) hidden_sum += 1;
        z += std::exp(p.visible_bias[0] * v) * hidden_sum;
      }
      expect_log_z(model, std::log(z), "one-hot hidden by hand");
    }
}

TEST(BruteForceAnchors, BernoulliEquivalentOfAKnownModel) {
  // D = 2, L = 1, W = (1, −3)ᵀ, b = (0.5, −1), c = (2), all exact in float and double.
  Model model = Model::zeros(2, 1);
  model.weights = {1.0f, -3.0f};
  model.visible_bias = {0.5f, -1.0f};
  model.hidden_bias = {2.0f};
  model.visible_type = model.hidden_type = UnitType::spin;
  // Both spin: W' = 4W, b' = 2b − 2W1, c' = 2c − 2Wᵀ1, offset ΣW − Σb − Σc.
  BernoulliEquivalent eq = bernoulli_equivalent(model);
  EXPECT_EQ(eq.params.weights, (std::vector<double>{4, -12}));
  EXPECT_EQ(eq.params.visible_bias, (std::vector<double>{-1, 4}));
  EXPECT_EQ(eq.params.hidden_bias, (std::vector<double>{8}));
  EXPECT_EQ(eq.log_z_offset, -2.0 - (-0.5) - 2.0);
  // Spin hidden only: W' = 2W, b' = b − W1, c' = 2c, offset −Σc.
  model.visible_type = UnitType::bernoulli;
  eq = bernoulli_equivalent(model);
  EXPECT_EQ(eq.params.weights, (std::vector<double>{2, -6}));
  EXPECT_EQ(eq.params.visible_bias, (std::vector<double>{-0.5, 2}));
  EXPECT_EQ(eq.params.hidden_bias, (std::vector<double>{4}));
  EXPECT_EQ(eq.log_z_offset, -2.0);
  // Spin visible only (any hidden type): W' = 2W, b' = 2b, c' = c − Wᵀ1, offset −Σb.
  model.visible_type = UnitType::spin;
  model.hidden_type = UnitType::potts_off;
  eq = bernoulli_equivalent(model);
  EXPECT_EQ(eq.params.hidden_type, UnitType::potts_off);
  EXPECT_EQ(eq.params.weights, (std::vector<double>{2, -6}));
  EXPECT_EQ(eq.params.visible_bias, (std::vector<double>{1, -2}));
  EXPECT_EQ(eq.params.hidden_bias, (std::vector<double>{4}));
  EXPECT_EQ(eq.log_z_offset, 0.5);
}

// ---- data and parameters --------------------------------------------------------------------

TEST(BruteForceData, SpinRowsReadBitsAs2xMinus1) {
  const Dataset data = dataset_from_values(UnitType::spin, {{-1, 1, 1}, {1, -1, -1}});
  EXPECT_EQ(data.values, (std::vector<std::uint8_t>{0, 1, 1, 1, 0, 0}));
  EXPECT_EQ(visible_row(UnitType::spin, data, 0), (std::vector<double>{-1, 1, 1}));
  EXPECT_EQ(visible_row(UnitType::bernoulli, data, 0), (std::vector<double>{0, 1, 1}));
  EXPECT_EQ(row(data, 1), (std::vector<double>{1, 0, 0}));
  EXPECT_EQ(row_state(data, 0), 6u);
  EXPECT_EQ(row_state(data, 1), 1u);
  EXPECT_THROW(dataset_from_values(UnitType::spin, {{0, 1}}), std::invalid_argument);
  EXPECT_THROW(dataset_from_values(UnitType::bernoulli, {{-1, 1}}), std::invalid_argument);
}

TEST(BruteForceData, PottsVisibleLayersAreRejected) {
  // Data rows are bits; only Bernoulli and spin visible layers read them.
  Model model = Model::zeros(3, 2);
  model.visible_type = UnitType::potts;
  EXPECT_THROW(log_z_joint(model), std::invalid_argument);
  model.visible_type = UnitType::potts_off;
  EXPECT_THROW(visible_distribution(model), std::invalid_argument);
}

}  // namespace
}  // namespace rbm::test
