// host/train.cpp — TrainConfig checks and JSON, and model initialisation from data
// (Hinton, "A Practical Guide to Training Restricted Boltzmann Machines", UTML TR 2010-003, §8).
#include "rbm/train.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "host/check.hpp"
#include "host/common/philox.hpp"

namespace rbm {

void validate(const TrainConfig& c) {
  RBM_EXPECTS(c.cd_steps >= 1, "cd_steps must be >= 1, got ", c.cd_steps);
  RBM_EXPECTS(c.batch_size >= 1, "batch_size must be >= 1, got ", c.batch_size);
  RBM_EXPECTS(c.epochs >= 0, "epochs must be >= 0, got ", c.epochs);
  RBM_EXPECTS(c.n_chains >= 0, "n_chains must be >= 0, got ", c.n_chains);
  RBM_EXPECTS(std::isfinite(c.learning_rate) && c.learning_rate > 0,
              "learning_rate must be a positive number, got ", c.learning_rate);
  RBM_EXPECTS(std::isfinite(c.momentum) && c.momentum >= 0 && c.momentum < 1,
              "momentum must be in [0, 1), got ", c.momentum);
  RBM_EXPECTS(std::isfinite(c.weight_decay) && c.weight_decay >= 0,
              "weight_decay must be >= 0, got ", c.weight_decay);
  RBM_EXPECTS(std::isfinite(c.init_weight_std) && c.init_weight_std >= 0,
              "init_weight_std must be >= 0, got ", c.init_weight_std);
}

std::string to_json(const TrainConfig& c) {
  const nlohmann::json j = {{"cd_steps", c.cd_steps},
                            {"persistent", c.persistent},
                            {"n_chains", c.n_chains},
                            {"batch_size", c.batch_size},
                            {"epochs", c.epochs},
                            {"learning_rate", c.learning_rate},
                            {"momentum", c.momentum},
                            {"weight_decay", c.weight_decay},
                            {"seed", c.seed},
                            {"init_weight_std", c.init_weight_std},
                            {"init_visible_bias_from_data", c.init_visible_bias_from_data},
                            {"use_tf32", c.use_tf32}};
  return j.dump();
}

TrainConfig train_config_from_json(const std::string& text) {
  TrainConfig c;
  try {
    const auto j = nlohmann::json::parse(text);
    c.cd_steps = j.value("cd_steps", c.cd_steps);
    c.persistent = j.value("persistent", c.persistent);
    c.n_chains = j.value("n_chains", c.n_chains);
    c.batch_size = j.value("batch_size", c.batch_size);
    c.epochs = j.value("epochs", c.epochs);
    c.learning_rate = j.value("learning_rate", c.learning_rate);
    c.momentum = j.value("momentum", c.momentum);
    c.weight_decay = j.value("weight_decay", c.weight_decay);
    c.seed = j.value("seed", c.seed);
    c.init_weight_std = j.value("init_weight_std", c.init_weight_std);
    c.init_visible_bias_from_data =
        j.value("init_visible_bias_from_data", c.init_visible_bias_from_data);
    c.use_tf32 = j.value("use_tf32", c.use_tf32);
  } catch (const nlohmann::json::exception& e) {
    RBM_THROW(InvalidArgument, "train config JSON is invalid: ", e.what());
  }
  return c;
}

Model init_model(const Dataset& data, int n_hidden, const TrainConfig& config) {
  data.validate();
  validate(config);
  Model model = Model::zeros(data.n_visible, n_hidden);
  const int n_visible = data.n_visible;
  // W ~ N(0, std²) by Box–Muller on Philox uniforms: reproducible from the seed alone.
  for (std::size_t k = 0; k < model.weights.size(); ++k) {
    const float u1 = detail::random_uniform(config.seed, detail::RandomStream::init, 0, 2 * k);
    const float u2 = detail::random_uniform(config.seed, detail::RandomStream::init, 0, 2 * k + 1);
    const double normal = std::sqrt(-2.0 * std::log(static_cast<double>(u1))) *
                          std::cos(2.0 * M_PI * static_cast<double>(u2));
    model.weights[k] = static_cast<float>(config.init_weight_std * normal);
  }
  // b_i = log(p_i / (1 - p_i)): the model starts with the data's pixel marginals. p is clamped
  // so that always-off or always-on pixels give a large finite bias, not ±inf.
  if (config.init_visible_bias_from_data && data.n_samples > 0) {
    std::vector<std::size_t> on(n_visible, 0);
    for (std::size_t n = 0; n < data.n_samples; ++n)
      for (int i = 0; i < n_visible; ++i) on[i] += data.at(n, i);
    const double eps = 1.0 / (2.0 * static_cast<double>(data.n_samples) + 2.0);
    for (int i = 0; i < n_visible; ++i) {
      const double p = std::clamp(static_cast<double>(on[i]) / data.n_samples, eps, 1.0 - eps);
      model.visible_bias[i] = static_cast<float>(std::log(p / (1.0 - p)));
    }
  }
  model.provenance = nlohmann::json{
      {"train_config", nlohmann::json::parse(to_json(config))},
      {"data",
       data.name}}.dump();
  return model;
}

}  // namespace rbm
