// tests/test_gradient.cpp — the CD-k update (Engine::cd_step) against the exact gradient.
//
// cd_step takes its uniforms from the caller, so the test controls all randomness. With
// learning rate 1, no weight decay and the batch = the dataset's rows repeated R times,
// (updated − original) is the CD-k estimate: its data term is exact (p(h|v) is used), its model
// term a Monte Carlo average over R·N independent chains. Its expectation is computed exactly
// by pushing the data's distribution through the 2^D × 2^D Gibbs transition matrix k times
// (tests/support/brute_force.hpp: expected_cd_gradient), which for large k is the exact
// log-likelihood gradient and for k = 1 is visibly not. Also: the step is deterministic in its
// uniforms, follows the learning-rate / weight-decay formula of the contract, and refuses a
// wrong number of uniforms.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "rbm/rbm.hpp"
#include "tests/support/brute_force.hpp"

namespace rbm::test {
namespace {

constexpr int kD = 5, kL = 4;
constexpr std::size_t kRows = 8;  // N, the dataset
constexpr int kRepeat = 1000;     // R: each cd_step batch is the N rows R times, B = 8000
constexpr int kCalls = 4;         // independent cd_step calls averaged: R·N·4 = 32000 chains
// Every entry of the model term is a mean of independent per-chain values in [0,1] (x_i·p_j,
// x_i or p_j), so its variance is ≤ 1/(4·chains): σ ≤ 1/(2√32000) = 0.0028. At 5σ a correct
// entry fails with probability 6e-7; the ~30 entries per test keep the suite below 1e-4.
constexpr double kSigmas = 5;
// Float32 unit roundoff; the library sums B values in [0,1] for each term of the mean (error
// ≤ γ_B·1 after dividing by B, γ_B = B·u/(1 − B·u) ≈ 4.8e-4, for the data and the model term),
// and rounds θ + g once more (≤ u·(|θ| + 2)).
constexpr double kFloatUnit = 0x1.0p-24;
// The CD-k expectation counts as "the exact gradient" when the chain has mixed to this level.
constexpr double kMixedBias = 1e-9;

double gamma_float(double n) {
  return n * kFloatUnit / (1 - n * kFloatUnit);
}

std::vector<float> uniforms(std::size_t count, std::mt19937_64& rng) {
  std::vector<float> u(count);
  for (float& x : u) x = static_cast<float>(uniform_open_closed(rng));  // in (0,1]
  return u;
}

/// The data rows as a [R·N][D] float batch, the N rows repeated R times.
std::vector<float> repeated_batch(const Dataset& data, int repeat) {
  std::vector<float> batch;
  for (int r = 0; r < repeat; ++r)
    for (std::uint8_t x : data.values) batch.push_back(x);
  return batch;
}

TrainConfig sgd(int cd_steps, float learning_rate = 1.0f, float weight_decay = 0.0f) {
  TrainConfig config;
  config.cd_steps = cd_steps;
  config.learning_rate = learning_rate;
  config.weight_decay = weight_decay;
  config.batch_size = 1;  // unused by cd_step (the batch's rows count), but must be valid
  return config;
}

/// Flattens a model or a gradient as [W | b | c].
std::vector<double> flat(const Model& m) {
  std::vector<double> v(m.weights.begin(), m.weights.end());
  v.insert(v.end(), m.visible_bias.begin(), m.visible_bias.end());
  v.insert(v.end(), m.hidden_bias.begin(), m.hidden_bias.end());
  return v;
}
std::vector<double> flat(const Gradient& g) {
  std::vector<double> v = g.weights;
  v.insert(v.end(), g.visible_bias.begin(), g.visible_bias.end());
  v.insert(v.end(), g.hidden_bias.begin(), g.hidden_bias.end());
  return v;
}

std::string entry_name(std::size_t k) {
  const std::size_t n_w = static_cast<std::size_t>(kD) * kL;
  if (k < n_w) return "W[" + std::to_string(k / kL) + "][" + std::to_string(k % kL) + "]";
  if (k < n_w + kD) return "b[" + std::to_string(k - n_w) + "]";
  return "c[" + std::to_string(k - n_w - kD) + "]";
}

struct Inputs {
  int cd_steps;              // k
  std::uint64_t model_seed;  // parameters ~ N(0, scale²)
  std::uint64_t data_seed;
  std::uint64_t uniform_seed;
  UnitType visible_type = UnitType::bernoulli;
  UnitType hidden_type = UnitType::bernoulli;
  double scale = 1.0;
};

std::string describe(const Inputs& in) {
  std::ostringstream out;
  out << "D=" << kD << " L=" << kL << " N=" << kRows << " R=" << kRepeat << " calls=" << kCalls
      << " k=" << in.cd_steps << " model_seed=" << in.model_seed << " data_seed=" << in.data_seed
      << " uniform_seed=" << in.uniform_seed << " units " << to_string(in.visible_type) << "/"
      << to_string(in.hidden_type) << " scale=" << in.scale;
  return out.str();
}
/// Test listings show the description (gtest would otherwise print the struct's raw bytes).
void PrintTo(const Inputs& in, std::ostream* out) {
  *out << describe(in);
}

class Gradient : public ::testing::TestWithParam<Inputs> {};

TEST_P(Gradient, CdEstimateMatchesExactExpectation) {
  const Inputs in = GetParam();
  SCOPED_TRACE(describe(in));
  const Model model =
      make_random_model(kD, kL, in.scale, in.model_seed, in.visible_type, in.hidden_type);
  const Dataset data = random_dataset(kD, kRows, in.data_seed);
  const std::vector<double> expected = flat(expected_cd_gradient(model, data, in.cd_steps));
  const std::vector<double> exact = flat(log_likelihood_gradient(model, data));
  const std::vector<double> original = flat(model);

  // The library's estimate, averaged over independent calls.
  Engine engine(BackendKind::cpu);
  const std::vector<float> batch = repeated_batch(data, kRepeat);
  const int batch_size = kRepeat * static_cast<int>(kRows);
  std::mt19937_64 rng(in.uniform_seed);
  std::vector<double> estimate(original.size(), 0.0);
  for (int call = 0; call < kCalls; ++call) {
    const std::vector<float> u =
        uniforms(cd_step_uniform_count(batch_size, kD, kL, in.cd_steps), rng);
    const std::vector<double> updated = flat(engine.cd_step(model, batch, sgd(in.cd_steps), u));
    for (std::size_t k = 0; k < estimate.size(); ++k)
      estimate[k] += (updated[k] - original[k]) / kCalls;
  }

  // Per-chain values lie in an interval of width 1 for {0,1} and one-hot layers, 2 when a spin
  // layer takes part (x_i·p_j and x_i in [−1, 1]); variance ≤ width²/4.
  const bool spin = in.visible_type == UnitType::spin || in.hidden_type == UnitType::spin;
  const double width = spin ? 2.0 : 1.0;
  const double sigma = width / (2.0 * std::sqrt(static_cast<double>(batch_size) * kCalls));
  double bias = 0;  // of CD-k's expectation, from the exact gradient
  for (std::size_t k = 0; k < exact.size(); ++k)
    bias = std::max(bias, std::abs(expected[k] - exact[k]));
  std::cout << "[ Gradient ] " << describe(in) << ": max |E[CD-k] - grad| = " << bias
            << ", sigma bound = " << sigma << "\n";

  bool outside_exact_band = false;
  for (std::size_t k = 0; k < estimate.size(); ++k) {
    const double tol = kSigmas * sigma + 2 * width * gamma_float(batch_size) +
                       4 * kFloatUnit * (std::abs(original[k]) + 2 * width);
    EXPECT_LE(std::abs(estimate[k] - expected[k]), tol)
        << entry_name(k) << ": CD-" << in.cd_steps << " estimate " << estimate[k]
        << ", exact expectation " << expected[k] << " (exact gradient " << exact[k] << ")";
    if (bias <= kMixedBias) {
      EXPECT_LE(std::abs(estimate[k] - exact[k]), tol + bias)
          << entry_name(k) << ": estimate " << estimate[k] << ", exact gradient " << exact[k];
    }
    if (std::abs(estimate[k] - exact[k]) > tol) outside_exact_band = true;
  }
  // Where CD-k's bias is far larger than the noise, the estimate must show it: it leaves the
  // band that a correct large-k estimate stays in.
  const double tol_max = kSigmas * sigma + 2 * width * gamma_float(batch_size) + 1e-5;
  if (bias > 3 * tol_max) {
    EXPECT_TRUE(outside_exact_band) << "CD-" << in.cd_steps << " should be biased by " << bias;
  }
}

INSTANTIATE_TEST_SUITE_P(GradientTiny,
                         Gradient,
                         ::testing::Values(Inputs{100, 1, 101, 1001},  // mixed: the exact gradient
                                           Inputs{100, 3, 103, 1003},
                                           Inputs{5, 2, 102, 1002},
                                           Inputs{2, 1, 101, 1004},
                                           Inputs{1, 1, 101, 1005},  // biased by 0.26
                                           Inputs{1, 3, 103, 1006}),
                         [](const ::testing::TestParamInfo<Inputs>& info) {
                           return "k" + std::to_string(info.param.cd_steps) + "_model" +
                                  std::to_string(info.param.model_seed);
                         });

// Every unit-type combination: the estimate's expectation is E[CD-k] under that combination's
// Gibbs chain (spin layers with p(on) = σ(2f) and means tanh; one-hot layers sampled with one
// uniform per row), and for mixed chains (k = 100) the exact gradient.
INSTANTIATE_TEST_SUITE_P(
    GradientUnitTypes,
    Gradient,
    ::testing::Values(Inputs{100, 11, 111, 2001, UnitType::spin, UnitType::bernoulli, 0.5},
                      Inputs{1, 11, 111, 2002, UnitType::spin, UnitType::bernoulli, 0.5},
                      Inputs{100, 12, 112, 2003, UnitType::bernoulli, UnitType::spin, 0.5},
                      Inputs{2, 13, 113, 2004, UnitType::spin, UnitType::spin, 0.4},
                      Inputs{100, 14, 114, 2005, UnitType::bernoulli, UnitType::potts, 1.0},
                      Inputs{1, 14, 114, 2006, UnitType::bernoulli, UnitType::potts, 1.0},
                      Inputs{100, 15, 115, 2007, UnitType::bernoulli, UnitType::potts_off, 1.0},
                      Inputs{3, 16, 116, 2008, UnitType::spin, UnitType::potts_off, 0.5}),
    [](const ::testing::TestParamInfo<Inputs>& info) {
      std::string name = std::string(to_string(info.param.visible_type)) + "_" +
                         to_string(info.param.hidden_type) + "_k" +
                         std::to_string(info.param.cd_steps) + "_" + std::to_string(info.index);
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST(GradientStep, DeterministicInItsUniforms) {
  const Model model = make_random_model(kD, kL, 1.0, 11);
  const Dataset data = random_dataset(kD, kRows, 12);
  const std::vector<float> batch = repeated_batch(data, 3);
  const int batch_size = 3 * static_cast<int>(kRows);
  std::mt19937_64 rng(13);
  const std::vector<float> u = uniforms(cd_step_uniform_count(batch_size, kD, kL, 3), rng);
  const std::vector<float> other = uniforms(u.size(), rng);
  Engine engine(BackendKind::cpu);
  const Model first = engine.cd_step(model, batch, sgd(3), u);
  const Model again = engine.cd_step(model, batch, sgd(3), u);
  EXPECT_EQ(first.weights, again.weights);
  EXPECT_EQ(first.visible_bias, again.visible_bias);
  EXPECT_EQ(first.hidden_bias, again.hidden_bias);
  const Model different = engine.cd_step(model, batch, sgd(3), other);
  EXPECT_NE(first.weights, different.weights) << "other uniforms, same update";
  // The input model is a value: untouched.
  EXPECT_EQ(model.weights, make_random_model(kD, kL, 1.0, 11).weights);
}

TEST(GradientStep, LearningRateAndWeightDecayFollowTheContract) {
  // θ' = θ + lr·(g − wd·W) for W, θ' = θ + lr·g for b and c, with g fixed by the uniforms.
  const Model model = make_random_model(kD, kL, 1.0, 21);
  const Dataset data = random_dataset(kD, kRows, 22);
  const std::vector<float> batch = repeated_batch(data, 2);
  std::mt19937_64 rng(23);
  const std::vector<float> u =
      uniforms(cd_step_uniform_count(2 * static_cast<int>(kRows), kD, kL, 2), rng);
  Engine engine(BackendKind::cpu);
  constexpr float kRate = 0.25f, kDecay = 0.1f;
  const std::vector<double> original = flat(model);
  const std::vector<double> plain = flat(engine.cd_step(model, batch, sgd(2), u));
  const std::vector<double> decayed = flat(engine.cd_step(model, batch, sgd(2, kRate, kDecay), u));
  const std::size_t n_weights = static_cast<std::size_t>(kD) * kL;
  for (std::size_t k = 0; k < original.size(); ++k) {
    const double g = plain[k] - original[k];
    const double decay = k < n_weights ? kDecay * original[k] : 0.0;
    const double want = original[k] + kRate * (g - decay);
    // A handful of float roundings of values ≤ |θ| + |g| + 2 (the two terms of g are ≤ 1).
    const double tol = 8 * kFloatUnit * (std::abs(original[k]) + std::abs(g) + 2);
    EXPECT_NEAR(decayed[k], want, tol) << entry_name(k) << " lr=" << kRate << " wd=" << kDecay;
  }
}

TEST(GradientStep, WrongShapesAreRejected) {
  const Model model = make_random_model(kD, kL, 1.0, 31);
  const std::vector<float> batch(4 * kD, 1.0f);
  const std::size_t needed = cd_step_uniform_count(4, kD, kL, 2);
  EXPECT_EQ(needed, static_cast<std::size_t>(2 * 4 * (kD + kL))) << "k·B·(D+L)";
  Engine engine(BackendKind::cpu);
  EXPECT_NO_THROW(engine.cd_step(model, batch, sgd(2), std::vector<float>(needed, 0.5f)));
  EXPECT_THROW(engine.cd_step(model, batch, sgd(2), std::vector<float>(needed - 1, 0.5f)),
               InvalidArgument);
  EXPECT_THROW(engine.cd_step(model, batch, sgd(2), std::vector<float>(needed + 1, 0.5f)),
               InvalidArgument);
  EXPECT_THROW(engine.cd_step(model, batch, sgd(2), {}), InvalidArgument);
  // Uniforms for k = 1 given to a k = 2 step.
  EXPECT_THROW(engine.cd_step(model, batch, sgd(2),
                              std::vector<float>(cd_step_uniform_count(4, kD, kL, 1), 0.5f)),
               InvalidArgument);
  // A batch that is not whole rows of D, and an empty one.
  EXPECT_THROW(engine.cd_step(model, std::vector<float>(4 * kD + 1, 1.0f), sgd(2),
                              std::vector<float>(needed, 0.5f)),
               InvalidArgument);
  EXPECT_THROW(engine.cd_step(model, {}, sgd(2), {}), InvalidArgument);
}

}  // namespace
}  // namespace rbm::test
