// host/cli/pictures.cpp — the commands that draw: `rbm sample`, `rbm reconstruct`,
// `rbm denoise`, `rbm filters`, `rbm hidden-stats`. Each writes its picture (PNG) and the
// numbers behind it (PNG stem .jsonl, and .csv with --csv); image shapes come from the model's
// provenance (or the data), so nothing has to be told.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "host/cli/cli.hpp"

namespace rbm::cli {
namespace {

/// Options every picture command takes besides the common ones.
struct PictureOptions {
  CommonOptions common;
  std::string model, png;
  int index = 0, scale = 3;
  bool csv = false;
};

void add_picture_options(CLI::App* cmd, PictureOptions& o, const std::string& default_png) {
  add_common(cmd, o.common);
  cmd->add_option("--model", o.model, "model file")->required();
  cmd->add_option("--index", o.index, "which model of a multi-model file")->capture_default_str();
  o.png = default_png;
  cmd->add_option("--png", o.png, "picture file; the numbers go next to it (.jsonl)")
      ->capture_default_str();
  cmd->add_option("--scale", o.scale, "pixels per image pixel")->capture_default_str();
  cmd->add_flag("--csv", o.csv, "also write the numbers as CSV");
}

std::vector<float> as_floats(const Dataset& data) {
  return std::vector<float>(data.values.begin(), data.values.end());
}

/// The first `count` rows of a dataset (all when count is 0 or larger).
Dataset first_rows(const Dataset& data, int count) {
  return count > 0 ? head(data, static_cast<std::size_t>(count)) : data;
}

/// A hidden layer's means from its on-probabilities (spin: 2p − 1), the values
/// visible_probabilities expects.
std::vector<float> hidden_means(const Model& model, std::vector<float> p) {
  if (model.hidden_type == UnitType::spin)
    for (float& x : p) x = 2.0f * x - 1.0f;
  return p;
}

void done(const PictureOptions& o, const json& record, const std::string& what) {
  print(o.common, record, "wrote " + o.png + " (" + what + ") and " + stem_of(o.png) + ".jsonl");
}

// ---- rbm sample ------------------------------------------------------------------------------
struct SampleCommand : PictureOptions {
  SampleOptions sample;
  std::string init;
  int replicas = 1, label = -1;
  double min_beta = 0.1;
};

/// Class-conditional sampling (a model with label units): every chain's label units clamped to
/// the one-hot code of `label`, its pixels started from `options.init` or at random.
void clamp_label(const Model& model, int label, SampleOptions& options) {
  const std::vector<int> classes = label_classes(model);
  const auto k = std::find(classes.begin(), classes.end(), label) - classes.begin();
  if (classes.empty() || k == static_cast<long>(classes.size()))
    throw InvalidArgument("--class " + std::to_string(label) + ": the model has " +
                          (classes.empty() ? std::string("no label units (train it with "
                                                         "--labels-as-visible)")
                                           : "no such class"));
  const int D = model.n_visible, K = static_cast<int>(classes.size()), C = options.n_chains;
  Dataset init;
  init.n_visible = D;
  init.n_samples = C;
  std::mt19937_64 rng(options.seed);
  for (int c = 0; c < C; ++c)
    for (int i = 0; i < D; ++i)
      init.values.push_back(i >= D - K                   ? i == D - K + k
                            : options.init.n_samples > 0 ? options.init.at(c, i)
                                                         : static_cast<std::uint8_t>(rng() >> 63));
  options.init = init;
  options.clamped.assign(D, 0);
  std::fill(options.clamped.end() - K, options.clamped.end(), 1);
}

/// The first height·width units of every row, as floats: a picture's pixels (label units off).
std::vector<float> pixels_of(const Dataset& data, int pixels) {
  std::vector<float> out;
  for (std::size_t n = 0; n < data.n_samples; ++n)
    for (int i = 0; i < pixels; ++i) out.push_back(data.at(n, i));
  return out;
}

int run_sample(const SampleCommand& o) {
  const Model model = load_one_model(o.model, o.index);
  Engine engine = make_engine(o.common);
  SampleOptions options = o.sample;
  if (!o.init.empty()) options.init = first_rows(load_dataset(o.init), options.n_chains);
  if (o.label >= 0) clamp_label(model, o.label, options);
  std::vector<double> swap_rates;
  Dataset samples;
  if (o.replicas > 1) {
    TemperingLadder ladder;
    ladder.replicas = o.replicas;
    ladder.min_beta = o.min_beta;
    const TemperingResult result = engine.sample_tempered(model, options, ladder);
    samples = result.samples;
    swap_rates = result.swap_rates;
  } else {
    samples = engine.sample(model, options);
  }
  const auto [height, width] = image_shape(model);
  ImageGridOptions grid;
  grid.columns = options.samples_per_chain > 1 ? options.samples_per_chain : 0;
  grid.scale = o.scale;
  write_image_grid(o.png, pixels_of(samples, height * width), static_cast<int>(samples.n_samples),
                   height, width, grid);
  std::vector<json> rows;
  for (std::size_t n = 0; n < samples.n_samples; ++n) {
    std::string bits(samples.n_visible, '0');
    for (int i = 0; i < samples.n_visible; ++i) bits[i] = samples.at(n, i) ? '1' : '0';
    rows.push_back(
        {{"chain", n / options.samples_per_chain},
         {"sample", n % options.samples_per_chain},
         {"sweep", options.burn_in + (n % options.samples_per_chain + 1) * options.thinning},
         {"beta", options.beta},
         {"bits", bits}});
  }
  write_numbers(stem_of(o.png), rows, o.csv);
  json record = {
      {"event", "sample"}, {"png", o.png}, {"samples", samples.n_samples}, {"beta", options.beta}};
  if (o.replicas > 1) record["swap_rates"] = swap_rates;
  if (o.label >= 0) record["class"] = o.label;
  done(o, record,
       std::to_string(samples.n_samples) + " samples " +
           (o.replicas > 1 ? format("by parallel tempering over %d levels", o.replicas)
                           : format("at β = %g", options.beta)) +
           (o.label >= 0 ? format(", class %d", o.label) : ""));
  return 0;
}

// ---- rbm reconstruct -------------------------------------------------------------------------
struct ReconstructCommand : PictureOptions {
  std::string data;
  int count = 16;
};

int run_reconstruct(const ReconstructCommand& o) {
  const Model model = load_one_model(o.model, o.index);
  const Dataset data = first_rows(load_dataset(o.data), o.count);
  Engine engine = make_engine(o.common);
  const DataHandle handle = engine.upload(data);
  const std::vector<float> recon = engine.visible_probabilities(
      model, hidden_means(model, engine.hidden_probabilities(model, handle)));
  const int D = data.n_visible, n = static_cast<int>(data.n_samples);
  const int columns = std::min(n, 16);
  // Grid rows alternate: originals, then their reconstructions (mean-field p(v | E[h | v])).
  std::vector<float> images;
  std::vector<json> rows;
  for (int first = 0; first < n; first += columns) {
    const int count = std::min(columns, n - first);
    for (int k = 0; k < columns; ++k)
      for (int i = 0; i < D; ++i) images.push_back(k < count ? data.at(first + k, i) : 0.5f);
    for (int k = 0; k < columns; ++k)
      for (int i = 0; i < D; ++i)
        images.push_back(k < count ? recon[static_cast<std::size_t>(first + k) * D + i] : 0.5f);
    for (int k = 0; k < count; ++k) {
      double squared = 0;
      for (int i = 0; i < D; ++i) {
        const double v = data.at(first + k, i);
        const double p = recon[static_cast<std::size_t>(first + k) * D + i];
        squared += (v - p) * (v - p);
      }
      rows.push_back({{"row", first + k}, {"reconstruction_error", squared / D}});
    }
  }
  const auto [height, width] = image_shape(data);
  ImageGridOptions grid;
  grid.columns = columns;
  grid.group_rows = 2;
  grid.scale = o.scale;
  write_image_grid(o.png, images, static_cast<int>(images.size() / D), height, width, grid);
  write_numbers(stem_of(o.png), rows, o.csv);
  done(o, {{"event", "reconstruct"}, {"png", o.png}, {"rows", n}},
       "originals over their reconstructions");
  return 0;
}

// ---- rbm denoise -----------------------------------------------------------------------------
struct DenoiseCommand : PictureOptions {
  std::string data, flips = "0.1,0.3,0.5", plot, final_step = "mean";
  int steps = 5, count = 200, show = 8;
  std::uint64_t seed = 1;
};

std::vector<double> parse_list(const std::string& text, const char* option) {
  std::vector<double> values;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    try {
      values.push_back(std::stod(part));
    } catch (const std::exception&) {
      throw InvalidArgument(std::string(option) + ": '" + part + "' is not a number");
    }
  }
  return values;
}

int run_denoise(const DenoiseCommand& o) {
  const Model model = load_one_model(o.model, o.index);
  const Dataset clean = first_rows(load_dataset(o.data), o.count);
  if (o.steps < 1) throw InvalidArgument(format("--steps must be >= 1, got %d", o.steps));
  Engine engine = make_engine(o.common);
  const int D = clean.n_visible, n = static_cast<int>(clean.n_samples);
  const int shown = std::min(o.show, n);
  std::vector<float> triplets;  // per flip rate: rows of clean | corrupted | denoised
  std::vector<json> rows;
  Series error_series, corrupted_series;
  error_series.label = "after " + std::to_string(o.steps) + " Gibbs steps";
  corrupted_series.label = "corrupted input";
  error_series.markers = corrupted_series.markers = true;
  for (double p : parse_list(o.flips, "--flip")) {
    if (!(p >= 0 && p <= 1))
      throw InvalidArgument(format("--flip rates must be in [0, 1], got %g", p));
    Dataset corrupted = clean;
    std::mt19937_64 rng(o.seed);
    for (std::uint8_t& x : corrupted.values)
      if ((static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53 < p) x ^= 1;
    // `steps` Gibbs sweeps from the corrupted rows; with --final mean the last one is mean-field:
    // v = 1[p(v | E[h | v]) > 1/2], which removes the last sweep's sampling noise.
    SampleOptions options;
    options.n_chains = n;
    options.burn_in = o.steps - (o.final_step == "mean" ? 2 : 1);
    options.seed = o.seed;
    options.init = corrupted;
    Dataset denoised = options.burn_in >= 0 ? engine.sample(model, options) : corrupted;
    if (o.final_step == "mean") {
      const std::vector<float> p_on = engine.visible_probabilities(
          model, hidden_means(model, engine.hidden_probabilities(model, engine.upload(denoised))));
      for (std::size_t e = 0; e < denoised.values.size(); ++e)
        denoised.values[e] = p_on[e] > 0.5f ? 1 : 0;
    }
    double wrong = 0, wrong_before = 0;
    for (std::size_t e = 0; e < clean.values.size(); ++e) {
      wrong += denoised.values[e] != clean.values[e];
      wrong_before += corrupted.values[e] != clean.values[e];
    }
    const double total = static_cast<double>(clean.values.size());
    rows.push_back({{"flip", p},
                    {"steps", o.steps},
                    {"hamming_error", wrong / total},
                    {"corrupted_hamming_error", wrong_before / total},
                    {"rows", n}});
    error_series.x.push_back(p);
    error_series.y.push_back(wrong / total);
    corrupted_series.x.push_back(p);
    corrupted_series.y.push_back(wrong_before / total);
    const Dataset* triplet[] = {&clean, &corrupted, &denoised};
    for (int r = 0; r < shown; ++r)
      for (const Dataset* d : triplet)
        for (int i = 0; i < D; ++i) triplets.push_back(d->at(r, i));
    json record = rows.back();
    record["event"] = "denoise";
    print(o.common, record,
          format("flip %.2f: Hamming error %.4f after %d steps (corrupted %.4f)", p, wrong / total,
                 o.steps, wrong_before / total));
  }
  const auto [height, width] = image_shape(clean);
  ImageGridOptions grid;
  grid.columns = 3 * shown;
  grid.group_columns = 3;
  grid.scale = o.scale;
  write_image_grid(o.png, triplets, static_cast<int>(triplets.size() / D), height, width, grid);
  write_numbers(stem_of(o.png), rows, o.csv);
  if (plots_available()) {
    PlotOptions plot;
    plot.title = "denoising by Gibbs sampling";
    plot.x_label = "flip probability";
    plot.y_label = "Hamming error (fraction of pixels)";
    write_line_plot(o.plot.empty() ? stem_of(o.png) + ".plot.png" : o.plot,
                    {corrupted_series, error_series}, plot);
  } else {
    note("plots are not built (PLplot missing): wrote the numbers only");
  }
  done(o, {{"event", "denoise"}, {"png", o.png}}, "clean | corrupted | denoised per flip rate");
  return 0;
}

// ---- rbm filters -----------------------------------------------------------------------------
struct FiltersCommand : PictureOptions {
  std::string order_by;  ///< dataset spec: order filters by mean hidden activity on it
};

int run_filters(const FiltersCommand& o) {
  const Model model = load_one_model(o.model, o.index);
  const int D = model.n_visible, L = model.n_hidden;
  std::vector<int> order(L);
  for (int j = 0; j < L; ++j) order[j] = j;
  std::vector<double> activity(L, NAN);
  if (!o.order_by.empty()) {
    Engine engine = make_engine(o.common);
    const Dataset data = load_dataset(o.order_by);
    const std::vector<float> p = engine.hidden_probabilities(model, engine.upload(data));
    std::fill(activity.begin(), activity.end(), 0.0);
    for (std::size_t n = 0; n < data.n_samples; ++n)
      for (int j = 0; j < L; ++j) activity[j] += p[n * L + j] / static_cast<double>(data.n_samples);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return activity[a] > activity[b]; });
  }
  std::vector<float> filters;  // image-major, in display order
  std::vector<json> rows;
  for (int j : order) {
    double norm = 0;
    for (int i = 0; i < D; ++i) {
      filters.push_back(model.weight(i, j));
      norm += static_cast<double>(model.weight(i, j)) * model.weight(i, j);
    }
    json row = {{"hidden_unit", j},
                {"weight_norm", std::sqrt(norm)},
                {"hidden_bias", model.hidden_bias[j]}};
    if (!std::isnan(activity[j])) row["mean_activity"] = activity[j];
    rows.push_back(row);
  }
  const auto [height, width] = image_shape(model);
  ImageGridOptions grid;
  grid.pixel_scale = PixelScale::symmetric;  // 0 is mid-grey: excitatory light, inhibitory dark
  grid.scale = o.scale;
  write_image_grid(o.png, filters, L, height, width, grid);
  write_numbers(stem_of(o.png), rows, o.csv);
  done(o, {{"event", "filters"}, {"png", o.png}, {"filters", L}},
       std::to_string(L) + " filters" + (o.order_by.empty() ? "" : ", by mean activity"));
  return 0;
}

