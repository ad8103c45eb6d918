// host/cli/search.cpp — `rbm search`: random search over training configurations (learning
// rates, batch sizes, momenta, epochs, CD steps, optimizers), scored by exact log-likelihood on
// held-out data, with the best few re-trained over several seeds (mean ± std), written as a ranked
// table (text, JSON lines, CSV).
//
// Trials of one hidden size train in one Engine::train call (models that share unit types,
// optimizer, CD and batch schedules and epochs run batched; the rest run group after group).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>

#include "host/cli/cli.hpp"

namespace rbm::cli {
namespace {

/// An integer or real range "LOW:HIGH" (or one value).
struct Range {
  double low = 0, high = 0;
};
Range parse_range(const std::string& text, const char* option) {
  try {
    const auto colon = text.find(':');
    std::size_t used = 0;
    const double low = std::stod(text.substr(0, colon), &used);
    const double high = colon == std::string::npos ? low : std::stod(text.substr(colon + 1));
    if (low <= high) return {low, high};
  } catch (const std::exception&) {
  }
  throw InvalidArgument(std::string(option) + " '" + text + "' is not a range LOW:HIGH");
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

struct SearchCommand {
  CommonOptions common;
  std::string data, valid, jsonl, csv;
  double valid_fraction = 0.2;
  int trials = 50, top = 3, seeds = 5;
  LikelihoodCli likelihood;
  std::uint64_t seed = 1;
  std::string hidden = "3:10", cd = "1:5", epochs = "20", batch_start = "10:50",
              batch_end = "50:350", learning_rate = "0.001:0.1", weight_decay = "0:0.0001";
  std::string optimizers = "sgd,momentum,rmsprop,adam", visible_types = "bernoulli",
              hidden_types = "bernoulli";
};

/// Draws portable random numbers (std::mt19937_64 bits mapped by hand, not by the
/// implementation-defined distributions).
class Draw {
 public:
  explicit Draw(std::uint64_t seed) : rng_(seed) {}
  double uniform() { return (static_cast<double>(rng_() >> 11) + 0.5) * 0x1.0p-53; }
  int integer(const Range& r) {
    return static_cast<int>(std::floor(r.low + uniform() * (r.high - r.low + 1)));
  }
  /// Log-uniform when the range is positive and spans a factor of 10 or more, else uniform.
  double real(const Range& r) {
    if (r.low > 0 && r.high >= 10 * r.low) return r.low * std::pow(r.high / r.low, uniform());
    return r.low + uniform() * (r.high - r.low);
  }
  template <typename T>
  const T& pick(const std::vector<T>& options) {
    return options[std::min(options.size() - 1,
                            static_cast<std::size_t>(uniform() * options.size()))];
  }

 private:
  std::mt19937_64 rng_;
};

RunConfig draw_trial(const SearchCommand& o, Draw& draw) {
  RunConfig r;
  r.data = o.data;
  r.hidden = draw.integer(parse_range(o.hidden, "--hidden"));
  TrainConfig& c = r.train;
  c.visible_type = parse_unit_type(draw.pick(split(o.visible_types)));
  c.hidden_type = parse_unit_type(draw.pick(split(o.hidden_types)));
  c.optimizer = parse_optimizer(draw.pick(split(o.optimizers)));
  c.cd_steps = draw.integer(parse_range(o.cd, "--cd"));
  c.epochs = draw.integer(parse_range(o.epochs, "--epochs"));
  const int first = draw.integer(parse_range(o.batch_start, "--batch-start"));
  Range end = parse_range(o.batch_end, "--batch-end");
  end.low = std::max(end.low, static_cast<double>(first));
  end.high = std::max(end.high, end.low);
  const int last = draw.integer(end);
  c.batch_size = first == last ? Schedule(first) : Schedule::linear(first, last);
  c.learning_rate = draw.real(parse_range(o.learning_rate, "--lr"));
  c.weight_decay = static_cast<float>(draw.real(parse_range(o.weight_decay, "--weight-decay")));
  c.momentum = c.optimizer == Optimizer::momentum || c.optimizer == Optimizer::nesterov ? 0.5 : 0.0;
  c.seed = 1;
  return r;
}

/// Splits `data` into training and validation rows by a seeded permutation.
std::pair<Dataset, Dataset> split_data(const Dataset& data, double fraction, std::uint64_t seed) {
  std::vector<std::size_t> order(data.n_samples);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  for (std::size_t n = order.size(); n > 1; --n) std::swap(order[n - 1], order[rng() % n]);
  const std::size_t n_valid = static_cast<std::size_t>(std::llround(fraction * data.n_samples));
  if (n_valid == 0 || n_valid >= data.n_samples)
    throw InvalidArgument("--valid-fraction " + std::to_string(fraction) + " of " +
                          std::to_string(data.n_samples) + " samples leaves a split empty");
  Dataset parts[2];
  for (int p = 0; p < 2; ++p) {
    parts[p].n_visible = data.n_visible;
    parts[p].image_height = data.image_height;
    parts[p].image_width = data.image_width;
    parts[p].name = data.name + (p ? ":validation" : ":training");
  }
  for (std::size_t k = 0; k < order.size(); ++k) {
    Dataset& part = parts[k < n_valid ? 1 : 0];
    const std::size_t n = order[k];
    part.values.insert(part.values.end(), data.values.begin() + n * data.n_visible,
                       data.values.begin() + (n + 1) * data.n_visible);
    if (!data.labels.empty()) part.labels.push_back(data.labels[n]);
    ++part.n_samples;
  }
  return {parts[0], parts[1]};
}

struct Score {
  double train_ll = NAN, valid_ll = NAN;
  bool diverged = false;
};

/// Trains `runs` (any hidden sizes) — one Engine::train call per hidden size — and scores each
/// by its log-likelihood (exact where affordable, else AIS; the models of one size share one
/// enumeration or annealing run).
std::vector<Score> train_and_score(Engine& engine,
                                   const std::vector<RunConfig>& runs,
                                   const Dataset& train,
                                   const DataHandle& train_handle,
                                   const DataHandle& valid_handle,
                                   const LikelihoodOptions& likelihood) {
  std::vector<Score> scores(runs.size());
  std::map<int, std::vector<std::size_t>> by_hidden;
  for (std::size_t t = 0; t < runs.size(); ++t) by_hidden[runs[t].hidden].push_back(t);
  for (const auto& [hidden, members] : by_hidden) {
    std::vector<Model> models;
    std::vector<TrainConfig> configs;
    for (std::size_t t : members) {
      models.push_back(init_model(train, hidden, runs[t].train));
      configs.push_back(runs[t].train);
    }
    rbm::TrainOptions options;
    options.drop_diverged = true;
    options.on_epoch = [&](const std::vector<EpochMetrics>& metrics) {
      for (const EpochMetrics& m : metrics)
        if (m.diverged) scores[members[m.model]].diverged = true;
      return true;
    };
    const auto group_start = Clock::now();
    const std::vector<Model> trained = engine.train(models, configs, train_handle, options);
    note(format("search: trained %zu model(s) with L=%d in %.1f s", members.size(), hidden,
                seconds_since(group_start)));
    // Models of one shape and unit types share their log Z run.
    std::map<std::pair<UnitType, UnitType>, std::vector<std::size_t>> by_units;
    for (std::size_t k = 0; k < members.size(); ++k)
      if (!scores[members[k]].diverged)
        by_units[{trained[k].visible_type, trained[k].hidden_type}].push_back(k);
    for (const auto& [units, ks] : by_units) {
      std::vector<Model> group;
      for (std::size_t k : ks) group.push_back(trained[k]);
      const std::vector<LikelihoodEstimate> estimates =
          engine.log_likelihood(group, train_handle, likelihood);
      for (std::size_t g = 0; g < ks.size(); ++g) {
        Score& s = scores[members[ks[g]]];
        s.train_ll = estimates[g].mean_log_likelihood;
        s.valid_ll = engine.mean_log_likelihood(group[g], valid_handle, estimates[g].log_z);
      }
    }
  }
  return scores;
}

std::string short_description(const RunConfig& r) {
  const TrainConfig& c = r.train;
  return format("L=%-3d %-8s k=%-2s epochs=%-3d batch=%-16s lr=%-8.3g wd=%-8.2g %s/%s", r.hidden,
                to_string(c.optimizer), c.cd_steps.to_string().c_str(), c.epochs,
                c.batch_size.to_string().c_str(), c.learning_rate.first(), c.weight_decay,
                to_string(c.visible_type), to_string(c.hidden_type));
}

int run(const SearchCommand& o) {
  const auto start = Clock::now();
  const Dataset all = load_dataset(o.data);
  Dataset train = all, valid;
  if (o.valid.empty())
    std::tie(train, valid) = split_data(all, o.valid_fraction, o.seed);
  else
    valid = load_dataset(o.valid);
  Engine engine = make_engine(o.common);
  const LikelihoodOptions likelihood = o.likelihood.options();
  const DataHandle train_handle = engine.upload(train), valid_handle = engine.upload(valid);
  note(format("search: %d trials on '%s' (%zu training, %zu validation samples) on %s", o.trials,
              o.data.c_str(), train.n_samples, valid.n_samples, engine.device_name().c_str()));

  Draw draw(o.seed);
  std::vector<RunConfig> trials;
  for (int t = 0; t < o.trials; ++t) trials.push_back(draw_trial(o, draw));
  const std::vector<Score> scores =
      train_and_score(engine, trials, train, train_handle, valid_handle, likelihood);
  std::vector<std::size_t> ranked(trials.size());
  std::iota(ranked.begin(), ranked.end(), 0);
  auto key = [&](std::size_t t) {
    return std::isnan(scores[t].valid_ll) ? -INFINITY : scores[t].valid_ll;
  };
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&](std::size_t a, std::size_t b) { return key(a) > key(b); });

