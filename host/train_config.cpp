// host/train_config.cpp — TrainConfig checks and JSON, schedules, and model initialisation from data
// (Hinton, "A Practical Guide to Training Restricted Boltzmann Machines", UTML TR 2010-003, §8).
#include "rbm/train.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <type_traits>

#include "host/check.hpp"
#include "host/common/philox.hpp"
#include "host/json_fields.hpp"

namespace rbm {

// ---- Schedule --------------------------------------------------------------------------------
Schedule Schedule::linear(double first, double last) {
  Schedule s(first);
  s.shape_ = Shape::linear;
  s.last_ = last;
  return s;
}

Schedule Schedule::exponential(double first, double last) {
  RBM_EXPECTS(first > 0 && last > 0, "an exponential schedule needs positive ends, got ", first,
              " and ", last);
  Schedule s(first);
  s.shape_ = Shape::exponential;
  s.last_ = last;
  return s;
}

Schedule Schedule::step(double first, double factor, int every) {
  RBM_EXPECTS(every >= 1, "a step schedule needs a period >= 1 epoch, got ", every);
  Schedule s(first);
  s.shape_ = Shape::step;
  s.last_ = factor;
  s.when_ = every;
  return s;
}

Schedule Schedule::switch_at(double before, double after, double at) {
  RBM_EXPECTS(at > 0, "a switch schedule needs a positive switch point, got ", at);
  Schedule s(before);
  s.shape_ = Shape::switch_at;
  s.last_ = after;
  s.when_ = at;
  return s;
}

double Schedule::at(int epoch, int epochs) const {
  const double progress = epochs > 1 ? static_cast<double>(epoch) / (epochs - 1) : 0.0;
  switch (shape_) {
    case Shape::constant:
      return first_;
    case Shape::linear:
      return first_ + (last_ - first_) * progress;
    case Shape::exponential:
      return first_ * std::pow(last_ / first_, progress);
    case Shape::step:
      return first_ * std::pow(last_, std::floor(epoch / when_));
    case Shape::switch_at: {
      const double switch_epoch = when_ < 1 ? std::ceil(when_ * epochs) : when_;
      return epoch < switch_epoch ? first_ : last_;
    }
  }
  return first_;
}

bool Schedule::depends_on_run_length() const {
  switch (shape_) {
    case Shape::linear:
    case Shape::exponential:
      return first_ != last_;
    case Shape::switch_at:
      return when_ < 1 && first_ != last_;
    case Shape::constant:
    case Shape::step:
      return false;
  }
  return true;
}

int Schedule::at_int(int epoch, int epochs) const {
  return static_cast<int>(std::lround(at(epoch, epochs)));
}

std::vector<int> Schedule::extreme_epochs(int epochs) const {
  const int last = std::max(epochs - 1, 0);
  std::vector<int> candidates = {0, last};  // linear and exponential are monotone; switch_at
                                            // holds its first value at 0, its last at the end
  if (shape_ == Shape::step) {
    // first·factor^k over steps k = 0..K: monotone in |value|, its sign alternating when the
    // factor is negative, so the extremes lie in the first two or the last two steps.
    const double k_last = std::floor(last / when_);
    for (const double k : {1.0, k_last - 1, k_last})
      if (k >= 1 && k <= k_last) candidates.push_back(static_cast<int>(k * when_));
  }
  return candidates;
}

double Schedule::min_over(int epochs) const {
  double low = at(0, epochs);
  for (const int e : extreme_epochs(epochs)) low = std::min(low, at(e, epochs));
  return low;
}

double Schedule::max_over(int epochs) const {
  double high = at(0, epochs);
  for (const int e : extreme_epochs(epochs)) high = std::max(high, at(e, epochs));
  return high;
}

namespace {
/// The shortest text that reads back as the same double.
std::string number(double x) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::string(buffer, result.ptr);
}
/// A float as the double nearest to its shortest decimal text (0.9f → 0.9): JSON that reads
/// well and reads back as the same float.
double readable(float x) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::strtod(std::string(buffer, result.ptr).c_str(), nullptr);
}
}  // namespace

