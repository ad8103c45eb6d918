// host/cli/sweep.cpp — `rbm sweep`: one training configuration over several hidden sizes and
// seeds (the seeds of one size train together, as one batch of models), scored by the
// log-likelihood (exact where affordable, else AIS) on the training and test data: mean ± std
// per size, as a table and a plot (log-likelihood against hidden units).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "host/cli/cli.hpp"

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

int run(const SweepCommand& o) {
  const auto start = Clock::now();
  RunConfig config = o.run.resolve();
  if (config.data.empty()) throw InvalidArgument("no data: give --data SPEC or a config file");
  if (o.seeds < 1) throw InvalidArgument(format("--seeds must be >= 1, got %d", o.seeds));
  const std::vector<int> sizes = parse_sizes(o.sizes);
  const Dataset train = load_dataset(config.data);
  Engine engine = make_engine(o.common);
  const DataHandle train_handle = engine.upload(train);
  DataHandle test_handle;
  if (!o.test.empty()) test_handle = engine.upload(load_dataset(o.test));
  // --method exact: refuse before any training when the largest size's log Z is beyond the
  // limits (auto falls back to AIS there).
  const LikelihoodOptions likelihood = o.likelihood.options();
  if (likelihood.method == LikelihoodMethod::exact) {
    Model largest = Model::zeros(train.n_visible, *std::max_element(sizes.begin(), sizes.end()));
    largest.visible_type = config.train.visible_type;
    largest.hidden_type = config.train.hidden_type;
    const LogZEstimate cost = engine.log_z_estimate(largest, likelihood.exact, o.seeds);
    if (!cost.allowed) throw InvalidArgument("--sizes: " + cost.refusal);
  }
  std::vector<json> rows;
  Series train_series, test_series;
  train_series.label = "training data";
  test_series.label = "test data";
  train_series.markers = test_series.markers = true;
  for (int hidden : sizes) {
    const auto size_start = Clock::now();
    std::vector<Model> models;
    std::vector<TrainConfig> configs;
    for (int s = 0; s < o.seeds; ++s) {
      TrainConfig c = config.train;
      c.seed = config.train.seed + s;
      configs.push_back(c);
      models.push_back(init_model(train, hidden, c));
    }
    rbm::TrainOptions options;
    options.drop_diverged = true;
    std::vector<bool> diverged(o.seeds, false);
    options.on_epoch = [&](const std::vector<EpochMetrics>& metrics) {
      for (const EpochMetrics& m : metrics)
        if (m.diverged) diverged[m.model] = true;
      return true;
    };
    const std::vector<Model> trained = engine.train(models, configs, train_handle, options);
    const double train_seconds = seconds_since(size_start);
    std::vector<double> train_ll, test_ll, log_z_errors;
    const auto eval_start = Clock::now();
    std::vector<Model> healthy;
    for (int s = 0; s < o.seeds; ++s)
      if (!diverged[s]) healthy.push_back(trained[s]);
    // The seeds of one size share one enumeration or annealing run.
    const std::vector<LikelihoodEstimate> estimates =
        healthy.empty() ? std::vector<LikelihoodEstimate>()
                        : engine.log_likelihood(healthy, train_handle, likelihood);
    for (std::size_t s = 0; s < healthy.size(); ++s) {
      train_ll.push_back(estimates[s].mean_log_likelihood);
      log_z_errors.push_back(estimates[s].log_z_error);
      if (!o.test.empty())
        test_ll.push_back(engine.mean_log_likelihood(healthy[s], test_handle, estimates[s].log_z));
    }
    const Stats tr = stats(train_ll), te = stats(test_ll);
    json row = {
        {"event", "size"},
        {"hidden", hidden},
        {"seeds", o.seeds},
        {"train_ll_mean", tr.mean},
        {"train_ll_std", tr.std},
        {"train_seconds", train_seconds},
        {"eval_seconds", seconds_since(eval_start)},
        {"ll_method", estimates.empty() ? "none" : rbm::to_string(estimates[0].method)},
        {"log_z_error_max",
         log_z_errors.empty() ? 0.0 : *std::max_element(log_z_errors.begin(), log_z_errors.end())},
        {"diverged", static_cast<int>(std::count(diverged.begin(), diverged.end(), true))}};
    if (!o.test.empty()) {
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
                 o.test.empty() ? "" : format("  test %.3f ± %.3f", te.mean, te.std).c_str(),
                 o.seeds, train_seconds, row["eval_seconds"].get<double>()));
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
  note(format("sweep done in %.1f s", seconds_since(start)));
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
  return [cmd, o] { return cmd->parsed() ? run(*o) : -1; };
}

}  // namespace rbm::cli
