// tests/test_exact.cpp — the CPU backend against exhaustive float64 enumeration on tiny models.
//
// The reference (tests/support/brute_force.hpp) first has to agree with itself: log Z summed
// over all (v,h), over h only and over v only. Then the library's exact log Z, free energy,
// conditionals and mean log-likelihood are compared with it, for D < L and D > L so that both
// enumeration directions of the library are used, at weight scales from 0.1 (near-uniform) to 5
// (sharply peaked). Also: what log Z refuses (too many states, cancellation) and that NaN/Inf
// parameters are rejected by every entry point.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "rbm/rbm.hpp"
#include "tests/support/brute_force.hpp"

namespace rbm::test {
namespace {

// The reference sums ≤ 2^20 positive terms pairwise (error ≤ 20·ε·Z, ε = 1.1e-16) of
// exponents each computed from ≤ D·L + D + L ≤ 120 double products (error ≲ 1e-14·|E|), so the
// three reference log Z agree to ~1e-13 absolute; 1e-10·max(1,|log Z|) leaves a wide margin.
constexpr double kReferenceLogZRel = 1e-10;
// The library's exact log Z enumerates ≤ 2^10 states in float64 from the same float parameters
// (exactly representable in double): the same bound as above applies, so the same 1e-10.
constexpr double kLibraryLogZRel = 1e-10;
// Float32 unit roundoff. A float32 dot product of n terms (any order, FMA or not) has error
// ≤ γ_n·Σ|terms| with γ_n = n·u/(1 − n·u) (Higham, Accuracy and Stability, §3.1). Fields
// c_j + vᵀW_{:,j} are such dots of D terms plus the bias and one final rounding: n = D + 2.
constexpr double kFloatUnit = 0x1.0p-24;
// The logistic of a float field, evaluated in float (expf ≤ 2 ulp, then an add, a divide and a
// final rounding): ≤ 8 ulps of a value ≤ 1.
constexpr double kSigmoidAbs = 8 * kFloatUnit;
// Arithmetic the library does in double after the float fields (softplus, sums over ≤ 20 units
// or over the dataset): relative 1e-12 is far above its ~20·ε.
constexpr double kDoubleRel = 1e-12;

double gamma_float(int n) {
  return n * kFloatUnit / (1 - n * kFloatUnit);
}

struct Inputs {
  int n_visible;  // D
  int n_hidden;   // L
  double scale;   // every parameter ~ N(0, scale²)
  std::uint64_t seed;
};

std::string describe(const Inputs& in) {
  std::ostringstream out;
  out << "D=" << in.n_visible << " L=" << in.n_hidden << " scale=" << in.scale
      << " seed=" << in.seed;
  return out.str();
}
/// Test listings show the description (gtest would otherwise print the struct's raw bytes).
void PrintTo(const Inputs& in, std::ostream* out) {
  *out << describe(in);
}

std::string test_name(const ::testing::TestParamInfo<Inputs>& info) {
  std::ostringstream scale;
  scale << info.param.scale;  // "0.1" → "0p1": test names allow only [A-Za-z0-9_]
  std::string scale_text = scale.str();
  for (char& ch : scale_text)
    if (ch == '.') ch = 'p';
  return "D" + std::to_string(info.param.n_visible) + "_L" + std::to_string(info.param.n_hidden) +
         "_scale" + scale_text + "_seed" + std::to_string(info.param.seed);
}

::testing::AssertionResult near_relative(double got, double want, double rel, const char* what) {
  const double tol = rel * std::max(1.0, std::abs(want));
  if (std::abs(got - want) <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": got " << got << ", want " << want
                                       << ", |diff| " << std::abs(got - want) << " > tol " << tol;
}

/// Σ|terms| of the float32 field c_j + vᵀW_{:,j}.
double hidden_field_magnitude(const Params& p, const std::vector<double>& v, int j) {
  double sum = std::abs(p.hidden_bias[j]);
  for (int i = 0; i < p.n_visible; ++i) sum += std::abs(v[i] * p.w(i, j));
  return sum;
}

/// Σ|terms| of the float32 field b_i + W_{i,:}h.
double visible_field_magnitude(const Params& p, const std::vector<double>& h, int i) {
  double sum = std::abs(p.visible_bias[i]);
  for (int j = 0; j < p.n_hidden; ++j) sum += std::abs(p.w(i, j) * h[j]);
  return sum;
}

/// Error bound of the library's F(v): every field through a float32 dot (γ_{D+2}), softplus
/// Lipschitz 1 so the field error carries over, bᵀv possibly in float too, the rest in double.
double free_energy_tolerance(const Params& p, const std::vector<double>& v, double reference) {
  double magnitude = 0;
  for (int i = 0; i < p.n_visible; ++i) magnitude += std::abs(v[i] * p.visible_bias[i]);
  for (int j = 0; j < p.n_hidden; ++j) magnitude += hidden_field_magnitude(p, v, j);
  return gamma_float(p.n_visible + 2) * magnitude + kDoubleRel * (1 + std::abs(reference));
}

/// The visible rows to evaluate on: all 2^D states when few, else random ones.
Dataset evaluation_rows(int n_visible, std::uint64_t seed) {
  return n_visible <= 12 ? all_visible_states(n_visible) : random_dataset(n_visible, 2000, seed);
}

class Exact : public ::testing::TestWithParam<Inputs> {
 protected:
  void SetUp() override {
    in_ = GetParam();
    model_ = make_random_model(in_.n_visible, in_.n_hidden, in_.scale, in_.seed);
  }
  Inputs in_{};
  Model model_;
  Engine engine_{BackendKind::cpu};
};

TEST_P(Exact, ReferenceLogZAgreesWithItself) {
  SCOPED_TRACE(describe(in_));
  const double joint = log_z_joint(model_);
  const double by_hidden = log_z_enumerate_hidden(model_);
  const double by_visible = log_z_enumerate_visible(model_);
  ASSERT_TRUE(std::isfinite(joint));
  EXPECT_TRUE(near_relative(by_hidden, joint, kReferenceLogZRel, "log Z over h vs over (v,h)"));
  EXPECT_TRUE(near_relative(by_visible, joint, kReferenceLogZRel, "log Z over v vs over (v,h)"));
  // Transposing swaps the roles of v and h; Z must not change.
  const Model flipped = transposed(model_);
  EXPECT_TRUE(near_relative(log_z_enumerate_visible(flipped), joint, kReferenceLogZRel,
                            "log Z over v of the transposed model"));
}

TEST_P(Exact, ReferenceMomentsAgreeWithJointEnumeration) {
  SCOPED_TRACE(describe(in_));
  // The model term of the exact gradient (used by the Gradient suite), two independent ways.
  // Moments are probabilities in [0,1] summed over ≤ 2^20 states: 1e-12 absolute is ample.
  constexpr double kMomentAbs = 1e-12;
  const std::vector<double> p = visible_distribution(model_);
  double total = 0;
  for (double x : p) total += x;
  EXPECT_NEAR(total, 1.0, kMomentAbs);
  const Moments analytic = model_moments(model_);
  const Moments joint = model_moments_joint(model_);
  for (std::size_t k = 0; k < analytic.weights.size(); ++k)
    EXPECT_NEAR(analytic.weights[k], joint.weights[k], kMomentAbs) << "<v h> entry " << k;
  for (std::size_t k = 0; k < analytic.visible_bias.size(); ++k)
    EXPECT_NEAR(analytic.visible_bias[k], joint.visible_bias[k], kMomentAbs) << "<v> entry " << k;
  for (std::size_t k = 0; k < analytic.hidden_bias.size(); ++k)
    EXPECT_NEAR(analytic.hidden_bias[k], joint.hidden_bias[k], kMomentAbs) << "<h> entry " << k;
}

TEST_P(Exact, LibraryLogZ) {
  SCOPED_TRACE(describe(in_));
  const double reference = log_z_enumerate_hidden(model_);
  const LogZResult result = engine_.log_z(model_);
  EXPECT_TRUE(near_relative(result.log_z, reference, kLibraryLogZRel, "Engine::log_z"));
  EXPECT_EQ(result.log2_states, std::min(in_.n_visible, in_.n_hidden));
  if (in_.n_visible != in_.n_hidden) {
    EXPECT_EQ(result.enumerated_hidden, in_.n_hidden < in_.n_visible)
        << "the library should enumerate the smaller layer";
  }
  // The transposed model makes the library enumerate the other layer; Z is the same.
  const LogZResult flipped = engine_.log_z(transposed(model_));
  EXPECT_TRUE(near_relative(flipped.log_z, reference, kLibraryLogZRel,
                            "Engine::log_z of the transposed model"));
  // Several models in one call equal one call each.
  const std::vector<Model> models = {model_, scaled(model_, 0.5f), scaled(model_, 2.0f)};
  const std::vector<LogZResult> batch = engine_.log_z(models);
  ASSERT_EQ(batch.size(), models.size());
  for (std::size_t m = 0; m < models.size(); ++m)
    EXPECT_TRUE(near_relative(batch[m].log_z, log_z_enumerate_visible(models[m]), kLibraryLogZRel,
                              "Engine::log_z of several models"))
        << "model " << m;
}

TEST_P(Exact, FreeEnergy) {
  SCOPED_TRACE(describe(in_));
  const Dataset rows = evaluation_rows(in_.n_visible, in_.seed + 1000);
  const std::vector<double> got = engine_.free_energy(model_, engine_.upload(rows));
  ASSERT_EQ(got.size(), rows.n_samples);
  const Params p(model_);
  int failures = 0;
  for (std::size_t n = 0; n < rows.n_samples && failures < 5; ++n) {
    const std::vector<double> v = row(rows, n);
    const double want = free_energy(p, v);
    const double tol = free_energy_tolerance(p, v, want);
    if (std::abs(got[n] - want) > tol) {
      ++failures;
      ADD_FAILURE() << "F(v) of row " << n << ": got " << got[n] << ", want " << want << ", |diff| "
                    << std::abs(got[n] - want) << " > tol " << tol;
    }
  }
}

TEST_P(Exact, HiddenProbabilities) {
  SCOPED_TRACE(describe(in_));
  const Dataset rows = evaluation_rows(in_.n_visible, in_.seed + 2000);
  const std::vector<float> got = engine_.hidden_probabilities(model_, engine_.upload(rows));
  const int n_hidden = in_.n_hidden;
  ASSERT_EQ(got.size(), rows.n_samples * n_hidden);
  const Params p(model_);
  int failures = 0;
  for (std::size_t n = 0; n < rows.n_samples && failures < 5; ++n) {
    const std::vector<double> v = row(rows, n);
    const std::vector<double> want = hidden_probabilities(p, v);
    for (int j = 0; j < n_hidden; ++j) {
      // σ is 1/4-Lipschitz: the field's float error shrinks by 4, plus σ's own rounding.
      const double tol =
          0.25 * gamma_float(in_.n_visible + 2) * hidden_field_magnitude(p, v, j) + kSigmoidAbs;
      const double diff = std::abs(got[n * n_hidden + j] - want[j]);
      if (diff > tol && failures++ < 5)
        ADD_FAILURE() << "p(h_" << j << "=1|v) of row " << n << ": got " << got[n * n_hidden + j]
                      << ", want " << want[j] << ", |diff| " << diff << " > tol " << tol;
    }
  }
}

TEST_P(Exact, VisibleProbabilities) {
  SCOPED_TRACE(describe(in_));
  // Every binary h when few, plus fractional rows in [0,1] (mean-field inputs are allowed).
  const int n_hidden = in_.n_hidden, n_visible = in_.n_visible;
  std::vector<std::vector<double>> hs;
  if (n_hidden <= 12)
    for (std::uint64_t s = 0; s < (std::uint64_t{1} << n_hidden); ++s)
      hs.push_back(unpack_state(s, n_hidden));
  std::mt19937_64 rng(in_.seed + 3000);
  for (int r = 0; r < 500; ++r) {
    std::vector<double> h(n_hidden);
    for (double& x : h) x = static_cast<float>(uniform_open_closed(rng));  // exact as float
    hs.push_back(h);
  }
  std::vector<float> flat;
  for (const auto& h : hs) flat.insert(flat.end(), h.begin(), h.end());
  const std::vector<float> got = engine_.visible_probabilities(model_, flat);
  ASSERT_EQ(got.size(), hs.size() * n_visible);
  const Params p(model_);
  int failures = 0;
  for (std::size_t n = 0; n < hs.size(); ++n) {
    const std::vector<double> want = visible_probabilities(p, hs[n]);
    for (int i = 0; i < n_visible; ++i) {
      const double tol =
          0.25 * gamma_float(n_hidden + 2) * visible_field_magnitude(p, hs[n], i) + kSigmoidAbs;
      const double diff = std::abs(got[n * n_visible + i] - want[i]);
      if (diff > tol && failures++ < 5)
        ADD_FAILURE() << "p(v_" << i << "=1|h) of row " << n << ": got " << got[n * n_visible + i]
                      << ", want " << want[i] << ", |diff| " << diff << " > tol " << tol;
    }
  }
}

TEST_P(Exact, MeanLogLikelihood) {
  SCOPED_TRACE(describe(in_));
  const Dataset rows = random_dataset(in_.n_visible, 300, in_.seed + 4000);
  const DataHandle handle = engine_.upload(rows);
  const double log_z = engine_.log_z(model_).log_z;
  const double got = engine_.mean_log_likelihood(model_, handle, log_z);
  const double want = mean_log_likelihood(model_, rows);
  // The mean of the per-row F(v) bounds, plus log Z's.
  const Params p(model_);
  double tol = kLibraryLogZRel * std::max(1.0, std::abs(log_z)) + kDoubleRel * (1 + std::abs(want));
  for (std::size_t n = 0; n < rows.n_samples; ++n) {
    const std::vector<double> v = row(rows, n);
    tol += free_energy_tolerance(p, v, free_energy(p, v)) / static_cast<double>(rows.n_samples);
  }
  EXPECT_LE(std::abs(got - want), tol) << "mean log-likelihood: got " << got << ", want " << want;
  // And it is a log-probability: mean log p(v) ≤ 0.
  EXPECT_LE(got, tol);
}

INSTANTIATE_TEST_SUITE_P(ExactTiny,
                         Exact,
                         ::testing::Values(Inputs{1, 1, 3.0, 1},
                                           Inputs{3, 8, 0.1, 2},
                                           Inputs{8, 3, 1.0, 3},
                                           Inputs{4, 9, 5.0, 4},
                                           Inputs{9, 4, 5.0, 5},
                                           Inputs{5, 12, 1.0, 6},
                                           Inputs{12, 5, 3.0, 7},
                                           Inputs{10, 10, 1.0, 8},
                                           Inputs{6, 14, 3.0, 9},
                                           Inputs{14, 6, 5.0, 10},
                                           Inputs{2, 18, 1.0, 11},
                                           Inputs{18, 2, 3.0, 12},
                                           Inputs{7, 11, 0.1, 13}),
                         test_name);

// ---- log Z options -------------------------------------------------------------------------

template <typename Exception, typename Call>
::testing::AssertionResult throws_with(Call&& call, const std::string& needle) {
  try {
    call();
  } catch (const Exception& e) {
    if (std::string(e.what()).find(needle) != std::string::npos)
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "threw the right type, but the message '" << e.what() << "' lacks '" << needle << "'";
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw the wrong type: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

TEST(ExactLogZOptions, TooManyStatesIsRefusedWithTheCount) {
  Engine engine(BackendKind::cpu);
  const Model mnist_sized = Model::zeros(784, 64);  // 2^64 states either way
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { engine.log_z(mnist_sized); }, "2^64"));
  EXPECT_TRUE(
      throws_with<InvalidArgument>([&] { engine.log_z(std::vector<Model>{mnist_sized}); }, "2^64"));
}

TEST(ExactLogZOptions, MaxLog2StatesIsHonoured) {
  Engine engine(BackendKind::cpu);
  const Model model = make_random_model(12, 10, 1.0, 21);
  LogZOptions options;
  options.max_log2_states = 9;
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { engine.log_z(model, options); }, "2^10"));
  options.max_log2_states = 10;
  EXPECT_TRUE(near_relative(engine.log_z(model, options).log_z, log_z_enumerate_hidden(model),
                            kLibraryLogZRel, "log Z at exactly the limit"));
}

// The enumeration bound lives in one place: a caller who raises max_log2_states past it gets an
// error naming both numbers instead of a shift past the width of the state counter.
TEST(ExactLogZOptions, RaisingTheLimitPastTheEnumerationBoundIsRefused) {
  Engine engine(BackendKind::cpu);
  LogZOptions options;
  options.max_log2_states = 100;
  const Model model = Model::zeros(784, 80);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { engine.log_z(model, options); }, "2^62"));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { engine.log_z(model, options); }, "100"));
}

