// tests/test_training_engine.cpp — the training loop above the backends (host/trainer.cpp):
// interruption and checkpoint/resume equal an uninterrupted run bit for bit, divergence stops
// with the last healthy models, every optimizer and unit type learns bars-and-stripes, centering
// is the centered gradient of Melchior et al. applied to the plain parameters, and the epoch
// metrics report the schedules.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <string>

#include "rbm/rbm.hpp"
#include "tests/support/brute_force.hpp"
#include "tests/support/same_model.hpp"
#include "tests/support/temp_dir.hpp"

namespace rbm::test {
namespace {

/// Three groups of options that exercise every piece of per-model state: PCD chains (hidden and
/// visible), Adam's two slots, the sparsity estimate, centering offsets; schedules of every kind.
std::vector<TrainConfig> rich_configs() {
  TrainConfig a;
  a.persistent = true;
  a.n_chains = 9;
  a.batch_size = Schedule::linear(4, 10);
  a.cd_steps = Schedule::step(1, 2, 3);
  a.epochs = 7;
  a.optimizer = Optimizer::adam;
  a.learning_rate = Schedule::exponential(0.02, 0.005);
  a.sparsity_target = 0.1f;
  a.sparsity_cost = 0.05f;
  a.centering = true;
  a.visible_type = UnitType::spin;
  a.seed = 11;
  TrainConfig b;
  b.batch_size = 5;
  b.epochs = 7;
  b.optimizer = Optimizer::rmsprop;
  b.momentum = Schedule::switch_at(0.2, 0.5, 0.6);
  b.learning_rate = 0.01;
  b.weight_decay = 0.001f;
  b.l1_weight_decay = 0.0005f;
  b.hidden_type = UnitType::potts_off;
  b.seed = 12;
  TrainConfig c;
  c.persistent = true;
  c.pcd_chains = PcdChains::visible;
  c.n_chains = 6;
  c.batch_size = 4;
  c.epochs = 7;
  c.hidden_type = UnitType::spin;
  c.seed = 13;
  TrainConfig d;  // parallel tempering as the negative phase
  d.persistent = true;
  d.n_chains = 4;
  d.tempering_replicas = 3;
  d.tempering_min_beta = 0.3f;
  d.cd_steps = Schedule::step(1, 2, 3);
  d.batch_size = 6;
  d.epochs = 7;
  d.learning_rate = 0.05;
  d.seed = 14;
  return {a, b, c, d};
}

std::vector<Model> initial_models(const Dataset& data, const std::vector<TrainConfig>& configs) {
  std::vector<Model> models;
  for (const TrainConfig& c : configs) models.push_back(init_model(data, 8, c));
  return models;
}

TEST(TrainingEngine, InterruptedAndResumedEqualsUninterrupted) {
  const Dataset data = make_bars_and_stripes(4);
  const std::vector<TrainConfig> configs = rich_configs();
  const std::vector<Model> models = initial_models(data, configs);
  Engine engine(BackendKind::cpu);
  const DataHandle handle = engine.upload(data);
  const std::vector<Model> straight = engine.train(models, configs, handle);

  for (int stop_after : {1, 3, 6}) {
    SCOPED_TRACE("stopped after epoch " + std::to_string(stop_after));
    std::atomic<bool> stop{false};
    TrainOptions options;
    options.stop_requested = &stop;
    options.on_epoch = [&](const std::vector<EpochMetrics>& metrics) {
      if (metrics.front().epoch == stop_after) stop = true;
      return true;
    };
    const TempDir temp("rbm_engine");
    const std::string path =
        temp.file("resume_after_" + std::to_string(stop_after) + ".safetensors");
    options.on_checkpoint = [&](const TrainingCheckpoint& c) { save_checkpoint(path, c); };
    try {
      engine.train(models, configs, handle, options);
      FAIL() << "expected Interrupted";
    } catch (const Interrupted& e) {
      EXPECT_EQ(e.epochs_done, stop_after);
    }
    const TrainingCheckpoint checkpoint = load_checkpoint(path);
    EXPECT_EQ(checkpoint.epochs_done, stop_after);
    const std::vector<Model> resumed = engine.resume(checkpoint, handle);
    ASSERT_EQ(resumed.size(), straight.size());
    for (std::size_t m = 0; m < straight.size(); ++m)
      EXPECT_TRUE(same_bits(resumed[m], straight[m])) << "model " << m;
  }
}

TEST(TrainingEngine, PeriodicCheckpointsResumeToTheSameModels) {
  const Dataset data = make_bars_and_stripes(3);
  std::vector<TrainConfig> configs = rich_configs();
  const std::vector<Model> models = initial_models(data, configs);
  Engine engine(BackendKind::cpu);
  const DataHandle handle = engine.upload(data);
  std::vector<TrainingCheckpoint> saved;
  TrainOptions options;
  options.checkpoint_every = 2;
  options.on_checkpoint = [&](const TrainingCheckpoint& c) { saved.push_back(c); };
  const std::vector<Model> straight = engine.train(models, configs, handle, options);
  ASSERT_EQ(saved.size(), 3u);  // after epochs 2, 4, 6 of 7
  for (const TrainingCheckpoint& c : saved) {
    const std::vector<Model> resumed = engine.resume(c, handle);
    for (std::size_t m = 0; m < straight.size(); ++m)
      EXPECT_TRUE(same_bits(resumed[m], straight[m]))
          << "from epoch " << c.epochs_done << ", model " << m;
  }
}

TEST(TrainingEngine, TheCpuBackendRefusesBf16ByName) {
  const Dataset data = make_bars_and_stripes(3);
  TrainConfig config;
  config.batch_size = 4;
  config.math = GemmMath::bf16;
  Engine engine(BackendKind::cpu);
  try {
    engine.train(init_model(data, 4, config), config, engine.upload(data));
    ADD_FAILURE() << "bf16 training on the CPU was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("bf16"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("CUDA"), std::string::npos) << e.what();
  }
}

TEST(TrainingEngine, CorruptCheckpointsAreIoErrors) {
  const TempDir temp("rbm_engine");
  const std::string path = temp.file("model_not_checkpoint.safetensors");
  save_model(path, Model::zeros(3, 2));
  EXPECT_THROW(load_checkpoint(path), IoError);
  EXPECT_THROW(load_checkpoint(temp.file("absent.safetensors")), IoError);
}

TEST(TrainingEngine, DivergenceStopsWithTheLastHealthyModels) {
  const Dataset data = make_bars_and_stripes(3);
  TrainConfig config;
  config.batch_size = 2;
  config.epochs = 10;
  config.momentum = 0;
  config.optimizer = Optimizer::sgd;
  // Healthy for two epochs, then a planted blow-up: the rate jumps by 10^30 at epoch 2.
  config.learning_rate = Schedule::switch_at(0.05, 1e30, 2);
  const Model model = init_model(data, 6, config);
  Engine engine(BackendKind::cpu);
  const DataHandle handle = engine.upload(data);
  try {
    engine.train(model, config, handle);
    FAIL() << "expected Diverged";
  } catch (const Diverged& e) {
    EXPECT_EQ(e.model, 0);
    EXPECT_EQ(e.epoch, 3);
    const std::string what = e.what();
    EXPECT_NE(what.find("epoch 3"), std::string::npos) << what;
    EXPECT_NE(what.find("learning rate"), std::string::npos) << what;
    TrainConfig two = config;
    two.epochs = 2;
    two.learning_rate = 0.05;
    ASSERT_EQ(e.last_good.size(), 1u);
    EXPECT_TRUE(same_bits(e.last_good[0], engine.train(model, two, handle)));
  }
  // Diverging in the first epoch keeps the inputs.
  config.learning_rate = 1e30;
  try {
    engine.train(model, config, handle);
    FAIL() << "expected Diverged";
  } catch (const Diverged& e) {
    EXPECT_EQ(e.epoch, 1);
    EXPECT_TRUE(same_bits(e.last_good.at(0), model));
  }
}

TEST(TrainingEngine, MetricsReportTheSchedules) {
  const Dataset data = make_bars_and_stripes(4);
  TrainConfig config;
  config.epochs = 5;
  config.batch_size = Schedule::linear(2, 10);
  config.cd_steps = Schedule::linear(1, 3);
  config.learning_rate = Schedule::linear(0.1, 0.01);
  config.momentum = Schedule::switch_at(0.5, 0.9, 3);
  Engine engine(BackendKind::cpu);
  std::vector<EpochMetrics> seen;
  engine.train(init_model(data, 4, config), config, engine.upload(data),
               [&](const std::vector<EpochMetrics>& m) {
                 seen.push_back(m.front());
                 return true;
               });
  ASSERT_EQ(seen.size(), 5u);
  const int batches[] = {2, 4, 6, 8, 10};
  const int steps[] = {1, 2, 2, 3, 3};  // 1 + 2·e/4 rounded to nearest (ties away from zero)
  for (int e = 0; e < 5; ++e) {
    EXPECT_EQ(seen[e].batch_size, batches[e]) << e;
    EXPECT_EQ(seen[e].cd_steps, steps[e]) << e;
    EXPECT_NEAR(seen[e].learning_rate, 0.1 - 0.09 * e / 4, 1e-7) << e;
    EXPECT_NEAR(seen[e].momentum, e < 3 ? 0.5 : 0.9, 1e-7) << e;
  }
}

/// Exact mean log-likelihood of `model` on `data` (the Engine's, checked elsewhere).
double log_likelihood(Engine& engine, const Model& model, const DataHandle& data) {
  return engine.mean_log_likelihood(model, data, engine.log_z(model).log_z);
}

struct LearnCase {
  const char* name;
  Optimizer optimizer;
  UnitType visible_type, hidden_type;
  double learning_rate;
  bool centering;
};

void PrintTo(const LearnCase& c, std::ostream* out) {
  *out << c.name;
}

class LearnsBarsAndStripes : public ::testing::TestWithParam<LearnCase> {};

// A short run of every optimizer and every unit type must improve on the untrained model by a
// clear margin: a sign error or a wrong gradient makes the likelihood fall instead.
TEST_P(LearnsBarsAndStripes, BeatsTheUntrainedModel) {
  const LearnCase& in = GetParam();
  const Dataset data = make_bars_and_stripes(4);
  TrainConfig config;
  config.optimizer = in.optimizer;
  config.learning_rate = in.learning_rate;
  config.momentum = in.optimizer == Optimizer::rmsprop ? 0.0 : 0.5;
  config.visible_type = in.visible_type;
  config.hidden_type = in.hidden_type;
  config.centering = in.centering;
  config.batch_size = 10;
  config.cd_steps = 5;
  config.epochs = 300;
  config.init_weight_std = 0.1f;
  config.seed = 3;
  Engine engine(BackendKind::cpu);
  const DataHandle handle = engine.upload(data);
  const Model initial = init_model(data, 10, config);
  const double before = log_likelihood(engine, initial, handle);
  const double after = log_likelihood(engine, engine.train(initial, config, handle), handle);
  std::cout << "[ Learns   ] " << in.name << ": exact mean log-likelihood " << before << " -> "
            << after << " (optimum " << std::log(1.0 / 30) << ")\n";
  EXPECT_GT(after, before + 1.0);
}

INSTANTIATE_TEST_SUITE_P(
    EveryOptimizerAndUnitType,
    LearnsBarsAndStripes,
    ::testing::Values(
        LearnCase{"sgd", Optimizer::sgd, UnitType::bernoulli, UnitType::bernoulli, 0.1, false},
        LearnCase{"momentum", Optimizer::momentum, UnitType::bernoulli, UnitType::bernoulli, 0.05,
                  false},
        LearnCase{"nesterov", Optimizer::nesterov, UnitType::bernoulli, UnitType::bernoulli, 0.05,
                  false},
        LearnCase{"rmsprop", Optimizer::rmsprop, UnitType::bernoulli, UnitType::bernoulli, 0.005,
                  false},
        LearnCase{"adam", Optimizer::adam, UnitType::bernoulli, UnitType::bernoulli, 0.01, false},
        LearnCase{"centering", Optimizer::momentum, UnitType::bernoulli, UnitType::bernoulli, 0.05,
                  true},
        LearnCase{"spin_visible", Optimizer::momentum, UnitType::spin, UnitType::bernoulli, 0.03,
                  false},
        LearnCase{"spin_hidden", Optimizer::momentum, UnitType::bernoulli, UnitType::spin, 0.03,
                  false},
        LearnCase{"spin_both", Optimizer::momentum, UnitType::spin, UnitType::spin, 0.02, false},
        LearnCase{"potts", Optimizer::adam, UnitType::bernoulli, UnitType::potts, 0.02, false},
        LearnCase{"potts_off", Optimizer::adam, UnitType::bernoulli, UnitType::potts_off, 0.01,
                  false}),
    [](const ::testing::TestParamInfo<LearnCase>& info) { return std::string(info.param.name); });

// Centering as an update rule of the plain parameters: one SGD step with centering equals the
// paper's route (step the centered parameters with the centered gradient, convert back to plain
// ones), computed here from the plain step's statistics. With B = N there is one step per epoch
// whose samples depend only on the starting parameters and uniforms, so the centered and the
// plain run see the same samples.
TEST(TrainingEngine, CenteringIsTheCenteredGradientOfThePlainParameters) {
  const Dataset data = make_bars_and_stripes(3);
  TrainConfig plain;
  plain.optimizer = Optimizer::sgd;
  plain.learning_rate = 0.5;
  plain.batch_size = static_cast<double>(data.n_samples);
  plain.epochs = 1;
  plain.init_weight_std = 0.5f;
  plain.seed = 5;
  TrainConfig centered = plain;
  centered.centering = true;
  const Model model = init_model(data, 5, plain);
  Engine engine(BackendKind::cpu);
  const DataHandle handle = engine.upload(data);
  const Model after_plain = engine.train(model, plain, handle);
  const Model after_centered = engine.train(model, centered, handle);

  const int D = model.n_visible, L = model.n_hidden;
  const double eta = 0.5;
  // Starting offsets: μ = the data means, λ = 1/2 (Bernoulli hidden units with zero field).
  std::vector<double> mu(D, 0.0), lambda(L, 0.5);
  for (std::size_t n = 0; n < data.n_samples; ++n)
    for (int i = 0; i < D; ++i) mu[i] += data.at(n, i) / static_cast<double>(data.n_samples);
  auto g_w = [&](int i, int j) { return (after_plain.weight(i, j) - model.weight(i, j)) / eta; };
  auto g_b = [&](int i) { return (after_plain.visible_bias[i] - model.visible_bias[i]) / eta; };
  auto g_c = [&](int j) { return (after_plain.hidden_bias[j] - model.hidden_bias[j]) / eta; };
  // The paper's route: centered gradient gW~ = gW − μ gcᵀ − gb λᵀ; b_c = b + Wλ, c_c = c + Wᵀμ
  // step with gb and gc; then b = b_c − W'λ, c = c_c − W'ᵀμ.
  std::vector<double> w_new(D * L);
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < L; ++j)
      w_new[i * L + j] =
          model.weight(i, j) + eta * (g_w(i, j) - mu[i] * g_c(j) - g_b(i) * lambda[j]);
  // Float32 rounding: each plain step entry is recovered to ~u·(|θ|+|η g|)/η, and the paper's
  // route sums ≤ L + 2 such terms scaled by ≤ 1: 1e-5 is ~50× that bound here.
  constexpr double kTol = 1e-5;
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < L; ++j)
      EXPECT_NEAR(after_centered.weight(i, j), w_new[i * L + j], kTol) << "W" << i << j;
  for (int i = 0; i < D; ++i) {
    double b_centered = model.visible_bias[i], w_lambda_old = 0, w_lambda_new = 0;
    for (int j = 0; j < L; ++j) {
      w_lambda_old += model.weight(i, j) * lambda[j];
      w_lambda_new += w_new[i * L + j] * lambda[j];
    }
    b_centered += w_lambda_old + eta * g_b(i);
    EXPECT_NEAR(after_centered.visible_bias[i], b_centered - w_lambda_new, kTol) << "b" << i;
  }
  for (int j = 0; j < L; ++j) {
    double c_centered = model.hidden_bias[j], w_mu_old = 0, w_mu_new = 0;
    for (int i = 0; i < D; ++i) {
      w_mu_old += model.weight(i, j) * mu[i];
      w_mu_new += w_new[i * L + j] * mu[i];
    }
    c_centered += w_mu_old + eta * g_c(j);
    EXPECT_NEAR(after_centered.hidden_bias[j], c_centered - w_mu_new, kTol) << "c" << j;
  }
}