std::string Schedule::to_string() const {
  switch (shape_) {
    case Shape::constant:
      return number(first_);
    case Shape::linear:
      return "linear:" + number(first_) + ":" + number(last_);
    case Shape::exponential:
      return "exp:" + number(first_) + ":" + number(last_);
    case Shape::step:
      return "step:" + number(first_) + ":" + number(last_) + ":" + number(when_);
    case Shape::switch_at:
      return "switch:" + number(first_) + ":" + number(last_) + ":" + number(when_);
  }
  return number(first_);
}

bool Schedule::operator==(const Schedule& o) const {
  return shape_ == o.shape_ && first_ == o.first_ && last_ == o.last_ && when_ == o.when_;
}

Schedule Schedule::parse(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ':');) parts.push_back(part);
  auto value = [&](std::size_t k) {
    try {
      std::size_t used = 0;
      const double x = std::stod(parts.at(k), &used);
      if (used == parts[k].size() && std::isfinite(x)) return x;
    } catch (const std::exception&) {
    }
    RBM_THROW(InvalidArgument, "schedule '", text, "': '", k < parts.size() ? parts[k] : "",
              "' is not a number (expected V, linear:A:B, exp:A:B, step:A:FACTOR:EVERY or "
              "switch:A:B:AT)");
  };
  auto expect_parts = [&](std::size_t n) {
    RBM_EXPECTS(parts.size() == n, "schedule '", text, "' has ", parts.size(), " fields, '",
                parts.front(), "' takes ", n);
  };
  RBM_EXPECTS(!parts.empty(), "empty schedule");
  const std::string& kind = parts.front();
  try {
    if (kind == "linear") return expect_parts(3), linear(value(1), value(2));
    if (kind == "exp") return expect_parts(3), exponential(value(1), value(2));
    if (kind == "step") {
      expect_parts(4);
      const double every = value(3);
      RBM_EXPECTS(every >= 1 && every == std::floor(every),
                  "the period must be a whole number of epochs");
      return step(value(1), value(2), static_cast<int>(every));
    }
    if (kind == "switch") return expect_parts(4), switch_at(value(1), value(2), value(3));
  } catch (const InvalidArgument& e) {
    const std::string what = e.what();
    if (what.find(text) != std::string::npos) throw;
    RBM_THROW(InvalidArgument, "schedule '", text, "': ", what);
  }
  expect_parts(1);
  return Schedule(value(0));
}

// ---- Optimizer -------------------------------------------------------------------------------
const char* to_string(Optimizer optimizer) {
  switch (optimizer) {
    case Optimizer::sgd:
      return "sgd";
    case Optimizer::momentum:
      return "momentum";
    case Optimizer::nesterov:
      return "nesterov";
    case Optimizer::rmsprop:
      return "rmsprop";
    case Optimizer::adam:
      return "adam";
  }
  return "unknown";
}

Optimizer parse_optimizer(const std::string& text) {
  for (Optimizer o : {Optimizer::sgd, Optimizer::momentum, Optimizer::nesterov, Optimizer::rmsprop,
                      Optimizer::adam})
    if (text == to_string(o)) return o;
  RBM_THROW(InvalidArgument, "unknown optimizer '", text,
            "' (expected sgd, momentum, nesterov, rmsprop or adam)");
}

