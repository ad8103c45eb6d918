// host/cli/run_config.cpp — the options that make a run configuration (shared by `rbm train`
// and `rbm sweep`): each given option records its key; resolve() layers defaults, a JSON config
// file and the command line, and names an unknown key.
#include <fstream>

#include "host/cli/cli.hpp"

namespace rbm::cli {
namespace {

/// Adds an option whose value, when given, sets run-config key `key`.
template <typename T>
CLI::Option* add_key(CLI::App* cmd,
                     RunConfigOptions& o,
                     const std::string& flag,
                     const char* key,
                     const std::string& help) {
  return cmd->add_option_function<T>(
      flag, [&o, key](const T& value) { o.overrides[key] = value; }, help);
}

}  // namespace

RunConfig RunConfigOptions::resolve() const {
  const json j = merged();
  try {
    return run_config_from_json(j.dump());
  } catch (const InvalidArgument& e) {
    if (config_file.empty()) throw;
    throw InvalidArgument("config file '" + config_file + "': " + e.what());
  }
}

json RunConfigOptions::merged() const {
  json j = json::object();
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) throw IoError("cannot open config file '" + config_file + "'");
    try {
      j = json::parse(in);
    } catch (const json::exception& e) {
      throw InvalidArgument("config file '" + config_file + "' is not valid JSON: " + e.what());
    }
    if (!j.is_object())
      throw InvalidArgument("config file '" + config_file + "' must hold a JSON object");
  }
  for (const auto& [key, value] : overrides.items()) j[key] = value;
  // A recipe file without "pcd_chains" predates the option and meant visible chains (see
  // rbm::train_config_from_json); a recipe made on the command line takes today's default.
  if (config_file.empty() && !j.contains("pcd_chains"))
    j["pcd_chains"] = to_string(TrainConfig{}.pcd_chains);
  return j;
}

void add_run_config_options(CLI::App* cmd, RunConfigOptions& t) {
  cmd->add_option("--config", t.config_file,
                  "JSON run configuration (keys as `rbm info MODEL --config` prints); options "
                  "given on the command line override it");
  add_key<std::string>(cmd, t, "--data", "data", "dataset spec, e.g. bas:4, mnist:DIR:train:7,8,9");
  add_key<int>(cmd, t, "--hidden", "hidden", "hidden units L");
  add_key<int>(cmd, t, "--models", "models", "train M models with seeds seed..seed+M-1 together");
  cmd->add_flag_function(
      "--labels-as-visible", [&t](std::int64_t) { t.overrides["labels_as_visible"] = true; },
      "learn the labels too: one unit per class after the pixels (rbm classify uses them)");
  auto* cd = cmd->add_option_function<std::string>(
      "--cd",
      [&t](const std::string& k) {
        t.overrides["cd_steps"] = k;
        t.overrides["persistent"] = false;
      },
      "CD-k: k Gibbs steps, or a schedule (e.g. linear:1:10); the default is CD-1");
  auto* pcd = cmd->add_option_function<std::string>(
      "--pcd",
      [&t](const std::string& k) {
        t.overrides["cd_steps"] = k;
        t.overrides["persistent"] = true;
      },
      "persistent CD with k steps (or a schedule)");
  cd->excludes(pcd);
  auto* pt = cmd->add_option_function<int>(
      "--pt",
      [&t](int replicas) {
        t.overrides["tempering_replicas"] = replicas;
        t.overrides["persistent"] = true;
      },
      "parallel tempering as PCD's negative phase: R levels per chain (k steps from --pcd)");
  pt->excludes(cd);
  add_key<float>(cmd, t, "--pt-min-beta", "tempering_min_beta",
                 "parallel tempering: the hottest level's β (default 0.1)");
  add_key<int>(cmd, t, "--chains", "n_chains", "PCD chains (0 = the largest batch)");
  add_key<int>(cmd, t, "--epochs", "epochs", "epochs (default 10)");
  add_key<std::string>(cmd, t, "--batch", "batch_size",
                       "mini-batch size B or a schedule, e.g. linear:10:500 (default 100)");
  add_key<std::string>(cmd, t, "--optimizer", "optimizer",
                       "sgd | momentum | nesterov | rmsprop | adam (default momentum)")
      ->check(CLI::IsMember({"sgd", "momentum", "nesterov", "rmsprop", "adam"}));
  add_key<std::string>(cmd, t, "--lr", "learning_rate",
                       "learning rate or a schedule: 0.1, linear:0.1:0.01, exp:A:B, "
                       "step:A:FACTOR:EVERY, switch:A:B:AT (default 0.05)");
  add_key<std::string>(cmd, t, "--momentum", "momentum",
                       "momentum or a schedule, e.g. switch:0.5:0.9:5 (momentum, nesterov, "
                       "rmsprop; default 0.5)");
  add_key<float>(cmd, t, "--l2", "weight_decay", "L2 weight decay on W");
  add_key<float>(cmd, t, "--weight-decay", "weight_decay", "same as --l2");
  add_key<float>(cmd, t, "--l1", "l1_weight_decay", "L1 weight decay on W");
  cmd->add_option_function<std::string>(
      "--sparsity",
      [&t](const std::string& spec) {
        const auto colon = spec.find(':');
        try {
          if (colon == std::string::npos) throw std::invalid_argument(spec);
          t.overrides["sparsity_target"] = std::stof(spec.substr(0, colon));
          t.overrides["sparsity_cost"] = std::stof(spec.substr(colon + 1));
        } catch (const std::exception&) {
          throw CLI::ValidationError("--sparsity", "expected TARGET:COST, got '" + spec + "'");
        }
      },
      "TARGET:COST: pull the mean hidden activation towards TARGET (Hinton's guide §11)");
  cmd->add_flag_function(
      "--centering", [&t](std::int64_t) { t.overrides["centering"] = true; },
      "centered gradient (Melchior et al. 2016); the saved model is plain");
  add_key<float>(cmd, t, "--centering-rate", "centering_rate",
                 "moving-average rate of the centering offsets (default 0.01)");
  add_key<std::string>(cmd, t, "--visible-type", "visible_type", "bernoulli | spin")
      ->check(CLI::IsMember({"bernoulli", "spin"}));
  add_key<std::string>(cmd, t, "--hidden-type", "hidden_type",
                       "bernoulli | spin | potts | potts-off")
      ->check(CLI::IsMember({"bernoulli", "spin", "potts", "potts-off"}));
  add_key<std::uint64_t>(cmd, t, "--seed", "seed", "random seed (default 1)");
  add_key<float>(cmd, t, "--init-std", "init_weight_std", "initial weights ~ N(0, std²)");
  add_key<float>(cmd, t, "--max-abs", "max_abs_parameter",
                 "divergence bound on |parameter| (default 1e4)");
  add_key<std::string>(cmd, t, "--math", "math",
                       "GEMM arithmetic: fp32, or on the CUDA backend tf32 (tensor cores) or "
                       "bf16 (bfloat16 operands, float32 accumulation and updates)")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16"}));
  add_key<std::string>(cmd, t, "--pcd-chains", "pcd_chains",
                       "what PCD chains keep between steps: hidden (the last hidden sample; the "
                       "default) or visible (the last visible sample: one GEMM more per step)")
      ->check(CLI::IsMember({"hidden", "visible"}));
}

}  // namespace rbm::cli