// A centered model's energy, −(v−μ)ᵀW(h−λ) − b_cᵀ(v−μ) − c_cᵀ(h−λ), is the plain energy of
// (W, b_c − Wλ, c_c − Wᵀμ) plus a constant: the returned plain model has the centered model's
// log Z up to that constant, by enumeration of every (v, h).
TEST(TrainingEngine, CenteredEnergyIsThePlainModelsUpToAConstant) {
  const Model plain = make_random_model(5, 4, 1.0, 21);
  const std::vector<double> mu{0.2, 0.7, 0.5, 0.1, 0.9}, lambda{0.5, 0.3, 0.6, 0.4};
  const int D = 5, L = 4;
  std::vector<double> b_c(D), c_c(L);
  for (int i = 0; i < D; ++i) {
    b_c[i] = plain.visible_bias[i];
    for (int j = 0; j < L; ++j) b_c[i] += plain.weight(i, j) * lambda[j];
  }
  for (int j = 0; j < L; ++j) {
    c_c[j] = plain.hidden_bias[j];
    for (int i = 0; i < D; ++i) c_c[j] += plain.weight(i, j) * mu[i];
  }
  std::vector<double> terms;
  for (int vs = 0; vs < (1 << D); ++vs)
    for (int hs = 0; hs < (1 << L); ++hs) {
      double minus_energy = 0;
      for (int i = 0; i < D; ++i) {
        const double v = ((vs >> i) & 1) - mu[i];
        minus_energy += b_c[i] * v;
        for (int j = 0; j < L; ++j)
          minus_energy += v * plain.weight(i, j) * (((hs >> j) & 1) - lambda[j]);
      }
      for (int j = 0; j < L; ++j) minus_energy += c_c[j] * (((hs >> j) & 1) - lambda[j]);
      terms.push_back(minus_energy);
    }
  // The constant: −E_c = −E_plain + (−μᵀb_c − λᵀc_c + μᵀWλ).
  double constant = 0;
  for (int i = 0; i < D; ++i) constant -= mu[i] * b_c[i];
  for (int j = 0; j < L; ++j) constant -= lambda[j] * c_c[j];
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < L; ++j) constant += mu[i] * plain.weight(i, j) * lambda[j];
  Engine engine(BackendKind::cpu);
  EXPECT_NEAR(log_sum_exp(terms), engine.log_z(plain).log_z + constant, 1e-10);
}