// ---- TrainConfig -----------------------------------------------------------------------------
void validate(const TrainConfig& c) {
  RBM_EXPECTS(c.epochs >= 0, "epochs must be >= 0, got ", c.epochs);
  const int epochs = std::max(c.epochs, 1);
  auto range = [&](const Schedule& s, const char* name, double low, double high, bool open_high) {
    const double lo = s.min_over(epochs), hi = s.max_over(epochs);
    RBM_EXPECTS(
        std::isfinite(lo) && std::isfinite(hi) && lo >= low && (open_high ? hi < high : hi <= high),
        name, " must stay in [", low, ", ", high, open_high ? ")" : "]", ", got ", s.to_string(),
        " (from ", lo, " to ", hi, " over ", epochs, " epochs)");
  };
  range(c.cd_steps, "cd_steps", 0.5, 1e6, false);
  range(c.batch_size, "batch_size", 0.5, 2147483647.0, false);
  RBM_EXPECTS(c.n_chains >= 0, "n_chains must be >= 0, got ", c.n_chains);
  RBM_EXPECTS(c.tempering_replicas >= 0 && c.tempering_replicas <= 1000,
              "tempering_replicas must be in [0, 1000], got ", c.tempering_replicas);
  RBM_EXPECTS(c.tempering_replicas == 0 || c.persistent, "parallel tempering (tempering_replicas ",
              c.tempering_replicas,
              ") is a persistent negative phase: it needs persistent = true (--pcd / --pt)");
  RBM_EXPECTS(
      std::isfinite(c.tempering_min_beta) && c.tempering_min_beta > 0 && c.tempering_min_beta < 1,
      "tempering_min_beta must be in (0, 1), got ", c.tempering_min_beta);
  RBM_EXPECTS(
      c.learning_rate.min_over(epochs) > 0 && std::isfinite(c.learning_rate.max_over(epochs)),
      "learning_rate must be a positive number, got ", c.learning_rate.to_string());
  range(c.momentum, "momentum", 0.0, 1.0, true);
  auto finite_at_least = [](float x, float low, const char* name) {
    RBM_EXPECTS(std::isfinite(x) && x >= low, name, " must be >= ", low, ", got ", x);
  };
  finite_at_least(c.weight_decay, 0, "weight_decay");
  finite_at_least(c.l1_weight_decay, 0, "l1_weight_decay");
  finite_at_least(c.sparsity_cost, 0, "sparsity_cost");
  finite_at_least(c.init_weight_std, 0, "init_weight_std");
  auto unit_interval = [](float x, const char* name, bool open_low) {
    RBM_EXPECTS(std::isfinite(x) && (open_low ? x > 0 : x >= 0) && x <= 1, name, " must be in ",
                open_low ? "(0, 1]" : "[0, 1]", ", got ", x);
  };
  unit_interval(c.sparsity_target, "sparsity_target", false);
  unit_interval(c.sparsity_decay, "sparsity_decay", false);
  unit_interval(c.centering_rate, "centering_rate", false);
  unit_interval(c.rmsprop_alpha, "rmsprop_alpha", false);
  unit_interval(c.adam_beta1, "adam_beta1", false);
  unit_interval(c.adam_beta2, "adam_beta2", false);
  RBM_EXPECTS(c.adam_beta1 < 1 && c.adam_beta2 < 1, "adam betas must be < 1, got ", c.adam_beta1,
              " and ", c.adam_beta2);
  RBM_EXPECTS(std::isfinite(c.epsilon) && c.epsilon > 0, "epsilon must be > 0, got ", c.epsilon);
  RBM_EXPECTS(std::isfinite(c.max_abs_parameter) && c.max_abs_parameter > 0,
              "max_abs_parameter must be > 0, got ", c.max_abs_parameter);
  RBM_EXPECTS(c.visible_type == UnitType::bernoulli || c.visible_type == UnitType::spin,
              "visible units must be bernoulli or spin, got ", to_string(c.visible_type));
}

const char* to_string(PcdChains chains) {
  return chains == PcdChains::hidden ? "hidden" : "visible";
}

PcdChains parse_pcd_chains(const std::string& text) {
  if (text == "hidden") return PcdChains::hidden;
  if (text == "visible") return PcdChains::visible;
  RBM_THROW(InvalidArgument, "unknown PCD chain state '", text, "' (expected hidden or visible)");
}

const char* to_string(GemmMath math) {
  switch (math) {
    case GemmMath::fp32:
      return "fp32";
    case GemmMath::tf32:
      return "tf32";
    case GemmMath::bf16:
      return "bf16";
  }
  return "unknown";
}

GemmMath parse_gemm_math(const std::string& text) {
  if (text == "fp32") return GemmMath::fp32;
  if (text == "tf32") return GemmMath::tf32;
  if (text == "bf16") return GemmMath::bf16;
  RBM_THROW(InvalidArgument, "unknown GEMM arithmetic '", text, "' (expected fp32, tf32 or bf16)");
}

