// tests/test_cuda_backend.cpp — the CUDA backend against the CPU reference (and itself).
//
//  - Conditionals, free energies and reconstruction errors agree with Engine(cpu) within bounds
//    derived from float32 dot products (below), also across inference chunks.
//  - One deterministic CD-k step with the same uniforms agrees with the CPU. The uniforms are
//    first moved off the sampling boundaries by a float64 replay of the step, so that rounding
//    differences between the backends cannot flip a sampled unit.
//  - Training: M models in one call equal M single-model runs bit for bit (the contract's
//    per-model random streams); GPU and CPU training follow the same trajectory until a unit
//    flips, which the tests tolerate in a stated way.
//  - The GPU sampler passes the χ² test against the exact p(v) of a tiny model, and draws the
//    CPU sampler's samples from the same seed; so do AIS, tempering and clamped sampling (their
//    statistical tests against enumeration run on every backend: test_ais.cpp,
//    test_tempering.cpp, test_conditional.cpp).
//  - Errors: invalid input, out of device memory, diverging training.
// Every test skips itself without a CUDA device (tests/support/device.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "rbm/rbm.hpp"
#include "tests/support/brute_force.hpp"
#include "tests/support/device.hpp"

namespace rbm::test {
namespace {

// ---- tolerances ------------------------------------------------------------------------------
// Unit roundoff of float32.
constexpr double kU = 0x1.0p-24;
// A float32 dot product of n terms, in any order, is within γ_n·Σ|a_k b_k| of the exact value,
// γ_n = n·u/(1 − n·u) (Higham, Accuracy and Stability, Thm. 3.1); two backends that are each
// within it differ by at most twice that.
double dot_bound(int n, double abs_sum) {
  return 2.0 * n * kU / (1.0 - n * kU) * abs_sum;
}
// σ itself: expf within 2 ulp on the device (CUDA guide) and 4 ulp in the CPU's vector libm,
// then 1 + e and the division: < 8u absolute per backend for p ≤ 1, so 16u between backends.
constexpr double kSigmoidEval = 16 * kU;
// σ' ≤ 1/4: a field error δ moves p by at most δ/4.
constexpr double kSigmoidSlope = 0.25;

double hidden_prob_bound(const Model& m, const std::vector<double>& v, int j) {
  double abs_sum = std::fabs(m.hidden_bias[j]);
  for (int i = 0; i < m.n_visible; ++i) abs_sum += std::fabs(m.weight(i, j) * v[i]);
  return kSigmoidSlope * dot_bound(m.n_visible + 1, abs_sum) + kSigmoidEval;
}
double visible_prob_bound(const Model& m, const std::vector<double>& h, int i) {
  double abs_sum = std::fabs(m.visible_bias[i]);
  for (int j = 0; j < m.n_hidden; ++j) abs_sum += std::fabs(m.weight(i, j) * h[j]);
  return kSigmoidSlope * dot_bound(m.n_hidden + 1, abs_sum) + kSigmoidEval;
}

std::vector<double> row_of(const Dataset& data, std::size_t n) {
  std::vector<double> v(data.n_visible);
  for (int i = 0; i < data.n_visible; ++i) v[i] = data.at(n, i);
  return v;
}

std::string shape(const Model& m) {
  return "D=" + std::to_string(m.n_visible) + " L=" + std::to_string(m.n_hidden);
}

class CudaBackend : public CudaTest {};

// ---- inference -------------------------------------------------------------------------------
TEST_F(CudaBackend, FreeEnergyMatchesCpu) {
  for (const auto& [D, L, scale] : {std::tuple{784, 64, 0.05}, std::tuple{37, 300, 0.5}}) {
    const Model model = make_random_model(D, L, scale, 11);
    const Dataset data = random_dataset(D, 300, 12);
    Engine cpu(BackendKind::cpu), gpu(BackendKind::cuda);
    const std::vector<double> expected = cpu.free_energy(model, cpu.upload(data));
    const std::vector<double> got = gpu.free_energy(model, gpu.upload(data));
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t n = 0; n < data.n_samples; ++n) {
      // softplus' ≤ 1: each field's GEMM error enters F at most once; the rest is float64.
      const std::vector<double> v = row_of(data, n);
      double bound = 1e-12 * (1 + std::fabs(expected[n]));
      for (int j = 0; j < L; ++j) {
        double abs_sum = 0;
        for (int i = 0; i < D; ++i) abs_sum += std::fabs(model.weight(i, j) * v[i]);
        bound += dot_bound(D, abs_sum);
      }
      ASSERT_NEAR(got[n], expected[n], bound) << shape(model) << " row " << n;
    }
  }
}

TEST_F(CudaBackend, HiddenProbabilitiesMatchCpu) {
  const Model model = make_random_model(784, 96, 0.05, 21);
  const Dataset data = random_dataset(784, 257, 22);  // not a multiple of any block size
  Engine cpu(BackendKind::cpu), gpu(BackendKind::cuda);
  const std::vector<float> expected = cpu.hidden_probabilities(model, cpu.upload(data));
  const std::vector<float> got = gpu.hidden_probabilities(model, gpu.upload(data));
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const std::vector<double> v = row_of(data, n);
    for (int j = 0; j < model.n_hidden; ++j)
      ASSERT_NEAR(got[n * model.n_hidden + j], expected[n * model.n_hidden + j],
                  hidden_prob_bound(model, v, j))
          << "row " << n << " unit " << j;
  }
}