// Without a limit given, the limit is a time budget estimated from the backend's rate; the
// refusal names the estimate, the rate and both options that raise the limit.
TEST(ExactLogZOptions, TheDefaultTimeBudgetRefusesWithTheEstimate) {
  Engine engine(BackendKind::cpu);
  const Model model = Model::zeros(784, 48);  // ~2e17 pairs: years on any CPU
  for (const char* part :
       {"2^48", "pairs/s", "calibrated", "max_seconds", "--max-seconds", "--max-log2-states 48"})
    EXPECT_TRUE(throws_with<InvalidArgument>([&] { engine.log_z(model); }, part)) << part;
  const LogZEstimate estimate = engine.log_z_estimate(model);
  EXPECT_FALSE(estimate.allowed);
  EXPECT_NE(estimate.refusal.find("2^48"), std::string::npos) << estimate.refusal;
  EXPECT_GT(estimate.seconds, kDefaultLogZSeconds);
}

TEST(ExactLogZOptions, TheEstimateIsPairsOverTheBackendsRate) {
  Engine engine(BackendKind::cpu);
  const Model model = Model::zeros(784, 20);
  const LogZEstimate one = engine.log_z_estimate(model);
  const LogZEstimate three = engine.log_z_estimate(model, {}, 3);
  EXPECT_EQ(one.states, std::ldexp(1.0, 20));
  EXPECT_EQ(one.log2_states, 20);
  EXPECT_EQ(one.pairs, std::ldexp(784.0, 20));
  EXPECT_EQ(three.pairs, 3 * one.pairs);
  EXPECT_GT(one.pairs_per_second, 0);
  EXPECT_FALSE(one.rate_source.empty());
  EXPECT_DOUBLE_EQ(one.seconds, one.pairs / one.pairs_per_second);
  EXPECT_TRUE(one.allowed) << one.refusal;
  // A one-hot layer has L states and is always affordable.
  Model potts = Model::zeros(784, 500);
  potts.hidden_type = UnitType::potts_off;
  const LogZEstimate summed = engine.log_z_estimate(potts);
  EXPECT_EQ(summed.states, 501);
  EXPECT_TRUE(summed.allowed);
}