std::string to_json(const TrainConfig& c) {
  const nlohmann::json j = {{"cd_steps", c.cd_steps.to_string()},
                            {"persistent", c.persistent},
                            {"n_chains", c.n_chains},
                            {"tempering_replicas", c.tempering_replicas},
                            {"tempering_min_beta", readable(c.tempering_min_beta)},
                            {"batch_size", c.batch_size.to_string()},
                            {"epochs", c.epochs},
                            {"optimizer", to_string(c.optimizer)},
                            {"learning_rate", c.learning_rate.to_string()},
                            {"momentum", c.momentum.to_string()},
                            {"rmsprop_alpha", readable(c.rmsprop_alpha)},
                            {"adam_beta1", readable(c.adam_beta1)},
                            {"adam_beta2", readable(c.adam_beta2)},
                            {"epsilon", readable(c.epsilon)},
                            {"weight_decay", readable(c.weight_decay)},
                            {"l1_weight_decay", readable(c.l1_weight_decay)},
                            {"sparsity_target", readable(c.sparsity_target)},
                            {"sparsity_cost", readable(c.sparsity_cost)},
                            {"sparsity_decay", readable(c.sparsity_decay)},
                            {"centering", c.centering},
                            {"centering_rate", readable(c.centering_rate)},
                            {"visible_type", to_string(c.visible_type)},
                            {"hidden_type", to_string(c.hidden_type)},
                            {"seed", c.seed},
                            {"init_weight_std", readable(c.init_weight_std)},
                            {"init_visible_bias_from_data", c.init_visible_bias_from_data},
                            {"pcd_chains", to_string(c.pcd_chains)},
                            {"math", to_string(c.math)},
                            {"max_abs_parameter", readable(c.max_abs_parameter)}};
  return j.dump();
}

namespace {

/// A schedule from JSON: a number, or a schedule string.
Schedule schedule_from(const nlohmann::json& j, const char* key) {
  if (j.is_number()) return Schedule(j.get<double>());
  if (j.is_string()) return Schedule::parse(j.get<std::string>());
  RBM_THROW(InvalidArgument, "train config: '", key, "' must be a number or a schedule string");
}

}  // namespace