TEST_F(CudaBackend, VisibleProbabilitiesMatchCpu) {
  const Model model = make_random_model(200, 50, 0.3, 31);
  std::mt19937_64 rng(32);
  std::vector<float> hidden(123 * 50);
  for (float& h : hidden) h = static_cast<float>(uniform_open_closed(rng));
  Engine cpu(BackendKind::cpu), gpu(BackendKind::cuda);
  const std::vector<float> expected = cpu.visible_probabilities(model, hidden);
  const std::vector<float> got = gpu.visible_probabilities(model, hidden);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t n = 0; n < 123; ++n) {
    const std::vector<double> h(hidden.begin() + n * 50, hidden.begin() + (n + 1) * 50);
    for (int i = 0; i < model.n_visible; ++i)
      ASSERT_NEAR(got[n * 200 + i], expected[n * 200 + i], visible_prob_bound(model, h, i))
          << "row " << n << " unit " << i;
  }
}

TEST_F(CudaBackend, ReconstructionErrorMatchesCpu) {
  const Model model = make_random_model(100, 40, 0.2, 41);
  const Dataset data = random_dataset(100, 200, 42);
  Engine cpu(BackendKind::cpu), gpu(BackendKind::cuda);
  const double expected = cpu.reconstruction_error(model, cpu.upload(data));
  const double got = gpu.reconstruction_error(model, gpu.upload(data));
  // Per element: p_h within its bound; the visible field then errs by its own dot bound plus
  // Σ_j |W_ij|·Δp_h; (v − p)² moves by ≤ 2Δp + Δp². The mean of the per-element bounds bounds
  // the mean's difference (the float64 sums add ~1e-15).
  const Params p(model);
  double bound_sum = 0;
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const std::vector<double> v = row_of(data, n);
    const std::vector<double> ph = hidden_probabilities(p, v);
    std::vector<double> dh(model.n_hidden);
    for (int j = 0; j < model.n_hidden; ++j) dh[j] = hidden_prob_bound(model, v, j);
    for (int i = 0; i < model.n_visible; ++i) {
      double propagated = 0;
      for (int j = 0; j < model.n_hidden; ++j) propagated += std::fabs(model.weight(i, j)) * dh[j];
      const double dp = visible_prob_bound(model, ph, i) + kSigmoidSlope * propagated;
      bound_sum += 2 * dp + dp * dp;
    }
  }
  EXPECT_NEAR(got, expected, bound_sum / (data.n_samples * model.n_visible) + 1e-12);
}

// More rows than one inference chunk (64 MiB of scratch: 19784 rows at D + L = 848), so that
// every chunk's offsets into the results are exercised. Bounds are the worst case over all
// 0/1 rows (|Σ W v| ≤ Σ|W|), so checking 25000 rows stays cheap.
TEST_F(CudaBackend, InferenceAcrossChunksMatchesCpu) {
  const int D = 784, L = 64;
  const Model model = make_random_model(D, L, 0.05, 43);
  const Dataset data = random_dataset(D, 25000, 44);
  Engine cpu(BackendKind::cpu), gpu(BackendKind::cuda);
  const DataHandle on_cpu = cpu.upload(data), on_gpu = gpu.upload(data);
  const std::vector<double> ones_v(D, 1.0), ones_h(L, 1.0);

  double energy_bound = 0, dp_hidden = 0;
  std::vector<double> dh(L);
  for (int j = 0; j < L; ++j) {
    double abs_sum = 0;
    for (int i = 0; i < D; ++i) abs_sum += std::fabs(model.weight(i, j));
    energy_bound += dot_bound(D, abs_sum);
    dh[j] = hidden_prob_bound(model, ones_v, j);
    dp_hidden = std::max(dp_hidden, dh[j]);
  }
  const std::vector<double> f_cpu = cpu.free_energy(model, on_cpu);
  const std::vector<double> f_gpu = gpu.free_energy(model, on_gpu);
  ASSERT_EQ(f_gpu.size(), f_cpu.size());
  for (std::size_t n = 0; n < f_cpu.size(); ++n)
    ASSERT_NEAR(f_gpu[n], f_cpu[n], energy_bound + 1e-12 * (1 + std::fabs(f_cpu[n])))
        << "row " << n;

  const std::vector<float> p_cpu = cpu.hidden_probabilities(model, on_cpu);
  const std::vector<float> p_gpu = gpu.hidden_probabilities(model, on_gpu);
  ASSERT_EQ(p_gpu.size(), p_cpu.size());
  for (std::size_t e = 0; e < p_cpu.size(); ++e)
    ASSERT_NEAR(p_gpu[e], p_cpu[e], dp_hidden) << "row " << e / L << " unit " << e % L;

  // As in ReconstructionErrorMatchesCpu, with each element's bound at its worst case.
  double dp_visible = 0;
  for (int i = 0; i < D; ++i) {
    double propagated = 0;
    for (int j = 0; j < L; ++j) propagated += std::fabs(model.weight(i, j)) * dh[j];
    dp_visible =
        std::max(dp_visible, visible_prob_bound(model, ones_h, i) + kSigmoidSlope * propagated);
  }
  EXPECT_NEAR(gpu.reconstruction_error(model, on_gpu), cpu.reconstruction_error(model, on_cpu),
              2 * dp_visible + dp_visible * dp_visible + 1e-12);
}

