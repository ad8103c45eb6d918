// bench/bench_train.cpp — times CD-k / PCD training (Engine::train) and prints one JSON line per
// measurement: task "cd_epoch", backend, data, N, D, L, B, k, pcd (and pcd_chains), models,
// tf32, math, seconds (one epoch, steady state), gemm_flops (the GEMM FLOPs of one epoch of all
// models, counted from the contract in host/backend.hpp), tflops (gemm_flops / seconds), device,
// date, and more.
//
//   bench_train [--backend cpu|cuda] [--data mnist|glyphs|random] [--mnist-dir DIR]
//               [--D 784] [--N 60000] [--L 500] [--B 100] [--k 1] [--pcd] [--chains C]
//               [--pcd-chains hidden|visible] [--models 1] [--epochs 3] [--warmup 1]
//               [--repeat 1] [--math fp32|tf32|bf16] [--tf32] [--seed 1]
//               [--optimizer momentum|sgd|nesterov|rmsprop|adam] [--centering] [--sparsity]
//
// Each measurement is one Engine::train call of --epochs epochs after --warmup untimed calls
// (CUDA context, cuBLAS heuristics). `seconds` is the median wall time per epoch as the backend
// reports it to the epoch callback, over the epochs after the first (which includes one-time
// work: graph capture, first shuffle); `seconds_first_epoch` and `call_seconds` (the whole call,
// allocation and model transfers included, divided by the epochs) are reported too.
// --data mnist reads "mnist:DIR:train" when --mnist-dir exists, else falls back to random
// binary data of the same shape (and says so in "data").
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_common.hpp"
#include "rbm/rbm.hpp"

namespace {

struct Options {
  rbm::BackendKind backend = rbm::BackendKind::auto_;
  std::string data = "random";
  std::string mnist_dir;
  int n_visible = 784;
  std::size_t n_samples = 60000;
  int n_hidden = 500;
  int batch_size = 100;
  int cd_steps = 1;
  bool persistent = false;
  int n_chains = 0;
  int n_models = 1;
  int epochs = 3;
  int warmup = 1;
  int repeat = 1;
  rbm::GemmMath math = rbm::GemmMath::fp32;
  rbm::PcdChains pcd_chains = rbm::TrainConfig{}.pcd_chains;
  std::uint64_t seed = 1;
  rbm::Optimizer optimizer = rbm::Optimizer::momentum;
  bool centering = false, sparsity = false;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "bench_train: " << problem
            << "\nusage: bench_train [--backend cpu|cuda] [--data mnist|glyphs|random]"
               " [--mnist-dir DIR] [--D n] [--N n] [--L n] [--B n] [--k n] [--pcd] [--chains n]"
               " [--pcd-chains hidden|visible] [--models m] [--epochs e] [--warmup w] [--repeat r]"
               " [--math fp32|tf32|bf16] [--tf32] [--seed s]"
               " [--optimizer name] [--centering] [--sparsity]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    auto value = [&]() -> std::string {
      if (a + 1 >= argc) usage("missing value after " + arg);
      return argv[++a];
    };
    auto integer = [&]() -> long long {
      const std::string text = value();
      char* end = nullptr;
      const long long v = std::strtoll(text.c_str(), &end, 10);
      if (end == text.c_str() || *end != '\0' || v < 0)
        usage("bad number '" + text + "' for " + arg);
      return v;
    };
    if (arg == "--backend")
      o.backend = rbm::parse_backend_kind(value());
    else if (arg == "--data")
      o.data = value();
    else if (arg == "--mnist-dir")
      o.mnist_dir = value();
    else if (arg == "--D")
      o.n_visible = static_cast<int>(integer());
    else if (arg == "--N")
      o.n_samples = static_cast<std::size_t>(integer());
    else if (arg == "--L")
      o.n_hidden = static_cast<int>(integer());
    else if (arg == "--B")
      o.batch_size = static_cast<int>(integer());
    else if (arg == "--k")
      o.cd_steps = static_cast<int>(integer());
    else if (arg == "--pcd")
      o.persistent = true;
    else if (arg == "--chains")
      o.n_chains = static_cast<int>(integer());
    else if (arg == "--models")
      o.n_models = static_cast<int>(integer());
    else if (arg == "--epochs")
      o.epochs = static_cast<int>(integer());
    else if (arg == "--warmup")
      o.warmup = static_cast<int>(integer());
    else if (arg == "--repeat")
      o.repeat = static_cast<int>(integer());
    else if (arg == "--tf32")
      o.math = rbm::GemmMath::tf32;
    else if (arg == "--math" || arg == "--pcd-chains")
      try {
        const std::string text = value();
        if (arg == "--math")
          o.math = rbm::parse_gemm_math(text);
        else
          o.pcd_chains = rbm::parse_pcd_chains(text);
      } catch (const rbm::Error& e) {
        usage(e.what());
      }
    else if (arg == "--seed")
      o.seed = static_cast<std::uint64_t>(integer());
    else if (arg == "--optimizer")
      try {
        o.optimizer = rbm::parse_optimizer(value());
      } catch (const rbm::Error& e) {
        usage(e.what());
      }
    else if (arg == "--centering")
      o.centering = true;
    else if (arg == "--sparsity")
      o.sparsity = true;
    else if (arg == "--help" || arg == "-h")
      usage("help");
    else
      usage("unknown option " + arg);
  }
  if (o.data != "mnist" && o.data != "glyphs" && o.data != "random") usage("bad --data " + o.data);
  if (o.n_models < 1 || o.epochs < 1 || o.repeat < 1 || o.batch_size < 1 || o.cd_steps < 1)
    usage("--models, --epochs, --repeat, --B and --k must be >= 1");
  return o;
}

