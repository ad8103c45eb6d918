// host/cli/main.cpp — the `rbm` command-line tool: train, eval, logz.
// Text output for people, or one JSON object per line with --json for scripts.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "rbm/rbm.hpp"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct CommonOptions {
  std::string backend = "auto";
  bool json_output = false;
  int threads = 0;
};

void add_common(CLI::App* command, CommonOptions& common) {
  command->add_option("--backend", common.backend, "auto | cpu | cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  command->add_flag("--json", common.json_output, "one JSON object per line");
  command->add_option("--threads", common.threads, "CPU threads (0 = all)");
}

rbm::Engine make_engine(const CommonOptions& common) {
  rbm::EngineOptions options;
  options.cpu_threads = common.threads;
  return rbm::Engine(rbm::parse_backend_kind(common.backend), options);
}

/// Progress for long enumerations: a line on stderr every few seconds (never in JSON mode's
/// stdout, so scripts can parse stdout).
std::function<bool(double)> progress_printer() {
  auto start = Clock::now();
  auto last = start;
  return [start, last](double fraction) mutable {
    if (seconds_since(last) >= 2.0) {
      last = Clock::now();
      const double elapsed = seconds_since(start);
      std::fprintf(stderr, "rbm: log Z %5.1f%% done, %.0f s elapsed, ~%.0f s left\n",
                   100 * fraction, elapsed,
                   fraction > 0 ? elapsed * (1 - fraction) / fraction : 0.0);
    }
    return true;
  };
}

json logz_json(const rbm::LogZResult& r) {
  return {{"log_z", r.log_z},
          {"enumerated", r.enumerated_hidden ? "hidden" : "visible"},
          {"log2_states", r.log2_states},
          {"states", std::ldexp(1.0, r.log2_states)},
          {"pairs", r.pairs},
          {"pairs_per_s", r.pairs_per_second()},
          {"seconds", r.seconds}};
}

void print(const CommonOptions& common, const json& record, const std::string& text) {
  if (common.json_output)
    std::cout << record.dump() << std::endl;
  else
    std::cout << text << std::endl;
}

// ---- rbm train ---------------------------------------------------------------------------------
struct TrainOptions {
  std::string data, out = "model.safetensors";
  std::string math = "fp32";
  int hidden = 0, cd = 0, pcd = 0, models = 1;
  rbm::TrainConfig config;
};

int run_train(const CommonOptions& common, TrainOptions& o) {
  if ((o.cd > 0) == (o.pcd > 0))
    throw rbm::InvalidArgument("give exactly one of --cd K or --pcd K");
  o.config.cd_steps = o.cd > 0 ? o.cd : o.pcd;
  o.config.persistent = o.pcd > 0;
  o.config.use_tf32 = o.math == "tf32";
  const auto start = Clock::now();
  const rbm::Dataset data = rbm::load_dataset(o.data);
  rbm::Engine engine = make_engine(common);
  const rbm::DataHandle resident = engine.upload(data);
  // --models M: M copies with seeds seed, seed+1, ... trained together (a seed sweep).
  std::vector<rbm::Model> models;
  std::vector<rbm::TrainConfig> configs;
  for (int m = 0; m < o.models; ++m) {
    rbm::TrainConfig config = o.config;
    config.seed = o.config.seed + m;
    models.push_back(rbm::init_model(data, o.hidden, config));
    configs.push_back(config);
  }
  print(common,
        {{"event", "start"},
         {"data", o.data},
         {"n_samples", data.n_samples},
         {"n_visible", data.n_visible},
         {"n_hidden", o.hidden},
         {"models", o.models},
         {"backend", rbm::to_string(engine.kind())},
         {"device", engine.device_name()},
         {"config", json::parse(rbm::to_json(o.config))}},
        "training " + std::to_string(o.models) + " RBM(s) " + std::to_string(data.n_visible) + "x" +
            std::to_string(o.hidden) + " on '" + o.data + "' (" + std::to_string(data.n_samples) +
            " samples) with " + (o.config.persistent ? "PCD-" : "CD-") +
            o.config.cd_steps.to_string() + " on " + engine.device_name());
  const bool interactive = !common.json_output && ::isatty(::fileno(stdout));
  const int report_every = std::max(1, o.config.epochs / 20);
  auto on_epoch = [&](const std::vector<rbm::EpochMetrics>& metrics) {
    for (const auto& m : metrics) {
      if (common.json_output) {
        std::cout << json{{"event", "epoch"},
                          {"model", m.model},
                          {"epoch", m.epoch},
                          {"reconstruction_error", m.reconstruction_error},
                          {"seconds", m.seconds}}
                         .dump()
                  << std::endl;
      } else if (m.model == 0 && (m.epoch % report_every == 0 || m.epoch == o.config.epochs)) {
        std::printf("%sepoch %5d/%d  reconstruction error %.5f  (%.3f s/epoch)%s",
                    interactive ? "\r" : "", m.epoch, o.config.epochs, m.reconstruction_error,
                    m.seconds, interactive ? "" : "\n");
        std::fflush(stdout);
      }
    }
    return true;
  };
  std::vector<rbm::Model> trained = engine.train(models, configs, resident, on_epoch);
  if (interactive) std::printf("\n");
  for (auto& model : trained) {
    json provenance = json::parse(model.provenance);
    provenance["data"] = o.data;
    provenance["backend"] = rbm::to_string(engine.kind());
    model.provenance = provenance.dump();
  }
  if (trained.size() == 1)
    rbm::save_model(o.out, trained.front());
  else
    rbm::save_models(o.out, trained);
  print(common, {{"event", "saved"}, {"out", o.out}, {"seconds", seconds_since(start)}},
        "saved " + o.out + " (" + std::to_string(seconds_since(start)) + " s)");
  return 0;
}

// ---- rbm logz / eval ---------------------------------------------------------------------------
struct EvalOptions {
  std::string model, data;
  int max_log2_states = rbm::LogZOptions{}.max_log2_states;
};

rbm::LogZOptions logz_options(const EvalOptions& o) {
  rbm::LogZOptions options;
  options.max_log2_states = o.max_log2_states;
  options.progress = progress_printer();
  return options;
}

int run_logz(const CommonOptions& common, const EvalOptions& o) {
  const auto models = rbm::load_models(o.model);
  rbm::Engine engine = make_engine(common);
  const auto results = engine.log_z(models, logz_options(o));
  for (std::size_t m = 0; m < results.size(); ++m) {
    const auto& r = results[m];
    json record = logz_json(r);
    record["model"] = m;
    record["backend"] = rbm::to_string(engine.kind());
    char text[256];
    std::snprintf(text, sizeof text, "log Z = %.10g  (2^%d %s states, %.3g pairs/s, %.3f s)",
                  r.log_z, r.log2_states, r.enumerated_hidden ? "hidden" : "visible",
                  r.pairs_per_second(), r.seconds);
    print(common, record, (results.size() > 1 ? "model " + std::to_string(m) + ": " : "") + text);
  }
  return 0;
}

int run_eval(const CommonOptions& common, const EvalOptions& o) {
  const auto start = Clock::now();
  const auto models = rbm::load_models(o.model);
  const rbm::Dataset data = rbm::load_dataset(o.data);
  rbm::Engine engine = make_engine(common);
  const rbm::DataHandle resident = engine.upload(data);
  const auto log_zs = engine.log_z(models, logz_options(o));
  for (std::size_t m = 0; m < models.size(); ++m) {
    const double log_likelihood = engine.mean_log_likelihood(models[m], resident, log_zs[m].log_z);
    const double reconstruction = engine.reconstruction_error(models[m], resident);
    json record = logz_json(log_zs[m]);
    record.update({{"model", m},
                   {"data", o.data},
                   {"n_samples", data.n_samples},
                   {"log_likelihood", log_likelihood},
                   {"reconstruction_error", reconstruction},
                   {"backend", rbm::to_string(engine.kind())},
                   {"seconds", seconds_since(start)}});
    char text[512];
    std::snprintf(text, sizeof text,
                  "%slog Z = %.6f   exact mean log-likelihood = %.6f nats   reconstruction error "
                  "= %.5f   (%zu samples, %.2f s)",
                  models.size() > 1 ? ("model " + std::to_string(m) + ": ").c_str() : "",
                  log_zs[m].log_z, log_likelihood, reconstruction, data.n_samples,
                  seconds_since(start));
    print(common, record, text);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rbm: Restricted Boltzmann Machines with exact log-likelihood (version " +
               std::string(rbm::version()) + ")"};
  app.require_subcommand(1);
  CommonOptions common;

  TrainOptions train;
  auto* train_cmd = app.add_subcommand("train", "train RBM(s) with CD-k or PCD and save them");
  add_common(train_cmd, common);
  train_cmd
      ->add_option("--data", train.data, "dataset spec, e.g. bas:4, glyphs, mnist:DIR:train:7,8,9")
      ->required();
  train_cmd->add_option("--hidden", train.hidden, "hidden units L")
      ->required()
      ->check(CLI::PositiveNumber);
  auto* cd =
      train_cmd->add_option("--cd", train.cd, "CD-k with k steps")->check(CLI::PositiveNumber);
  auto* pcd = train_cmd->add_option("--pcd", train.pcd, "persistent CD with k steps")
                  ->check(CLI::PositiveNumber);
  cd->excludes(pcd);
  train_cmd->add_option("--chains", train.config.n_chains, "PCD chains (0 = batch size)");
  train_cmd->add_option("--epochs", train.config.epochs, "epochs")->capture_default_str();
  train_cmd->add_option("--batch", train.config.batch_size, "mini-batch size B")
      ->capture_default_str();
  train_cmd->add_option("--lr", train.config.learning_rate, "learning rate")->capture_default_str();
  train_cmd->add_option("--momentum", train.config.momentum, "momentum")->capture_default_str();
  train_cmd->add_option("--weight-decay", train.config.weight_decay, "L2 weight decay")
      ->capture_default_str();
  train_cmd->add_option("--seed", train.config.seed, "random seed")->capture_default_str();
  train_cmd
      ->add_option("--models", train.models, "train M models with seeds seed..seed+M-1 together")
      ->check(CLI::PositiveNumber);
  train_cmd->add_option("--math", train.math, "GEMM arithmetic: fp32, or tf32 (CUDA tensor cores)")
      ->check(CLI::IsMember({"fp32", "tf32"}))
      ->capture_default_str();
  train_cmd->add_option("--out", train.out, "model file (safetensors)")->capture_default_str();

  EvalOptions logz;
  auto* logz_cmd = app.add_subcommand("logz", "exact log Z of a saved model");
  add_common(logz_cmd, common);
  logz_cmd->add_option("--model", logz.model, "model file")->required();
  logz_cmd
      ->add_option("--max-log2-states", logz.max_log2_states,
                   "refuse to enumerate more than 2^N states")
      ->capture_default_str();

  EvalOptions eval;
  auto* eval_cmd =
      app.add_subcommand("eval", "exact mean log-likelihood, log Z and reconstruction error");
  add_common(eval_cmd, common);
  eval_cmd->add_option("--model", eval.model, "model file")->required();
  eval_cmd->add_option("--data", eval.data, "dataset spec")->required();
  eval_cmd
      ->add_option("--max-log2-states", eval.max_log2_states,
                   "refuse to enumerate more than 2^N states")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  try {
    if (train_cmd->parsed()) return run_train(common, train);
    if (logz_cmd->parsed()) return run_logz(common, logz);
    if (eval_cmd->parsed()) return run_eval(common, eval);
  } catch (const rbm::Error& e) {
    std::cerr << "rbm: error: " << e.what() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "rbm: unexpected error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