// ---- one deterministic CD-k step -------------------------------------------------------------
struct ReplayedStep {
  std::vector<float> uniforms;  ///< nudged off the sampling boundaries
  Model result;                 ///< the step in float64, rounded to float
};

/// Replays the contract's CD-k step (plain SGD) in float64 and moves every uniform that lies
/// within `margin` of its unit's exact probability to `margin` away from it, so that both
/// backends, whose probabilities are within margin/2 of exact, draw the same sample.
ReplayedStep replay_cd_step(const Model& model,
                            const std::vector<float>& batch,
                            int B,
                            int k,
                            double lr,
                            double wd,
                            std::vector<float> u,
                            double margin) {
  const Params p(model);
  const int D = model.n_visible, L = model.n_hidden;
  std::size_t next = 0;
  auto draw = [&](double prob) {
    float& uniform = u[next++];
    if (std::fabs(uniform - prob) < margin)
      uniform = static_cast<float>(prob + margin <= 1.0 ? prob + margin : prob - margin);
    return uniform < prob ? 1.0 : 0.0;
  };
  std::vector<std::vector<double>> v0(B), p0(B), h(B), x(B), ph(B);
  for (int r = 0; r < B; ++r) {
    v0[r].assign(batch.begin() + static_cast<std::size_t>(r) * D,
                 batch.begin() + static_cast<std::size_t>(r + 1) * D);
    p0[r] = hidden_probabilities(p, v0[r]);
  }
  for (int r = 0; r < B; ++r) {
    h[r].resize(L);
    for (int j = 0; j < L; ++j) h[r][j] = draw(p0[r][j]);
  }
  for (int t = 1; t <= k; ++t) {
    for (int r = 0; r < B; ++r) {
      const std::vector<double> pv = visible_probabilities(p, h[r]);
      x[r].resize(D);
      for (int i = 0; i < D; ++i) x[r][i] = draw(pv[i]);
    }
    for (int r = 0; r < B; ++r) ph[r] = hidden_probabilities(p, x[r]);
    if (t < k)
      for (int r = 0; r < B; ++r)
        for (int j = 0; j < L; ++j) h[r][j] = draw(ph[r][j]);
  }
  Model result = model;
  for (int i = 0; i < D; ++i) {
    for (int j = 0; j < L; ++j) {
      double g = 0;
      for (int r = 0; r < B; ++r) g += (v0[r][i] * p0[r][j] - x[r][i] * ph[r][j]) / B;
      result.weights[static_cast<std::size_t>(i) * L + j] =
          static_cast<float>(p.w(i, j) + lr * (g - wd * p.w(i, j)));
    }
  }
  for (int i = 0; i < D; ++i) {
    double g = 0;
    for (int r = 0; r < B; ++r) g += (v0[r][i] - x[r][i]) / B;
    result.visible_bias[i] = static_cast<float>(p.visible_bias[i] + lr * g);
  }
  for (int j = 0; j < L; ++j) {
    double g = 0;
    for (int r = 0; r < B; ++r) g += (p0[r][j] - ph[r][j]) / B;
    result.hidden_bias[j] = static_cast<float>(p.hidden_bias[j] + lr * g);
  }
  return {u, result};
}