TEST(ExactLogZOptions, MaxSecondsIsHonouredAndAStateLimitAloneReplacesIt) {
  Engine engine(BackendKind::cpu);
  const Model model = make_random_model(40, 18, 0.1, 23);
  LogZOptions tight;
  tight.max_seconds = 1e-9;  // 2^18·40 pairs take far longer than a nanosecond
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { engine.log_z(model, tight); }, "--max-seconds"));
  LogZOptions generous;
  generous.max_seconds = 60;
  EXPECT_EQ(engine.log_z(model, generous).log_z, engine.log_z(model).log_z);
  // A state limit given alone: no time budget (the default one would refuse 784x40).
  const Model large = Model::zeros(784, 40);
  EXPECT_FALSE(engine.log_z_estimate(large).allowed);
  LogZOptions states;
  states.max_log2_states = 40;
  EXPECT_TRUE(engine.log_z_estimate(large, states).allowed);
  // Both given: both apply.
  states.max_seconds = 60;
  EXPECT_FALSE(engine.log_z_estimate(large, states).allowed);
  LogZOptions nonsense;
  nonsense.max_seconds = 0;
  EXPECT_THROW(engine.log_z(model, nonsense), InvalidArgument);
}

TEST(ExactLogZOptions, ProgressReportsAndCancels) {
  Engine engine(BackendKind::cpu);
  // 2^18 hidden states × 40 visible units: long enough to report progress, < 1 s.
  const Model model = make_random_model(40, 18, 0.1, 22);
  std::vector<double> fractions;
  LogZOptions reporting;
  reporting.progress = [&](double fraction) {
    fractions.push_back(fraction);
    return true;
  };
  const double with_progress = engine.log_z(model, reporting).log_z;
  ASSERT_FALSE(fractions.empty()) << "progress was never called for 2^18 states";
  for (std::size_t k = 0; k < fractions.size(); ++k) {
    EXPECT_GE(fractions[k], 0.0);
    EXPECT_LE(fractions[k], 1.0);
    if (k > 0) {
      EXPECT_GE(fractions[k], fractions[k - 1]) << "progress went backwards";
    }
  }
  EXPECT_TRUE(near_relative(with_progress, engine.log_z(model).log_z, kLibraryLogZRel,
                            "log Z with and without a progress callback"));

  int calls = 0;
  LogZOptions cancelling;
  cancelling.progress = [&](double) {
    ++calls;
    return false;
  };
  EXPECT_THROW(engine.log_z(model, cancelling), Cancelled);
  EXPECT_GE(calls, 1);
}

