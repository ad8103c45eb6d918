// tests/test_train_bas.cpp — end-to-end training on bars-and-stripes 3×3, judged exactly.
//
// BAS 3×3 has 14 equally likely patterns over D = 9 pixels, so the best any model can do is a
// mean log-likelihood of log(1/14) ≈ −2.64, while an untrained model (b from the pixel means,
// which are all 1/2, and tiny W) sits near log(1/512) ≈ −6.24. With D = 9 the library's exact
// log Z makes the log-likelihood exact, so the test measures learning, not an estimate. Also:
// a few epochs agree with an independent float64 implementation of the training contract of
// host/backend.hpp (shuffling, uniform offsets, CD/PCD, momentum, weight decay, dropped rows,
// reconstruction error), training repeats bit for bit from its seed, M models trained in one
// call equal M single runs, and bad configurations are refused before any work.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "host/common/philox.hpp"
#include "rbm/rbm.hpp"
#include "tests/support/same_model.hpp"

namespace rbm::test {
namespace {

// The optimum: every one of the 14 patterns with probability 1/14.
const double kOptimum = std::log(1.0 / 14.0);
// A well-trained RBM with 8–16 hidden units models BAS 3×3 almost perfectly; −3.5 still leaves
// each pattern (geometric mean) e^−3.5 ≈ 0.030 of the mass, i.e. ≥ 42% of its ideal 1/14 — a
// margin of 0.86 nats below the optimum that any correct CD/PCD trainer clears.
constexpr double kTargetLogLikelihood = -3.5;
// "Far above" the untrained model: at least 2 nats (a 7× larger geometric-mean probability).
constexpr double kMinImprovement = 2.0;

struct Inputs {
  const char* name;
  int n_hidden;  // L
  int cd_steps;
  bool persistent;
  int n_chains;
  int batch_size;
  int epochs;
  float learning_rate;
  float momentum;
  std::uint64_t seed;
};

TrainConfig config_of(const Inputs& in) {
  TrainConfig config;
  config.cd_steps = in.cd_steps;
  config.persistent = in.persistent;
  config.n_chains = in.n_chains;
  config.batch_size = in.batch_size;
  config.epochs = in.epochs;
  config.learning_rate = in.learning_rate;
  config.momentum = in.momentum;
  config.seed = in.seed;
  return config;
}

std::string describe(const Inputs& in) {
  std::ostringstream out;
  out << in.name << ": L=" << in.n_hidden << " k=" << in.cd_steps
      << (in.persistent ? " PCD chains=" + std::to_string(in.n_chains) : " CD")
      << " B=" << in.batch_size << " epochs=" << in.epochs << " lr=" << in.learning_rate
      << " momentum=" << in.momentum << " seed=" << in.seed;
  return out.str();
}
/// Test listings show the description (gtest would otherwise print the struct's raw bytes).
void PrintTo(const Inputs& in, std::ostream* out) {
  *out << describe(in);
}

double exact_log_likelihood(Engine& engine, const Model& model, const DataHandle& data) {
  return engine.mean_log_likelihood(model, data, engine.log_z(model).log_z);
}

class TrainBas : public ::testing::TestWithParam<Inputs> {};

TEST_P(TrainBas, LearnsNearlyTheOptimum) {
  const Inputs in = GetParam();
  SCOPED_TRACE(describe(in));
  const Dataset bas = make_bars_and_stripes(3);
  ASSERT_EQ(bas.n_samples, 14u);
  ASSERT_EQ(bas.n_visible, 9);
  Engine engine(BackendKind::cpu);
  const DataHandle data = engine.upload(bas);
  const TrainConfig config = config_of(in);
  const Model initial = init_model(bas, in.n_hidden, config);
  const double before = exact_log_likelihood(engine, initial, data);
  const Model trained = engine.train(initial, config, data);
  const double after = exact_log_likelihood(engine, trained, data);
  std::cout << "[ TrainBas ] " << describe(in) << ": mean log-likelihood " << before << " -> "
            << after << " (optimum " << kOptimum << ")\n";
  RecordProperty("log_likelihood_before", std::to_string(before));
  RecordProperty("log_likelihood_after", std::to_string(after));
  EXPECT_LE(after, kOptimum + 1e-9) << "above the optimum: log Z or F is wrong";
  EXPECT_GE(after - before, kMinImprovement) << "from " << before << " to " << after;
  EXPECT_GE(after, kTargetLogLikelihood) << "reached " << after << ", optimum " << kOptimum;
}

INSTANTIATE_TEST_SUITE_P(TrainBasConfigs,
                         TrainBas,
                         ::testing::Values(
                             // name, L, k, persistent, chains, B, epochs, lr, momentum, seed
                             Inputs{"cd", 12, 10, false, 0, 7, 10000, 0.1f, 0.5f, 1},
                             Inputs{"pcd", 12, 1, true, 200, 14, 10000, 0.02f, 0.5f, 2}),
                         [](const ::testing::TestParamInfo<Inputs>& info) {
                           return std::string(info.param.name);
                         });

// ---- The training contract, written out independently -----------------------------------

// The library trains in float, the reference below in double. Per step each gradient entry is a
// mean of ≤ 20 products in [0,1] (float error ≤ γ_20 ≈ 1.2e-6), scaled by lr ≤ 0.1 and
// amplified ≤ 1/(1 − momentum) = 2 by the velocity; θ += v adds ≤ u·|θ| ≲ 6e-8. Over 5 epochs
// of ≤ 7 steps: 35·(2.4e-7 + 6e-8) ≈ 1.05e-5, rounded up. (A Bernoulli draw whose u lies within
// ~1e-7 of its p could flip between the two and break this; with fixed seeds it does not.)
constexpr double kContractAbs = 2e-5;
constexpr int kContractEpochs = 5;

double logistic(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

/// Trains `initial` exactly as host/backend.hpp's contract says, in double; the per-epoch
/// reconstruction errors go to `recon`.
Model contract_train(const Model& initial,
                     const TrainConfig& config,
                     const Dataset& data,
                     std::vector<double>* recon) {
  using detail::random_block;
  using detail::random_uniform;
  using detail::RandomStream;
  const int D = initial.n_visible, L = initial.n_hidden, B = config.batch_size.at_int(0, 1);
  const int cd_steps = config.cd_steps.at_int(0, 1);
  const double learning_rate = config.learning_rate.first(), momentum = config.momentum.first();
  const int R = config.persistent ? (config.n_chains > 0 ? config.n_chains : B) : B;
  const std::size_t N = data.n_samples;
  std::vector<double> W(initial.weights.begin(), initial.weights.end());
  std::vector<double> b(initial.visible_bias.begin(), initial.visible_bias.end());
  std::vector<double> c(initial.hidden_bias.begin(), initial.hidden_bias.end());
  std::vector<double> vel_w(W.size(), 0.0), vel_b(D, 0.0), vel_c(L, 0.0);
  auto hidden_prob = [&](const std::vector<double>& v, int r, int j) {
    double field = c[j];
    for (int i = 0; i < D; ++i) field += v[r * D + i] * W[i * L + j];
    return logistic(field);
  };
  auto visible_prob = [&](const std::vector<double>& h, int r, int i) {
    double field = b[i];
    for (int j = 0; j < L; ++j) field += h[r * L + j] * W[i * L + j];
    return logistic(field);
  };
  // PCD chains start as samples of the biases alone: visible rows from b, or hidden rows from c.
  const bool hidden_chains = config.persistent && config.pcd_chains == PcdChains::hidden;
  std::vector<double> chains;
  if (config.persistent) {
    const int width = hidden_chains ? L : D;
    const std::vector<double>& bias = hidden_chains ? c : b;
    chains.resize(static_cast<std::size_t>(R) * width);
    for (int r = 0; r < R; ++r)
      for (int k = 0; k < width; ++k)
        chains[r * width + k] = random_uniform(config.seed, RandomStream::init, 1,
                                               std::uint64_t(r) * width + k) < logistic(bias[k])
                                    ? 1
                                    : 0;
  }
  std::uint64_t offset = 0;
  for (int epoch = 0; epoch < config.epochs; ++epoch) {
    std::vector<std::pair<std::uint32_t, std::size_t>> order(N);
    for (std::size_t n = 0; n < N; ++n)
      order[n] = {random_block(config.seed, RandomStream::shuffle, epoch, n).v[0], n};
    std::sort(order.begin(), order.end());
    double recon_sum = 0;
    int steps = 0;
    for (std::size_t start = 0; start + B <= N; start += B, ++steps) {
      std::uint64_t next = offset;
      auto u = [&] { return random_uniform(config.seed, RandomStream::gibbs, 0, next++); };
      std::vector<double> v0(static_cast<std::size_t>(B) * D), p0(static_cast<std::size_t>(B) * L);
      for (int r = 0; r < B; ++r)
        for (int i = 0; i < D; ++i) v0[r * D + i] = data.at(order[start + r].second, i);
      for (int r = 0; r < B; ++r)
        for (int j = 0; j < L; ++j) p0[r * L + j] = hidden_prob(v0, r, j);
      std::vector<double> x = config.persistent && !hidden_chains ? chains : v0;
      std::vector<double> h(static_cast<std::size_t>(R) * L), ph(h.size());
      if (hidden_chains) {  // the chains are the hidden start: no uniforms drawn
        h = chains;
        x.resize(static_cast<std::size_t>(R) * D);
      } else {
        for (int r = 0; r < R; ++r)
          for (int j = 0; j < L; ++j)
            h[r * L + j] = u() < (config.persistent ? hidden_prob(x, r, j) : p0[r * L + j]) ? 1 : 0;
      }
      double recon = 0;
      for (int t = 1; t <= cd_steps; ++t) {
        for (int r = 0; r < R; ++r)
          for (int i = 0; i < D; ++i) {
            const double pv = visible_prob(h, r, i);
            if (t == 1 && !config.persistent) recon += std::pow(v0[r * D + i] - pv, 2);
            x[r * D + i] = u() < pv ? 1 : 0;
          }
        for (int r = 0; r < R; ++r)
          for (int j = 0; j < L; ++j) ph[r * L + j] = hidden_prob(x, r, j);
        if (t < cd_steps || hidden_chains)  // hidden chains keep the last hidden sample
          for (int r = 0; r < R; ++r)
            for (int j = 0; j < L; ++j) h[r * L + j] = u() < ph[r * L + j] ? 1 : 0;
      }
      if (config.persistent)  // PCD: the mean-field reconstruction of the data
        for (int r = 0; r < B; ++r)
          for (int i = 0; i < D; ++i) recon += std::pow(v0[r * D + i] - visible_prob(p0, r, i), 2);
      recon_sum += recon / (static_cast<double>(B) * D);
      offset += static_cast<std::uint64_t>(cd_steps) * R * (L + D);
      EXPECT_EQ(next, offset) << "the reference consumed the wrong number of uniforms";
      auto step = [&](double& theta, double& velocity, double gradient) {
        velocity = momentum * velocity + learning_rate * gradient;
        theta += velocity;
      };
      std::vector<double> g_w(W.size()), g_b(D), g_c(L);
      for (int i = 0; i < D; ++i)
        for (int j = 0; j < L; ++j) {
          double positive = 0, negative = 0;
          for (int r = 0; r < B; ++r) positive += v0[r * D + i] * p0[r * L + j];
          for (int r = 0; r < R; ++r) negative += x[r * D + i] * ph[r * L + j];
          g_w[i * L + j] = positive / B - negative / R - config.weight_decay * W[i * L + j];
        }
      for (int i = 0; i < D; ++i) {
        double positive = 0, negative = 0;
        for (int r = 0; r < B; ++r) positive += v0[r * D + i];
        for (int r = 0; r < R; ++r) negative += x[r * D + i];
        g_b[i] = positive / B - negative / R;
      }
      for (int j = 0; j < L; ++j) {
        double positive = 0, negative = 0;
        for (int r = 0; r < B; ++r) positive += p0[r * L + j];
        for (int r = 0; r < R; ++r) negative += ph[r * L + j];
        g_c[j] = positive / B - negative / R;
      }
      for (std::size_t k = 0; k < W.size(); ++k) step(W[k], vel_w[k], g_w[k]);
      for (int i = 0; i < D; ++i) step(b[i], vel_b[i], g_b[i]);
      for (int j = 0; j < L; ++j) step(c[j], vel_c[j], g_c[j]);
      if (config.persistent) chains = hidden_chains ? h : x;
    }
    recon->push_back(recon_sum / steps);
  }
  Model model = initial;
  for (std::size_t k = 0; k < W.size(); ++k) model.weights[k] = static_cast<float>(W[k]);
  for (int i = 0; i < D; ++i) model.visible_bias[i] = static_cast<float>(b[i]);
  for (int j = 0; j < L; ++j) model.hidden_bias[j] = static_cast<float>(c[j]);
  return model;
}

struct ContractInputs {
  const char* name;
  int n_hidden;
  int cd_steps;
  bool persistent;
  PcdChains chains;
  int n_chains;
  int batch_size;  // 14 rows: B = 3 or 4 drops the last rows of each epoch
  float learning_rate;
  float momentum;
  float weight_decay;
  std::uint64_t seed;
};

void PrintTo(const ContractInputs& in, std::ostream* out) {
  *out << in.name;
}

class TrainBasContract : public ::testing::TestWithParam<ContractInputs> {};

TEST_P(TrainBasContract, MatchesAnIndependentImplementation) {
  const ContractInputs in = GetParam();
  SCOPED_TRACE(in.name);
  const Dataset bas = make_bars_and_stripes(3);
  TrainConfig config;
  config.cd_steps = in.cd_steps;
  config.persistent = in.persistent;
  config.pcd_chains = in.chains;
  config.n_chains = in.n_chains;
  config.batch_size = in.batch_size;
  config.epochs = kContractEpochs;
  config.learning_rate = in.learning_rate;
  config.momentum = in.momentum;
  config.weight_decay = in.weight_decay;
  config.seed = in.seed;
  config.init_weight_std = 0.5f;  // weights that matter from the first step
  const Model initial = init_model(bas, in.n_hidden, config);

  Engine engine(BackendKind::cpu);
  std::vector<double> got_recon;
  const Model got = engine.train(
      initial, config, engine.upload(bas), [&](const std::vector<EpochMetrics>& metrics) {
        EXPECT_EQ(metrics.size(), 1u);
        EXPECT_EQ(metrics.front().epoch, static_cast<int>(got_recon.size()) + 1);
        got_recon.push_back(metrics.front().reconstruction_error);
        return true;
      });
  std::vector<double> want_recon;
  const Model want = contract_train(initial, config, bas, &want_recon);

  auto compare = [&](const std::vector<float>& a, const std::vector<float>& b, const char* what) {
    for (std::size_t k = 0; k < a.size(); ++k)
      EXPECT_NEAR(a[k], b[k], kContractAbs) << what << "[" << k << "]";
  };
  compare(got.weights, want.weights, "W");
  compare(got.visible_bias, want.visible_bias, "b");
  compare(got.hidden_bias, want.hidden_bias, "c");
  // Reconstruction errors are means of (v − σ(field))²: 2·(1/4)-Lipschitz in each field, whose
  // error is ≤ (L + 1)·kContractAbs from the parameters, plus float σ rounding.
  const double recon_tol = 0.5 * (in.n_hidden + 1) * kContractAbs + 8 * 0x1.0p-24;
  ASSERT_EQ(got_recon.size(), want_recon.size()) << "one callback per epoch";
  for (std::size_t e = 0; e < want_recon.size(); ++e)
    EXPECT_NEAR(got_recon[e], want_recon[e], recon_tol) << "reconstruction error of epoch " << e;
}

INSTANTIATE_TEST_SUITE_P(
    TrainBasContracts,
    TrainBasContract,
    ::testing::Values(
        // name, L, k, persistent, chain state, chains, B, lr, momentum, weight decay, seed
        ContractInputs{"cd1", 16, 1, false, PcdChains::hidden, 0, 2, 0.05f, 0.5f, 0.0f, 3},
        ContractInputs{"cd3_decay_drop2", 8, 3, false, PcdChains::hidden, 0, 4, 0.1f, 0.5f, 0.01f,
                       4},
        ContractInputs{"pcd1_chains14", 16, 1, true, PcdChains::hidden, 14, 2, 0.05f, 0.5f, 0.0f,
                       5},
        ContractInputs{"pcd1_visible_chains14", 16, 1, true, PcdChains::visible, 14, 2, 0.05f, 0.5f,
                       0.0f, 5},
        ContractInputs{"pcd2_chains5_drop2", 8, 2, true, PcdChains::hidden, 5, 4, 0.05f, 0.0f,
                       0.001f, 6},
        ContractInputs{"pcd2_visible_chains5_drop2", 8, 2, true, PcdChains::visible, 5, 4, 0.05f,
                       0.0f, 0.001f, 6},
        ContractInputs{"pcd1_default_chains_drop2", 6, 1, true, PcdChains::hidden, 0, 3, 0.1f, 0.5f,
                       0.0f, 7}),
    [](const ::testing::TestParamInfo<ContractInputs>& info) {
      return std::string(info.param.name);
    });

// ---- Determinism, multi-model training, bad configurations ---------------------------------

TEST(TrainBasDeterminism, SameSeedSameModelOtherSeedOther) {
  const Dataset bas = make_bars_and_stripes(3);
  TrainConfig config;
  config.batch_size = 4;
  config.epochs = 50;
  config.cd_steps = 2;
  config.learning_rate = 0.1f;
  config.seed = 7;
  Engine engine(BackendKind::cpu);
  const DataHandle data = engine.upload(bas);
  const Model initial = init_model(bas, 8, config);
  const Model snapshot = initial;
  const Model first = engine.train(initial, config, data);
  EXPECT_TRUE(same_bits(initial, snapshot)) << "train modified its input model";
  EXPECT_FALSE(same_bits(first, initial)) << "training changed nothing";
  EXPECT_TRUE(same_bits(engine.train(initial, config, data), first)) << "same seed, other model";
  Engine other_engine(BackendKind::cpu);
  EXPECT_TRUE(same_bits(other_engine.train(initial, config, other_engine.upload(bas)), first))
      << "same seed in a second Engine, other model";
  config.seed = 8;
  EXPECT_FALSE(same_bits(engine.train(initial, config, data), first)) << "seeds 7 and 8 agree";
}

struct MultiInputs {
  const char* name;
  bool persistent;
  int n_chains;
};

void PrintTo(const MultiInputs& in, std::ostream* out) {
  *out << in.name;
}

class TrainBasMultiModel : public ::testing::TestWithParam<MultiInputs> {};

TEST_P(TrainBasMultiModel, OneCallEqualsSingleRuns) {
  const MultiInputs in = GetParam();
  SCOPED_TRACE(in.name);
  const Dataset bas = make_bars_and_stripes(3);
  Engine engine(BackendKind::cpu);
  const DataHandle data = engine.upload(bas);
  // Three models of one shape with their own seeds, rates and starting points.
  std::vector<TrainConfig> configs(3);
  std::vector<Model> models;
  for (int m = 0; m < 3; ++m) {
    configs[m].persistent = in.persistent;
    configs[m].n_chains = in.n_chains;
    configs[m].cd_steps = 1 + m;
    configs[m].batch_size = 4;
    configs[m].epochs = 40;
    configs[m].learning_rate = 0.05f * (m + 1);
    configs[m].seed = 100 + m;
    models.push_back(init_model(bas, 6, configs[m]));
  }
  const std::vector<Model> together = engine.train(models, configs, data);
  ASSERT_EQ(together.size(), models.size());
  for (std::size_t m = 0; m < models.size(); ++m) {
    const Model alone = engine.train(models[m], configs[m], data);
    EXPECT_TRUE(same_bits(together[m], alone)) << "model " << m << " differs from its single run";
  }
  // One config for all models means that config for each.
  const std::vector<Model> shared = engine.train(models, {configs[1]}, data);
  for (std::size_t m = 0; m < models.size(); ++m)
    EXPECT_TRUE(same_bits(shared[m], engine.train(models[m], configs[1], data))) << "model " << m;
}

INSTANTIATE_TEST_SUITE_P(TrainBasModes,
                         TrainBasMultiModel,
                         ::testing::Values(MultiInputs{"cd", false, 0},
                                           MultiInputs{"pcd", true, 6}),
                         [](const ::testing::TestParamInfo<MultiInputs>& info) {
                           return std::string(info.param.name);
                         });

TEST(TrainBasConfig, BadConfigurationsThrow) {
  const Dataset bas = make_bars_and_stripes(3);
  Engine engine(BackendKind::cpu);
  const DataHandle data = engine.upload(bas);
  TrainConfig good;
  good.batch_size = 7;
  good.epochs = 1;
  const Model model = init_model(bas, 4, good);
  EXPECT_NO_THROW(engine.train(model, good, data));

  auto with = [&](auto change) {
    TrainConfig config = good;
    change(config);
    return config;
  };
  EXPECT_THROW(engine.train(model, with([](TrainConfig& c) { c.batch_size = 0; }), data),
               InvalidArgument);
  EXPECT_THROW(engine.train(model, with([](TrainConfig& c) { c.batch_size = 15; }), data),
               InvalidArgument)
      << "batch of 15 from 14 samples";
  EXPECT_THROW(engine.train(model, with([](TrainConfig& c) {
                              c.learning_rate = std::numeric_limits<float>::quiet_NaN();
                            }),
                            data),
               InvalidArgument);
  EXPECT_THROW(engine.train(model, with([](TrainConfig& c) { c.learning_rate = -0.1f; }), data),
               InvalidArgument);
  EXPECT_THROW(engine.train(model, with([](TrainConfig& c) { c.cd_steps = 0; }), data),
               InvalidArgument);
  EXPECT_THROW(engine.train(model, with([](TrainConfig& c) { c.epochs = -1; }), data),
               InvalidArgument);
  EXPECT_THROW(engine.train(model, with([](TrainConfig& c) { c.momentum = 1.0f; }), data),
               InvalidArgument);
  // Model shape ≠ data width.
  const Model too_narrow = Model::zeros(8, 4);
  EXPECT_THROW(engine.train(too_narrow, good, data), InvalidArgument);
  // Models of different L in one call; a config count that is neither 1 nor M; no models.
  EXPECT_THROW(engine.train({model, Model::zeros(9, 5)}, {good}, data), InvalidArgument);
  EXPECT_THROW(engine.train({model, model, model}, {good, good}, data), InvalidArgument);
  EXPECT_THROW(engine.train(std::vector<Model>{}, {good}, data), InvalidArgument);
  // An empty handle.
  EXPECT_THROW(engine.train(model, good, DataHandle{}), InvalidArgument);
}

}  // namespace
}  // namespace rbm::test