TEST_F(CudaBackend, CdStepMatchesCpuWithTheSameUniforms) {
  for (const int k : {1, 3}) {
    const int D = 64, L = 32, B = 24;
    const Model model = make_random_model(D, L, 0.3, 50 + k);
    const Dataset data = random_dataset(D, B, 60 + k);
    const std::vector<float> batch(data.values.begin(), data.values.end());
    TrainConfig config;
    config.cd_steps = k;
    config.learning_rate = 0.1f;
    config.weight_decay = 0.01f;
    std::mt19937_64 rng(70 + k);
    std::vector<float> raw(cd_step_uniform_count(B, D, L, k));
    for (float& u : raw) u = static_cast<float>(uniform_open_closed(rng));

    // Worst-case probability errors of any unit in the step (all inputs 0/1 or in [0,1]).
    double dp_hidden = 0, dp_visible = 0, max_w = 0;
    const std::vector<double> ones_v(D, 1.0), ones_h(L, 1.0);
    for (int j = 0; j < L; ++j)
      dp_hidden = std::max(dp_hidden, hidden_prob_bound(model, ones_v, j));
    for (int i = 0; i < D; ++i)
      dp_visible = std::max(dp_visible, visible_prob_bound(model, ones_h, i));
    for (float w : model.weights) max_w = std::max(max_w, static_cast<double>(std::fabs(w)));
    const double margin = std::max(1e-4, 2 * std::max(dp_hidden, dp_visible));
    const ReplayedStep replay =
        replay_cd_step(model, batch, B, k, static_cast<float>(config.learning_rate.first()),
                       config.weight_decay, raw, margin);

    Engine cpu(BackendKind::cpu), gpu(BackendKind::cuda);
    const Model expected = cpu.cd_step(model, batch, config, replay.uniforms);
    const Model got = gpu.cd_step(model, batch, config, replay.uniforms);
    // Samples are equal, so gradients differ by the probabilities (≤ dp_hidden per term, two
    // terms) and the B-term gradient GEMMs (γ_B of sums ≤ 1); the update adds a few roundings
    // of |θ| + lr·(|g| + wd·|θ|), |g| ≤ 2.
    const double lr = config.learning_rate.first();
    const double grad_bound = 2 * dp_hidden + 2 * dot_bound(B, 1.0);
    const double tol =
        lr * grad_bound + 8 * kU * (1 + max_w + lr * (2 + config.weight_decay * max_w));
    for (const auto* reference : {&expected, &replay.result}) {
      const char* name = reference == &expected ? "cpu" : "float64 replay";
      for (std::size_t e = 0; e < got.weights.size(); ++e)
        ASSERT_NEAR(got.weights[e], reference->weights[e], tol)
            << "k=" << k << " W[" << e << "] vs " << name;
      for (int i = 0; i < D; ++i)
        ASSERT_NEAR(got.visible_bias[i], reference->visible_bias[i], tol)
            << "k=" << k << " b[" << i << "] vs " << name;
      for (int j = 0; j < L; ++j)
        ASSERT_NEAR(got.hidden_bias[j], reference->hidden_bias[j], tol)
            << "k=" << k << " c[" << j << "] vs " << name;
    }
  }
}

// ---- training --------------------------------------------------------------------------------
TrainConfig small_config(std::uint64_t seed) {
  TrainConfig config;
  config.seed = seed;
  config.batch_size = 10;
  config.epochs = 3;
  config.learning_rate = 0.05f;
  config.momentum = 0.5f;
  return config;
}

void expect_same_model(const Model& a, const Model& b, const std::string& what) {
  EXPECT_EQ(a.weights, b.weights) << what;
  EXPECT_EQ(a.visible_bias, b.visible_bias) << what;
  EXPECT_EQ(a.hidden_bias, b.hidden_bias) << what;
}

TEST_F(CudaBackend, TrainingIsReproducibleAndTheCallbackSeesEveryModel) {
  const Dataset data = random_dataset(20, 60, 91);
  Engine gpu(BackendKind::cuda);
  const DataHandle handle = gpu.upload(data);
  std::vector<TrainConfig> configs{small_config(1), small_config(2)};
  configs[1].batch_size = 6;  // another group
  const std::vector<Model> models{init_model(data, 8, configs[0]), init_model(data, 8, configs[1])};
  std::vector<std::vector<EpochMetrics>> seen;
  const auto first = gpu.train(models, configs, handle, [&](const std::vector<EpochMetrics>& m) {
    seen.push_back(m);
    return true;
  });
  ASSERT_EQ(seen.size(), 3u);
  for (std::size_t e = 0; e < seen.size(); ++e) {
    ASSERT_EQ(seen[e].size(), 2u);
    for (int m = 0; m < 2; ++m) {
      EXPECT_EQ(seen[e][m].model, m);
      EXPECT_EQ(seen[e][m].epoch, static_cast<int>(e) + 1);
      EXPECT_GT(seen[e][m].reconstruction_error, 0);
      EXPECT_LT(seen[e][m].reconstruction_error, 1);
    }
  }
  const auto again = gpu.train(models, configs, handle);
  for (int m = 0; m < 2; ++m)
    expect_same_model(first[m], again[m], "rerun of model " + std::to_string(m));
  // Stopping after the first epoch equals a one-epoch run.
  const auto stopped = gpu.train(models, configs, handle, [](const auto&) { return false; });
  std::vector<TrainConfig> one_epoch = configs;
  for (auto& config : one_epoch) config.epochs = 1;
  const auto short_run = gpu.train(models, one_epoch, handle);
  for (int m = 0; m < 2; ++m)
    expect_same_model(stopped[m], short_run[m], "stopped model " + std::to_string(m));
}

// Trajectories of GPU and CPU training coincide until a sampled unit flips (a uniform within
// the backends' probability difference, ~1e-6, of its probability: a few in 10^5 units per run
// here). Without a flip, parameters differ by accumulated float32 rounding, ~lr·γ_D ≪ 1e-4 after
// a few steps; one flip moves a weight by lr/B = 5e-3 ≫ 1e-4. So kTrajectoryTol separates the
// two cases, and of three seeded runs at least two must have no flip.
constexpr double kTrajectoryTol = 1e-4;