// ---- NaN / Inf parameters ------------------------------------------------------------------

struct BadParameter {
  const char* name;  // which parameter vector
  float value;       // NaN or ±Inf
};
/// Test listings show the parameter (gtest would otherwise print the struct's raw bytes).
void PrintTo(const BadParameter& bad, std::ostream* out) {
  *out << bad.name << " = " << bad.value;
}

class ExactInvalidParameters : public ::testing::TestWithParam<BadParameter> {};

TEST_P(ExactInvalidParameters, EveryEntryPointThrows) {
  const BadParameter bad = GetParam();
  SCOPED_TRACE(std::string(bad.name) + " holds " + std::to_string(bad.value));
  constexpr int kD = 4, kL = 3;
  const Model good = make_random_model(kD, kL, 1.0, 31);
  Model model = good;
  const std::string name = bad.name;
  if (name == "weights") model.weights[5] = bad.value;
  if (name == "visible_bias") model.visible_bias[2] = bad.value;
  if (name == "hidden_bias") model.hidden_bias[1] = bad.value;

  Engine engine(BackendKind::cpu);
  const Dataset data = random_dataset(kD, 8, 32);
  const DataHandle handle = engine.upload(data);
  TrainConfig config;
  config.batch_size = 4;
  config.epochs = 1;
  const std::vector<float> batch(static_cast<std::size_t>(4) * kD, 1.0f);
  const std::vector<float> uniforms(cd_step_uniform_count(4, kD, kL, 1), 0.5f);
  SampleOptions sampling;
  sampling.n_chains = 2;
  sampling.burn_in = 2;

  EXPECT_THROW(engine.log_z(model), InvalidArgument);
  EXPECT_THROW(engine.log_z(std::vector<Model>{good, model}), InvalidArgument);
  EXPECT_THROW(engine.free_energy(model, handle), InvalidArgument);
  EXPECT_THROW(engine.mean_log_likelihood(model, handle, 1.0), InvalidArgument);
  EXPECT_THROW(engine.reconstruction_error(model, handle), InvalidArgument);
  EXPECT_THROW(engine.hidden_probabilities(model, handle), InvalidArgument);
  EXPECT_THROW(engine.visible_probabilities(model, std::vector<float>(kL, 0.5f)), InvalidArgument);
  EXPECT_THROW(engine.cd_step(model, batch, config, uniforms), InvalidArgument);
  EXPECT_THROW(engine.sample(model, sampling), InvalidArgument);
  EXPECT_THROW(engine.train(model, config, handle), InvalidArgument);
  EXPECT_THROW(engine.train(std::vector<Model>{good, model}, {config}, handle), InvalidArgument);
  EXPECT_THROW(model.validate(), InvalidArgument);
  // The good model goes through all of them (so the throws above are about the bad value).
  EXPECT_NO_THROW(engine.log_z(good));
  EXPECT_NO_THROW(engine.cd_step(good, batch, config, uniforms));
  EXPECT_NO_THROW(engine.sample(good, sampling));
}

