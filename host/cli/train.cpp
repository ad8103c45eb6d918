// host/cli/train.cpp — `rbm train`: options (or a JSON config file) → models, with checkpoints,
// resume, Ctrl-C handling and a clear stop when training diverges.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "host/cli/cli.hpp"

namespace rbm::cli {
namespace {

struct TrainCommand {
  CommonOptions common;
  std::string config_file, out = "model.safetensors", checkpoint, resume;
  int checkpoint_every = 0;
  bool keep_last_good = false, quiet = false;
  json overrides = json::object();  ///< run-config keys given on the command line
};

/// Adds an option whose value, when given, sets run-config key `key` (parsed by `convert`).
template <typename T>
CLI::Option* add_key(CLI::App* cmd,
                     TrainCommand& o,
                     const std::string& flag,
                     const char* key,
                     const std::string& help) {
  return cmd->add_option_function<T>(
      flag, [&o, key](const T& value) { o.overrides[key] = value; }, help);
}

/// The run configuration: defaults, then the config file, then the command line.
RunConfig resolve(const TrainCommand& o) {
  json j = json::object();
  if (!o.config_file.empty()) {
    std::ifstream in(o.config_file);
    if (!in) throw IoError("cannot open config file '" + o.config_file + "'");
    try {
      j = json::parse(in);
    } catch (const json::exception& e) {
      throw InvalidArgument("config file '" + o.config_file + "' is not valid JSON: " + e.what());
    }
    if (!j.is_object())
      throw InvalidArgument("config file '" + o.config_file + "' must hold a JSON object");
  }
  for (const auto& [key, value] : o.overrides.items()) j[key] = value;
  try {
    return run_config_from_json(j);
  } catch (const InvalidArgument& e) {
    if (o.config_file.empty()) throw;
    throw InvalidArgument("config file '" + o.config_file + "': " + e.what());
  }
}

std::string describe(const TrainConfig& c) {
  return std::string(c.persistent ? "PCD-" : "CD-") + c.cd_steps.to_string() + ", " +
         to_string(c.optimizer) + " lr " + c.learning_rate.to_string() + ", batch " +
         c.batch_size.to_string() + ", " + std::to_string(c.epochs) + " epochs, units " +
         to_string(c.visible_type) + "/" + to_string(c.hidden_type);
}

/// Saves models (one file) while holding off a second Ctrl-C until the file is complete.
void save(const std::string& path, const std::vector<Model>& models) {
  const Interrupts::Writing writing;
  if (models.size() == 1)
    save_model(path, models.front());
  else
    save_models(path, models);
}

void stamp_provenance(std::vector<Model>& models, const RunConfig& config, const Engine& engine) {
  for (std::size_t m = 0; m < models.size(); ++m)
    models[m].provenance = json{
        {"config", to_json(config)},
        {"model", m},
        {"seed", config.train.seed + m},
        {"data", config.data},
        {"backend", rbm::to_string(engine.kind())},
        {"device", engine.device_name()},
        {"rbm_version",
         version()}}.dump();
}

int run(TrainCommand& o) {
  const auto start = Clock::now();
  const Interrupts interrupts;
  TrainingCheckpoint resumed;
  RunConfig config;
  if (!o.resume.empty()) {
    resumed = load_checkpoint(o.resume);
    config = run_config_from_json(json::parse(resumed.note.empty() ? "{}" : resumed.note));
    if (o.overrides.contains("data")) config.data = o.overrides["data"];
  } else {
    config = resolve(o);
  }
  if (config.data.empty()) throw InvalidArgument("no data: give --data SPEC or a config file");
  if (config.hidden < 1 && o.resume.empty())
    throw InvalidArgument("--hidden must be >= 1 (got " + std::to_string(config.hidden) + ")");
  if (config.models < 1)
    throw InvalidArgument("--models must be >= 1 (got " + std::to_string(config.models) + ")");
  validate(config.train);
  const std::string checkpoint = o.checkpoint.empty() ? o.out + ".checkpoint" : o.checkpoint;

  const Dataset data = load_dataset(config.data);
  Engine engine = make_engine(o.common);
  const DataHandle resident = engine.upload(data);
  std::vector<Model> models;
  std::vector<TrainConfig> configs;
  for (int m = 0; m < config.models; ++m) {
    TrainConfig c = config.train;
    c.seed = config.train.seed + m;  // --models M: a seed sweep seed, seed+1, ...
    configs.push_back(c);
    if (o.resume.empty()) models.push_back(init_model(data, config.hidden, c));
  }
  const int epochs = config.train.epochs;
  print(o.common,
        {{"event", "start"},
         {"config", to_json(config)},
         {"n_samples", data.n_samples},
         {"n_visible", data.n_visible},
         {"backend", rbm::to_string(engine.kind())},
         {"device", engine.device_name()},
         {"resumed_from", o.resume.empty() ? json(nullptr) : json(resumed.epochs_done)}},
        format("training %d RBM(s) %dx%d on '%s' (%zu samples) with %s on %s", config.models,
               data.n_visible, config.hidden, config.data.c_str(), data.n_samples,
               describe(config.train).c_str(), engine.device_name().c_str()));

  const bool interactive = !o.common.json_output && !o.quiet && ::isatty(::fileno(stdout));
  const int report_every = std::max(1, epochs / 20);
  rbm::TrainOptions options;
  options.stop_requested = &Interrupts::stop_requested();
  options.checkpoint_every = o.checkpoint_every;
  options.on_checkpoint = [&](const TrainingCheckpoint& c) {
    TrainingCheckpoint stamped = c;
    stamped.note = to_json(config).dump();
    const Interrupts::Writing writing;
    save_checkpoint(checkpoint, stamped);
  };
  options.on_epoch = [&](const std::vector<EpochMetrics>& metrics) {
    for (const EpochMetrics& m : metrics) {
      if (o.common.json_output) {
        std::cout << json{{"event", "epoch"},
                          {"model", m.model},
                          {"epoch", m.epoch},
                          {"reconstruction_error", m.reconstruction_error},
                          {"batch_size", m.batch_size},
                          {"cd_steps", m.cd_steps},
                          {"learning_rate", m.learning_rate},
                          {"momentum", m.momentum},
                          {"graphs", m.graphs},
                          {"seconds", m.seconds}}
                         .dump()
                  << std::endl;
      } else if (!o.quiet && m.model == 0 && (m.epoch % report_every == 0 || m.epoch == epochs)) {
        std::printf("%sepoch %5d/%d  reconstruction error %.5f  (%.3f s/epoch)%s",
                    interactive ? "\r" : "", m.epoch, epochs, m.reconstruction_error, m.seconds,
                    interactive ? "" : "\n");
        std::fflush(stdout);
      }
    }
    return true;
  };

  std::vector<Model> trained;
  try {
    trained = o.resume.empty() ? engine.train(models, configs, resident, options)
                               : engine.resume(resumed, resident, options);
  } catch (const Diverged& e) {
    if (interactive) std::printf("\n");
    note(std::string("error: ") + e.what());
    if (o.keep_last_good) {
      std::vector<Model> last_good = e.last_good;
      stamp_provenance(last_good, config, engine);
      save(o.out, last_good);
      note("saved the models as they were after epoch " + std::to_string(e.epoch - 1) + " to " +
           o.out);
    } else {
      note("nothing was saved (--keep-last-good saves the models before the diverging epoch)");
    }
    return kExitDiverged;
  } catch (const Interrupted& e) {
    if (interactive) std::printf("\n");
    note(std::string(e.what()) + "; the run is saved in " + checkpoint +
         " (continue it with: rbm train --resume " + checkpoint + " --out " + o.out + ")");
    return kExitInterrupted;
  }
  if (interactive) std::printf("\n");
  stamp_provenance(trained, config, engine);
  save(o.out, trained);
  print(o.common, {{"event", "saved"}, {"out", o.out}, {"seconds", seconds_since(start)}},
        format("saved %s (%.2f s)", o.out.c_str(), seconds_since(start)));
  return 0;
}

}  // namespace

Runner add_train(CLI::App& app) {
  auto o = std::make_shared<TrainCommand>();
  CLI::App* cmd = app.add_subcommand("train", "train RBM(s) with CD-k or PCD and save them");
  add_common(cmd, o->common);
  TrainCommand& t = *o;
  cmd->add_option("--config", t.config_file,
                  "JSON run configuration (keys as `rbm info MODEL --config` prints); options "
                  "given on the command line override it");
  add_key<std::string>(cmd, t, "--data", "data", "dataset spec, e.g. bas:4, mnist:DIR:train:7,8,9");
  add_key<int>(cmd, t, "--hidden", "hidden", "hidden units L");
  add_key<int>(cmd, t, "--models", "models", "train M models with seeds seed..seed+M-1 together");
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
  cmd->add_option_function<std::string>(
         "--math", [&t](const std::string& math) { t.overrides["use_tf32"] = math == "tf32"; },
         "GEMM arithmetic: fp32, or tf32 (CUDA tensor cores)")
      ->check(CLI::IsMember({"fp32", "tf32"}));
  cmd->add_option("--out", t.out, "model file (safetensors)")->capture_default_str();
  cmd->add_option("--checkpoint-every", t.checkpoint_every,
                  "write the whole training state every N epochs");
  cmd->add_option("--checkpoint", t.checkpoint, "checkpoint file (default OUT.checkpoint)");
  cmd->add_option("--resume", t.resume, "continue the run saved in a checkpoint file");
  cmd->add_flag("--keep-last-good", t.keep_last_good,
                "when training diverges, save the models of the last healthy epoch");
  cmd->add_flag("--quiet", t.quiet, "no progress output");
  return [cmd, o] { return cmd->parsed() ? run(*o) : -1; };
}

}  // namespace rbm::cli