double max_difference(const Model& a, const Model& b) {
  double worst = 0;
  for (std::size_t e = 0; e < a.weights.size(); ++e)
    worst = std::max(worst, std::fabs(static_cast<double>(a.weights[e]) - b.weights[e]));
  for (std::size_t i = 0; i < a.visible_bias.size(); ++i)
    worst = std::max(worst, std::fabs(static_cast<double>(a.visible_bias[i]) - b.visible_bias[i]));
  for (std::size_t j = 0; j < a.hidden_bias.size(); ++j)
    worst = std::max(worst, std::fabs(static_cast<double>(a.hidden_bias[j]) - b.hidden_bias[j]));
  return worst;
}

/// The negative phases the agreement tests run: CD, and PCD with either chain state.
struct NegativePhase {
  const char* name;
  bool persistent;
  PcdChains chains;
  int tempering_levels = 0;
};
constexpr NegativePhase kNegativePhases[] = {
    {"CD", false, PcdChains::hidden},
    {"PCD, hidden chains", true, PcdChains::hidden},
    {"PCD, visible chains", true, PcdChains::visible},
    {"PCD with 3 tempering levels", true, PcdChains::visible, 3}};

/// GPU and CPU training of `hidden` units on `data` from `base`, CD and both PCDs, three seeds
/// each: at least two runs of each must follow the CPU trajectory (see kTrajectoryTol).
void expect_cpu_trajectory(const Dataset& data, int hidden, const TrainConfig& base) {
  for (const NegativePhase& phase : kNegativePhases) {
    int agreeing = 0;
    std::ostringstream report;
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      TrainConfig config = base;
      config.seed = seed;
      config.persistent = phase.persistent;
      config.pcd_chains = phase.chains;
      config.tempering_replicas = phase.tempering_levels;
      const Model model = init_model(data, hidden, config);
      Engine cpu(BackendKind::cpu), gpu(BackendKind::cuda);
      std::vector<double> cpu_errors, gpu_errors;
      const Model expected = cpu.train(model, config, cpu.upload(data), [&](const auto& m) {
        cpu_errors.push_back(m[0].reconstruction_error);
        return true;
      });
      const Model got = gpu.train(model, config, gpu.upload(data), [&](const auto& m) {
        gpu_errors.push_back(m[0].reconstruction_error);
        return true;
      });
      const double diff = max_difference(got, expected);
      report << " seed " << seed << ": max |Δθ| = " << diff;
      if (diff <= kTrajectoryTol) {
        ++agreeing;
        for (std::size_t e = 0; e < cpu_errors.size(); ++e)
          EXPECT_NEAR(gpu_errors[e], cpu_errors[e], kTrajectoryTol) << "epoch " << e + 1;
      }
    }
    EXPECT_GE(agreeing, 2) << phase.name << report.str();
  }
}

// M models trained in one batched call against M single runs. cuBLAS may choose other kernels
// (another blocking or split-K) for a batch of M than for a batch of 1, so the GEMM outputs may
// differ in the last bits: trajectories then agree to kTrajectoryTol until a sampled unit
// flips (see above), which a few runs in many may see. So at least 3 of the 4 models of each
// mode must follow their single run.
TEST_F(CudaBackend, ManyModelsFollowTheirSingleRuns) {
  const Dataset data = random_dataset(36, 95, 81);  // 95: the last 5 rows are dropped
  Engine gpu(BackendKind::cuda);
  const DataHandle handle = gpu.upload(data);
  for (const NegativePhase& phase : kNegativePhases) {
    std::vector<Model> models;
    std::vector<TrainConfig> configs;
    for (int m = 0; m < 4; ++m) {
      TrainConfig config = small_config(100 + m);
      config.persistent = phase.persistent;
      config.pcd_chains = phase.chains;
      config.tempering_replicas = phase.tempering_levels;
      config.n_chains = phase.persistent ? 7 : 0;
      config.cd_steps = 2;
      config.learning_rate = 0.02f * (m + 1);
      config.momentum = 0.2f * m;
      config.weight_decay = 0.001f * m;
      configs.push_back(config);
      models.push_back(init_model(data, 16, config));
    }
    // Different k and batch sizes too: these train in separate groups of the same call.
    configs[3].cd_steps = 1;
    configs[3].batch_size = 19;
    const std::vector<Model> together = gpu.train(models, configs, handle);
    int agreeing = 0;
    std::ostringstream report;
    for (std::size_t m = 0; m < models.size(); ++m) {
      const double diff = max_difference(together[m], gpu.train(models[m], configs[m], handle));
      report << " model " << m << ": max |Δθ| = " << diff;
      agreeing += diff <= kTrajectoryTol;
    }
    EXPECT_GE(agreeing, 3) << phase.name << report.str();
  }
}

