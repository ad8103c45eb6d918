// host/cpu/cpu_backend.cpp — CD-k / PCD training, conditionals, free energy and Gibbs sampling
// on the CPU, implementing the contract written at the top of host/backend.hpp.
#include "host/cpu/cpu_backend.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <thread>

#include "host/check.hpp"
#include "host/cpu/cpu_math.hpp"

namespace rbm::detail {
namespace {

using cpu::add_bias_sigmoid;
using cpu::bernoulli;
using cpu::fill_uniforms;
using cpu::gemm;
using cpu::momentum_update;

const CpuData& as_cpu(const ResidentData& data) {
  const auto* cpu_data = dynamic_cast<const CpuData*>(&data);
  RBM_EXPECTS(cpu_data != nullptr, "dataset was uploaded to another backend, not the CPU");
  return *cpu_data;
}

/// Buffers of one training step, reused across steps.
struct StepWorkspace {
  std::vector<float> p0, h, pv, x, ph, recon, grad_w, grad_b, grad_c;
};

/// Per-model state that persists across steps: momentum velocities, PCD chains, RNG offset.
struct ModelState {
  std::vector<float> velocity_w, velocity_b, velocity_c;
  std::vector<float> chains;  ///< PCD only, [R][D]
  std::uint64_t offset = 0;   ///< next uniform index of the gibbs stream
};

struct StepParams {
  int cd_steps = 1;
  bool persistent = false;
  float learning_rate = 0, momentum = 0, weight_decay = 0;
};

// Below this many elements per thread a parallel_for costs more (a wake-up, ~10–50 µs) than
// the loop itself.
constexpr std::size_t kMinElementsPerThread = 1 << 15;

std::size_t min_rows_per_thread(int width) {
  return std::max<std::size_t>(1, kMinElementsPerThread / static_cast<std::size_t>(width));
}

/// σ(rows · W + c) for `rows` [R][D] into out [R][L].
void hidden_probs(const Model& m, const float* rows, int n_rows, float* out, ThreadPool& pool) {
  gemm(false, false, n_rows, m.n_hidden, m.n_visible, 1.0f, rows, m.weights.data(), 0.0f, out);
  pool.parallel_for(
      n_rows,
      [&](std::size_t b, std::size_t e) {
        add_bias_sigmoid(out, m.hidden_bias.data(), b, e, m.n_hidden);
      },
      min_rows_per_thread(m.n_hidden));
}

/// σ(hidden · Wᵀ + b) for `hidden` [R][L] into out [R][D].
void visible_probs(const Model& m, const float* hidden, int n_rows, float* out, ThreadPool& pool) {
  gemm(false, true, n_rows, m.n_visible, m.n_hidden, 1.0f, hidden, m.weights.data(), 0.0f, out);
  pool.parallel_for(
      n_rows,
      [&](std::size_t b, std::size_t e) {
        add_bias_sigmoid(out, m.visible_bias.data(), b, e, m.n_visible);
      },
      min_rows_per_thread(m.n_visible));
}

void sample_into(const float* p, const float* u, float* out, std::size_t count, ThreadPool& pool) {
  pool.parallel_for(
      count, [&](std::size_t b, std::size_t e) { bernoulli(p, u, out, b, e); },
      kMinElementsPerThread);
}

/// out[c] (+)= sign · mean over rows of x[r][c].
void column_means(const float* x, int rows, int width, float sign, float* out, bool accumulate) {
  std::vector<double> sum(width, 0.0);
  for (int r = 0; r < rows; ++r) {
    const float* row = x + static_cast<std::size_t>(r) * width;
    for (int c = 0; c < width; ++c) sum[c] += row[c];
  }
  for (int c = 0; c < width; ++c) {
    const float mean = static_cast<float>(sign * sum[c] / rows);
    out[c] = accumulate ? out[c] + mean : mean;
  }
}

double mean_squared_difference(const float* a, const float* b, std::size_t count) {
  double sum = 0;
  for (std::size_t e = 0; e < count; ++e) {
    const double d = static_cast<double>(a[e]) - b[e];
    sum += d * d;
  }
  return sum / static_cast<double>(count);
}

/// One CD-k / PCD step (contract steps 1–6) on batch v0 [B][D] with the step's uniforms
/// `u` (k·R·(L+D) values in contract layout). Updates model and state; returns the step's
/// reconstruction error.
double train_step(Model& m,
                  ModelState& state,
                  const StepParams& params,
                  const float* v0,
                  int batch_size,
                  const float* u,
                  StepWorkspace& ws,
                  ThreadPool& pool) {
  const int D = m.n_visible, L = m.n_hidden;
  const int rows = params.persistent ? static_cast<int>(state.chains.size() / D) : batch_size;
  const std::size_t hidden_count = static_cast<std::size_t>(rows) * L;
  const std::size_t visible_count = static_cast<std::size_t>(rows) * D;
  ws.p0.resize(static_cast<std::size_t>(batch_size) * L);
  ws.h.resize(hidden_count);
  ws.pv.resize(visible_count);
  ws.x.resize(visible_count);
  ws.ph.resize(hidden_count);

  // 1–2. Positive phase and the negative chain's first hidden sample.
  hidden_probs(m, v0, batch_size, ws.p0.data(), pool);
  double reconstruction = 0;
  if (params.persistent) {
    // X starts as the chains; ws.x is first written at t = 1, so read the chains in place.
    hidden_probs(m, state.chains.data(), rows, ws.ph.data(), pool);
    sample_into(ws.ph.data(), u, ws.h.data(), hidden_count, pool);
    // Mean-field reconstruction of the data (the chains' Pv says nothing about V0).
    std::vector<float>& recon = ws.recon;
    recon.resize(static_cast<std::size_t>(batch_size) * D);
    visible_probs(m, ws.p0.data(), batch_size, recon.data(), pool);
    reconstruction = mean_squared_difference(v0, recon.data(), recon.size());
  } else {
    sample_into(ws.p0.data(), u, ws.h.data(), hidden_count, pool);
  }
  u += hidden_count;

  // 3. k block-Gibbs steps.
  for (int t = 1; t <= params.cd_steps; ++t) {
    visible_probs(m, ws.h.data(), rows, ws.pv.data(), pool);
    if (t == 1 && !params.persistent)
      reconstruction = mean_squared_difference(v0, ws.pv.data(), visible_count);
    sample_into(ws.pv.data(), u, ws.x.data(), visible_count, pool);
    u += visible_count;
    hidden_probs(m, ws.x.data(), rows, ws.ph.data(), pool);
    if (t < params.cd_steps) {
      sample_into(ws.ph.data(), u, ws.h.data(), hidden_count, pool);
      u += hidden_count;
    }
  }

  // 4. Gradients: gW = V0ᵀP0/B − XᵀPh/R − wd·W (two GEMMs into one buffer).
  ws.grad_w.resize(m.weights.size());
  ws.grad_b.resize(D);
  ws.grad_c.resize(L);
  gemm(true, false, D, L, batch_size, 1.0f / batch_size, v0, ws.p0.data(), 0.0f, ws.grad_w.data());
  gemm(true, false, D, L, rows, -1.0f / rows, ws.x.data(), ws.ph.data(), 1.0f, ws.grad_w.data());
  column_means(v0, batch_size, D, 1.0f, ws.grad_b.data(), /*accumulate=*/false);
  column_means(ws.x.data(), rows, D, -1.0f, ws.grad_b.data(), /*accumulate=*/true);
  column_means(ws.p0.data(), batch_size, L, 1.0f, ws.grad_c.data(), /*accumulate=*/false);
  column_means(ws.ph.data(), rows, L, -1.0f, ws.grad_c.data(), /*accumulate=*/true);

  // 5. Momentum update, θ += v with v = μ·v + lr·g.
  auto update = [&](std::vector<float>& theta, std::vector<float>& velocity,
                    const std::vector<float>& grad, float decay) {
    velocity.resize(theta.size(), 0.0f);
    pool.parallel_for(
        theta.size(),
        [&](std::size_t b, std::size_t e) {
          momentum_update(theta.data(), velocity.data(), grad.data(), params.momentum,
                          params.learning_rate, decay, b, e);
        },
        kMinElementsPerThread);
  };
  update(m.weights, state.velocity_w, ws.grad_w, params.weight_decay);
  update(m.visible_bias, state.velocity_b, ws.grad_b, 0.0f);
  update(m.hidden_bias, state.velocity_c, ws.grad_c, 0.0f);

  // 6. PCD chains move on.
  if (params.persistent) std::swap(state.chains, ws.x);  // same size; ws.x is rewritten next step
  return reconstruction;
}

/// The epoch's row order: n sorted by (Philox key, n) — identical on every backend.
std::vector<std::uint32_t> epoch_permutation(std::uint64_t seed, int epoch, std::size_t n) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> keyed(n);
  for (std::size_t i = 0; i < n; ++i)
    keyed[i] = {
        random_block(seed, RandomStream::shuffle, static_cast<std::uint32_t>(epoch), i).v[0],
        static_cast<std::uint32_t>(i)};
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::uint32_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = keyed[i].second;
  return order;
}

}  // namespace