TrainConfig train_config_from_json(const std::string& text) {
  TrainConfig c;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    RBM_THROW(InvalidArgument, "train config JSON is invalid: ", e.what());
  }
  RBM_EXPECTS(j.is_object(), "train config JSON must be an object, got: ", text.substr(0, 80));
  static const std::set<std::string> known = {"cd_steps",
                                              "persistent",
                                              "n_chains",
                                              "tempering_replicas",
                                              "tempering_min_beta",
                                              "batch_size",
                                              "epochs",
                                              "optimizer",
                                              "learning_rate",
                                              "momentum",
                                              "rmsprop_alpha",
                                              "adam_beta1",
                                              "adam_beta2",
                                              "epsilon",
                                              "weight_decay",
                                              "l1_weight_decay",
                                              "sparsity_target",
                                              "sparsity_cost",
                                              "sparsity_decay",
                                              "centering",
                                              "centering_rate",
                                              "visible_type",
                                              "hidden_type",
                                              "seed",
                                              "init_weight_std",
                                              "init_visible_bias_from_data",
                                              "use_tf32",
                                              "max_abs_parameter",
                                              "pcd_chains",
                                              "math"};
  for (const auto& item : j.items())
    RBM_EXPECTS(known.count(item.key()), "train config: unknown key '", item.key(), "'");
  try {
    auto get = [&](const char* key, auto& field) {
      if (!j.contains(key)) return;
      using Field = std::decay_t<decltype(field)>;
      if constexpr (std::is_same_v<Field, bool>)
        j.at(key).get_to(field);
      else if constexpr (std::is_floating_point_v<Field>)
        field = detail::json_float(j.at(key), "train config", key);
      else
        field = detail::json_integer<Field>(j.at(key), "train config", key);
    };
    auto get_schedule = [&](const char* key, Schedule& field) {
      if (j.contains(key)) field = schedule_from(j.at(key), key);
    };
    get_schedule("cd_steps", c.cd_steps);
    get("persistent", c.persistent);
    get("n_chains", c.n_chains);
    get("tempering_replicas", c.tempering_replicas);
    get("tempering_min_beta", c.tempering_min_beta);
    get_schedule("batch_size", c.batch_size);
    get("epochs", c.epochs);
    if (j.contains("optimizer"))
      c.optimizer = parse_optimizer(j.at("optimizer").get<std::string>());
    get_schedule("learning_rate", c.learning_rate);
    get_schedule("momentum", c.momentum);
    get("rmsprop_alpha", c.rmsprop_alpha);
    get("adam_beta1", c.adam_beta1);
    get("adam_beta2", c.adam_beta2);
    get("epsilon", c.epsilon);
    get("weight_decay", c.weight_decay);
    get("l1_weight_decay", c.l1_weight_decay);
    get("sparsity_target", c.sparsity_target);
    get("sparsity_cost", c.sparsity_cost);
    get("sparsity_decay", c.sparsity_decay);
    get("centering", c.centering);
    get("centering_rate", c.centering_rate);
    if (j.contains("visible_type"))
      c.visible_type = parse_unit_type(j.at("visible_type").get<std::string>());
    if (j.contains("hidden_type"))
      c.hidden_type = parse_unit_type(j.at("hidden_type").get<std::string>());
    get("seed", c.seed);
    get("init_weight_std", c.init_weight_std);
    get("init_visible_bias_from_data", c.init_visible_bias_from_data);
    // Recipes written before these keys: TF32 as a flag, and chains that carried the visible
    // sample (which is what such a file's run did).
    bool use_tf32 = false;
    get("use_tf32", use_tf32);
    if (use_tf32) c.math = GemmMath::tf32;
    if (j.contains("math")) c.math = parse_gemm_math(j.at("math").get<std::string>());
    c.pcd_chains = j.contains("pcd_chains")
                       ? parse_pcd_chains(j.at("pcd_chains").get<std::string>())
                       : PcdChains::visible;
    get("max_abs_parameter", c.max_abs_parameter);
  } catch (const nlohmann::json::exception& e) {
    RBM_THROW(InvalidArgument, "train config JSON has a value of the wrong type: ", e.what());
  }
  return c;
}

void set_total_epochs(TrainingCheckpoint& checkpoint, int epochs) {
  RBM_EXPECTS(epochs >= checkpoint.epochs_done, "the run has done ", checkpoint.epochs_done,
              " epochs already; it cannot be resumed to ", epochs, " epochs in all");
  for (TrainConfig& config : checkpoint.configs) {
    const std::pair<const char*, const Schedule*> schedules[] = {
        {"cd_steps", &config.cd_steps},
        {"batch_size", &config.batch_size},
        {"learning_rate", &config.learning_rate},
        {"momentum", &config.momentum}};
    for (const auto& [key, schedule] : schedules)
      RBM_EXPECTS(config.epochs == epochs || !schedule->depends_on_run_length(), "the run's ", key,
                  " schedule '", schedule->to_string(), "' is spread over its ", config.epochs,
                  " epochs; resuming it to ", epochs,
                  " epochs would change the epochs already done (train a new run instead)");
  }
  for (TrainConfig& config : checkpoint.configs) config.epochs = epochs;
}

Model init_model(const Dataset& data, int n_hidden, const TrainConfig& config) {
  data.validate();
  validate(config);
  Model model = Model::zeros(data.n_visible, n_hidden);
  model.visible_type = config.visible_type;
  model.hidden_type = config.hidden_type;
  // W ~ N(0, std²) by Box–Muller on Philox uniforms: reproducible from the seed alone.
  for (std::size_t k = 0; k < model.weights.size(); ++k)
    model.weights[k] =
        static_cast<float>(config.init_weight_std *
                           detail::random_normal(config.seed, detail::RandomStream::init, 0, k));
  // b makes the model's pixel marginals the data's (Hinton's guide).
  if (config.init_visible_bias_from_data && data.n_samples > 0)
    model.visible_bias = base_rate_bias(data, config.visible_type);
  model.provenance = nlohmann::json{
      {"train_config", nlohmann::json::parse(to_json(config))},
      {"data",
       data.name}}.dump();
  return model;
}

}  // namespace rbm
