// tests/test_run_config.cpp — the run configuration (rbm/run_config.hpp): its JSON round trip,
// the errors that name a bad key or value, and what a run derives from it (per-model seeds,
// fresh models, provenance).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rbm/rbm.hpp"
#include "rbm/run_config.hpp"
#include "tests/support/same_model.hpp"

namespace {

/// `f` throws InvalidArgument whose message contains `needle`.
template <typename F>
::testing::AssertionResult refused(F&& f, const std::string& needle) {
  try {
    f();
  } catch (const rbm::InvalidArgument& e) {
    if (std::string(e.what()).find(needle) != std::string::npos)
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "message \"" << e.what() << "\" lacks '" << needle << "'";
  }
  return ::testing::AssertionFailure() << "no InvalidArgument";
}

TEST(RunConfig, JsonRoundTrip) {
  rbm::RunConfig config;
  config.data = "bas:4";
  config.hidden = 12;
  config.models = 3;
  config.labels_as_visible = true;
  config.train.cd_steps = rbm::Schedule::linear(1, 5);
  config.train.persistent = true;
  config.train.optimizer = rbm::Optimizer::adam;
  config.train.learning_rate = rbm::Schedule::exponential(0.01, 0.001);
  config.train.hidden_type = rbm::UnitType::potts_off;
  config.train.seed = 42;
  const std::string text = rbm::to_json(config);
  const rbm::RunConfig back = rbm::run_config_from_json(text);
  EXPECT_EQ(back.data, "bas:4");
  EXPECT_EQ(back.hidden, 12);
  EXPECT_EQ(back.models, 3);
  EXPECT_TRUE(back.labels_as_visible);
  EXPECT_EQ(rbm::to_json(back.train), rbm::to_json(config.train));
  EXPECT_EQ(rbm::to_json(back), text);
  // Every TrainConfig key is there, beside data, hidden, models and labels_as_visible.
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j.size(), nlohmann::json::parse(rbm::to_json(config.train)).size() + 4);

  // Keys left out keep their defaults.
  const rbm::RunConfig defaults = rbm::run_config_from_json("{}");
  EXPECT_EQ(defaults.data, "");
  EXPECT_EQ(defaults.hidden, 0);
  EXPECT_EQ(defaults.models, 1);
  EXPECT_FALSE(defaults.labels_as_visible);
  // ... but pcd_chains: a recipe without it predates the option and meant visible chains.
  rbm::TrainConfig expected;
  expected.pcd_chains = rbm::PcdChains::visible;
  EXPECT_EQ(rbm::to_json(defaults.train), rbm::to_json(expected));
}

TEST(RunConfig, BadJsonIsNamed) {
  using rbm::run_config_from_json;
  EXPECT_TRUE(
      refused([] { run_config_from_json(R"({"hidden": 4, "hiden": 4})"); }, "unknown key 'hiden'"));
  EXPECT_TRUE(
      refused([] { run_config_from_json(R"({"hidden": 2.5})"); }, "'hidden' must be an integer"));
  EXPECT_TRUE(refused([] { run_config_from_json(R"({"models": 1e12})"); }, "'models'"));
  EXPECT_TRUE(refused([] { run_config_from_json(R"({"data": 3})"); }, "'data' must be a string"));
  EXPECT_TRUE(refused([] { run_config_from_json(R"({"labels_as_visible": 1})"); },
                      "'labels_as_visible' must be true or false, got 1"));
  EXPECT_TRUE(refused([] { run_config_from_json("[1, 2]"); }, "must be a JSON object"));
  EXPECT_TRUE(refused([] { run_config_from_json("{"); }, "JSON is invalid"));
}

TEST(RunConfig, Validate) {
  rbm::RunConfig config;
  EXPECT_TRUE(refused([&] { rbm::validate(config); }, "'hidden' must be >= 1, got 0"));
  config.hidden = 3;
  config.models = 0;
  EXPECT_TRUE(refused([&] { rbm::validate(config); }, "'models' must be >= 1, got 0"));
  config.models = 2;
  EXPECT_NO_THROW(rbm::validate(config));
  config.train.epochs = -1;
  EXPECT_THROW(rbm::validate(config), rbm::InvalidArgument);
}

TEST(RunConfig, ModelsOfARunTakeConsecutiveSeeds) {
  const rbm::RunConfig config =
      rbm::run_config_from_json(R"({"hidden": 5, "models": 3, "seed": 10, "epochs": 7})");
  const std::vector<rbm::TrainConfig> configs = rbm::model_configs(config);
  ASSERT_EQ(configs.size(), 3u);
  const rbm::Dataset data = rbm::make_bars_and_stripes(3);
  const std::vector<rbm::Model> models = rbm::init_models(data, config);
  ASSERT_EQ(models.size(), 3u);
  for (std::size_t m = 0; m < 3; ++m) {
    EXPECT_EQ(configs[m].seed, 10 + m);
    EXPECT_EQ(configs[m].epochs, 7);
    EXPECT_TRUE(rbm::test::same_bits(models[m], rbm::init_model(data, 5, configs[m]))) << m;
  }
}

TEST(RunConfig, LabelUnitsTakeTheDataClassesSorted) {
  rbm::RunConfig config;
  rbm::Dataset data = rbm::make_bars_and_stripes(2);  // 6 patterns
  EXPECT_TRUE(rbm::run_label_classes(config, data).empty());
  config.labels_as_visible = true;
  EXPECT_TRUE(refused([&] { rbm::run_label_classes(config, data); }, "has no labels"));
  data.labels = {7, 3, 7, 9, 3, 3};
  EXPECT_EQ(rbm::run_label_classes(config, data), (std::vector<int>{3, 7, 9}));
  config.hidden = 2;
  const rbm::Engine engine(rbm::BackendKind::cpu);
  const auto provenance = nlohmann::json::parse(rbm::run_provenance(config, 0, data, engine));
  EXPECT_EQ(provenance["label_classes"], (std::vector<int>{3, 7, 9}));
  EXPECT_EQ(provenance["config"]["labels_as_visible"], true);
}

TEST(RunConfig, ProvenanceRecordsTheRun) {
  rbm::RunConfig config = rbm::run_config_from_json(R"({"hidden": 4, "seed": 3})");
  config.data = "bas:3";
  rbm::EngineOptions options;
  options.cpu_threads = 1;
  const rbm::Engine engine(rbm::BackendKind::cpu, options);
  const auto provenance =
      nlohmann::json::parse(rbm::run_provenance(config, 1, rbm::make_bars_and_stripes(3), engine));
  EXPECT_EQ(provenance["config"].dump(), nlohmann::json::parse(rbm::to_json(config)).dump());
  EXPECT_EQ(provenance["model"], 1);
  EXPECT_EQ(provenance["seed"], 4);
  EXPECT_EQ(provenance["data"], "bas:3");
  EXPECT_EQ(provenance["image_height"], 3);
  EXPECT_EQ(provenance["image_width"], 3);
  EXPECT_EQ(provenance["backend"], "cpu");
  EXPECT_EQ(provenance["device"], engine.device_name());
  EXPECT_EQ(provenance["rbm_version"], rbm::version());
  EXPECT_FALSE(provenance.contains("label_classes"));
}

}  // namespace