rbm::Dataset random_binary(std::size_t n, int d, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  rbm::Dataset data;
  data.n_samples = n;
  data.n_visible = d;
  data.values.resize(n * d);
  for (std::size_t e = 0; e < data.values.size(); e += 64) {
    const std::uint64_t bits = rng();
    for (std::size_t b = 0; b < 64 && e + b < data.values.size(); ++b)
      data.values[e + b] = static_cast<std::uint8_t>((bits >> b) & 1u);
  }
  data.name = "random:" + std::to_string(n) + "x" + std::to_string(d);
  return data;
}

rbm::Dataset load(Options& o) {
  if (o.data == "mnist") {
    if (!o.mnist_dir.empty() && std::filesystem::exists(o.mnist_dir)) {
      // The spec (and so the JSON "data" field) names the folder relative to the working
      // directory: result lines must not carry one machine's absolute paths.
      const std::string dir = std::filesystem::path(o.mnist_dir)
                                  .lexically_proximate(std::filesystem::current_path())
                                  .string();
      rbm::Dataset data = rbm::load_dataset("mnist:" + dir + ":train");
      o.n_visible = data.n_visible;
      o.n_samples = data.n_samples;
      return data;
    }
    std::cerr << "bench_train: no MNIST at '" << o.mnist_dir << "', using random data\n";
    rbm::Dataset data = random_binary(o.n_samples, o.n_visible, o.seed);
    data.name = "random (mnist not found)";
    return data;
  }
  if (o.data == "glyphs") {
    rbm::Dataset data =
        rbm::load_dataset("glyphs:" + std::to_string(std::max<std::size_t>(1, o.n_samples / 10)));
    o.n_visible = data.n_visible;
    o.n_samples = data.n_samples;
    return data;
  }
  return random_binary(o.n_samples, o.n_visible, o.seed);
}

