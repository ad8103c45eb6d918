// host/cli/train.cpp — `rbm train`: a run configuration (options or a JSON file) → models, with
// learning curves (--eval-every), checkpoints, resume, Ctrl-C handling and a clear stop when
// training diverges.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numeric>

#include "host/cli/cli.hpp"

namespace rbm::cli {
namespace {

struct TrainCommand {
  CommonOptions common;
  RunConfigOptions run;
  std::string out = "model.safetensors", checkpoint, resume, valid, curves;
  int checkpoint_every = 0, eval_every = 0;
  LikelihoodCli likelihood;
  bool keep_last_good = false, quiet = false, csv = false;
};

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

/// The data a run trains on: as loaded, or with one label unit per class appended.
struct TrainingData {
  Dataset pixels, visible;
  std::vector<int> classes;  ///< empty unless labels_as_visible
};
TrainingData training_data(const RunConfig& config, const std::string& spec) {
  TrainingData data;
  data.pixels = load_dataset(spec);
  data.classes = run_label_classes(config, data.pixels);
  data.visible = data.classes.empty() ? data.pixels : with_label_units(data.pixels, data.classes);
  return data;
}

void stamp_provenance(std::vector<Model>& models,
                      const RunConfig& config,
                      const TrainingData& data,
                      const Engine& engine) {
  for (std::size_t m = 0; m < models.size(); ++m)
    models[m].provenance = run_provenance(config, m, data.pixels, engine);
}

std::string duration(double seconds) {
  if (seconds < 60) return format("%.0fs", seconds);
  if (seconds < 3600)
    return format("%dm%02ds", static_cast<int>(seconds / 60), static_cast<int>(seconds) % 60);
  return format("%dh%02dm", static_cast<int>(seconds / 3600), static_cast<int>(seconds / 60) % 60);
}

/// What may change when a run is resumed: its data (moved files) and its length (--epochs N: the
/// new total, when no schedule is spread over the run's length; see rbm::set_total_epochs). The
/// rest of the recipe is the checkpoint's; other run options are refused by name.
void resume_options(const RunConfigOptions& given, TrainingCheckpoint& resumed, RunConfig& config) {
  if (!given.config_file.empty())
    throw InvalidArgument("--resume continues the checkpoint's own recipe: --config is not taken");
  for (const auto& [key, value] : given.overrides.items())
    if (key != "data" && key != "epochs")
      throw InvalidArgument("--resume continues the checkpoint's own recipe: '" + key +
                            "' cannot change (only --data and --epochs can be given)");
  if (given.overrides.contains("data")) config.data = given.overrides["data"];
  if (given.overrides.contains("epochs")) {
    const int epochs = given.overrides["epochs"].get<int>();
    set_total_epochs(resumed, epochs);
    config.train.epochs = epochs;
  }
}

/// Progress on stderr: a bar with ETA on a terminal, a line every `every` epochs otherwise.
class Progress {
 public:
  Progress(int epochs, int every, bool quiet)
      : epochs_(epochs),
        every_(std::max(1, every)),
        quiet_(quiet),
        terminal_(::isatty(::fileno(stderr))),
        start_(Clock::now()) {}
  void update(int epoch, double reconstruction_error) {
    if (quiet_) return;
    const double elapsed = seconds_since(start_);
    const double eta = epoch > 0 ? elapsed * (epochs_ - epoch) / epoch : 0;
    if (terminal_) {
      constexpr int kWidth = 30;
      const int filled = epochs_ > 0 ? kWidth * epoch / epochs_ : kWidth;
      std::fprintf(stderr, "\r[%s%s] epoch %d/%d  recon %.5f  %s elapsed, ETA %s   ",
                   std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(),
                   epoch, epochs_, reconstruction_error, duration(elapsed).c_str(),
                   duration(eta).c_str());
      if (epoch == epochs_) std::fprintf(stderr, "\n");
    } else if (epoch % every_ == 0 || epoch == epochs_) {
      std::fprintf(stderr, "rbm: epoch %d/%d  reconstruction error %.5f  (%s elapsed, ETA %s)\n",
                   epoch, epochs_, reconstruction_error, duration(elapsed).c_str(),
                   duration(eta).c_str());
    }
  }
  void finish() {
    if (terminal_ && !quiet_) std::fprintf(stderr, "\n");
  }

 private:
  int epochs_, every_;
  bool quiet_, terminal_;
  Clock::time_point start_;
};

/// Learning curves (--eval-every): per model and evaluated epoch, reconstruction errors,
/// log-likelihoods (exact where affordable, else AIS with its standard error, as --method
/// says), the free-energy gap between held-out and training data (over-fitting shows as a
/// growing gap), wall time.
class Monitor {
 public:
  Monitor(Engine& engine,
          const DataHandle& train,
          const DataHandle* valid,
          const LikelihoodOptions& likelihood)
      : engine_(engine), train_(train), valid_(valid), likelihood_(likelihood) {}

  void record_epoch(const std::vector<EpochMetrics>& metrics) {
    for (const EpochMetrics& m : metrics) last_error_[m.model] = m.reconstruction_error;
  }