  // Cross-validation of the best: each re-trained with seeds seed+1 .. seed+N.
  const int top = std::min<int>(o.top, static_cast<int>(ranked.size()));
  std::vector<RunConfig> reruns;
  for (int r = 0; r < top; ++r)
    for (int s = 1; s <= o.seeds; ++s) {
      RunConfig run = trials[ranked[r]];
      run.train.seed = o.seed * 1000 + s;
      reruns.push_back(run);
    }
  const std::vector<Score> rerun_scores =
      train_and_score(engine, reruns, train, train_handle, valid_handle, likelihood);

  std::vector<json> rows;
  for (std::size_t rank = 0; rank < ranked.size(); ++rank) {
    const std::size_t t = ranked[rank];
    json row = {{"event", "trial"},
                {"rank", rank + 1},
                {"trial", t},
                {"train_ll", scores[t].train_ll},
                {"valid_ll", scores[t].valid_ll},
                {"diverged", scores[t].diverged},
                {"config", as_json(trials[t])}};
    if (static_cast<int>(rank) < top) {
      std::vector<double> lls;
      for (int s = 0; s < o.seeds; ++s) {
        const double ll = rerun_scores[rank * o.seeds + s].valid_ll;
        if (std::isfinite(ll)) lls.push_back(ll);
      }
      const double mean =
          lls.empty() ? NAN : std::accumulate(lls.begin(), lls.end(), 0.0) / lls.size();
      double var = 0;
      for (double ll : lls) var += (ll - mean) * (ll - mean);
      const double std_dev = lls.size() > 1 ? std::sqrt(var / (lls.size() - 1)) : NAN;
      row["seeds"] = lls.size();
      row["valid_ll_mean"] = mean;
      row["valid_ll_std"] = std_dev;
    }
    rows.push_back(row);
  }
  for (const json& row : rows) {
    const auto& t = trials[row["trial"].get<std::size_t>()];
    std::string text = format("%3zu  valid %9.3f  train %9.3f  %s", row["rank"].get<std::size_t>(),
                              row["valid_ll"].is_number() ? row["valid_ll"].get<double>() : NAN,
                              row["train_ll"].is_number() ? row["train_ll"].get<double>() : NAN,
                              short_description(t).c_str());
    if (row.contains("valid_ll_mean"))
      text += format("  | %d seeds: %.3f ± %.3f", row["seeds"].get<int>(),
                     row["valid_ll_mean"].get<double>(), row["valid_ll_std"].get<double>());
    if (row["diverged"].get<bool>()) text += "  (diverged)";
    print(o.common, row, text);
  }
  if (!o.jsonl.empty()) {
    std::string lines;
    for (const json& row : rows) lines += row.dump() + "\n";
    save_text(o.jsonl, lines, "search table");
  }
  if (!o.csv.empty()) {
    std::string csv =
        "rank,trial,valid_ll,train_ll,valid_ll_mean,valid_ll_std,hidden,optimizer,cd_steps,"
        "epochs,batch_size,learning_rate,weight_decay,visible_type,hidden_type,diverged\n";
    for (const json& row : rows) {
      const json& c = row["config"];
      auto num = [&](const char* key) {
        return row.contains(key) && row[key].is_number() ? format("%.6g", row[key].get<double>())
                                                         : std::string();
      };
      csv += format("%zu,%zu,", row["rank"].get<std::size_t>(), row["trial"].get<std::size_t>()) +
             num("valid_ll") + "," + num("train_ll") + "," + num("valid_ll_mean") + "," +
             num("valid_ll_std") + "," + std::to_string(c["hidden"].get<int>()) + "," +
             c["optimizer"].get<std::string>() + "," + c["cd_steps"].get<std::string>() + "," +
             std::to_string(c["epochs"].get<int>()) + "," + c["batch_size"].get<std::string>() +
             "," + c["learning_rate"].get<std::string>() + "," +
             format("%g", c["weight_decay"].get<double>()) + "," +
             c["visible_type"].get<std::string>() + "," + c["hidden_type"].get<std::string>() +
             "," + (row["diverged"].get<bool>() ? "1" : "0") + "\n";
    }
    save_text(o.csv, csv, "search table");
  }
  note(format("search done in %.1f s", seconds_since(start)));
  return 0;
}

}  // namespace

