// host/cli/evaluate.cpp — `rbm logz`, `rbm eval` and `rbm info`: what a saved model is and how
// good it is (log Z and log-likelihood, exact or by annealed importance sampling).
#include <cmath>
#include <iostream>

#include "host/cli/cli.hpp"

namespace rbm::cli {
namespace {

struct EvalCommand {
  CommonOptions common;
  std::string model, data;
  LikelihoodCli likelihood;
};

/// Runs a command whose log Z may be interrupted: Ctrl-C stops the enumeration (or annealing)
/// at its next chunk and exits with status 130 (nothing is written: these commands only print).
int interruptible(const std::function<int()>& body) {
  const Interrupts interrupts(Interrupts::kLogZNote);
  try {
    return body();
  } catch (const Cancelled& e) {
    if (!Interrupts::stop_requested()) throw;
    note(std::string("interrupted: ") + e.what());
    return kExitInterrupted;
  }
}

std::string states_text(const LogZResult& r) {
  if (r.log2_states == std::floor(r.log2_states))
    return format("2^%d %s states", static_cast<int>(r.log2_states),
                  r.enumerated_hidden ? "hidden" : "visible");
  return format("%.0f one-hot states", r.states);
}

std::string model_prefix(std::size_t m, std::size_t count) {
  return count > 1 ? "model " + std::to_string(m) + ": " : std::string();
}

/// `logz` and `eval` enumerate unless told otherwise (--method ais|auto): their numbers are
/// exact, or they refuse and say how to get an estimate.
void add_model_options(CLI::App* cmd, EvalCommand& o) {
  cmd->add_option("--model", o.model, "model file")->required();
  o.likelihood.method = "exact";
}

/// AIS log Z of every model, the base-rate model fitted to --data when given.
int run_logz_ais(const EvalCommand& o, Engine& engine, const std::vector<Model>& models) {
  AisOptions options = o.likelihood.options().ais;
  if (!o.data.empty())
    options.base_visible_bias = base_rate_bias(visible_data(models.front(), load_dataset(o.data)),
                                               models.front().visible_type);
  const std::vector<AisResult> results = engine.ais_log_z(models, options);
  for (std::size_t m = 0; m < results.size(); ++m) {
    const AisResult& r = results[m];
    print(o.common,
          {{"model", m},
           {"method", "ais"},
           {"log_z", r.log_z},
           {"log_z_error", r.standard_error},
           {"effective_sample_size", r.effective_sample_size},
           {"chains", r.n_chains},
           {"betas", r.n_betas},
           {"base", o.data.empty() ? "uniform" : o.data},
           {"backend", rbm::to_string(engine.kind())},
           {"seconds", r.seconds}},
          model_prefix(m, results.size()) +
              format("log Z = %.10g ± %.3g  (AIS, %d chains x %d betas, ESS %.0f, %.3f s)", r.log_z,
                     r.standard_error, r.n_chains, r.n_betas, r.effective_sample_size, r.seconds));
  }
  return 0;
}

int run_logz(const EvalCommand& o) {
  const auto models = load_models(o.model);
  Engine engine = make_engine(o.common);
  const LikelihoodOptions options = o.likelihood.options();
  if (options.method == LikelihoodMethod::ais ||
      (options.method == LikelihoodMethod::auto_ &&
       !engine.log_z_estimate(models.front(), options.exact, models.size()).allowed))
    return run_logz_ais(o, engine, models);
  const auto results = engine.log_z(models, options.exact);
  for (std::size_t m = 0; m < results.size(); ++m) {
    const LogZResult& r = results[m];
    json record = logz_json(r);
    record["model"] = m;
    record["backend"] = rbm::to_string(engine.kind());
    print(o.common, record,
          model_prefix(m, results.size()) + format("log Z = %.10g  (%s, %.3g pairs/s, %.3f s)",
                                                   r.log_z, states_text(r).c_str(),
                                                   r.pairs_per_second(), r.seconds));
  }
  return 0;
}

std::string likelihood_text(const LikelihoodEstimate& e) {
  if (e.method == LikelihoodMethod::exact)
    return format("log Z = %.10g   exact mean log-likelihood = %.10g nats", e.log_z,
                  e.mean_log_likelihood);
  std::string text = format("log Z = %.6f ± %.3g (AIS)   mean log-likelihood = %.6f ± %.3g nats",
                            e.log_z, e.log_z_error, e.mean_log_likelihood, e.log_z_error);
  if (e.has_bracket)
    text += format("   bracket on the reverse-AIS rows [%.4f ± %.3g, %.4f]", e.bracket_lower,
                   e.bracket_lower_error, e.bracket_upper);
  return text;
}

int run_eval(const EvalCommand& o) {
  const auto start = Clock::now();
  const auto models = load_models(o.model);
  const Dataset data = visible_data(models.front(), load_dataset(o.data));
  Engine engine = make_engine(o.common);
  const DataHandle resident = engine.upload(data);
  const std::vector<LikelihoodEstimate> estimates =
      engine.log_likelihood(models, resident, o.likelihood.options());
  for (std::size_t m = 0; m < models.size(); ++m) {
    const double reconstruction = engine.reconstruction_error(models[m], resident);
    json record = likelihood_json(estimates[m]);
    record.update({{"model", m},
                   {"data", o.data},
                   {"n_samples", data.n_samples},
                   {"log_likelihood", estimates[m].mean_log_likelihood},
                   {"reconstruction_error", reconstruction},
                   {"backend", rbm::to_string(engine.kind())},
                   {"seconds", seconds_since(start)}});
    print(o.common, record,
          model_prefix(m, models.size()) + likelihood_text(estimates[m]) +
              format("   reconstruction error = %.5f   (%zu samples, %.2f s)", reconstruction,
                     data.n_samples, seconds_since(start)));
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
  CLI::App* cmd = app.add_subcommand("logz", "log Z of a saved model: exact, or by AIS");
  add_common(cmd, o->common);
  add_model_options(cmd, *o);
  add_likelihood_options(cmd, o->likelihood, LikelihoodFlags::logz);
  cmd->add_option("--data", o->data, "AIS: fit the base-rate model to this dataset");
  return [cmd, o] { return cmd->parsed() ? interruptible([&] { return run_logz(*o); }) : -1; };
}

Runner add_eval(CLI::App& app) {
  auto o = std::make_shared<EvalCommand>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "mean log-likelihood (exact, or AIS with a bracket), log Z, reconstruction error");
  add_common(cmd, o->common);
  add_model_options(cmd, *o);
  add_likelihood_options(cmd, o->likelihood, LikelihoodFlags::data);
  cmd->add_option("--data", o->data, "dataset spec")->required();
  return [cmd, o] { return cmd->parsed() ? interruptible([&] { return run_eval(*o); }) : -1; };
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