  std::vector<json> evaluate(int epoch, const std::vector<Model>& models) {
    std::vector<json> rows;
    for (std::size_t m = 0; m < models.size(); ++m) {
      const auto start = Clock::now();
      const Model& model = models[m];
      json row = {{"event", "eval"},
                  {"epoch", epoch},
                  {"model", m},
                  {"epoch_reconstruction_error", last_error_[static_cast<int>(m)]},
                  {"reconstruction_error", engine_.reconstruction_error(model, train_)},
                  {"seconds", seconds_since(start_)}};
      const LikelihoodEstimate train = engine_.log_likelihood(model, train_, likelihood_);
      row["train_ll"] = train.mean_log_likelihood;
      row["ll_method"] = rbm::to_string(train.method);
      if (train.method == LikelihoodMethod::ais) row["ll_error"] = train.log_z_error;
      if (valid_) {
        const double train_f = -train.mean_log_likelihood - train.log_z;
        row["valid_reconstruction_error"] = engine_.reconstruction_error(model, *valid_);
        row["valid_ll"] = engine_.mean_log_likelihood(model, *valid_, train.log_z);
        row["free_energy_gap"] = -row["valid_ll"].get<double>() - train.log_z - train_f;
      }
      row["eval_seconds"] = seconds_since(start);
      rows.push_back(row);
      rows_.push_back(row);
    }
    return rows;
  }

  /// Writes PREFIX.metrics.jsonl (+ .csv) and the curves PREFIX.loglik.png, PREFIX.recon.png.
  void write(const std::string& prefix, bool csv) const {
    write_numbers(prefix + ".metrics", rows_, csv);
    if (!plots_available()) {
      note("plots are not built (PLplot missing): wrote the numbers only");
      return;
    }
    plot(prefix + ".loglik.png", {"train_ll", "valid_ll"}, {"training", "held-out"},
         "mean log-likelihood (nats)");
    plot(prefix + ".recon.png", {"reconstruction_error", "valid_reconstruction_error"},
         {"training", "held-out"}, "reconstruction error");
  }

 private:
  void plot(const std::string& path,
            const std::vector<std::string>& keys,
            const std::vector<std::string>& labels,
            const std::string& y_label) const {
    std::vector<Series> series;
    std::size_t n_models = 0;
    for (const json& row : rows_)
      n_models = std::max(n_models, row["model"].get<std::size_t>() + 1);
    for (std::size_t m = 0; m < n_models; ++m)
      for (std::size_t k = 0; k < keys.size(); ++k) {
        Series s;
        s.label = labels[k] + (n_models > 1 ? " (model " + std::to_string(m) + ")" : "");
        s.markers = true;
        for (const json& row : rows_)
          if (row["model"] == m && row.contains(keys[k]) && row[keys[k]].is_number()) {
            s.x.push_back(row["epoch"].get<double>());
            s.y.push_back(row[keys[k]].get<double>());
          }
        if (!s.x.empty()) series.push_back(s);
      }
    if (series.empty()) return;
    PlotOptions options;
    options.title = "learning curve";
    options.x_label = "epoch";
    options.y_label = y_label;
    write_line_plot(path, series, options);
  }