TEST_F(CudaBackend, TrainingFollowsTheCpuTrajectory) {
  TrainConfig config = small_config(1);
  config.cd_steps = 2;
  config.weight_decay = 0.001f;
  expect_cpu_trajectory(make_bars_and_stripes(4), 8, config);  // 30 rows, D = 16, 3 steps/epoch
}

// Shapes whose per-layer uniform counts (R·L, R·D) are not multiples of four, so that the
// sampling kernel's misaligned head runs, and 20 steps per epoch, so that the 10-step CUDA graph
// is replayed (the test above runs single steps only).
TEST_F(CudaBackend, TrainingFollowsTheCpuTrajectoryAtOddShapesThroughGraphs) {
  TrainConfig config = small_config(1);
  config.batch_size = 2;
  config.n_chains = 3;  // PCD: R = 3 chains for B = 2 rows
  config.cd_steps = 2;
  config.weight_decay = 0.001f;
  expect_cpu_trajectory(random_dataset(9, 41, 7), 5, config);
}

TEST_F(CudaBackend, Tf32TrainingLearnsLikeFp32) {
  const Dataset data = make_bars_and_stripes(4);
  TrainConfig config = small_config(5);
  config.epochs = 300;  // 1800 steps: the CPU reaches 0.006 from 0.25 (seed 5)
  config.batch_size = 5;
  config.learning_rate = 0.1f;
  const Model model = init_model(data, 8, config);
  Engine gpu(BackendKind::cuda);
  const DataHandle handle = gpu.upload(data);
  const double before = gpu.reconstruction_error(model, handle);
  const double fp32 = gpu.reconstruction_error(gpu.train(model, config, handle), handle);
  config.math = GemmMath::tf32;
  const double tf32 = gpu.reconstruction_error(gpu.train(model, config, handle), handle);
  EXPECT_LT(fp32, 0.5 * before);
  // TF32 rounds the GEMM inputs to 10 mantissa bits, so samples flip and runs diverge in detail;
  // learning must still progress comparably.
  EXPECT_LT(tf32, 0.5 * before);
  EXPECT_NEAR(tf32, fp32, 0.25 * before);
}

// bf16 GEMM operands (8 mantissa bits) with float32 accumulation and float32 updates: like TF32,
// samples flip and runs differ in detail, and learning must still progress comparably.
TEST_F(CudaBackend, Bf16TrainingLearnsLikeFp32) {
  const Dataset data = make_bars_and_stripes(4);
  TrainConfig config = small_config(5);
  config.epochs = 300;
  config.batch_size = 5;
  config.learning_rate = 0.1f;
  const Model model = init_model(data, 8, config);
  Engine gpu(BackendKind::cuda);
  const DataHandle handle = gpu.upload(data);
  const double before = gpu.reconstruction_error(model, handle);
  const double fp32 = gpu.reconstruction_error(gpu.train(model, config, handle), handle);
  for (const bool persistent : {false, true}) {
    config.persistent = persistent;
    config.math = GemmMath::bf16;
    const double bf16 = gpu.reconstruction_error(gpu.train(model, config, handle), handle);
    EXPECT_LT(bf16, 0.5 * before) << (persistent ? "PCD" : "CD");
    if (!persistent) EXPECT_NEAR(bf16, fp32, 0.25 * before);
  }
}

// ---- sampling --------------------------------------------------------------------------------
/// χ²_k quantile at z by Wilson–Hilferty (as in tests/test_sampler.cpp).
double chi_square_quantile(int dof, double z) {
  const double a = 2.0 / (9.0 * dof);
  return dof * std::pow(1.0 - a + z * std::sqrt(a), 3);
}
// False-positive rate 1e-4 per test: z = Φ⁻¹(1 − 1e-4).
constexpr double kFalsePositiveZ = 3.7190164854556804;
// Expected counts below 5 are pooled into one bin (validity of the χ² approximation).
constexpr double kMinExpectedCount = 5;

