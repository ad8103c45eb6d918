// host/cli/conditional.cpp — the machine used conditionally: `rbm inpaint` (clamp part of each
// image, sample the rest), `rbm classify` (a model trained with --labels-as-visible: exact
// p(label | pixels), or clamped Gibbs sampling) and `rbm transform` (hidden-unit features for
// another model).
#include <algorithm>
#include <cmath>
#include <random>

#include "host/cli/cli.hpp"

namespace rbm::cli {
namespace {

/// Uniform in [0, 1) from the top 53 bits of a draw: the same numbers with every standard
/// library (std::uniform_real_distribution's are not specified).
double uniform(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// ---- rbm inpaint -----------------------------------------------------------------------------
struct InpaintCommand {
  CommonOptions common;
  std::string model, data, clamp = "top", png = "inpaint.png";
  int index = 0, count = 8, completions = 4, burn_in = 200, scale = 3;
  std::uint64_t seed = 1;
  bool csv = false;
};

/// The clamp mask [D] over an image of height × width (+ label units, never clamped): "top",
/// "bottom", "left", "right" halves, or "random:P" (each pixel with probability P, from `seed`).
std::vector<std::uint8_t> clamp_mask(
    const std::string& spec, int height, int width, int n_visible, std::uint64_t seed) {
  std::vector<std::uint8_t> mask(n_visible, 0);
  if (spec.rfind("random:", 0) == 0) {
    double p = 0;
    try {
      p = std::stod(spec.substr(7));
    } catch (const std::exception&) {
      p = -1;
    }
    if (!(p >= 0 && p <= 1))
      throw InvalidArgument("--clamp " + spec + ": P must be a probability in [0, 1]");
    std::mt19937_64 rng(seed);
    for (int i = 0; i < height * width; ++i) mask[i] = uniform(rng) < p;
    return mask;
  }
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      bool on = false;
      if (spec == "top")
        on = 2 * y < height;
      else if (spec == "bottom")
        on = 2 * y >= height;
      else if (spec == "left")
        on = 2 * x < width;
      else if (spec == "right")
        on = 2 * x >= width;
      else
        throw InvalidArgument("--clamp '" + spec + "' is not top, bottom, left, right or random:P");
      mask[y * width + x] = on;
    }
  return mask;
}

int run_inpaint(const InpaintCommand& o) {
  const Model model = load_one_model(o.model, o.index);
  const auto [height, width] = image_shape(model);
  const int pixels = height * width, D = model.n_visible, C = o.completions;
  const Dataset data = head(load_dataset(o.data), static_cast<std::size_t>(std::max(o.count, 1)));
  if (data.n_visible != pixels)
    throw InvalidArgument("inpaint: the data has " + std::to_string(data.n_visible) +
                          " columns, the model's images " + std::to_string(pixels) + " pixels");
  const std::vector<std::uint8_t> mask = clamp_mask(o.clamp, height, width, D, o.seed);
  const int rows = static_cast<int>(data.n_samples);
  SampleOptions options;
  options.n_chains = rows * C;  // chain r·C + k: completion k of row r
  options.burn_in = o.burn_in;
  options.seed = o.seed;
  options.clamped = mask;
  options.init.n_visible = D;
  options.init.n_samples = options.n_chains;
  options.init.values.assign(static_cast<std::size_t>(options.n_chains) * D, 0);  // free: off
  for (int c = 0; c < options.n_chains; ++c)
    for (int i = 0; i < pixels; ++i)
      if (mask[i]) options.init.values[std::size_t(c) * D + i] = data.at(c / C, i);
  Engine engine = make_engine(o.common);
  const Dataset samples = engine.sample(model, options);
  // Grid rows: original | clamped part (free pixels grey) | completions.
  std::vector<float> images;
  std::vector<json> numbers;
  for (int r = 0; r < rows; ++r) {
    for (int i = 0; i < pixels; ++i) images.push_back(data.at(r, i));
    for (int i = 0; i < pixels; ++i) images.push_back(mask[i] ? data.at(r, i) : 0.5f);
    double wrong = 0, free = 0;
    for (int k = 0; k < C; ++k)
      for (int i = 0; i < pixels; ++i) {
        const std::uint8_t bit = samples.at(std::size_t(r) * C + k, i);
        images.push_back(bit);
        if (!mask[i]) {
          wrong += bit != data.at(r, i);
          free += 1;
        }
      }
    numbers.push_back({{"row", r},
                       {"free_pixels", free / C},
                       {"hamming_error", free > 0 ? wrong / free : 0.0},
                       {"completions", C}});
  }
  ImageGridOptions grid;
  grid.columns = C + 2;
  grid.scale = o.scale;
  grid.group_columns = 2;
  write_image_grid(o.png, images, rows * (C + 2), height, width, grid);
  write_numbers(stem_of(o.png), numbers, o.csv);
  double error = 0;
  for (const json& n : numbers) error += n["hamming_error"].get<double>() / rows;
  print(o.common,
        {{"event", "inpaint"},
         {"png", o.png},
         {"rows", rows},
         {"clamp", o.clamp},
         {"hamming_error", error}},
        format("wrote %s (%d rows, %d completions each, clamp %s): the completions differ from "
               "the originals on %.1f%% of the free pixels",
               o.png.c_str(), rows, C, o.clamp.c_str(), 100 * error));
  return 0;
}

// ---- rbm classify ----------------------------------------------------------------------------
struct ClassifyCommand {
  CommonOptions common;
  std::string model, data, method = "exact", predictions, confusion;
  int index = 0, burn_in = 100, samples = 20;
  std::uint64_t seed = 1;
};

/// Accuracy and confusion counts of predictions (argmax of scores [N][K]) against labels.
struct Scores {
  double accuracy = 0;
  std::vector<int> predicted;
  std::vector<double> confusion;  ///< [K][K]: rows true class, columns predicted
};
Scores score(const std::vector<double>& scores,
             const Dataset& data,
             const std::vector<int>& classes) {
  const std::size_t K = classes.size();
  Scores s;
  s.confusion.assign(K * K, 0.0);
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const double* row = scores.data() + n * K;
    const std::size_t best = std::max_element(row, row + K) - row;
    s.predicted.push_back(classes[best]);
    const std::size_t truth =
        std::find(classes.begin(), classes.end(), data.labels[n]) - classes.begin();
    if (truth < K) s.confusion[truth * K + best] += 1;
    s.accuracy += (classes[best] == data.labels[n]) / static_cast<double>(data.n_samples);
  }
  return s;
}

int run_classify(const ClassifyCommand& o) {
  const Model model = load_one_model(o.model, o.index);
  const std::vector<int> classes = label_classes(model);
  if (classes.empty())
    throw InvalidArgument("'" + o.model +
                          "' has no label units: train it with `rbm train --labels-as-visible`");
  const Dataset data = load_dataset(o.data);
  if (data.labels.empty()) throw InvalidArgument("classify: '" + o.data + "' has no labels");
  Engine engine = make_engine(o.common);
  std::vector<std::string> methods;
  if (o.method == "exact" || o.method == "both") methods.push_back("exact");
  if (o.method == "gibbs" || o.method == "both") methods.push_back("gibbs");
  std::vector<json> rows(data.n_samples);
  for (const std::string& method : methods) {
    const auto method_start = Clock::now();
    std::vector<double> scores;
    if (method == "exact") {
      scores = engine.label_posteriors(model, data, classes);
    } else {
      SampleOptions options;
      options.burn_in = o.burn_in;
      options.samples_per_chain = o.samples;
      options.seed = o.seed;
      scores = engine.label_activations(model, data, classes, options);
    }
    const Scores s = score(scores, data, classes);
    for (std::size_t n = 0; n < data.n_samples; ++n) {
      rows[n]["row"] = n;
      rows[n]["label"] = data.labels[n];
      rows[n][method] = s.predicted[n];
    }
    if (!o.confusion.empty() && plots_available()) {
      HeatmapOptions heatmap;
      heatmap.title = "confusion (" + method + "): true class by row, predicted by column";
      heatmap.value_label = "rows";
      for (int c : classes) {
        heatmap.row_labels.push_back(std::to_string(c));
        heatmap.column_labels.push_back(std::to_string(c));
      }
      const std::string path =
          methods.size() > 1 ? stem_of(o.confusion) + "." + method + ".png" : o.confusion;
      write_heatmap(path, s.confusion, static_cast<int>(classes.size()),
                    static_cast<int>(classes.size()), heatmap);
    } else if (!o.confusion.empty()) {
      note("plots are not built (PLplot missing): no confusion picture, wrote the numbers only");
    }
    print(o.common,
          {{"event", "classify"},
           {"method", method},
           {"accuracy", s.accuracy},
           {"n_samples", data.n_samples},
           {"classes", classes},
           {"confusion", s.confusion},
           {"seconds", seconds_since(method_start)}},
          format("%s: accuracy %.4f on %zu rows of '%s' (%.2f s)",
                 method == "exact" ? "exact p(label | pixels)" : "clamped Gibbs sampling",
                 s.accuracy, data.n_samples, o.data.c_str(), seconds_since(method_start)));
  }
  if (!o.predictions.empty()) write_numbers(stem_of(o.predictions), rows, true);
  return 0;
}

// ---- rbm transform ---------------------------------------------------------------------------
struct TransformCommand {
  CommonOptions common;
  std::string model, data, out = "features.safetensors";
  int index = 0;
  bool samples = false;
  std::uint64_t seed = 1;
};

int run_transform(const TransformCommand& o) {
  const Model model = load_one_model(o.model, o.index);
  Dataset data = load_dataset(o.data);
  const std::size_t K = label_classes(model).size();
  if (K > 0 && data.n_visible + static_cast<int>(K) == model.n_visible) {  // label units off
    Dataset padded = data;
    padded.n_visible = model.n_visible;
    padded.image_height = padded.image_width = 0;
    padded.values.clear();
    for (std::size_t n = 0; n < data.n_samples; ++n) {
      padded.values.insert(padded.values.end(), data.values.begin() + n * data.n_visible,
                           data.values.begin() + (n + 1) * data.n_visible);
      padded.values.insert(padded.values.end(), K, 0);
    }
    data = padded;
  }
  Engine engine = make_engine(o.common);
  std::vector<float> features = engine.hidden_probabilities(model, engine.upload(data));
  const int L = model.n_hidden;
  if (o.samples) {  // one sample of h per row from p(h | v)
    std::mt19937_64 rng(o.seed);
    const bool one_hot =
        model.hidden_type == UnitType::potts || model.hidden_type == UnitType::potts_off;
    for (std::size_t n = 0; n < data.n_samples; ++n) {
      float* row = features.data() + n * L;
      if (one_hot) {
        const double u = uniform(rng);
        double sum = 0;
        int chosen = -1;
        for (int j = 0; j < L && chosen < 0; ++j)
          if (u < (sum += row[j])) chosen = j;
        for (int j = 0; j < L; ++j) row[j] = j == chosen ? 1.0f : 0.0f;
      } else {
        const float off = model.hidden_type == UnitType::spin ? -1.0f : 0.0f;
        for (int j = 0; j < L; ++j) row[j] = uniform(rng) < row[j] ? 1.0f : off;
      }
    }
  }
  const std::size_t N = data.n_samples;
  if (stem_of(o.out) + ".csv" == o.out) {  // one row per sample: L features, then the label
    std::string text;
    for (std::size_t n = 0; n < N; ++n) {
      for (int j = 0; j < L; ++j) text += format(j ? ",%.9g" : "%.9g", features[n * L + j]);
      text += data.labels.empty() ? "\n" : format(",%d\n", data.labels[n]);
    }
    save_text(o.out, text, "features");
  } else {
    std::vector<Tensor> tensors = {{"features", {std::int64_t(N), L}, features}};
    if (!data.labels.empty())
      tensors.push_back({"labels",
                         {std::int64_t(N)},
                         std::vector<float>(data.labels.begin(), data.labels.end())});
    save_tensors(o.out, tensors,
                 {{"format", "rbm-features"},
                  {"model", o.model},
                  {"data", o.data},
                  {"features", o.samples ? "samples of h" : "p(h on | v)"}});
  }
  print(o.common, {{"event", "transform"}, {"out", o.out}, {"n_samples", N}, {"n_features", L}},
        format("wrote %s: %zu rows x %d hidden features (%s)", o.out.c_str(), N, L,
               o.samples ? "samples" : "p(h on | v)"));
  return 0;
}

}  // namespace