  Engine& engine_;
  const DataHandle& train_;
  const DataHandle* valid_;  ///< null without --valid
  LikelihoodOptions likelihood_;
  std::map<int, double> last_error_;
  std::vector<json> rows_;
  Clock::time_point start_ = Clock::now();
};

int run(TrainCommand& o) {
  const auto start = Clock::now();
  const Interrupts interrupts(Interrupts::kTrainingNote);
  TrainingCheckpoint resumed;
  RunConfig config;
  if (!o.resume.empty()) {
    resumed = load_checkpoint(o.resume);
    config = run_config_from_json(resumed.note.empty() ? "{}" : resumed.note);
    resume_options(o.run, resumed, config);
  } else {
    config = o.run.resolve();
  }
  if (config.data.empty()) throw InvalidArgument("no data: give --data SPEC or a config file");
  if (config.hidden < 1 && o.resume.empty())
    throw InvalidArgument("--hidden must be >= 1 (got " + std::to_string(config.hidden) + ")");
  if (config.models < 1)
    throw InvalidArgument("--models must be >= 1 (got " + std::to_string(config.models) + ")");
  validate(config.train);
  const std::string checkpoint = o.checkpoint.empty() ? o.out + ".checkpoint" : o.checkpoint;

  const TrainingData training = training_data(config, config.data);
  const Dataset& data = training.visible;
  Engine engine = make_engine(o.common);
  const DataHandle resident = engine.upload(data);
  DataHandle valid;
  if (!o.valid.empty()) {
    const Dataset held_out = load_dataset(o.valid);
    valid = engine.upload(training.classes.empty() ? held_out
                                                   : with_label_units(held_out, training.classes));
  }
  // --models M: a seed sweep seed, seed+1, ...
  const std::vector<TrainConfig> configs = model_configs(config);
  const std::vector<Model> models =
      o.resume.empty() ? init_models(data, config) : std::vector<Model>{};
  const int epochs = config.train.epochs;
  print(o.common,
        {{"event", "start"},
         {"config", as_json(config)},
         {"n_samples", data.n_samples},
         {"n_visible", data.n_visible},
         {"backend", rbm::to_string(engine.kind())},
         {"device", engine.device_name()},
         {"resumed_from", o.resume.empty() ? json(nullptr) : json(resumed.epochs_done)}},
        format("training %d RBM(s) %dx%d on '%s' (%zu samples) with %s on %s", config.models,
               data.n_visible, config.hidden, config.data.c_str(), data.n_samples,
               describe(config.train).c_str(), engine.device_name().c_str()));

  Progress progress(epochs, o.eval_every > 0 ? o.eval_every : std::max(1, epochs / 20),
                    o.quiet || o.common.json_output);
  Monitor monitor(engine, resident, o.valid.empty() ? nullptr : &valid, o.likelihood.options());
  rbm::TrainOptions options;
  options.stop_requested = &Interrupts::stop_requested();
  options.checkpoint_every = o.checkpoint_every;
  options.on_checkpoint = [&](const TrainingCheckpoint& c) {
    TrainingCheckpoint stamped = c;
    stamped.note = to_json(config);
    const Interrupts::Writing writing;
    save_checkpoint(checkpoint, stamped);
  };
  options.on_epoch = [&](const std::vector<EpochMetrics>& metrics) {
    monitor.record_epoch(metrics);
    if (o.common.json_output)
      for (const EpochMetrics& m : metrics)
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
    progress.update(metrics.front().epoch, metrics.front().reconstruction_error);
    return true;
  };
  if (o.eval_every > 0) {
    options.inspect_every = o.eval_every;
    options.on_inspect = [&](int epoch, const std::vector<Model>& current) {
      for (const json& row : monitor.evaluate(epoch, current)) {
        if (o.common.json_output)
          std::cout << row.dump() << std::endl;
        else if (!o.quiet)
          note(format(
              "epoch %d model %d: reconstruction %.5f%s%s%s (evaluation %.2f s)", epoch,
              row["model"].get<int>(), row["reconstruction_error"].get<double>(),
              row.contains("train_ll")
                  ? format("  log-likelihood train %.4f", row["train_ll"].get<double>()).c_str()
                  : "",
              row.contains("valid_ll")
                  ? format(" held-out %.4f", row["valid_ll"].get<double>()).c_str()
                  : "",
              row.contains("free_energy_gap")
                  ? format("  free-energy gap %.4f", row["free_energy_gap"].get<double>()).c_str()
                  : "",
              row["eval_seconds"].get<double>()));
      }
      return true;
    };
  }

  std::vector<Model> trained;
  try {
    trained = o.resume.empty() ? engine.train(models, configs, resident, options)
                               : engine.resume(resumed, resident, options);
  } catch (const Diverged& e) {
    progress.finish();
    note(std::string("error: ") + e.what());
    if (o.keep_last_good) {
      std::vector<Model> last_good = e.last_good;
      stamp_provenance(last_good, config, training, engine);
      save(o.out, last_good);
      note("saved the models as they were after epoch " + std::to_string(e.epoch - 1) + " to " +
           o.out);
    } else {
      note("nothing was saved (--keep-last-good saves the models before the diverging epoch)");
    }
    return kExitDiverged;
  } catch (const Interrupted& e) {
    progress.finish();
    note(std::string(e.what()) + "; the run is saved in " + checkpoint +
         " (continue it with: rbm train --resume " + checkpoint + " --out " + o.out + ")");
    return kExitInterrupted;
  }
  stamp_provenance(trained, config, training, engine);
  save(o.out, trained);
  if (o.eval_every > 0) monitor.write(o.curves.empty() ? stem_of(o.out) : o.curves, o.csv);
  print(o.common, {{"event", "saved"}, {"out", o.out}, {"seconds", seconds_since(start)}},
        format("saved %s (%.2f s)", o.out.c_str(), seconds_since(start)));
  return 0;
}

}  // namespace

Runner add_train(CLI::App& app) {
  auto o = std::make_shared<TrainCommand>();
  CLI::App* cmd = app.add_subcommand("train", "train RBM(s) with CD-k or PCD and save them");
  add_common(cmd, o->common);
  add_run_config_options(cmd, o->run);
  TrainCommand& t = *o;
  cmd->add_option("--out", t.out, "model file (safetensors)")->capture_default_str();
  cmd->add_option("--eval-every", t.eval_every,
                  "every N epochs: the log-likelihood (exact when affordable, else AIS: "
                  "--method), reconstruction error and the free-energy gap to --valid; written "
                  "as OUT.metrics.jsonl and drawn as OUT.loglik.png, OUT.recon.png");
  cmd->add_option("--valid", t.valid, "held-out dataset spec for --eval-every");
  cmd->add_option("--curves", t.curves, "prefix of the learning-curve files (default: OUT)");
  cmd->add_flag("--csv", t.csv, "also write the learning-curve numbers as CSV");
  t.likelihood.default_seconds = 10;
  add_likelihood_options(cmd, t.likelihood, LikelihoodFlags::training);
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
