// bench/bench_logz.cpp — times exact log Z (Engine::log_z) and prints one JSON line per
// measurement: task, backend, D, L, weight_scale, seconds, pairs_per_s, abs_err_vs_cpu (with
// --reference, where the CPU float64 enumeration is feasible), device, date.
//
//   bench_logz [--backend cpu|cuda] [--D 784] [--L 20,24,28] [--scale 0.01,0.1,1]
//              [--bias-scale S] [--models M] [--repeat 3] [--reference] [--reference-max-pairs P]
//              [--model FILE.safetensors] [--seed N] [--max-log2-states N]
//
// Random models: W ~ N(0, scale²), b and c ~ N(0, bias_scale²) (bias_scale defaults to scale).
// --model benchmarks trained models from a file instead (every model in it, one call).
// `seconds` is the best of --repeat timed calls after one untimed warm-up call (CUDA context,
// allocations); `seconds_median` is reported too. Defaults keep CPU runs under a minute: the CPU
// backend defaults to L = 16,20 (D = 784, L = 20 is the documented CPU figure).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_common.hpp"
#include "rbm/engine.hpp"
#include "rbm/error.hpp"
#include "rbm/io.hpp"
#include "rbm/model.hpp"

namespace {

struct Options {
  rbm::BackendKind backend = rbm::BackendKind::auto_;
  int n_visible = 784;
  std::vector<int> hidden;
  std::vector<double> scales{0.01, 0.1, 1.0};
  double bias_scale = -1;  // < 0: same as the weight scale
  int n_models = 1;
  int repeat = 3;
  bool reference = false;
  double reference_max_pairs = 1e11;  // seconds of float64 CPU enumeration on many cores
  std::string model_file;
  std::uint64_t seed = 1;
  int max_log2_states = 40;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "bench_logz: " << problem
            << "\nusage: bench_logz [--backend cpu|cuda] [--D n] [--L a,b,..] [--scale a,b,..]"
               " [--bias-scale s] [--models m] [--repeat r] [--reference]"
               " [--reference-max-pairs p] [--model file] [--seed n] [--max-log2-states n]\n";
  std::exit(2);
}

template <typename T>
std::vector<T> parse_list(const std::string& text) {
  std::vector<T> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::stringstream parse(item);
    T value;
    if (!(parse >> value)) usage("cannot parse '" + item + "' in '" + text + "'");
    values.push_back(value);
  }
  if (values.empty()) usage("empty list '" + text + "'");
  return values;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    auto value = [&]() -> std::string {
      if (a + 1 >= argc) usage(arg + " needs a value");
      return argv[++a];
    };
    if (arg == "--backend") {
      o.backend = rbm::parse_backend_kind(value());
    } else if (arg == "--D") {
      o.n_visible = parse_list<int>(value()).front();
    } else if (arg == "--L") {
      o.hidden = parse_list<int>(value());
    } else if (arg == "--scale") {
      o.scales = parse_list<double>(value());
    } else if (arg == "--bias-scale") {
      o.bias_scale = parse_list<double>(value()).front();
    } else if (arg == "--models") {
      o.n_models = parse_list<int>(value()).front();
    } else if (arg == "--repeat") {
      o.repeat = std::max(1, parse_list<int>(value()).front());
    } else if (arg == "--reference") {
      o.reference = true;
    } else if (arg == "--reference-max-pairs") {
      o.reference_max_pairs = parse_list<double>(value()).front();
    } else if (arg == "--model") {
      o.model_file = value();
    } else if (arg == "--seed") {
      o.seed = parse_list<std::uint64_t>(value()).front();
    } else if (arg == "--max-log2-states") {
      o.max_log2_states = parse_list<int>(value()).front();
    } else if (arg == "--help" || arg == "-h") {
      usage("help");
    } else {
      usage("unknown option " + arg);
    }
  }
  return o;
}

