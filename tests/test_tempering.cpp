// tests/test_tempering.cpp — parallel tempering (Engine::sample_tempered): the top level samples
// the model (χ² against the exact p(v)), the swap rates are the exact Metropolis acceptance
// rates, and ladders are checked.
#include <gtest/gtest.h>

#include <cmath>

#include "rbm/rbm.hpp"
#include "tests/support/brute_force.hpp"
#include "tests/support/chi_square.hpp"

namespace rbm::test {
namespace {

constexpr double kMaxZ = 4.5;  // false-alarm rate 7e-6 per z-test

/// The one-round contraction of the tempering chain: a round is a swap kernel S (which keeps
/// the product of the levels' distributions) followed by independent Gibbs sweeps G_r of every
/// level, so its Dobrushin coefficient is at most δ(G) ≤ 1 − Π_r (1 − δ(G_r)), with δ(T) the
/// largest total-variation distance between two rows of T. After t rounds every level is
/// within δ^t of its stationary distribution, whatever the start.
double round_contraction(const Model& model, const std::vector<double>& betas) {
  double all_close = 1;
  for (double beta : betas) {
    const std::vector<double> t = gibbs_transition(scaled(model, static_cast<float>(beta)));
    const std::size_t n = static_cast<std::size_t>(std::sqrt(double(t.size())));
    double worst = 0;
    for (std::size_t a = 0; a < n; ++a)
      for (std::size_t b = a + 1; b < n; ++b) {
        double tv = 0;
        for (std::size_t v = 0; v < n; ++v) tv += 0.5 * std::abs(t[a * n + v] - t[b * n + v]);
        worst = std::max(worst, tv);
      }
    all_close *= 1 - worst;
  }
  return 1 - all_close;
}

// A sharp model (one Gibbs sweep at β = 1 moves a state only a little: rows of the kernel
// differ by up to 0.94 in total variation) and a hot level at β = 0.3: a wrong swap rule
// would carry the hot level's states into the top level's samples.
TEST(Tempering, TopLevelSamplesTheModel) {
  const Model model = make_random_model(6, 4, 2.0, 42);
  TemperingLadder ladder;
  ladder.betas = {0.3, 1.0};
  constexpr int kBurnIn = 450;
  ASSERT_LE(std::pow(round_contraction(model, ladder.betas), kBurnIn), 1e-6)
      << "burn-in too short for the contraction bound: the test, not the sampler, is wrong";
  SampleOptions options;
  options.n_chains = 8000;
  options.burn_in = kBurnIn;
  options.seed = 9;
  Engine engine(BackendKind::cpu);
  const TemperingResult result = engine.sample_tempered(model, options, ladder);
  ASSERT_EQ(result.samples.n_samples, 8000u);
  const GoodnessOfFit fit = chi_square_test(visible_distribution(model), histogram(result.samples),
                                            result.samples.n_samples);
  EXPECT_LE(fit.statistic, fit.threshold) << fit.report;
  ASSERT_EQ(result.swap_rates.size(), 1u);
  EXPECT_GT(result.swap_rates[0], 0.0);
  EXPECT_LT(result.swap_rates[0], 1.0);
}

TEST(Tempering, GeometricLadders) {
  TemperingLadder ladder;
  ladder.replicas = 3;
  ladder.min_beta = 0.3;
  const std::vector<double> betas = tempering_betas(ladder);
  ASSERT_EQ(betas.size(), 3u);
  EXPECT_NEAR(betas[0], 0.3, 1e-12);
  EXPECT_NEAR(betas[1], std::sqrt(0.3), 1e-12);
  EXPECT_EQ(betas[2], 1.0);
}

// With W = 0 one sweep at level β draws v exactly from p_β(v) ∝ e^{β b·v}, independently of
// the previous state, so every swap attempt after the first round is an independent Bernoulli
// trial with the exact acceptance rate E[min(1, p_a(y) p_b(x) / (p_a(x) p_b(y)))], x ~ p_a,
// y ~ p_b. (Round 0's attempts, on the starting states, are bounded separately.)
TEST(Tempering, SwapRatesAreTheExactAcceptanceRates) {
  Model model = Model::zeros(5, 2);
  model.visible_bias = {2.0f, -1.0f, 0.5f, 3.0f, -2.5f};
  TemperingLadder ladder;
  ladder.betas = {0.2, 0.6, 1.0};
  SampleOptions options;
  options.n_chains = 400;
  options.burn_in = 0;
  options.samples_per_chain = 1001;  // 1001 rounds: 501 attempts for pair 0, 500 for pair 1
  Engine engine(BackendKind::cpu);
  const TemperingResult result = engine.sample_tempered(model, options, ladder);
  ASSERT_EQ(result.swap_rates.size(), 2u);
  for (int r = 0; r < 2; ++r) {
    const std::vector<double> pa = visible_distribution(scaled(model, float(ladder.betas[r])));
    const std::vector<double> pb = visible_distribution(scaled(model, float(ladder.betas[r + 1])));
    double rate = 0;
    for (std::size_t x = 0; x < pa.size(); ++x)
      for (std::size_t y = 0; y < pb.size(); ++y)
        rate += pa[x] * pb[y] * std::min(1.0, pa[y] * pb[x] / (pa[x] * pb[y]));
    const double attempts = options.n_chains * (r == 0 ? 501.0 : 500.0);
    const double first_round = r == 0 ? options.n_chains / attempts : 0.0;
    EXPECT_LE(std::abs(result.swap_rates[r] - rate),
              kMaxZ * std::sqrt(rate * (1 - rate) / attempts) + first_round)
        << "levels " << r << ", " << r + 1 << ": observed " << result.swap_rates[r] << ", exact "
        << rate;
  }
}

TEST(Tempering, RefusesMalformedLadders) {
  TemperingLadder ladder;
  ladder.betas = {0.5, 0.4, 1.0};
  EXPECT_THROW(tempering_betas(ladder), InvalidArgument);
  ladder.betas = {0.2, 0.9};
  EXPECT_THROW(tempering_betas(ladder), InvalidArgument);
  ladder.betas = {-0.1, 1.0};
  EXPECT_THROW(tempering_betas(ladder), InvalidArgument);
  ladder.betas = {};
  ladder.min_beta = 0;
  EXPECT_THROW(tempering_betas(ladder), InvalidArgument);
  ladder.min_beta = 0.5;
  ladder.replicas = 1;
  EXPECT_EQ(tempering_betas(ladder), std::vector<double>{1.0});
}

}  // namespace
}  // namespace rbm::test