// ---- rbm hidden-stats ------------------------------------------------------------------------
struct HiddenStatsCommand : PictureOptions {
  std::string data, states_png;
  int top = 5;
};

/// The joint hidden state of a row: the most probable state of each unit ("0110...", or the
/// active unit's index for a one-hot layer, "off" when none).
std::string joint_state(const Model& model, const float* p) {
  const int L = model.n_hidden;
  if (model.hidden_type == UnitType::potts || model.hidden_type == UnitType::potts_off) {
    const int best = static_cast<int>(std::max_element(p, p + L) - p);
    double off = 1;
    for (int j = 0; j < L; ++j) off -= p[j];
    return model.hidden_type == UnitType::potts_off && off > p[best]
               ? "off"
               : "unit " + std::to_string(best);
  }
  std::string bits(L, '0');
  for (int j = 0; j < L; ++j) bits[j] = p[j] > 0.5f ? '1' : '0';
  return bits;
}

int run_hidden_stats(const HiddenStatsCommand& o) {
  const Model model = load_one_model(o.model, o.index);
  const Dataset data = load_dataset(o.data);
  if (data.labels.empty())
    throw InvalidArgument("hidden-stats needs labelled data; '" + o.data + "' has no labels");
  Engine engine = make_engine(o.common);
  const std::vector<float> p = engine.hidden_probabilities(model, engine.upload(data));
  const int L = model.n_hidden;
  std::map<int, std::vector<double>> frequency;  // label → mean p(h_j on)
  std::map<int, std::map<std::string, int>> states;
  std::map<int, int> counts;
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const int label = data.labels[n];
    auto& f = frequency[label];
    f.resize(L, 0.0);
    for (int j = 0; j < L; ++j) f[j] += p[n * L + j];
    ++states[label][joint_state(model, p.data() + n * L)];
    ++counts[label];
  }
  std::vector<double> matrix;
  std::vector<std::string> labels, units;
  std::vector<json> rows;
  for (auto& [label, f] : frequency) {
    labels.push_back(std::to_string(label));
    for (int j = 0; j < L; ++j) {
      f[j] /= counts[label];
      matrix.push_back(f[j]);
      rows.push_back({{"label", label}, {"hidden_unit", j}, {"activation_frequency", f[j]}});
    }
  }
  for (int j = 0; j < L; ++j) units.push_back(std::to_string(j));
  // The most frequent joint states over all labels, and their frequency within each label.
  std::map<std::string, int> overall;
  for (const auto& [label, by_state] : states)
    for (const auto& [state, count] : by_state) overall[state] += count;
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto& [state, count] : overall) ranked.push_back({-count, state});
  std::sort(ranked.begin(), ranked.end());
  if (static_cast<int>(ranked.size()) > o.top) ranked.resize(o.top);
  std::vector<std::string> categories, names;  // names: short enough for an axis
  std::vector<BarSeries> bars;
  for (const auto& [negative, state] : ranked) {
    categories.push_back(state);
    names.push_back(state.size() <= 16 ? state : "#" + std::to_string(names.size() + 1));
  }
  for (const auto& [label, by_state] : states) {
    BarSeries series;
    series.label = "label " + std::to_string(label);
    for (const std::string& state : categories) {
      const auto it = by_state.find(state);
      const double share = it == by_state.end() ? 0.0 : it->second / double(counts[label]);
      series.values.push_back(share);
      rows.push_back({{"label", label},
                      {"joint_state", state},
                      {"name", names[series.values.size() - 1]},
                      {"frequency", share}});
    }
    bars.push_back(series);
  }
  write_numbers(stem_of(o.png), rows, o.csv);
  if (!plots_available()) {
    note("plots are not built (PLplot missing): wrote the numbers only");
    return 0;
  }
  HeatmapOptions heat;
  heat.title = "hidden-unit activation frequency per label";
  heat.x_label = "hidden unit";
  heat.y_label = "label";
  heat.value_label = "mean p(h on | v)";
  heat.row_labels = labels;
  heat.column_labels = units;
  heat.value_min = 0;
  heat.value_max = 1;
  write_heatmap(o.png, matrix, static_cast<int>(labels.size()), L, heat);
  PlotOptions bar;
  bar.title = "most frequent joint hidden states";
  bar.x_label = "hidden state";
  bar.y_label = "fraction of the label's samples";
  const std::string states_png =
      o.states_png.empty() ? stem_of(o.png) + ".states.png" : o.states_png;
  write_bar_chart(states_png, names, bars, bar);
  done(o, {{"event", "hidden-stats"}, {"png", o.png}, {"states_png", states_png}},
       "activation frequencies; joint states in " + states_png);
  return 0;
}

}  // namespace