// Every entry point that receives parameters names the first non-finite one, tensor and index.
TEST(EngineParameters, NonFiniteParametersAreRefusedByTensorAndIndex) {
  Engine engine(BackendKind::cpu);
  const Dataset data = make_bars_and_stripes(3);
  const DataHandle handle = engine.upload(data);
  Model model = Model::zeros(data.n_visible, 4);
  struct Case {
    std::vector<float> Model::*tensor;
    const char* name;
    std::size_t index;
    float value;
  };
  const Case cases[] = {{&Model::weights, "weights[5]", 5, NAN},
                        {&Model::visible_bias, "visible_bias[2]", 2, INFINITY},
                        {&Model::hidden_bias, "hidden_bias[3]", 3, -INFINITY}};
  const TempDir temp("rbm_engine");
  for (const Case& c : cases) {
    Model bad = model;
    (bad.*c.tensor)[c.index] = c.value;
    SampleOptions sampling;
    sampling.burn_in = 1;
    const std::function<void()> calls[] = {
        [&] { engine.log_z(bad); },
        [&] { engine.free_energy(bad, handle); },
        [&] { engine.reconstruction_error(bad, handle); },
        [&] { engine.hidden_probabilities(bad, handle); },
        [&] { engine.sample(bad, sampling); },
        [&] { engine.train(bad, TrainConfig{}, handle); },
        [&] { save_model(temp.file("nonfinite.safetensors"), bad); }};
    for (const auto& call : calls) {
      try {
        call();
        ADD_FAILURE() << "accepted a model with " << c.name << " = " << c.value;
      } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find(c.name), std::string::npos) << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace rbm::test
