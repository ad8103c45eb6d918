// host/cli/dbn.cpp — `rbm dbn train|sample|transform|eval`: deep belief nets, every RBM layer on
// the chosen backend (rbm::Engine). Each layer takes every training option of `rbm train`: the
// options given on the command line (and --config FILE) apply to all layers, and each --layer
// adds its own keys over them.
#include <cmath>
#include <fstream>
#include <set>

#include "host/cli/cli.hpp"

namespace rbm::cli {
namespace {

constexpr const char* kInputKey = "input";
constexpr const char* kInitKey = "init_from_below";

/// A --layer value as JSON: an integer is {"hidden": N}, text starting with '{' is JSON, anything
/// else names a JSON file.
json layer_json(const std::string& text) {
  try {
    std::size_t used = 0;
    const int hidden = std::stoi(text, &used);
    if (used == text.size()) return {{"hidden", hidden}};
  } catch (const std::exception&) {
  }
  json j;
  try {
    if (!text.empty() && text.front() == '{') {
      j = json::parse(text);
    } else {
      std::ifstream in(text);
      if (!in)
        throw IoError("--layer '" + text +
                      "' is neither a hidden count, JSON, nor a readable file");
      j = json::parse(in);
    }
  } catch (const json::exception& e) {
    throw InvalidArgument("--layer '" + text + "' is not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw InvalidArgument("--layer '" + text + "' must be a JSON object");
  for (const char* key : {"data", "models"})
    if (j.contains(key))
      throw InvalidArgument("--layer '" + text + "': '" + key + "' is not a layer key");
  return j;
}

// ---- rbm dbn train ---------------------------------------------------------------------------
struct TrainCommand {
  CommonOptions common;
  RunConfigOptions run;
  std::vector<std::string> layers;
  std::string input = "samples", out = "dbn.safetensors";
  int max_log2_states = 24;
  bool quiet = false;
};

/// Each layer's recipe: the shared configuration, then the layer's own keys.
std::vector<DbnLayerRecipe> layer_recipes(const TrainCommand& o, std::vector<json>& described) {
  if (o.layers.empty())
    throw InvalidArgument("give the layers: --layer 16 --layer '{\"hidden\": 8, ...}'");
  std::vector<DbnLayerRecipe> recipes;
  const json shared = o.run.merged();
  for (const std::string& text : o.layers) {
    json j = shared;
    const json own = layer_json(text);
    for (const auto& [key, value] : own.items()) j[key] = value;
    DbnLayerRecipe recipe;
    recipe.input = DbnInput::parse(j.value(kInputKey, o.input));
    if (j.contains(kInitKey)) {
      if (!j.at(kInitKey).is_boolean())
        throw InvalidArgument(std::string("'") + kInitKey + "' must be true or false");
      recipe.init_from_below = j.at(kInitKey).get<bool>();
    }
    j.erase(kInputKey);
    j.erase(kInitKey);
    const RunConfig config = run_config_from_json(j.dump());
    if (config.models != 1) throw InvalidArgument("a DBN layer is one model (--models 1)");
    recipe.n_hidden = config.hidden;
    recipe.config = config.train;
    validate(recipe.config);
    json d = json::parse(rbm::to_json(config));
    d.erase("models");
    d.erase("data");
    d[kInputKey] = recipe.input.to_string();
    d[kInitKey] = recipe.init_from_below;
    described.push_back(d);
    recipes.push_back(recipe);
  }
  return recipes;
}

int run_train(TrainCommand& o) {
  const auto start = Clock::now();
  const json shared = o.run.merged();
  const std::string spec = shared.value("data", std::string());
  if (spec.empty()) throw InvalidArgument("no data: give --data SPEC or a config file");
  std::vector<json> described;
  const std::vector<DbnLayerRecipe> recipes = layer_recipes(o, described);
  const Dataset data = load_dataset(spec);
  Engine engine = make_engine(o.common);
  print(o.common,
        {{"event", "start"},
         {"data", spec},
         {"layers", described},
         {"backend", rbm::to_string(engine.kind())}},
        format("training a %zu-layer DBN on '%s' (%zu samples) on %s", recipes.size(), spec.c_str(),
               data.n_samples, engine.device_name().c_str()));
  DbnTrainOptions options;
  auto layer_start = Clock::now();
  options.layer_options = [&](int) {
    layer_start = Clock::now();
    return TrainOptions{};
  };
  options.on_layer = [&](int k, const Model& layer, const Dataset& input) {
    json record = {{"event", "layer"},
                   {"layer", k},
                   {"n_visible", layer.n_visible},
                   {"n_hidden", layer.n_hidden},
                   {"input_rows", input.n_samples},
                   {"seconds", seconds_since(layer_start)}};
    std::string ll_text;
    LogZOptions log_z;
    log_z.max_log2_states = o.max_log2_states;
    if (engine.can_enumerate(layer, log_z)) {
      const double ll =
          engine.mean_log_likelihood(layer, engine.upload(input), engine.log_z(layer, log_z).log_z);
      record["input_log_likelihood"] = ll;
      ll_text = format(", exact log-likelihood of its input %.4f", ll);
    }
    if (!o.quiet || o.common.json_output)
      print(o.common, record,
            format("layer %d: %dx%d on %zu rows (%.2f s)%s", k, layer.n_visible, layer.n_hidden,
                   input.n_samples, seconds_since(layer_start), ll_text.c_str()));
  };
  DeepBeliefNet net = train_dbn(engine, data, recipes, options);
  const auto [height, width] = image_shape(data);
  net.provenance = json{
      {"data", spec},
      {"image_height", height},
      {"image_width", width},
      {"layers", described},
      {"backend", rbm::to_string(engine.kind())},
      {"device", engine.device_name()},
      {"rbm_version",
       version()}}.dump();
  save_dbn(o.out, net);
  print(o.common, {{"event", "saved"}, {"out", o.out}, {"seconds", seconds_since(start)}},
        format("saved %s (%.2f s)", o.out.c_str(), seconds_since(start)));
  return 0;
}

// ---- rbm dbn sample --------------------------------------------------------------------------
struct SampleCommand {
  CommonOptions common;
  std::string model, png = "dbn_samples.png", match;
  DbnSampleOptions sample;
  int scale = 3, show = 0;
  bool mean = false, csv = false;
};

int run_sample(SampleCommand& o) {
  const DeepBeliefNet net = load_dbn(o.model);
  Engine engine = make_engine(o.common);
  const DbnSamples samples = dbn_sample(engine, net, o.sample);
  const Dataset& v = samples.visible;
  const auto [height, width] = image_shape(net.layers.front());
  ImageGridOptions grid;
  grid.scale = o.scale;
  const std::size_t shown = o.show > 0 ? std::min<std::size_t>(o.show, v.n_samples) : v.n_samples;
  const std::size_t pixels = shown * v.n_visible;
  write_image_grid(o.png,
                   o.mean ? std::vector<float>(samples.visible_means.begin(),
                                               samples.visible_means.begin() + pixels)
                          : std::vector<float>(v.values.begin(), v.values.begin() + pixels),
                   static_cast<int>(shown), height, width, grid);
  std::set<std::vector<std::uint8_t>> patterns;
  if (!o.match.empty()) {
    const Dataset reference = load_dataset(o.match);
    if (reference.n_visible != v.n_visible)
      throw InvalidArgument("--match '" + o.match + "' has " + std::to_string(reference.n_visible) +
                            " columns, the samples " + std::to_string(v.n_visible));
    for (std::size_t n = 0; n < reference.n_samples; ++n)
      patterns.emplace(reference.values.begin() + n * v.n_visible,
                       reference.values.begin() + (n + 1) * v.n_visible);
  }
  std::vector<json> rows;
  std::size_t matches = 0;
  for (std::size_t n = 0; n < v.n_samples; ++n) {
    const std::vector<std::uint8_t> bits(v.values.begin() + n * v.n_visible,
                                         v.values.begin() + (n + 1) * v.n_visible);
    std::string text(v.n_visible, '0');
    for (int i = 0; i < v.n_visible; ++i) text[i] = bits[i] ? '1' : '0';
    json row = {{"chain", n}, {"bits", text}};
    if (!o.match.empty()) {
      const bool found = patterns.count(bits) > 0;
      matches += found;
      row["matches"] = found;
    }
    rows.push_back(row);
  }
  write_numbers(stem_of(o.png), rows, o.csv);
  const int n_layers =
      o.sample.n_layers == 0 ? static_cast<int>(net.layers.size()) : o.sample.n_layers;
  json record = {
      {"event", "sample"}, {"png", o.png}, {"samples", v.n_samples}, {"layers", n_layers}};
  std::string text = format("wrote %s and %s.jsonl: %zu samples from %d layer(s)", o.png.c_str(),
                            stem_of(o.png).c_str(), v.n_samples, n_layers);
  if (!o.match.empty()) {
    // A binomial proportion's standard error √(p(1 − p)/n) (the chains are independent).
    const double n = static_cast<double>(v.n_samples), p = static_cast<double>(matches) / n;
    const double se = std::sqrt(p * (1 - p) / n);
    record.update(
        {{"match", o.match}, {"matches", matches}, {"fraction", p}, {"standard_error", se}});
    text += format("; %zu of %zu are rows of %s: %.4f ± %.4f", matches, v.n_samples,
                   o.match.c_str(), p, se);
  }
  print(o.common, record, text);
  return 0;
}

// ---- rbm dbn transform -----------------------------------------------------------------------
struct TransformCommand {
  CommonOptions common;
  std::string model, data, out = "features.safetensors";
  int layer = 1;
  bool sample = false;
  std::uint64_t seed = 1;
};

int run_transform(const TransformCommand& o) {
  const DeepBeliefNet net = load_dbn(o.model);
  const Dataset data = load_dataset(o.data);
  Engine engine = make_engine(o.common);
  const std::vector<float> features = dbn_transform(engine, net, data, o.layer, o.sample, o.seed);
  const int width = net.layers.at(o.layer - 1).n_hidden;
  const std::size_t N = data.n_samples;
  // The layout of `rbm transform`: CSV rows of the features then the label, or tensors.
  if (stem_of(o.out) + ".csv" == o.out) {
    std::string text;
    for (std::size_t n = 0; n < N; ++n) {
      for (int j = 0; j < width; ++j) text += format(j ? ",%.9g" : "%.9g", features[n * width + j]);
      text += data.labels.empty() ? "\n" : format(",%d\n", data.labels[n]);
    }
    save_text(o.out, text, "features");
  } else {
    std::vector<Tensor> tensors = {{"features", {static_cast<std::int64_t>(N), width}, features}};
    if (!data.labels.empty())
      tensors.push_back({"labels",
                         {static_cast<std::int64_t>(N)},
                         std::vector<float>(data.labels.begin(), data.labels.end())});
    save_tensors(o.out, tensors,
                 {{"format", "rbm-features"},
                  {"model", o.model},
                  {"data", o.data},
                  {"layer", std::to_string(o.layer)},
                  {"features", o.sample ? "samples of h" : "mean-field p(h on | below)"}});
  }
  print(o.common,
        {{"event", "transform"},
         {"out", o.out},
         {"rows", data.n_samples},
         {"width", width},
         {"layer", o.layer}},
        format("wrote %s: %zu rows x %d features of hidden layer %d (%s)", o.out.c_str(),
               data.n_samples, width, o.layer, o.sample ? "sampled" : "mean-field"));
  return 0;
}

// ---- rbm dbn eval ----------------------------------------------------------------------------
struct EvalCommand {
  CommonOptions common;
  std::string model, data;
  DbnBoundOptions bound;
};

int run_eval(EvalCommand& o) {
  const auto start = Clock::now();
  const DeepBeliefNet net = load_dbn(o.model);
  const Dataset data = load_dataset(o.data);
  Engine engine = make_engine(o.common);
  const DbnBound b = dbn_log_likelihood_bound(engine, net, data, o.bound);
  auto number = [](double x) { return std::isnan(x) ? json(nullptr) : json(x); };
  const json record = {{"data", o.data},
                       {"n_samples", data.n_samples},
                       {"layers", net.layers.size()},
                       {"bound", b.bound},
                       {"standard_error", b.standard_error},
                       {"samples_per_row", b.samples_per_row},
                       {"log_z_top", b.log_z_top},
                       {"log_z_top_method", rbm::to_string(b.log_z_top_method)},
                       {"log_z_top_standard_error", b.log_z_top_standard_error},
                       {"first_layer_log_likelihood", number(b.first_layer_log_likelihood)},
                       {"exact_log_likelihood", number(b.exact_log_likelihood)},
                       {"backend", rbm::to_string(engine.kind())},
                       {"seconds", seconds_since(start)}};
  std::string text =
      b.samples_per_row > 0
          ? format("variational lower bound %.6f ± %.6f nats (%d samples of h per row)", b.bound,
                   b.standard_error, b.samples_per_row)
          : format("variational lower bound %.6f nats (summed over every h)", b.bound);
  if (b.log_z_top_method == LikelihoodMethod::ais)
    text += format("; log Z of the top RBM by AIS %.6f ± %.6f", b.log_z_top,
                   b.log_z_top_standard_error);
  if (!std::isnan(b.exact_log_likelihood))
    text += format("; the DBN's %s log-likelihood %.6f",
                   b.log_z_top_method == LikelihoodMethod::ais ? "AIS-based" : "exact",
                   b.exact_log_likelihood);
  if (!std::isnan(b.first_layer_log_likelihood))
    text +=
        format("; the first RBM alone: exact log-likelihood %.6f", b.first_layer_log_likelihood);
  print(o.common, record, text + format("  (%.2f s)", seconds_since(start)));
  return 0;
}

}  // namespace

Runner add_dbn(CLI::App& app) {
  CLI::App* dbn = app.add_subcommand("dbn", "deep belief nets: train, sample, transform, eval");
  dbn->require_subcommand(1);

  auto t = std::make_shared<TrainCommand>();
  CLI::App* train = dbn->add_subcommand("train",
                                        "greedy layer-wise training; options of `rbm train` apply "
                                        "to every layer, --layer adds its own");
  add_common(train, t->common);
  add_run_config_options(train, t->run);
  train
      ->add_option("--layer", t->layers,
                   "a layer, bottom first (repeat): a hidden count, or JSON keys of `rbm train "
                   "--config` plus "
                   "\"input\" (text or a file), e.g. '{\"hidden\": 8, \"epochs\": 200, \"input\": "
                   "\"samples:4\"}'")
      ->required();
  train
      ->add_option(
          "--input", t->input,
          "how layers above the first get their data: samples | samples:R (R draws of h per row) | "
          "rounded (1[p > 1/2]); a layer's \"input\" key overrides it")
      ->capture_default_str();
  train->add_option("--out", t->out, "DBN file (safetensors)")->capture_default_str();
  train
      ->add_option("--max-log2-states", t->max_log2_states,
                   "report each layer's exact log-likelihood of its input up to 2^N states")
      ->capture_default_str();
  train->add_flag("--quiet", t->quiet, "no progress output");

  auto s = std::make_shared<SampleCommand>();
  CLI::App* sample = dbn->add_subcommand(
      "sample", "generate: Gibbs in the top RBM, then one downward pass per layer");
  add_common(sample, s->common);
  sample->add_option("--model", s->model, "DBN file")->required();
  sample->add_option("--layers", s->sample.n_layers,
                     "generate from the first K layers only (1: the first RBM alone)");
  sample->add_option("--chains", s->sample.top.n_chains, "samples (independent top chains)")
      ->capture_default_str();
  sample->add_option("--burn-in", s->sample.top.burn_in, "Gibbs sweeps in the top RBM")
      ->capture_default_str();
  sample->add_option("--beta", s->sample.top.beta, "inverse temperature of the top RBM's chains")
      ->capture_default_str();
  sample->add_option("--seed", s->sample.top.seed, "random seed")->capture_default_str();
  sample->add_flag("--mean", s->mean, "draw p(v | h) at the bottom instead of the sampled bits");
  sample->add_option("--match", s->match,
                     "dataset spec: count the samples that are one of its rows (± binomial SE)");
  sample->add_option("--png", s->png, "picture; the numbers go next to it (.jsonl)")
      ->capture_default_str();
  sample->add_option("--scale", s->scale, "pixels per image pixel")->capture_default_str();
  sample->add_option("--show", s->show, "draw only the first N samples (0 = all)")
      ->capture_default_str();
  sample->add_flag("--csv", s->csv, "also write the numbers as CSV");

  auto x = std::make_shared<TransformCommand>();
  CLI::App* transform = dbn->add_subcommand("transform", "up-pass features of a hidden layer");
  add_common(transform, x->common);
  transform->add_option("--model", x->model, "DBN file")->required();
  transform->add_option("--data", x->data, "dataset spec")->required();
  transform->add_option("--layer", x->layer, "hidden layer K (1 = the first RBM's hidden units)")
      ->capture_default_str();
  transform->add_flag("--samples", x->sample,
                      "binary draws at every layer instead of mean-field probabilities");
  transform->add_option("--seed", x->seed, "random seed of --samples")->capture_default_str();
  transform
      ->add_option("--out", x->out,
                   "FILE.safetensors (tensor 'features' [N, L], 'labels') or FILE.csv")
      ->capture_default_str();

  auto e = std::make_shared<EvalCommand>();
  CLI::App* eval = dbn->add_subcommand("eval",
                                       "variational lower bound on a two-layer DBN's "
                                       "log-likelihood, beside the first RBM's exact one");
  add_common(eval, e->common);
  eval->add_option("--model", e->model, "DBN file")->required();
  eval->add_option("--data", e->data, "dataset spec")->required();
  eval->add_option("--samples", e->bound.samples, "samples of h ~ q(h|v) per row")
      ->capture_default_str();
  eval->add_option("--seed", e->bound.seed, "random seed")->capture_default_str();
  eval->add_flag(
      "--exact", e->bound.exact_expectation,
      "sum over every h instead of sampling (first hidden layer <= 20 units); also gives the DBN's "
      "exact log-likelihood");
  eval->add_option_function<double>(
          "--max-seconds", [&bound = e->bound](double s) { bound.log_z.max_seconds = s; },
          format("exact log Z: at most what is estimated to take S seconds (default %g when no "
                 "limit is given)",
                 kDefaultLogZSeconds))
      ->check(CLI::PositiveNumber);
  eval->add_option_function<int>(
          "--max-log2-states", [&bound = e->bound](int n) { bound.log_z.max_log2_states = n; },
          "exact log Z: at most 2^N states (given alone, it replaces the time limit)")
      ->check(CLI::Range(1, 62));
  eval->add_option_function<std::string>(
          "--top-log-z",
          [&bound = e->bound](const std::string& m) {
            bound.top_log_z = parse_likelihood_method(m);
          },
          "log Z of the top RBM: auto (exact within the limits, else AIS) | exact | ais")
      ->check(CLI::IsMember({"auto", "exact", "ais"}));
  eval->add_option("--ais-betas", e->bound.ais.n_betas, "AIS intermediate distributions")
      ->capture_default_str();
  eval->add_option("--ais-chains", e->bound.ais.n_chains, "AIS chains")->capture_default_str();

  return [dbn, train, sample, transform, eval, t, s, x, e] {
    if (!dbn->parsed()) return -1;
    if (train->parsed()) return run_train(*t);
    if (sample->parsed()) return run_sample(*s);
    if (transform->parsed()) return run_transform(*x);
    return run_eval(*e);
  };
}

}  // namespace rbm::cli