Runner add_inpaint(CLI::App& app) {
  auto o = std::make_shared<InpaintCommand>();
  CLI::App* cmd = app.add_subcommand(
      "inpaint", "clamp part of each image and sample the rest: original | clamped | completions");
  add_common(cmd, o->common);
  cmd->add_option("--model", o->model, "model file")->required();
  cmd->add_option("--index", o->index, "which model of a multi-model file");
  cmd->add_option("--data", o->data, "images to complete")->required();
  cmd->add_option("--count", o->count, "rows of the data")->capture_default_str();
  cmd->add_option("--clamp", o->clamp, "top | bottom | left | right | random:P")
      ->capture_default_str();
  cmd->add_option("--completions", o->completions, "samples per row")->capture_default_str();
  cmd->add_option("--burn-in", o->burn_in, "Gibbs sweeps before the sample")->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed")->capture_default_str();
  cmd->add_option("--png", o->png, "picture; the numbers go next to it (.jsonl)")
      ->capture_default_str();
  cmd->add_option("--scale", o->scale, "pixels per image pixel")->capture_default_str();
  cmd->add_flag("--csv", o->csv, "also write the numbers as CSV");
  return [cmd, o] { return cmd->parsed() ? run_inpaint(*o) : -1; };
}

Runner add_classify(CLI::App& app) {
  auto o = std::make_shared<ClassifyCommand>();
  CLI::App* cmd = app.add_subcommand(
      "classify", "classify with a model trained with --labels-as-visible (accuracy, confusion)");
  add_common(cmd, o->common);
  cmd->add_option("--model", o->model, "model file")->required();
  cmd->add_option("--index", o->index, "which model of a multi-model file");
  cmd->add_option("--data", o->data, "labelled data (pixels only)")->required();
  cmd->add_option("--method", o->method,
                  "exact (p(label | pixels) from free energies), gibbs (clamped sampling) or both")
      ->check(CLI::IsMember({"exact", "gibbs", "both"}))
      ->capture_default_str();
  cmd->add_option("--burn-in", o->burn_in, "gibbs: sweeps before the first kept sample")
      ->capture_default_str();
  cmd->add_option("--samples", o->samples, "gibbs: samples averaged per row")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "gibbs: seed")->capture_default_str();
  cmd->add_option("--predictions", o->predictions,
                  "write each row's predictions (CSV + JSON lines)");
  cmd->add_option("--confusion", o->confusion, "confusion-matrix picture (PNG)");
  return [cmd, o] { return cmd->parsed() ? run_classify(*o) : -1; };
}

Runner add_transform(CLI::App& app) {
  auto o = std::make_shared<TransformCommand>();
  CLI::App* cmd = app.add_subcommand(
      "transform", "hidden-unit features p(h | v) (or samples) of a dataset, for another model");
  add_common(cmd, o->common);
  cmd->add_option("--model", o->model, "model file")->required();
  cmd->add_option("--index", o->index, "which model of a multi-model file");
  cmd->add_option("--data", o->data, "dataset spec")->required();
  cmd->add_option("--out", o->out, "FILE.safetensors (tensors features, labels) or FILE.csv")
      ->capture_default_str();
  cmd->add_flag("--samples", o->samples, "binary samples of h instead of probabilities");
  cmd->add_option("--seed", o->seed, "seed of --samples")->capture_default_str();
  return [cmd, o] { return cmd->parsed() ? run_transform(*o) : -1; };
}

}  // namespace rbm::cli