Runner add_search(CLI::App& app) {
  auto o = std::make_shared<SearchCommand>();
  CLI::App* cmd = app.add_subcommand(
      "search", "random search over training configurations, scored by exact log-likelihood");
  add_common(cmd, o->common);
  SearchCommand& s = *o;
  cmd->add_option("--data", s.data, "training data spec")->required();
  cmd->add_option("--valid", s.valid, "validation data spec (default: hold out a fraction)");
  cmd->add_option("--valid-fraction", s.valid_fraction, "held-out fraction of --data")
      ->capture_default_str();
  cmd->add_option("--trials", s.trials, "configurations drawn")->capture_default_str();
  cmd->add_option("--top", s.top, "best trials re-trained with several seeds")
      ->capture_default_str();
  cmd->add_option("--seeds", s.seeds, "seeds per re-trained trial")->capture_default_str();
  cmd->add_option("--seed", s.seed, "search seed")->capture_default_str();
  cmd->add_option("--hidden", s.hidden, "range of hidden units")->capture_default_str();
  cmd->add_option("--cd", s.cd, "range of CD steps")->capture_default_str();
  cmd->add_option("--epochs", s.epochs, "range of epochs")->capture_default_str();
  cmd->add_option("--batch-start", s.batch_start, "range of the first batch size")
      ->capture_default_str();
  cmd->add_option("--batch-end", s.batch_end, "range of the last batch size (linear ramp)")
      ->capture_default_str();
  cmd->add_option("--lr", s.learning_rate, "range of learning rates (log-uniform)")
      ->capture_default_str();
  cmd->add_option("--weight-decay", s.weight_decay, "range of L2 weight decay")
      ->capture_default_str();
  cmd->add_option("--optimizers", s.optimizers, "optimizers to draw from")->capture_default_str();
  cmd->add_option("--visible-types", s.visible_types, "visible unit types to draw from")
      ->capture_default_str();
  cmd->add_option("--hidden-types", s.hidden_types, "hidden unit types to draw from")
      ->capture_default_str();
  s.likelihood.default_seconds = 60;
  add_likelihood_options(cmd, s.likelihood, LikelihoodFlags::training);
  cmd->add_option("--jsonl", s.jsonl, "write the ranked table as JSON lines");
  cmd->add_option("--csv", s.csv, "write the ranked table as CSV");
  return [cmd, o] { return cmd->parsed() ? run(*o) : -1; };
}

}  // namespace rbm::cli