INSTANTIATE_TEST_SUITE_P(
    ExactNanInf,
    ExactInvalidParameters,
    ::testing::Values(BadParameter{"weights", std::numeric_limits<float>::quiet_NaN()},
                      BadParameter{"visible_bias", std::numeric_limits<float>::quiet_NaN()},
                      BadParameter{"hidden_bias", std::numeric_limits<float>::quiet_NaN()},
                      BadParameter{"weights", std::numeric_limits<float>::infinity()},
                      BadParameter{"hidden_bias", -std::numeric_limits<float>::infinity()}),
    [](const ::testing::TestParamInfo<BadParameter>& info) {
      return std::string(info.param.name) + (std::isnan(info.param.value) ? "_nan" : "_inf");
    });

TEST(ExactInvalidParameters, NonFiniteLogZArgument) {
  Engine engine(BackendKind::cpu);
  const Model model = make_random_model(4, 3, 1.0, 33);
  const DataHandle handle = engine.upload(random_dataset(4, 8, 34));
  EXPECT_THROW(engine.mean_log_likelihood(model, handle, std::nan("")), InvalidArgument);
  EXPECT_THROW(engine.mean_log_likelihood(model, handle, INFINITY), InvalidArgument);
}

}  // namespace
}  // namespace rbm::test
