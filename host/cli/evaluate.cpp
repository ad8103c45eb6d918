// host/cli/evaluate.cpp — `rbm logz`, `rbm eval` and `rbm info`: what a saved model is and how
// good it is (exact log Z and log-likelihood).
#include <cmath>
#include <iostream>

#include "host/cli/cli.hpp"

namespace rbm::cli {
namespace {

struct EvalCommand {
  CommonOptions common;
  std::string model, data;
  int max_log2_states = LogZOptions{}.max_log2_states;
};

/// Progress for long enumerations: a line on stderr every few seconds.
std::function<bool(double)> progress_printer() {
  auto start = Clock::now();
  auto last = start;
  return [start, last](double fraction) mutable {
    if (seconds_since(last) >= 2.0) {
      last = Clock::now();
      const double elapsed = seconds_since(start);
      note(format("log Z %5.1f%% done, %.0f s elapsed, ~%.0f s left", 100 * fraction, elapsed,
                  fraction > 0 ? elapsed * (1 - fraction) / fraction : 0.0));
    }
    return true;
  };
}

LogZOptions logz_options(const EvalCommand& o) {
  LogZOptions options;
  options.max_log2_states = o.max_log2_states;
  options.progress = progress_printer();
  return options;
}

json logz_json(const LogZResult& r) {
  return {{"log_z", r.log_z},
          {"enumerated", r.enumerated_hidden ? "hidden" : "visible"},
          {"log2_states", r.log2_states},
          {"states", r.states},
          {"pairs", r.pairs},
          {"pairs_per_s", r.pairs_per_second()},
          {"seconds", r.seconds}};
}

std::string states_text(const LogZResult& r) {
  if (r.log2_states == std::floor(r.log2_states))
    return format("2^%d %s states", static_cast<int>(r.log2_states),
                  r.enumerated_hidden ? "hidden" : "visible");
  return format("%.0f one-hot states", r.states);
}

void add_model_options(CLI::App* cmd, EvalCommand& o) {
  cmd->add_option("--model", o.model, "model file")->required();
  cmd->add_option("--max-log2-states", o.max_log2_states,
                  "refuse to enumerate more than 2^N states")
      ->capture_default_str();
}

int run_logz(const EvalCommand& o) {
  const auto models = load_models(o.model);
  Engine engine = make_engine(o.common);
  const auto results = engine.log_z(models, logz_options(o));
  for (std::size_t m = 0; m < results.size(); ++m) {
    const LogZResult& r = results[m];
    json record = logz_json(r);
    record["model"] = m;
    record["backend"] = rbm::to_string(engine.kind());
    print(o.common, record,
          (results.size() > 1 ? "model " + std::to_string(m) + ": " : std::string()) +
              format("log Z = %.10g  (%s, %.3g pairs/s, %.3f s)", r.log_z, states_text(r).c_str(),
                     r.pairs_per_second(), r.seconds));
  }
  return 0;
}

int run_eval(const EvalCommand& o) {
  const auto start = Clock::now();
  const auto models = load_models(o.model);
  const Dataset data = load_dataset(o.data);
  Engine engine = make_engine(o.common);
  const DataHandle resident = engine.upload(data);
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
    print(o.common, record,
          format("%slog Z = %.10g   exact mean log-likelihood = %.10g nats   reconstruction error "
                 "= %.5f   (%zu samples, %.2f s)",
                 models.size() > 1 ? ("model " + std::to_string(m) + ": ").c_str() : "",
                 log_zs[m].log_z, log_likelihood, reconstruction, data.n_samples,
                 seconds_since(start)));
  }
  return 0;
}

struct InfoCommand {
  CommonOptions common;
  std::string model;
  bool config_only = false;
};

int run_info(const InfoCommand& o) {
  const auto models = load_models(o.model);
  if (o.config_only) {  // exactly what `rbm train --config` reads
    std::cout << as_json(run_config_of(models.front(), o.model)).dump(2) << std::endl;
    return 0;
  }
  for (std::size_t m = 0; m < models.size(); ++m) {
    const Model& model = models[m];
    json provenance = json::object();
    try {
      provenance = json::parse(model.provenance);
    } catch (const json::exception&) {
      provenance = model.provenance;
    }
    const json record = {{"model", m},
                         {"n_visible", model.n_visible},
                         {"n_hidden", model.n_hidden},
                         {"visible_type", rbm::to_string(model.visible_type)},
                         {"hidden_type", rbm::to_string(model.hidden_type)},
                         {"provenance", provenance}};
    print(o.common, record,
          format("%s%d visible (%s) x %d hidden (%s)\n  provenance: %s",
                 models.size() > 1 ? ("model " + std::to_string(m) + ": ").c_str() : "",
                 model.n_visible, rbm::to_string(model.visible_type), model.n_hidden,
                 rbm::to_string(model.hidden_type), provenance.dump(2).c_str()));
  }
  return 0;
}

}  // namespace

Runner add_logz(CLI::App& app) {
  auto o = std::make_shared<EvalCommand>();
  CLI::App* cmd = app.add_subcommand("logz", "exact log Z of a saved model");
  add_common(cmd, o->common);
  add_model_options(cmd, *o);
  return [cmd, o] { return cmd->parsed() ? run_logz(*o) : -1; };
}

Runner add_eval(CLI::App& app) {
  auto o = std::make_shared<EvalCommand>();
  CLI::App* cmd =
      app.add_subcommand("eval", "exact mean log-likelihood, log Z and reconstruction error");
  add_common(cmd, o->common);
  add_model_options(cmd, *o);
  cmd->add_option("--data", o->data, "dataset spec")->required();
  return [cmd, o] { return cmd->parsed() ? run_eval(*o) : -1; };
}

Runner add_info(CLI::App& app) {
  auto o = std::make_shared<InfoCommand>();
  CLI::App* cmd = app.add_subcommand("info", "shapes, unit types and provenance of a model file");
  add_common(cmd, o->common);
  cmd->add_option("model", o->model, "model file")->required();
  cmd->add_flag("--config", o->config_only,
                "print only the run configuration, as `rbm train --config FILE` reads it");
  return [cmd, o] { return cmd->parsed() ? run_info(*o) : -1; };
}

}  // namespace rbm::cli
