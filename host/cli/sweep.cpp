// host/cli/sweep.cpp — `rbm sweep`: one training configuration over several hidden sizes and
// seeds (the seeds of one size train together, as one batch of models), scored by the
// log-likelihood (exact where affordable, else AIS) on the training and test data: mean ± std
// per size, as a table and a plot (log-likelihood against hidden units). Under mpirun the models
// are spread over the ranks (host/cli/ranks.hpp); the table is the same.
#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

#include "host/cli/cli.hpp"
#include "host/cli/ranks.hpp"

namespace rbm::cli {
namespace {

struct SweepCommand {
  CommonOptions common;
  RunConfigOptions run;
  std::string sizes = "2,4,6,8,10,12", test, png = "sweep.png";
  int seeds = 5;
  LikelihoodCli likelihood;
  bool csv = false;
};

std::vector<int> parse_sizes(const std::string& text) {
  std::vector<int> sizes;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    try {
      const auto colon = part.find(':');
      if (colon == std::string::npos) {
        sizes.push_back(std::stoi(part));
      } else {  // LOW:HIGH[:STEP]
        const int low = std::stoi(part.substr(0, colon));
        const std::string rest = part.substr(colon + 1);
        const auto second = rest.find(':');
        const int high = std::stoi(rest.substr(0, second));
        const int step = second == std::string::npos ? 1 : std::stoi(rest.substr(second + 1));
        if (step < 1) throw std::invalid_argument(part);
        for (int l = low; l <= high; l += step) sizes.push_back(l);
      }
    } catch (const std::exception&) {
      throw InvalidArgument("--sizes: '" + part + "' is not a size or LOW:HIGH[:STEP]");
    }
  }
  for (int l : sizes)
    if (l < 1)
      throw InvalidArgument("--sizes: hidden sizes must be >= 1, got " + std::to_string(l));
  return sizes;
}

struct Stats {
  double mean = NAN, std = NAN;
  std::size_t count = 0;
};
Stats stats(const std::vector<double>& values) {
  Stats s;
  std::vector<double> finite;
  for (double v : values)
    if (std::isfinite(v)) finite.push_back(v);
  s.count = finite.size();
  if (finite.empty()) return s;
  s.mean = std::accumulate(finite.begin(), finite.end(), 0.0) / finite.size();
  double squares = 0;
  for (double v : finite) squares += (v - s.mean) * (v - s.mean);
  s.std = finite.size() > 1 ? std::sqrt(squares / (finite.size() - 1)) : 0.0;
  return s;
}

/// One model of the sweep: its hidden size and seed (task t = size index · seeds + seed).
struct SeedResult {
  double train_ll = NAN, test_ll = NAN;
  bool diverged = false;
  double train_seconds = 0, eval_seconds = 0;  ///< its share of its group's training, scoring
  double log_z_error = 0;                      ///< AIS's standard error (0: exact)
  int method = -1;                             ///< LikelihoodMethod, or -1 (diverged: none)
  std::vector<double> row() const {
    return {train_ll,     test_ll,     diverged ? 1.0 : 0.0,       train_seconds,
            eval_seconds, log_z_error, static_cast<double>(method)};
  }
  static SeedResult of(const std::vector<double>& r) {
    return {r.at(0), r.at(1), r.at(2) != 0, r.at(3), r.at(4), r.at(5), static_cast<int>(r.at(6))};
  }
};

struct SweepData {
  Dataset train;
  DataHandle train_handle, test_handle;
  bool has_test = false;
};

/// Trains and scores tasks (ascending), the seeds of one size in one Engine::train call, as a
/// single process always does; progress(fraction of the tasks) after every epoch.
std::vector<SeedResult> run_tasks(const SweepCommand& o,
                                  const RunConfig& config,
                                  const std::vector<int>& sizes,
                                  Engine& engine,
                                  const SweepData& d,
                                  const std::vector<std::size_t>& tasks,
                                  const std::function<bool(double)>& progress) {
  std::vector<SeedResult> results(tasks.size());
  for (std::size_t first = 0; first < tasks.size();) {
    const std::size_t size_index = tasks[first] / o.seeds;
    std::size_t last = first;
    while (last < tasks.size() && tasks[last] / o.seeds == size_index) ++last;
    const int hidden = sizes[size_index];
    const auto group_start = Clock::now();
    std::vector<Model> models;
    std::vector<TrainConfig> configs;
    for (std::size_t k = first; k < last; ++k) {
      TrainConfig c = config.train;
      c.seed = config.train.seed + tasks[k] % o.seeds;
      configs.push_back(c);
      models.push_back(init_model(d.train, hidden, c));
    }
    rbm::TrainOptions options;
    options.drop_diverged = true;
    bool stopped = false;
    options.on_epoch = [&](const std::vector<EpochMetrics>& metrics) {
      for (const EpochMetrics& m : metrics)
        if (m.diverged) results[first + m.model].diverged = true;
      const double epochs = std::max(1, config.train.epochs);
      stopped = !progress((first + (last - first) * metrics.front().epoch / epochs) / tasks.size());
      return !stopped;
    };
    const std::vector<Model> trained = engine.train(models, configs, d.train_handle, options);
    if (ranks::interrupted()) throw Cancelled("interrupted (SIGINT or SIGTERM)");
    if (stopped) throw Cancelled("sweep stopped during training");
    const double train_share = seconds_since(group_start) / (last - first);
    std::vector<Model> healthy;
    std::vector<std::size_t> index;  // of each healthy model in `results`
    for (std::size_t k = first; k < last; ++k) {
      results[k].train_seconds = train_share;
      if (results[k].diverged) continue;
      healthy.push_back(trained[k - first]);
      index.push_back(k);
    }
    if (healthy.empty()) {
      first = last;
      continue;
    }
    // The healthy seeds of a size share one enumeration or annealing run.
    const auto eval_start = Clock::now();
    const std::vector<LikelihoodEstimate> estimates =
        engine.log_likelihood(healthy, d.train_handle, o.likelihood.options());
    for (std::size_t h = 0; h < healthy.size(); ++h) {
      SeedResult& r = results[index[h]];
      r.train_ll = estimates[h].mean_log_likelihood;
      r.log_z_error = estimates[h].log_z_error;
      r.method = static_cast<int>(estimates[h].method);
      if (d.has_test)
        r.test_ll = engine.mean_log_likelihood(healthy[h], d.test_handle, estimates[h].log_z);
    }
    for (std::size_t k : index) results[k].eval_seconds = seconds_since(eval_start) / index.size();
    first = last;
  }
  return results;
}

int run(const SweepCommand& o) {
  const auto start = Clock::now();
  RunConfig config = o.run.resolve();
  if (config.data.empty()) throw InvalidArgument("no data: give --data SPEC or a config file");
  if (o.seeds < 1) throw InvalidArgument(format("--seeds must be >= 1, got %d", o.seeds));
  const std::vector<int> sizes = parse_sizes(o.sizes);
  SweepData d;
  std::unique_ptr<Engine> engine;
  ranks::together([&] {
    d.train = load_dataset(config.data);
    engine = std::make_unique<Engine>(ranks::make_engine(o.common));
    d.train_handle = engine->upload(d.train);
    d.has_test = !o.test.empty();
    if (d.has_test) d.test_handle = engine->upload(load_dataset(o.test));
    // --method exact: refuse before any training when the largest size's log Z is beyond the
    // limits (auto falls back to AIS there).
    const LikelihoodOptions likelihood = o.likelihood.options();
    if (likelihood.method == LikelihoodMethod::exact) {
      Model largest =
          Model::zeros(d.train.n_visible, *std::max_element(sizes.begin(), sizes.end()));
      largest.visible_type = config.train.visible_type;
      largest.hidden_type = config.train.hidden_type;
      const LogZEstimate cost = engine->log_z_estimate(largest, likelihood.exact, o.seeds);
      if (!cost.allowed) throw InvalidArgument("--sizes: " + cost.refusal);
    }
  });
  // Under mpirun every model is a task of its own, spread over the ranks by cost; one process
  // trains size after size and prints each row as it is done.
  std::vector<SeedResult> spread;
  if (ranks::size() > 1) {
    std::vector<double> costs;
    for (int hidden : sizes)
      costs.insert(costs.end(), o.seeds, ranks::model_cost(config.train, d.train, hidden));
    for (const auto& row : ranks::map_tasks(costs, [&](const std::vector<std::size_t>&tasks,
                                                       const std::function<bool(double)>&progress) {
           std::vector<std::vector<double>> rows;
           for (const SeedResult& r : run_tasks(o, config, sizes, *engine, d, tasks, progress))
             rows.push_back(r.row());
           return rows;
         }))
      spread.push_back(SeedResult::of(row));
    if (!ranks::root()) return 0;
  }

  std::vector<json> rows;
  Series train_series, test_series;
  train_series.label = "training data";
  test_series.label = "test data";
  train_series.markers = test_series.markers = true;
  for (std::size_t size_index = 0; size_index < sizes.size(); ++size_index) {
    const int hidden = sizes[size_index];
    std::vector<SeedResult> seeds;
    if (ranks::size() > 1) {
      seeds.assign(spread.begin() + size_index * o.seeds,
                   spread.begin() + (size_index + 1) * o.seeds);
    } else {
      std::vector<std::size_t> tasks;
      for (int s = 0; s < o.seeds; ++s) tasks.push_back(size_index * o.seeds + s);
      seeds = run_tasks(o, config, sizes, *engine, d, tasks, [](double) { return true; });
    }
    std::vector<double> train_ll, test_ll;
    double train_seconds = 0, eval_seconds = 0, log_z_error_max = 0;
    int diverged = 0, method = -1;
    for (const SeedResult& r : seeds) {
      train_seconds += r.train_seconds;
      eval_seconds += r.eval_seconds;
      diverged += r.diverged;
      if (r.diverged) continue;
      if (method < 0) method = r.method;
      log_z_error_max = std::max(log_z_error_max, r.log_z_error);
      train_ll.push_back(r.train_ll);
      if (d.has_test) test_ll.push_back(r.test_ll);
    }
    const Stats tr = stats(train_ll), te = stats(test_ll);
    json row = {
        {"event", "size"},
        {"hidden", hidden},
        {"seeds", o.seeds},
        {"train_ll_mean", tr.mean},
        {"train_ll_std", tr.std},
        {"train_seconds", train_seconds},
        {"eval_seconds", eval_seconds},
        {"ll_method", method < 0 ? "none" : to_string(static_cast<LikelihoodMethod>(method))},
        {"log_z_error_max", log_z_error_max},
        {"diverged", diverged}};
    if (d.has_test) {
      row["test_ll_mean"] = te.mean;
      row["test_ll_std"] = te.std;
    }
    rows.push_back(row);
    if (tr.count) {
      train_series.x.push_back(hidden);
      train_series.y.push_back(tr.mean);
      train_series.y_error.push_back(tr.std);
    }
    if (te.count) {
      test_series.x.push_back(hidden);
      test_series.y.push_back(te.mean);
      test_series.y_error.push_back(te.std);
    }
    print(o.common, row,
          format("L = %3d: train %.3f ± %.3f%s  (%d seeds, training %.1f s, log Z and "
                 "likelihoods %.1f s)",
                 hidden, tr.mean, tr.std,
                 d.has_test ? format("  test %.3f ± %.3f", te.mean, te.std).c_str() : "", o.seeds,
                 train_seconds, eval_seconds));
  }
  write_numbers(stem_of(o.png), rows, o.csv);
  if (plots_available()) {
    std::vector<Series> series{train_series};
    if (!test_series.x.empty()) series.push_back(test_series);
    PlotOptions plot;
    plot.title =
        "log-likelihood vs hidden units (mean ± std over " + std::to_string(o.seeds) + " seeds)";
    plot.x_label = "hidden units L";
    plot.y_label = "mean log-likelihood (nats)";
    write_line_plot(o.png, series, plot);
  } else {
    note("plots are not built (PLplot missing): wrote the numbers only");
  }
  note(format("sweep done in %.1f s%s", seconds_since(start),
              ranks::size() > 1 ? format(" on %d ranks", ranks::size()).c_str() : ""));
  return 0;
}

}  // namespace

Runner add_sweep(CLI::App& app) {
  auto o = std::make_shared<SweepCommand>();
  CLI::App* cmd = app.add_subcommand(
      "sweep",
      "train over hidden sizes × seeds; log-likelihood (exact, or AIS) mean ± std per size");
  add_common(cmd, o->common);
  add_run_config_options(cmd, o->run);
  cmd->add_option("--sizes", o->sizes, "hidden sizes: 2,4,8 or LOW:HIGH[:STEP]")
      ->capture_default_str();
  cmd->add_option("--seeds", o->seeds, "seeds per size (trained together)")->capture_default_str();
  cmd->add_option("--test", o->test, "test dataset spec");
  cmd->add_option("--png", o->png, "plot; the numbers go next to it (.jsonl)")
      ->capture_default_str();
  cmd->add_flag("--csv", o->csv, "also write the numbers as CSV");
  add_likelihood_options(cmd, o->likelihood, LikelihoodFlags::training);
  ranks::add_options(cmd);
  return [cmd, o] { return cmd->parsed() ? run(*o) : -1; };
}

}  // namespace rbm::cli
