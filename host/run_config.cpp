// host/run_config.cpp — the run configuration's JSON, its checks, and what a run derives from it
// (per-model seeds, fresh models, each model's provenance).
#include "rbm/run_config.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "host/check.hpp"
#include "host/json_fields.hpp"
#include "rbm/engine.hpp"
#include "rbm/version.hpp"

namespace rbm {

using nlohmann::json;

namespace {
json as_json(const RunConfig& config) {
  json j = json::parse(to_json(config.train));
  j["data"] = config.data;
  j["hidden"] = config.hidden;
  j["models"] = config.models;
  j["labels_as_visible"] = config.labels_as_visible;
  return j;
}
}  // namespace

std::string to_json(const RunConfig& config) {
  return as_json(config).dump();
}

RunConfig run_config_from_json(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    RBM_THROW(InvalidArgument, "run configuration JSON is invalid: ", e.what());
  }
  RBM_EXPECTS(j.is_object(),
              "a run configuration must be a JSON object, got: ", text.substr(0, 80));
  RunConfig config;
  if (j.contains("data")) {
    RBM_EXPECTS(j.at("data").is_string(), "run configuration: 'data' must be a string, got ",
                j.at("data").dump());
    config.data = j.at("data").get<std::string>();
  }
  if (j.contains("labels_as_visible")) {
    RBM_EXPECTS(j.at("labels_as_visible").is_boolean(),
                "run configuration: 'labels_as_visible' must be true or false, got ",
                j.at("labels_as_visible").dump());
    config.labels_as_visible = j.at("labels_as_visible").get<bool>();
  }
  if (j.contains("hidden"))
    config.hidden = detail::json_integer<int>(j.at("hidden"), "run configuration", "hidden");
  if (j.contains("models"))
    config.models = detail::json_integer<int>(j.at("models"), "run configuration", "models");
  for (const char* key : {"data", "hidden", "models", "labels_as_visible"}) j.erase(key);
  config.train = train_config_from_json(j.dump());
  return config;
}

void validate(const RunConfig& config) {
  RBM_EXPECTS(config.hidden >= 1, "run configuration: 'hidden' must be >= 1, got ", config.hidden);
  RBM_EXPECTS(config.models >= 1, "run configuration: 'models' must be >= 1, got ", config.models);
  validate(config.train);
}

std::vector<int> run_label_classes(const RunConfig& config, const Dataset& data) {
  if (!config.labels_as_visible) return {};
  RBM_EXPECTS(data.n_samples > 0 && data.labels.size() == data.n_samples,
              "labels_as_visible: the data ('", data.name, "') has no labels");
  std::vector<int> classes(data.labels.begin(), data.labels.end());
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  return classes;
}

std::vector<TrainConfig> model_configs(const RunConfig& config) {
  std::vector<TrainConfig> configs(config.models, config.train);
  for (int m = 0; m < config.models; ++m) configs[m].seed = config.train.seed + m;
  return configs;
}

std::vector<Model> init_models(const Dataset& data, const RunConfig& config) {
  std::vector<Model> models;
  for (const TrainConfig& c : model_configs(config))
    models.push_back(init_model(data, config.hidden, c));
  return models;
}

std::string run_provenance(const RunConfig& config,
                           std::size_t model,
                           const Dataset& data,
                           const Engine& engine) {
  json provenance = {{"config", as_json(config)},
                     {"model", model},
                     {"seed", config.train.seed + model},
                     {"data", config.data},
                     {"image_height", data.image_height},
                     {"image_width", data.image_width},
                     {"backend", to_string(engine.kind())},
                     {"device", engine.device_name()},
                     {"rbm_version", version()}};
  if (config.labels_as_visible) provenance["label_classes"] = run_label_classes(config, data);
  return provenance.dump();
}

}  // namespace rbm