rbm::Model random_model(
    int n_visible, int n_hidden, double scale, double bias_scale, std::uint64_t seed) {
  rbm::Model model = rbm::Model::zeros(n_visible, n_hidden);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> weight(0.0, scale), bias(0.0, bias_scale);
  for (float& w : model.weights) w = static_cast<float>(weight(rng));
  for (float& b : model.visible_bias) b = static_cast<float>(bias(rng));
  for (float& c : model.hidden_bias) c = static_cast<float>(bias(rng));
  return model;
}

double pairs_of(const rbm::Model& m) {
  return std::ldexp(static_cast<double>(std::max(m.n_visible, m.n_hidden)),
                    std::min(m.n_visible, m.n_hidden));
}

/// Times `models` in one call and prints its JSON line.
void measure(rbm::Engine& engine,
             const Options& o,
             const std::vector<rbm::Model>& models,
             double weight_scale,
             const std::string& source) {
  rbm::LogZOptions log_z_options;
  log_z_options.max_log2_states = o.max_log2_states;
  engine.log_z(models, log_z_options);  // warm-up: context, allocations, caches
  std::vector<double> seconds;
  std::vector<rbm::LogZResult> results;
  for (int r = 0; r < o.repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    results = engine.log_z(models, log_z_options);
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  double pairs = 0;
  for (const rbm::Model& m : models) pairs += pairs_of(m);

  nlohmann::json line;
  line["task"] = "exact_logz";
  line["backend"] = rbm::to_string(engine.kind());
  line["D"] = models.front().n_visible;
  line["L"] = models.front().n_hidden;
  line["models"] = models.size();
  line["source"] = source;
  if (source == "random") line["weight_scale"] = weight_scale;
  line["seconds"] = seconds.front();
  line["seconds_median"] = seconds[seconds.size() / 2];
  line["repeat"] = o.repeat;
  line["pairs"] = pairs;
  line["pairs_per_s"] = pairs / seconds.front();
  line["log_z"] = results.front().log_z;
  if (o.reference && engine.kind() != rbm::BackendKind::cpu) {
    double max_err = 0;
    bool feasible = true;
    for (const rbm::Model& m : models) feasible = feasible && pairs_of(m) <= o.reference_max_pairs;
    if (feasible) {
      rbm::Engine cpu(rbm::BackendKind::cpu);
      const std::vector<rbm::LogZResult> expected = cpu.log_z(models, log_z_options);
      for (std::size_t m = 0; m < models.size(); ++m)
        max_err = std::max(max_err, std::fabs(results[m].log_z - expected[m].log_z));
      line["abs_err_vs_cpu"] = max_err;
      line["cpu_log_z"] = expected.front().log_z;
    }
  }
  line["device"] = engine.device_name();
  line["date"] = rbm::bench::utc_date();
  std::cout << line.dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options o = parse(argc, argv);
    rbm::Engine engine(o.backend);
    if (!o.model_file.empty()) {
      const std::vector<rbm::Model> models = rbm::load_models(o.model_file);
      measure(engine, o, models, 0, o.model_file);
      return 0;
    }
    if (o.hidden.empty()) {
      o.hidden = engine.kind() == rbm::BackendKind::cpu ? std::vector<int>{16, 20}
                                                        : std::vector<int>{16, 20, 24, 28, 32};
    }
    for (int n_hidden : o.hidden)
      for (double scale : o.scales) {
        std::vector<rbm::Model> models;
        for (int m = 0; m < o.n_models; ++m)
          models.push_back(random_model(o.n_visible, n_hidden, scale,
                                        o.bias_scale < 0 ? scale : o.bias_scale,
                                        o.seed + 1000 * static_cast<std::uint64_t>(m)));
        measure(engine, o, models, scale, "random");
      }
    return 0;
  } catch (const rbm::Error& error) {
    std::cerr << "bench_logz: " << error.what() << "\n";
    return 1;
  }
}