CpuBackend::CpuBackend(const EngineOptions& options) : pool_(options.cpu_threads) {}

std::string CpuBackend::device_name() const {
  return "cpu (" + std::to_string(pool_.size()) + " threads)";
}

std::shared_ptr<const ResidentData> CpuBackend::upload(const Dataset& data) {
  auto resident = std::make_shared<CpuData>();
  resident->n_samples = data.n_samples;
  resident->n_visible = data.n_visible;
  resident->values.assign(data.values.begin(), data.values.end());
  return resident;
}

void CpuBackend::train(std::vector<Model>& models,
                       const std::vector<TrainConfig>& configs,
                       const ResidentData& data,
                       const EpochCallback& on_epoch) {
  const CpuData& cpu_data = as_cpu(data);
  const int D = cpu_data.n_visible;
  const std::size_t n_models = models.size();
  std::vector<ModelState> states(n_models);
  for (std::size_t m = 0; m < n_models; ++m) {
    const TrainConfig& config = configs[m];
    if (!config.persistent) continue;
    const int chains = config.n_chains > 0 ? config.n_chains : config.batch_size;
    std::vector<float>& x = states[m].chains;
    x.resize(static_cast<std::size_t>(chains) * D);
    fill_uniforms(config.seed, RandomStream::init, 1, 0, x.size(), x.data());
    for (std::size_t e = 0; e < x.size(); ++e) {
      const float p = 1.0f / (1.0f + std::exp(-models[m].visible_bias[e % D]));
      x[e] = x[e] < p ? 1.0f : 0.0f;
    }
  }
  int max_epochs = 0;
  for (const auto& config : configs) max_epochs = std::max(max_epochs, config.epochs);

  StepWorkspace ws;
  std::vector<float> batch, uniforms;
  for (int epoch = 0; epoch < max_epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<EpochMetrics> metrics;
    for (std::size_t m = 0; m < n_models; ++m) {
      const TrainConfig& config = configs[m];
      if (epoch >= config.epochs) continue;
      const StepParams params{config.cd_steps, config.persistent, config.learning_rate,
                              config.momentum, config.weight_decay};
      const int B = config.batch_size;
      const int rows = config.persistent ? static_cast<int>(states[m].chains.size() / D) : B;
      const std::size_t step_uniforms =
          cd_step_uniform_count(rows, D, models[m].n_hidden, config.cd_steps);
      const auto order = epoch_permutation(config.seed, epoch, cpu_data.n_samples);
      const std::size_t n_batches = cpu_data.n_samples / B;
      batch.resize(static_cast<std::size_t>(B) * D);
      uniforms.resize(step_uniforms);
      double error_sum = 0;
      for (std::size_t s = 0; s < n_batches; ++s) {
        for (int r = 0; r < B; ++r)
          std::copy_n(cpu_data.values.data() + static_cast<std::size_t>(order[s * B + r]) * D, D,
                      batch.data() + static_cast<std::size_t>(r) * D);
        const std::uint64_t offset = states[m].offset;
        pool_.parallel_for(
            step_uniforms,
            [&](std::size_t b, std::size_t e) {
              fill_uniforms(config.seed, RandomStream::gibbs, 0, offset + b, e - b,
                            uniforms.data() + b);
            },
            kMinElementsPerThread);
        states[m].offset += step_uniforms;
        error_sum +=
            train_step(models[m], states[m], params, batch.data(), B, uniforms.data(), ws, pool_);
      }
      EpochMetrics metric;
      metric.model = static_cast<int>(m);
      metric.epoch = epoch + 1;
      metric.reconstruction_error = error_sum / static_cast<double>(n_batches);
      metrics.push_back(metric);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (auto& metric : metrics) metric.seconds = seconds;
    if (on_epoch && !on_epoch(metrics)) break;
  }
}

Model CpuBackend::cd_step(const CdStepInput& input) {
  Model model = *input.model;
  ModelState state;
  StepWorkspace ws;
  const StepParams params{input.cd_steps, false, input.learning_rate, 0.0f, input.weight_decay};
  train_step(model, state, params, input.batch->data(), input.batch_size, input.uniforms->data(),
             ws, pool_);
  return model;
}

std::vector<LogZResult> CpuBackend::log_z(const std::vector<Model>& models,
                                          const LogZOptions& options) {
  std::vector<LogZResult> results;
  for (std::size_t m = 0; m < models.size(); ++m) {
    LogZOptions per_model = options;
    if (options.progress) {  // report progress over all models together
      per_model.progress = [&, m](double fraction) {
        return options.progress((static_cast<double>(m) + fraction) / models.size());
      };
    }
    results.push_back(cpu_exact_log_z(models[m], per_model, pool_));
  }
  return results;
}

std::vector<double> CpuBackend::free_energy(const Model& model, const ResidentData& data) {
  const CpuData& cpu_data = as_cpu(data);
  const int D = model.n_visible, L = model.n_hidden;
  std::vector<double> energies(cpu_data.n_samples);
  constexpr std::size_t kChunk = 1024;  // rows per GEMM: bounded scratch for any N
  std::vector<float> fields(kChunk * L);
  for (std::size_t begin = 0; begin < cpu_data.n_samples; begin += kChunk) {
    const int rows = static_cast<int>(std::min(kChunk, cpu_data.n_samples - begin));
    const float* v = cpu_data.values.data() + begin * D;
    gemm(false, false, rows, L, D, 1.0f, v, model.weights.data(), 0.0f, fields.data());
    pool_.parallel_for(
        rows,
        [&](std::size_t b, std::size_t e) {
          for (std::size_t r = b; r < e; ++r) {
            double energy = 0;
            for (int i = 0; i < D; ++i)
              energy -= static_cast<double>(model.visible_bias[i]) * v[r * D + i];
            for (int j = 0; j < L; ++j)
              energy -=
                  cpu::softplus(static_cast<double>(fields[r * L + j]) + model.hidden_bias[j]);
            energies[begin + r] = energy;
          }
        },
        min_rows_per_thread(D + L));
  }
  return energies;
}

double CpuBackend::reconstruction_error(const Model& model, const ResidentData& data) {
  const CpuData& cpu_data = as_cpu(data);
  const int D = model.n_visible, L = model.n_hidden;
  constexpr std::size_t kChunk = 1024;
  std::vector<float> hidden(kChunk * L), recon(kChunk * D);
  double sum = 0;
  for (std::size_t begin = 0; begin < cpu_data.n_samples; begin += kChunk) {
    const int rows = static_cast<int>(std::min(kChunk, cpu_data.n_samples - begin));
    const float* v = cpu_data.values.data() + begin * D;
    hidden_probs(model, v, rows, hidden.data(), pool_);
    visible_probs(model, hidden.data(), rows, recon.data(), pool_);
    sum += mean_squared_difference(v, recon.data(), static_cast<std::size_t>(rows) * D) * rows;
  }
  return sum / static_cast<double>(cpu_data.n_samples);
}

std::vector<float> CpuBackend::hidden_probabilities(const Model& model, const ResidentData& data) {
  const CpuData& cpu_data = as_cpu(data);
  std::vector<float> out(cpu_data.n_samples * model.n_hidden);
  hidden_probs(model, cpu_data.values.data(), static_cast<int>(cpu_data.n_samples), out.data(),
               pool_);
  return out;
}

std::vector<float> CpuBackend::visible_probabilities(const Model& model,
                                                     const std::vector<float>& hidden) {
  const int rows = static_cast<int>(hidden.size() / model.n_hidden);
  std::vector<float> out(static_cast<std::size_t>(rows) * model.n_visible);
  visible_probs(model, hidden.data(), rows, out.data(), pool_);
  return out;
}

Dataset CpuBackend::sample(const Model& model, const SampleOptions& options) {
  // Sampling at inverse temperature β: every parameter scaled (exp(-β E)).
  Model scaled = model;
  for (auto* params : {&scaled.weights, &scaled.visible_bias, &scaled.hidden_bias})
    for (float& value : *params) value *= options.beta;
  const int D = model.n_visible, L = model.n_hidden, C = options.n_chains;
  const std::size_t visible_count = static_cast<std::size_t>(C) * D;
  const std::size_t hidden_count = static_cast<std::size_t>(C) * L;
  std::vector<float> v(visible_count), h(hidden_count), ph(hidden_count), pv(visible_count),
      u(hidden_count + visible_count);
  if (options.init.n_samples > 0) {
    std::copy(options.init.values.begin(), options.init.values.end(), v.begin());
  } else {
    fill_uniforms(options.seed, RandomStream::sample, 1, 0, visible_count, v.data());
    for (float& x : v) x = x < 0.5f ? 1.0f : 0.0f;
  }
  Dataset out;
  out.n_visible = D;
  out.n_samples = static_cast<std::size_t>(C) * options.samples_per_chain;
  out.values.resize(out.n_samples * D);
  out.name = "samples";
  int kept = 0;
  for (long long sweep = 1; kept < options.samples_per_chain; ++sweep) {
    fill_uniforms(options.seed, RandomStream::sample, 0,
                  static_cast<std::uint64_t>(sweep - 1) * u.size(), u.size(), u.data());
    hidden_probs(scaled, v.data(), C, ph.data(), pool_);
    sample_into(ph.data(), u.data(), h.data(), hidden_count, pool_);
    visible_probs(scaled, h.data(), C, pv.data(), pool_);
    sample_into(pv.data(), u.data() + hidden_count, v.data(), visible_count, pool_);
    if (sweep > options.burn_in && (sweep - options.burn_in) % options.thinning == 0) {
      for (int c = 0; c < C; ++c)
        for (int i = 0; i < D; ++i)
          out.values[(static_cast<std::size_t>(c) * options.samples_per_chain + kept) * D + i] =
              static_cast<std::uint8_t>(v[static_cast<std::size_t>(c) * D + i]);
      ++kept;
    }
  }
  return out;
}

std::unique_ptr<Backend> make_cpu_backend(const EngineOptions& options) {
  return std::make_unique<CpuBackend>(options);
}

}  // namespace rbm::detail
