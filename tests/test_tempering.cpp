// tests/test_tempering.cpp — parallel tempering (Engine::sample_tempered): the top level samples
// the model (χ² against the exact p(v)), the swap rates are the exact Metropolis acceptance
// rates, and ladders are checked.
#include <gtest/gtest.h>

#include <cmath>

#include "rbm/rbm.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/brute_force.hpp"
#include "tests/support/chi_square.hpp"
#include "tests/support/same_model.hpp"

namespace rbm::test {
namespace {

constexpr double kMaxZ = 4.5;  // false-alarm rate 7e-6 per z-test

class TemperingOnBackend : public OnEveryBackend {};
RBM_ON_EVERY_BACKEND(TemperingOnBackend);
class TemperingTrainingOnBackend : public OnEveryBackend {};
RBM_ON_EVERY_BACKEND(TemperingTrainingOnBackend);

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
TEST_P(TemperingOnBackend, TopLevelSamplesTheModel) {
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
  Engine engine(backend());
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
TEST_P(TemperingOnBackend, SwapRatesAreTheExactAcceptanceRates) {
  Model model = Model::zeros(5, 2);
  model.visible_bias = {2.0f, -1.0f, 0.5f, 3.0f, -2.5f};
  TemperingLadder ladder;
  ladder.betas = {0.2, 0.6, 1.0};
  SampleOptions options;
  options.n_chains = 400;
  options.burn_in = 0;
  options.samples_per_chain = 1001;  // 1001 rounds: 501 attempts for pair 0, 500 for pair 1
  Engine engine(backend());
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

// Training with tempering: a one-level ladder (β = 1 only) is plain PCD — the rounds use the
// step's uniforms in PCD's order (h, then v, per step) and the fields at β = 1 are PCD's — so
// the tempering code path must give PCD's models bit for bit.
TEST(TemperingTraining, OneLevelLadderIsPlainPcd) {
  const Dataset data = make_bars_and_stripes(3);
  TrainConfig pcd;
  pcd.persistent = true;
  pcd.pcd_chains = PcdChains::visible;  // tempering's chains are visible states
  pcd.n_chains = 7;
  pcd.cd_steps = Schedule::step(1, 2, 2);
  pcd.batch_size = 4;
  pcd.epochs = 5;
  pcd.optimizer = Optimizer::adam;
  pcd.learning_rate = 0.02;
  pcd.seed = 5;
  TrainConfig one_level = pcd;
  one_level.tempering_replicas = 1;
  for (UnitType hidden : {UnitType::bernoulli, UnitType::potts}) {
    SCOPED_TRACE(to_string(hidden));
    pcd.hidden_type = one_level.hidden_type = hidden;
    const Model start = init_model(data, 5, pcd);
    Engine engine(BackendKind::cpu);
    const DataHandle handle = engine.upload(data);
    EXPECT_TRUE(
        same_bits(engine.train(start, one_level, handle), engine.train(start, pcd, handle)));
  }
}

TEST_P(TemperingTrainingOnBackend, LaddersTrainAndAreValidated) {
  const Dataset data = make_bars_and_stripes(3);
  TrainConfig c;
  c.persistent = true;
  c.n_chains = 5;
  c.tempering_replicas = 4;
  c.tempering_min_beta = 0.2f;
  c.batch_size = 5;
  c.epochs = 3;
  const Model start = init_model(data, 6, c);
  Engine engine(backend());
  const DataHandle handle = engine.upload(data);
  const Model trained = engine.train(start, c, handle);
  EXPECT_TRUE(same_bits(trained, engine.train(start, c, handle))) << "not reproducible";
  EXPECT_FALSE(same_bits(trained, start));
  TrainConfig cd = c;
  cd.persistent = false;
  EXPECT_THROW(validate(cd), InvalidArgument);  // tempering needs persistent chains
  c.tempering_min_beta = 1.0f;
  EXPECT_THROW(validate(c), InvalidArgument);
  c.tempering_min_beta = 0.5f;
  c.tempering_replicas = -1;
  EXPECT_THROW(validate(c), InvalidArgument);
  c.tempering_replicas = 4;
  const TrainConfig again = train_config_from_json(to_json(c));
  EXPECT_EQ(again.tempering_replicas, 4);
  EXPECT_EQ(again.tempering_min_beta, 0.5f);
}

}  // namespace
}  // namespace rbm::test
