// tests/test_sampler.cpp — the block-Gibbs sampler (Engine::sample) against the exact p(v).
//
// A tiny model (D = 6, 64 visible states) is sampled long, and the histogram of the samples is
// compared with the exact distribution by a chi-square goodness-of-fit test whose threshold
// comes from the chi-square distribution at a fixed small false-positive rate. Samples are
// either one per independent chain after burn-in (exactly independent) or thinned samples of
// fewer chains; in both cases the exact mixing of the chain (the 64×64 Gibbs transition matrix,
// raised to the burn-in and thinning powers) is checked first, so a failure is the sampler's and
// not the test's. Inverse temperature β must sample the model with every parameter times β, and
// the same seed must give the same samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "rbm/rbm.hpp"
#include "tests/support/brute_force.hpp"
#include "tests/support/chi_square.hpp"

namespace rbm::test {
namespace {

// The samples are drawn from the exact distribution up to the chain's distance from
// stationarity after burn-in, max_v TV(T^burn_in(v,·), p); at ≤ 1e-6 its effect on counts of
// N ≤ 10^5 samples (≤ 0.1 per bin) is far below their Poisson noise (≥ √5).
constexpr double kMaxBurnInDistance = 1e-6;
// Thinned samples of one chain are dependent through max_v TV(T^thinning(v,·), p); at ≤ 1e-3
// the variance inflation of the counts (≈ 1 + 2·1e-3) is negligible for the test.
constexpr double kMaxThinningDistance = 1e-3;

/// max over start states v of the total-variation distance of T^t(v,·) from p.
double worst_distance_after(const Model& model, int sweeps) {
  return test::worst_distance_after(gibbs_transition(model), visible_distribution(model), sweeps);
}

struct Inputs {
  double scale;  // parameters ~ N(0, scale²)
  std::uint64_t model_seed;
  float beta;
  int n_chains;
  int burn_in;
  int thinning;
  int samples_per_chain;
  std::uint64_t seed;  // the sampler's
  UnitType visible_type = UnitType::bernoulli;
  UnitType hidden_type = UnitType::bernoulli;
};

std::string describe(const Inputs& in) {
  std::ostringstream out;
  out << "D=6 L=4 scale=" << in.scale << " model_seed=" << in.model_seed << " beta=" << in.beta
      << " chains=" << in.n_chains << " burn_in=" << in.burn_in << " thinning=" << in.thinning
      << " samples_per_chain=" << in.samples_per_chain << " seed=" << in.seed << " units "
      << to_string(in.visible_type) << "/" << to_string(in.hidden_type);
  return out.str();
}
void PrintTo(const Inputs& in, std::ostream* out) {
  *out << describe(in);
}

constexpr int kD = 6, kL = 4;

class Sampler : public ::testing::TestWithParam<Inputs> {};

TEST_P(Sampler, MatchesExactDistribution) {
  const Inputs in = GetParam();
  SCOPED_TRACE(describe(in));
  const Model model =
      make_random_model(kD, kL, in.scale, in.model_seed, in.visible_type, in.hidden_type);
  // The contract: samples from exp(−βE), i.e. the model with every parameter times β.
  const Model target = scaled(model, in.beta);

  // Preconditions on the exact chain, so that the χ² test is valid for this configuration.
  ASSERT_LE(worst_distance_after(target, in.burn_in), kMaxBurnInDistance)
      << "burn-in too short for this model: the test, not the sampler, is wrong";
  if (in.samples_per_chain > 1) {
    ASSERT_LE(worst_distance_after(target, in.thinning), kMaxThinningDistance)
        << "thinning too small for nearly independent samples";
  }

  SampleOptions options;
  options.n_chains = in.n_chains;
  options.burn_in = in.burn_in;
  options.thinning = in.thinning;
  options.samples_per_chain = in.samples_per_chain;
  options.beta = in.beta;
  options.seed = in.seed;
  Engine engine(BackendKind::cpu);
  const Dataset samples = engine.sample(model, options);
  ASSERT_EQ(samples.n_visible, kD);
  ASSERT_EQ(samples.n_samples, static_cast<std::size_t>(in.n_chains) * in.samples_per_chain);
  ASSERT_NO_THROW(samples.validate());

  const GoodnessOfFit fit =
      chi_square_test(visible_distribution(target), histogram(samples), samples.n_samples);
  std::cout << "[ Sampler  ] " << describe(in) << ": " << fit.report << "\n";
  EXPECT_LE(fit.statistic, fit.threshold) << fit.report;
}

INSTANTIATE_TEST_SUITE_P(
    SamplerTiny,
    Sampler,
    ::testing::Values(
        // scale, model seed, β, chains, burn-in, thinning, samples/chain, seed
        Inputs{1.0, 1, 1.0f, 40000, 100, 1, 1, 11},   // independent chains
        Inputs{1.0, 2, 1.0f, 200, 100, 10, 200, 12},  // thinned chains
        Inputs{0.7, 3, 2.0f, 40000, 100, 1, 1, 13},   // β = 2: the doubled model
        Inputs{1.0, 4, 0.5f, 40000, 100, 1, 1, 14},   // β = 1/2: the halved model
        Inputs{1.0, 5, 0.0f, 40000, 10, 1, 1, 15}),   // β = 0: uniform over all 2^D
    [](const ::testing::TestParamInfo<Inputs>& info) {
      return "case" + std::to_string(info.index) + "_beta" +
             std::to_string(static_cast<int>(info.param.beta * 10)) + "tenths";
    });

// Every unit-type combination: spin layers (±1, p(on) = σ(2f)) and one-hot hidden layers
// (softmax, one uniform per row). Spin weights act doubly (a spin layer is a {0,1} layer with
// W' = 2W), so those models get a smaller scale to mix within the burn-in.
INSTANTIATE_TEST_SUITE_P(
    SamplerUnitTypes,
    Sampler,
    ::testing::Values(
        Inputs{0.5, 21, 1.0f, 40000, 100, 1, 1, 31, UnitType::spin, UnitType::bernoulli},
        Inputs{0.5, 22, 1.0f, 40000, 100, 1, 1, 32, UnitType::bernoulli, UnitType::spin},
        Inputs{0.4, 23, 1.0f, 40000, 100, 1, 1, 33, UnitType::spin, UnitType::spin},
        Inputs{1.0, 24, 1.0f, 40000, 100, 1, 1, 34, UnitType::bernoulli, UnitType::potts},
        Inputs{1.0, 25, 1.0f, 40000, 100, 1, 1, 35, UnitType::bernoulli, UnitType::potts_off},
        Inputs{0.5, 26, 1.0f, 40000, 100, 1, 1, 36, UnitType::spin, UnitType::potts},
        Inputs{0.3, 27, 2.0f, 200, 100, 10, 200, 37, UnitType::spin, UnitType::potts_off}),
    [](const ::testing::TestParamInfo<Inputs>& info) {
      std::string name = std::string(to_string(info.param.visible_type)) + "_" +
                         to_string(info.param.hidden_type) + "_" + std::to_string(info.index);
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST(SamplerDeterminism, SameSeedSameSamplesOtherSeedOthers) {
  const Model model = make_random_model(kD, kL, 1.0, 7);
  SampleOptions options;
  options.n_chains = 64;
  options.burn_in = 20;
  options.thinning = 3;
  options.samples_per_chain = 5;
  options.seed = 42;
  Engine engine(BackendKind::cpu);
  const Dataset first = engine.sample(model, options);
  const Dataset again = engine.sample(model, options);
  EXPECT_EQ(first.values, again.values) << "same seed, different samples";
  Engine other_engine(BackendKind::cpu);
  EXPECT_EQ(other_engine.sample(model, options).values, first.values)
      << "same seed, different samples from a second Engine";
  options.seed = 43;
  EXPECT_NE(engine.sample(model, options).values, first.values) << "seeds 42 and 43 agree";
}

TEST(SamplerDeterminism, InitialStatesAreUsed) {
  // A model with two modes, all-off and all-on, that block-Gibbs cannot leave: from all-on the
  // hidden field is −120 + 6·40 = 120 and the visible field −20 + 40 = 20; from all-off they are
  // −120 and −20. A unit flips with probability ≤ σ(−20) ≈ 2e-9 per sweep, so each chain must
  // stay where its initial row put it.
  constexpr int kModes = 8;
  Model model = Model::zeros(kD, 1);
  for (int i = 0; i < kD; ++i) {
    model.weights[i] = 40.0f;
    model.visible_bias[i] = -20.0f;
  }
  model.hidden_bias[0] = -120.0f;
  SampleOptions options;
  options.n_chains = kModes;
  options.burn_in = 5;
  options.samples_per_chain = 2;
  options.init.n_visible = kD;
  options.init.n_samples = kModes;
  for (int c = 0; c < kModes; ++c)
    for (int i = 0; i < kD; ++i) options.init.values.push_back(c % 3 == 0 ? 1 : 0);
  Engine engine(BackendKind::cpu);
  const Dataset samples = engine.sample(model, options);
  ASSERT_EQ(samples.n_samples, static_cast<std::size_t>(kModes) * 2);
  // Chain-major: chain c's samples are rows 2c and 2c + 1.
  for (std::size_t n = 0; n < samples.n_samples; ++n)
    for (int i = 0; i < kD; ++i)
      EXPECT_EQ(samples.at(n, i), (n / 2) % 3 == 0 ? 1 : 0) << "row " << n << " unit " << i;
  // A wrong number of initial rows is rejected.
  options.n_chains = kModes + 1;
  EXPECT_THROW(engine.sample(model, options), InvalidArgument);
}

}  // namespace
}  // namespace rbm::test
