// tests/test_pcd.cpp — persistent CD: its chains must sample the model, so with a learning rate
// small enough that the model barely moves, the mean PCD update over many steps is the exact
// log-likelihood gradient along the path — not CD-1's biased estimate, which this test can tell
// apart (checked below).
#include <gtest/gtest.h>

#include <cmath>

#include "rbm/rbm.hpp"
#include "tests/support/brute_force.hpp"

namespace {

constexpr int kRuns = 10;     // independent PCD runs (seeds)
constexpr int kSteps = 2000;  // one full-batch step per epoch
constexpr float kLearningRate = 1e-4f;
// Two-sided 1e-4 quantile of Student's t with kRuns − 1 = 9 degrees of freedom.
constexpr double kStudentT = 6.59;
// Deterministic error bounds, per gradient entry:
//  - float32 rounding: each step's update is rounded to half an ulp of |W| ≤ 4 (2.4e-7), so
//    the mean update is off by at most 2.4e-7 / lr = 2.4e-3;
//  - burn-in: chains start from the product distribution σ(b); with a mixing time of a few
//    sweeps τ ≲ 5 for this small model, the first τ of kSteps moments are off by ≤ 1:
//    τ/kSteps ≤ 2.5e-3.
// Drift of the model during a run is removed to first order by comparing with the mean of the
// exact gradients at the start and at the end (trapezoid rule).
constexpr double kRoundingBound = 2.4e-7 / kLearningRate;
constexpr double kBurnInBound = 5.0 / kSteps;

rbm::Model make_model() {
  return rbm::test::make_random_model(5, 3, 0.8, 7);
}
rbm::Dataset make_data() {
  return rbm::test::random_dataset(5, 8, 11);
}

TEST(Pcd, MeanUpdateIsTheExactGradient) {
  const rbm::Model model = make_model();
  const rbm::Dataset data = make_data();
  for (float w : model.weights) ASSERT_LE(std::fabs(w), 4.0f);  // premise of kRoundingBound
  const rbm::test::Gradient exact_start = rbm::test::log_likelihood_gradient(model, data);

  rbm::TrainConfig config;
  config.persistent = true;
  config.n_chains = 200;
  config.cd_steps = 1;
  config.batch_size = static_cast<int>(data.n_samples);  // the data term is then exact
  config.epochs = kSteps;
  config.learning_rate = kLearningRate;
  config.momentum = 0;
  rbm::Engine engine(rbm::BackendKind::cpu);
  const auto resident = engine.upload(data);

  const std::size_t n_params = model.weights.size();
  std::vector<double> sum(n_params, 0), sum_sq(n_params, 0);
  for (int run = 0; run < kRuns; ++run) {
    config.seed = 100 + run;
    const rbm::Model trained = engine.train(model, config, resident);
    const rbm::test::Gradient exact_end = rbm::test::log_likelihood_gradient(trained, data);
    for (std::size_t k = 0; k < n_params; ++k) {
      const double mean_update = (static_cast<double>(trained.weights[k]) - model.weights[k]) /
                                 (static_cast<double>(kLearningRate) * kSteps);
      const double error = mean_update - 0.5 * (exact_start.weights[k] + exact_end.weights[k]);
      sum[k] += error;
      sum_sq[k] += error * error;
    }
  }
  for (std::size_t k = 0; k < n_params; ++k) {
    const double mean = sum[k] / kRuns;
    const double sd = std::sqrt(std::max(0.0, (sum_sq[k] - kRuns * mean * mean) / (kRuns - 1)));
    EXPECT_NEAR(mean, 0.0, kStudentT * sd / std::sqrt(kRuns) + kRoundingBound + kBurnInBound)
        << "W entry " << k << ": exact gradient " << exact_start.weights[k] << ", sd of one run "
        << sd;
  }
}

// The test above only means something if CD-1's bias on this model exceeds its tolerance.
TEST(Pcd, Cd1BiasIsLargerThanThePcdTolerance) {
  const rbm::Model model = make_model();
  const rbm::Dataset data = make_data();
  const auto exact = rbm::test::log_likelihood_gradient(model, data);
  const auto cd1 = rbm::test::expected_cd_gradient(model, data, 1);
  double max_bias = 0;
  for (std::size_t k = 0; k < exact.weights.size(); ++k)
    max_bias = std::max(max_bias, std::fabs(cd1.weights[k] - exact.weights[k]));
  EXPECT_GT(max_bias, 3 * (kRoundingBound + kBurnInBound)) << "CD-1 max |bias| " << max_bias;
}

}  // namespace