Runner add_sample(CLI::App& app) {
  auto o = std::make_shared<SampleCommand>();
  CLI::App* cmd = app.add_subcommand("sample", "block-Gibbs samples of a model, as a picture");
  add_picture_options(cmd, *o, "samples.png");
  SampleOptions& s = o->sample;
  cmd->add_option("--chains", s.n_chains, "independent chains")->capture_default_str();
  cmd->add_option("--burn-in", s.burn_in, "sweeps before the first kept sample")
      ->capture_default_str();
  cmd->add_option("--thinning", s.thinning, "sweeps between kept samples")->capture_default_str();
  cmd->add_option("--samples", s.samples_per_chain,
                  "samples per chain (> 1 draws each chain's trajectory as a row)")
      ->capture_default_str();
  cmd->add_option("--beta", s.beta,
                  "inverse temperature (20 = every parameter times 20: sharper samples)")
      ->capture_default_str();
  cmd->add_option("--seed", s.seed, "random seed")->capture_default_str();
  cmd->add_option("--init", o->init, "dataset spec whose first rows start the chains");
  cmd->add_option("--tempering", o->replicas,
                  "parallel tempering: levels per chain, β geometric from --min-beta to 1");
  cmd->add_option("--min-beta", o->min_beta, "tempering: the hottest level's β")
      ->capture_default_str();
  cmd->add_option("--class", o->label,
                  "a model with label units: clamp them to this class (class-conditional samples)");
  return [cmd, o] { return cmd->parsed() ? run_sample(*o) : -1; };
}