TEST_F(CudaBackend, SamplerMatchesTheExactDistribution) {
  constexpr int kD = 6, kL = 4, kChains = 40000, kBurnIn = 100;
  for (const float beta : {1.0f, 2.0f}) {
    const Model model = make_random_model(kD, kL, 0.8, 3);
    SampleOptions options;
    options.n_chains = kChains;
    options.burn_in = kBurnIn;
    options.beta = beta;
    options.seed = 17;
    Engine gpu(BackendKind::cuda);
    const Dataset samples = gpu.sample(model, options);
    ASSERT_EQ(samples.n_samples, static_cast<std::size_t>(kChains));
    ASSERT_NO_THROW(samples.validate());
    // Exact p(v) of the model at β (every parameter times β), and the chain's distance from it
    // after burn-in (the test's own precondition; see tests/test_sampler.cpp).
    const Model target = scaled(model, beta);
    const std::vector<double> p = visible_distribution(target);
    const std::vector<double> t = gibbs_transition(target);
    const std::size_t S = p.size();
    std::vector<double> power(S * S, 0.0);
    for (std::size_t a = 0; a < S; ++a) power[a * S + a] = 1;
    for (int step = 0; step < kBurnIn; ++step) {
      std::vector<double> next(S * S, 0.0);
      for (std::size_t a = 0; a < S; ++a)
        for (std::size_t c = 0; c < S; ++c)
          for (std::size_t b = 0; b < S; ++b) next[a * S + b] += power[a * S + c] * t[c * S + b];
      power.swap(next);
    }
    for (std::size_t a = 0; a < S; ++a) {
      double tv = 0;
      for (std::size_t b = 0; b < S; ++b) tv += 0.5 * std::fabs(power[a * S + b] - p[b]);
      ASSERT_LE(tv, 1e-6) << "burn-in too short for this model: the test is wrong";
    }
    std::vector<double> counts(S, 0.0);
    for (std::size_t n = 0; n < samples.n_samples; ++n) {
      std::size_t state = 0;
      for (int i = 0; i < kD; ++i) state |= static_cast<std::size_t>(samples.at(n, i)) << i;
      counts[state] += 1;
    }
    std::vector<std::size_t> order(S);
    for (std::size_t s = 0; s < S; ++s) order[s] = s;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return p[a] < p[b]; });
    double chi2 = 0, pool_expected = 0, pool_observed = 0;
    int bins = 0;
    for (std::size_t s : order) {
      const double expected = p[s] * kChains;
      if (expected < kMinExpectedCount ||
          (pool_expected > 0 && pool_expected < kMinExpectedCount)) {
        pool_expected += expected;
        pool_observed += counts[s];
        continue;
      }
      chi2 += std::pow(counts[s] - expected, 2) / expected;
      ++bins;
    }
    if (pool_expected > 0) {
      chi2 += std::pow(pool_observed - pool_expected, 2) / pool_expected;
      ++bins;
    }
    EXPECT_LE(chi2, chi_square_quantile(bins - 1, kFalsePositiveZ))
        << "beta=" << beta << " chi2=" << chi2 << " with " << bins - 1 << " dof";
  }
}

/// How many rows of two datasets of one shape are equal.
std::size_t count_equal_rows(const Dataset& a, const Dataset& b) {
  std::size_t equal = 0;
  for (std::size_t n = 0; n < a.n_samples; ++n)
    equal +=
        std::equal(a.values.begin() + n * a.n_visible, a.values.begin() + (n + 1) * a.n_visible,
                   b.values.begin() + n * b.n_visible);
  return equal;
}

TEST_F(CudaBackend, SamplerDrawsTheCpuSamplesFromTheSameSeed) {
  // Same uniforms, probabilities equal to ~1e-7: chains agree unless a unit flips (expected
  // ~1e-2 flips in this run). A wrong uniform layout would agree on ~2^-16 of the rows.
  const Model model = make_random_model(16, 8, 0.5, 5);
  SampleOptions options;
  options.n_chains = 512;
  options.burn_in = 5;
  options.thinning = 2;
  options.samples_per_chain = 3;
  options.seed = 99;
  Engine cpu(BackendKind::cpu), gpu(BackendKind::cuda);
  const Dataset expected = cpu.sample(model, options);
  const Dataset got = gpu.sample(model, options);
  ASSERT_EQ(got.n_samples, expected.n_samples);
  const std::size_t equal_rows = count_equal_rows(got, expected);
  EXPECT_GE(equal_rows, got.n_samples * 95 / 100) << equal_rows << " of " << got.n_samples;
  // Given starts are used (the two-mode model of tests/test_sampler.cpp: no chain can move).
  Model modes = Model::zeros(6, 1);
  for (int i = 0; i < 6; ++i) {
    modes.weights[i] = 40.0f;
    modes.visible_bias[i] = -20.0f;
  }
  modes.hidden_bias[0] = -120.0f;
  SampleOptions from_init;
  from_init.n_chains = 4;
  from_init.burn_in = 5;
  from_init.samples_per_chain = 2;
  from_init.init.n_visible = 6;
  from_init.init.n_samples = 4;
  for (int c = 0; c < 4; ++c)
    for (int i = 0; i < 6; ++i) from_init.init.values.push_back(c % 2 == 0 ? 1 : 0);
  const Dataset stuck = gpu.sample(modes, from_init);
  for (std::size_t n = 0; n < stuck.n_samples; ++n)
    for (int i = 0; i < 6; ++i) EXPECT_EQ(stuck.at(n, i), (n / 2) % 2 == 0 ? 1 : 0) << "row " << n;
}