/// GEMM FLOPs of one epoch of one model, per the contract: per step 2·D·L·(B rows of V0·W,
/// B of the V0ᵀP0 gradient, R of XᵀPh, 2kR of the Gibbs steps), PCD adding B for the data's
/// reconstruction and, with visible chains, R for the chains' first hidden sample.
double epoch_gemm_flops(const Options& o) {
  const double D = o.n_visible, L = o.n_hidden, B = o.batch_size;
  const double R = o.persistent && o.n_chains > 0 ? o.n_chains : B;
  double rows = B + B + R + 2.0 * o.cd_steps * R;
  if (o.persistent) rows += B + (o.pcd_chains == rbm::PcdChains::visible ? R : 0);
  const double steps = static_cast<double>(o.n_samples / o.batch_size);
  return steps * 2.0 * D * L * rows;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  try {
    rbm::Engine engine(o.backend);
    rbm::Dataset data = load(o);
    const rbm::DataHandle handle = engine.upload(data);
    std::vector<rbm::TrainConfig> configs;
    std::vector<rbm::Model> models;
    for (int m = 0; m < o.n_models; ++m) {
      rbm::TrainConfig config;
      config.cd_steps = o.cd_steps;
      config.persistent = o.persistent;
      config.n_chains = o.n_chains;
      config.batch_size = o.batch_size;
      config.epochs = o.epochs;
      config.learning_rate = 0.05f;
      config.momentum = 0.5f;
      config.math = o.math;
      config.pcd_chains = o.pcd_chains;
      config.seed = o.seed + static_cast<std::uint64_t>(m);
      config.optimizer = o.optimizer;
      if (o.optimizer == rbm::Optimizer::adam || o.optimizer == rbm::Optimizer::rmsprop)
        config.learning_rate = 0.001;
      config.centering = o.centering;
      if (o.sparsity) {
        config.sparsity_target = 0.1f;
        config.sparsity_cost = 0.01f;
      }
      configs.push_back(config);
      models.push_back(rbm::init_model(data, o.n_hidden, config));
    }
    std::vector<rbm::TrainConfig> warm = configs;
    for (auto& config : warm) config.epochs = 1;
    for (int w = 0; w < o.warmup; ++w) engine.train(models, warm, handle);

    for (int r = 0; r < o.repeat; ++r) {
      std::vector<double> epoch_seconds;
      double last_error = 0;
      const auto start = std::chrono::steady_clock::now();
      engine.train(models, configs, handle, [&](const std::vector<rbm::EpochMetrics>& metrics) {
        epoch_seconds.push_back(metrics.front().seconds);
        last_error = metrics.front().reconstruction_error;
        return true;
      });
      const double call =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const std::vector<double> steady(
          epoch_seconds.size() > 1 ? epoch_seconds.begin() + 1 : epoch_seconds.begin(),
          epoch_seconds.end());
      const double seconds = median(steady);
      const double flops = epoch_gemm_flops(o) * o.n_models;
      nlohmann::json line;
      line["task"] = "cd_epoch";
      line["backend"] = rbm::to_string(engine.kind());
      line["data"] = data.name;
      line["N"] = o.n_samples;
      line["D"] = o.n_visible;
      line["L"] = o.n_hidden;
      line["B"] = o.batch_size;
      line["k"] = o.cd_steps;
      line["pcd"] = o.persistent;
      line["models"] = o.n_models;
      line["tf32"] = o.math == rbm::GemmMath::tf32;
      line["math"] = rbm::to_string(o.math);
      if (o.persistent) line["pcd_chains"] = rbm::to_string(o.pcd_chains);
      line["optimizer"] = rbm::to_string(o.optimizer);
      line["centering"] = o.centering;
      line["sparsity"] = o.sparsity;
      line["epochs"] = o.epochs;
      line["seconds"] = seconds;
      line["seconds_min"] = *std::min_element(steady.begin(), steady.end());
      line["seconds_first_epoch"] = epoch_seconds.front();
      line["call_seconds"] = call / o.epochs;
      line["gemm_flops"] = flops;
      line["tflops"] = flops / seconds * 1e-12;
      line["reconstruction_error"] = last_error;
      line["device"] = engine.device_name();
      line["date"] = rbm::bench::utc_date();
      std::cout << line.dump() << std::endl;
    }
  } catch (const rbm::Error& e) {
    std::cerr << "bench_train: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