Runner add_reconstruct(CLI::App& app) {
  auto o = std::make_shared<ReconstructCommand>();
  CLI::App* cmd = app.add_subcommand("reconstruct", "data rows over their reconstructions");
  add_picture_options(cmd, *o, "reconstructions.png");
  cmd->add_option("--data", o->data, "dataset spec")->required();
  cmd->add_option("--count", o->count, "rows to reconstruct")->capture_default_str();
  return [cmd, o] { return cmd->parsed() ? run_reconstruct(*o) : -1; };
}

Runner add_denoise(CLI::App& app) {
  auto o = std::make_shared<DenoiseCommand>();
  CLI::App* cmd = app.add_subcommand(
      "denoise", "flip pixels, run Gibbs steps from the corrupted rows, report the Hamming error");
  add_picture_options(cmd, *o, "denoise.png");
  cmd->add_option("--data", o->data, "dataset spec")->required();
  cmd->add_option("--flip", o->flips, "flip probabilities P[,P...]")->capture_default_str();
  cmd->add_option("--steps", o->steps, "Gibbs steps")->capture_default_str();
  cmd->add_option("--final", o->final_step, "last step: mean (v = 1[p(v|E[h|v]) > 1/2]) or sample")
      ->check(CLI::IsMember({"mean", "sample"}))
      ->capture_default_str();
  cmd->add_option("--count", o->count, "rows to denoise")->capture_default_str();
  cmd->add_option("--show", o->show, "rows drawn per flip rate")->capture_default_str();
  cmd->add_option("--seed", o->seed, "random seed of the corruption and the chains")
      ->capture_default_str();
  cmd->add_option("--plot", o->plot, "Hamming error vs flip rate (default PNG stem .plot.png)");
  return [cmd, o] { return cmd->parsed() ? run_denoise(*o) : -1; };
}

Runner add_filters(CLI::App& app) {
  auto o = std::make_shared<FiltersCommand>();
  CLI::App* cmd = app.add_subcommand("filters", "each hidden unit's weights as an image");
  add_picture_options(cmd, *o, "filters.png");
  cmd->add_option("--order-by", o->order_by,
                  "dataset spec: order the filters by mean hidden activity on it");
  return [cmd, o] { return cmd->parsed() ? run_filters(*o) : -1; };
}

Runner add_hidden_stats(CLI::App& app) {
  auto o = std::make_shared<HiddenStatsCommand>();
  CLI::App* cmd = app.add_subcommand(
      "hidden-stats", "per-label hidden activation frequencies and most frequent joint states");
  add_picture_options(cmd, *o, "hidden-stats.png");
  cmd->add_option("--data", o->data, "labelled dataset spec")->required();
  cmd->add_option("--top", o->top, "joint states shown")->capture_default_str();
  cmd->add_option("--states-png", o->states_png, "bar chart of the joint states");
  return [cmd, o] { return cmd->parsed() ? run_hidden_stats(*o) : -1; };
}

}  // namespace rbm::cli