// The chain sets behind AIS, tempering and clamped sampling draw the CPU's uniforms: runs from
// one seed agree unless a unit flips or a swap decision flips (probabilities and free energies
// differ by ~1e-6 between the backends: expected well under one flip per run here, and a flip
// only separates the chains it happens in).
TEST_F(CudaBackend, AisWeightsAreTheCpuWeightsFromTheSameSeed) {
  const Model model = make_random_model(12, 6, 0.7, 8);
  AisOptions options;
  options.n_chains = 256;
  options.n_betas = 100;
  options.seed = 4;
  Engine cpu(BackendKind::cpu), gpu(BackendKind::cuda);
  const AisResult expected = cpu.ais_log_z(model, options);
  const AisResult got = gpu.ais_log_z(model, options);
  ASSERT_EQ(got.log_weights.size(), expected.log_weights.size());
  EXPECT_NEAR(got.log_z_base, expected.log_z_base, 1e-9 * std::fabs(expected.log_z_base));
  std::size_t equal = 0;
  for (std::size_t c = 0; c < got.log_weights.size(); ++c)
    equal += std::fabs(got.log_weights[c] - expected.log_weights[c]) <=
             1e-4 * (1 + std::fabs(expected.log_weights[c]));
  EXPECT_GE(equal, got.log_weights.size() * 95 / 100) << equal << " of " << got.log_weights.size();
  EXPECT_NEAR(got.log_z, expected.log_z, 5 * expected.standard_error);
}

TEST_F(CudaBackend, TemperedAndClampedSamplesAreTheCpuSamplesFromTheSameSeed) {
  const Model model = make_random_model(10, 6, 1.0, 6);
  SampleOptions options;
  options.n_chains = 128;
  options.burn_in = 10;
  options.samples_per_chain = 2;
  options.seed = 21;
  TemperingLadder ladder;
  ladder.betas = {0.4, 0.7, 1.0};
  Engine cpu(BackendKind::cpu), gpu(BackendKind::cuda);
  const TemperingResult t_cpu = cpu.sample_tempered(model, options, ladder);
  const TemperingResult t_gpu = gpu.sample_tempered(model, options, ladder);
  ASSERT_EQ(t_gpu.samples.n_samples, t_cpu.samples.n_samples);
  EXPECT_GE(count_equal_rows(t_gpu.samples, t_cpu.samples), t_cpu.samples.n_samples * 95 / 100);
  ASSERT_EQ(t_gpu.swap_rates.size(), 2u);
  // Clamped: every chain starts at ones with its first three units held.
  options.init.n_visible = 10;
  options.init.n_samples = options.n_chains;
  options.init.values.assign(std::size_t(10) * options.n_chains, 1);
  options.clamped = {1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
  const Dataset c_cpu = cpu.sample(model, options), c_gpu = gpu.sample(model, options);
  ASSERT_EQ(c_gpu.n_samples, c_cpu.n_samples);
  EXPECT_GE(count_equal_rows(c_gpu, c_cpu), c_cpu.n_samples * 95 / 100);
  for (std::size_t n = 0; n < c_gpu.n_samples; ++n)
    for (int i = 0; i < 3; ++i) ASSERT_EQ(c_gpu.at(n, i), 1) << "row " << n;
}

// ---- errors ----------------------------------------------------------------------------------
TEST_F(CudaBackend, InvalidModelsAndForeignDataAreRejected) {
  Model model = make_random_model(10, 4, 0.1, 1);
  const Dataset data = random_dataset(10, 20, 2);
  Engine gpu(BackendKind::cuda), cpu(BackendKind::cpu);
  const DataHandle handle = gpu.upload(data);
  model.weights[3] = std::nanf("");
  EXPECT_THROW(gpu.free_energy(model, handle), InvalidArgument);
  EXPECT_THROW(gpu.train(model, small_config(1), handle), InvalidArgument);
  EXPECT_THROW(gpu.sample(model, SampleOptions{}), InvalidArgument);
  model.weights[3] = 0;
  EXPECT_THROW(gpu.free_energy(model, cpu.upload(data)), InvalidArgument);
}

TEST_F(CudaBackend, OutOfDeviceMemoryNamesTheBytesAndTheEngineRecovers) {
  const Model model = make_random_model(784, 16, 0.1, 1);
  SampleOptions options;
  options.n_chains = 1 << 30;  // 2^30 chains × 784 floats = 3.4 TB of chain state
  options.burn_in = 1;
  Engine gpu(BackendKind::cuda);
  try {
    gpu.sample(model, options);
    FAIL() << "a 3.4 TB allocation succeeded";
  } catch (const OutOfMemory& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("bytes"), std::string::npos) << message;
    EXPECT_NE(message.find("sample"), std::string::npos) << message;
  }
  options.n_chains = 4;
  EXPECT_EQ(gpu.sample(model, options).n_samples, 4u);
}

TEST_F(CudaBackend, DivergingTrainingThrowsAndLeavesTheInputUntouched) {
  const Dataset data = random_dataset(12, 40, 3);
  Model model = Model::zeros(12, 4);
  for (float& w : model.weights) w = 3e38f;  // −wd·W overflows to −inf in the first update
  const Model original = model;
  TrainConfig config = small_config(1);
  config.learning_rate = 1.0f;
  config.weight_decay = 2.0f;
  Engine gpu(BackendKind::cuda);
  EXPECT_THROW(gpu.train(model, config, gpu.upload(data)), Diverged);
  expect_same_model(model, original, "the caller's model");
}

}  // namespace
}  // namespace rbm::test
