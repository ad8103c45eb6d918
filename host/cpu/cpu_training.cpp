// host/cpu/cpu_training.cpp — CD-k / PCD training on the CPU: the training contract of
// host/backend.hpp, one epoch at a time over a group of models (each model's steps run one
// after the other; the parallelism is inside the GEMMs and elementwise passes).
#include <algorithm>
#include <array>
#include <climits>
#include <cmath>

#include "host/check.hpp"
#include "host/common/units.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/cpu_math.hpp"
#include "host/trainer.hpp"

namespace rbm::detail {
namespace {

using namespace cpu;

/// One model's resident state.
struct CpuModel {
  Model model;
  Model epoch_start;  ///< the parameters when the current epoch began (divergence fallback)
  TrainingCheckpoint::ModelState state;
};

/// Buffers of one training step, reused across steps.
struct StepWorkspace {
  std::vector<float> v0, m0, h, mv, x, mh, recon, grad_w, grad_b, grad_c;
  std::vector<float> visible_means, hidden_means, pull, correction_b, correction_c;
  std::vector<float> tempered, zeros;  ///< tempering: all ladder rows; the zero base-rate model
  ChainWorkspace chains;
};

struct CpuTrainingState final : TrainingState {
  TrainSetup setup;
  const CpuData* data = nullptr;
  std::vector<CpuModel> models;
  std::uint64_t rng_offset = 0, steps = 0;
  StepWorkspace ws;
  std::vector<float> batch, uniforms;
};

/// What one step needs besides the model: the group's setup, the model's hyper-parameters.
struct StepParams {
  UnitType visible_type = UnitType::bernoulli, hidden_type = UnitType::bernoulli;
  int cd_steps = 1;
  bool persistent = false, centering = false, sparsity = false;
  bool hidden_chains = false;  ///< PCD chains carry H (else X)
  UpdateInputs update;
  bool first_step = false;
  std::vector<float> ladder;  ///< tempering levels (empty: plain PCD)
  std::uint64_t seed = 0;     ///< the model's (tempering swaps)
  std::uint64_t round = 0;    ///< tempering: the step's first round
};

/// colmean over `rows` rows of x [rows][width] in double, each mean rounded to float, times
/// `sign`, written to (or added in float to) out.
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

/// Contract steps 1–3: fills ws.m0, ws.x, ws.mh, ws.h (and ws.mv at t = 1); returns the step's
/// reconstruction error. `chains` are the PCD chains, X [R][D] or H [R][L] (read; the new X and H
/// are left in ws.x and ws.h).
double gibbs_phase(const Model& m,
                   const StepParams& p,
                   const float* v0,
                   int B,
                   const float* chains,
                   int R,
                   const float* u,
                   StepWorkspace& ws,
                   ThreadPool& pool) {
  const int D = m.n_visible, L = m.n_hidden;
  const std::size_t hidden_count = static_cast<std::size_t>(R) * L;
  const std::size_t visible_count = static_cast<std::size_t>(R) * D;
  ws.m0.resize(static_cast<std::size_t>(B) * L);
  ws.h.resize(hidden_count);
  ws.mv.resize(visible_count);
  ws.x.resize(visible_count);
  ws.mh.resize(hidden_count);
  const float* c = m.hidden_bias.data();
  const float* b = m.visible_bias.data();

  double reconstruction = 0;
  hidden_fields(m, v0, B, ws.m0.data());
  if (p.persistent) {
    run_layer({p.hidden_type, B, L, ws.m0.data(), c, nullptr, nullptr}, pool);
    if (p.hidden_chains) {
      std::copy(chains, chains + hidden_count, ws.h.begin());
    } else {
      hidden_fields(m, chains, R, ws.mh.data());
      run_layer({p.hidden_type, R, L, ws.mh.data(), c, u, ws.h.data()}, pool);
    }
    // Mean-field reconstruction of the data (the chains' visible means say nothing about V0).
    ws.recon.resize(static_cast<std::size_t>(B) * D);
    visible_fields(m, ws.m0.data(), B, ws.recon.data());
    run_layer({p.visible_type, B, D, ws.recon.data(), b, nullptr, nullptr}, pool);
    reconstruction = mean_squared_difference(v0, ws.recon.data(), ws.recon.size());
  } else {
    run_layer({p.hidden_type, B, L, ws.m0.data(), c, u, ws.h.data()}, pool);
  }
  if (!p.hidden_chains) u += hidden_count;  // the h0 slot

  for (int t = 1; t <= p.cd_steps; ++t) {
    visible_fields(m, ws.h.data(), R, ws.mv.data());
    run_layer({p.visible_type, R, D, ws.mv.data(), b, u, ws.x.data()}, pool);
    if (t == 1 && !p.persistent)
      reconstruction = mean_squared_difference(v0, ws.mv.data(), visible_count);
    u += visible_count;
    hidden_fields(m, ws.x.data(), R, ws.mh.data());
    const bool sample = t < p.cd_steps || p.hidden_chains;
    run_layer({p.hidden_type, R, L, ws.mh.data(), c, sample ? u : nullptr,
               sample ? ws.h.data() : nullptr},
              pool);
    if (sample) u += hidden_count;
  }
  return reconstruction;
}

/// The tempering negative phase (contract "Tempering"): k rounds over all ladder rows (read
/// from `chains`, left in ws.tempered), X = the top level's rows in ws.x, Mh in ws.mh; fills
/// ws.m0 and returns the reconstruction error as gibbs_phase does for PCD.
double tempering_phase(const Model& m,
                       const StepParams& p,
                       const float* v0,
                       int B,
                       const std::vector<float>& chains,
                       const float* u,
                       StepWorkspace& ws,
                       ThreadPool& pool) {
  const int D = m.n_visible, L = m.n_hidden, T = static_cast<int>(p.ladder.size());
  const int rows = static_cast<int>(chains.size() / D), C = rows / T;
  ws.m0.resize(static_cast<std::size_t>(B) * L);
  hidden_fields(m, v0, B, ws.m0.data());
  run_layer({p.hidden_type, B, L, ws.m0.data(), m.hidden_bias.data(), nullptr, nullptr}, pool);
  ws.recon.resize(static_cast<std::size_t>(B) * D);
  visible_fields(m, ws.m0.data(), B, ws.recon.data());
  run_layer({p.visible_type, B, D, ws.recon.data(), m.visible_bias.data(), nullptr, nullptr}, pool);
  const double reconstruction = mean_squared_difference(v0, ws.recon.data(), ws.recon.size());

  ws.tempered = chains;
  ws.zeros.assign(std::max(D, L), 0.0f);
  const ChainBlock block{&m,   ws.zeros.data(), ws.zeros.data(), ws.tempered.data(),
                         rows, nullptr,         p.seed,          RandomStream::temper};
  const std::vector<ChainLevel> levels = levels_at(block, p.ladder);
  std::vector<std::uint64_t> accepted(T - 1), attempted(T - 1);
  for (int t = 1; t <= p.cd_steps; ++t) {
    hidden_products(block, ws.chains);
    swap_round(block, levels, p.round + t - 1, ws.chains, accepted.data(), attempted.data());
    sweep_from_products(block, levels, u, ws.chains, pool);
    u += static_cast<std::size_t>(rows) * (L + D);
  }
  ws.x.resize(static_cast<std::size_t>(C) * D);
  for (int c = 0; c < C; ++c)
    std::copy_n(ws.tempered.data() + (static_cast<std::size_t>(c) * T + T - 1) * D, D,
                ws.x.data() + static_cast<std::size_t>(c) * D);
  ws.mh.resize(static_cast<std::size_t>(C) * L);
  hidden_fields(m, ws.x.data(), C, ws.mh.data());
  run_layer({p.hidden_type, C, L, ws.mh.data(), m.hidden_bias.data(), nullptr, nullptr}, pool);
  return reconstruction;
}

/// Contract step 4: the likelihood statistics, centered when asked, and the sparsity pull.
void gradients(const Model& m,
               const StepParams& p,
               const float* v0,
               int B,
               int R,
               TrainingCheckpoint::ModelState& s,
               StepWorkspace& ws) {
  const int D = m.n_visible, L = m.n_hidden;
  ws.grad_w.resize(m.weights.size());
  ws.grad_b.resize(D);
  ws.grad_c.resize(L);
  gemm(true, false, D, L, B, 1.0f / B, v0, ws.m0.data(), 0.0f, ws.grad_w.data());
  gemm(true, false, D, L, R, -1.0f / R, ws.x.data(), ws.mh.data(), 1.0f, ws.grad_w.data());
  column_means(v0, B, D, 1.0f, ws.grad_b.data(), /*accumulate=*/false);
  column_means(ws.x.data(), R, D, -1.0f, ws.grad_b.data(), /*accumulate=*/true);
  column_means(ws.m0.data(), B, L, 1.0f, ws.grad_c.data(), /*accumulate=*/false);
  column_means(ws.mh.data(), R, L, -1.0f, ws.grad_c.data(), /*accumulate=*/true);
  if (p.centering || p.sparsity) {
    ws.visible_means.resize(D);
    ws.hidden_means.resize(L);
    column_means(v0, B, D, 1.0f, ws.visible_means.data(), false);
    column_means(ws.m0.data(), B, L, 1.0f, ws.hidden_means.data(), false);
  }
  if (p.centering) {
    const float* mu = s.visible_offsets.data();
    const float* lambda = s.hidden_offsets.data();
    for (int i = 0; i < D; ++i)
      for (int j = 0; j < L; ++j) {
        float& g = ws.grad_w[static_cast<std::size_t>(i) * L + j];
        g = centered_weight_gradient(g, mu[i], lambda[j], ws.grad_b[i], ws.grad_c[j]);
      }
    ws.correction_b.resize(D);
    ws.correction_c.resize(L);
    gemv(false, D, L, ws.grad_w.data(), lambda, ws.correction_b.data());
    gemv(true, D, L, ws.grad_w.data(), mu, ws.correction_c.data());
    for (int i = 0; i < D; ++i) ws.grad_b[i] = sub_rn(ws.grad_b[i], ws.correction_b[i]);
    for (int j = 0; j < L; ++j) ws.grad_c[j] = sub_rn(ws.grad_c[j], ws.correction_c[j]);
  }
  if (p.sparsity) {
    const StepHyper& h = p.update.hyper;
    ws.pull.resize(L);
    for (int j = 0; j < L; ++j) {
      s.sparsity[j] = p.first_step ? ws.hidden_means[j]
                                   : moving_average(s.sparsity[j], ws.hidden_means[j],
                                                    sub_rn(1.0f, h.sparsity_decay));
      ws.pull[j] = sparsity_pull(h, s.sparsity[j]);
      ws.grad_c[j] = sub_rn(ws.grad_c[j], ws.pull[j]);
    }
  }
}

/// Contract step 5: optimizer steps of W, b, c; then the centering offsets move.
void update(Model& m,
            const StepParams& p,
            TrainingCheckpoint::ModelState& s,
            StepWorkspace& ws,
            ThreadPool& pool) {
  const std::size_t DL = m.weights.size(), D = m.n_visible, L = m.n_hidden;
  const std::size_t P = DL + D + L;
  const int n_slots = optimizer_slots(p.update.optimizer);
  auto slots_at = [&](std::size_t offset) {
    std::array<float*, 2> at{nullptr, nullptr};
    for (int k = 0; k < n_slots; ++k) at[k] = s.optimizer.data() + k * P + offset;
    return at;
  };
  UpdateInputs in = p.update;
  if (p.sparsity) {
    in.sparsity_pull = ws.pull.data();
    in.visible_means = ws.visible_means.data();
  }
  const auto w_slots = slots_at(0), b_slots = slots_at(DL), c_slots = slots_at(DL + D);
  pool.parallel_for(
      DL,
      [&](std::size_t b, std::size_t e) {
        update_weights(in, m.n_hidden, m.weights.data(), ws.grad_w.data(), w_slots.data(), b, e);
      },
      kMinElementsPerThread);
  update_biases(in, m.visible_bias.data(), ws.grad_b.data(), b_slots.data(), D);
  update_biases(in, m.hidden_bias.data(), ws.grad_c.data(), c_slots.data(), L);
  if (p.centering) {
    const float rate = p.update.hyper.centering_rate;
    for (std::size_t i = 0; i < D; ++i)
      s.visible_offsets[i] = moving_average(s.visible_offsets[i], ws.visible_means[i], rate);
    for (std::size_t j = 0; j < L; ++j)
      s.hidden_offsets[j] = moving_average(s.hidden_offsets[j], ws.hidden_means[j], rate);
  }
}

/// One contract step (1–6) for one model on batch v0 [B][D] with the step's uniforms.
double train_step(CpuModel& cm,
                  const StepParams& p,
                  const float* v0,
                  int B,
                  const float* u,
                  StepWorkspace& ws,
                  ThreadPool& pool) {
  const int D = cm.model.n_visible;
  if (!p.ladder.empty()) {
    const double reconstruction = tempering_phase(cm.model, p, v0, B, cm.state.chains, u, ws, pool);
    gradients(cm.model, p, v0, B, static_cast<int>(ws.x.size() / D), cm.state, ws);
    update(cm.model, p, cm.state, ws, pool);
    std::swap(cm.state.chains, ws.tempered);  // same size; rewritten next step
    return reconstruction;
  }
  const int width = p.hidden_chains ? cm.model.n_hidden : D;
  const int R = p.persistent ? static_cast<int>(cm.state.chains.size() / width) : B;
  const double reconstruction =
      gibbs_phase(cm.model, p, v0, B, p.persistent ? cm.state.chains.data() : v0, R, u, ws, pool);
  gradients(cm.model, p, v0, B, R, cm.state, ws);
  update(cm.model, p, cm.state, ws, pool);
  // Same sizes; ws.x and ws.h are rewritten by the next step.
  if (p.persistent) std::swap(cm.state.chains, p.hidden_chains ? ws.h : ws.x);
  return reconstruction;
}

std::uint64_t count_unhealthy(const Model& m, float bound) {
  std::uint64_t bad = 0;
  for (const auto* values : {&m.weights, &m.visible_bias, &m.hidden_bias})
    for (float x : *values) bad += !(std::fabs(x) <= bound);  // NaN compares false
  return bad;
}

StepParams step_params(const TrainSetup& setup, const StepHyper& hyper, int cd_steps) {
  StepParams p;
  p.visible_type = setup.visible_type;
  p.hidden_type = setup.hidden_type;
  p.cd_steps = cd_steps;
  p.persistent = setup.persistent;
  p.hidden_chains = setup.persistent && setup.pcd_chains == PcdChains::hidden;
  p.centering = setup.centering;
  p.sparsity = setup.sparsity;
  p.update.optimizer = setup.optimizer;
  p.update.hyper = hyper;
  p.ladder = setup.tempering_ladder;
  return p;
}

}  // namespace

std::unique_ptr<TrainingState> CpuBackend::start_training(const TrainSetup& setup,
                                                          const TrainingSnapshot& initial,
                                                          const ResidentData& data) {
  RBM_EXPECTS(data.n_samples <= UINT32_MAX, "the CPU backend trains on at most 2^32 - 1 rows, got ",
              data.n_samples);
  RBM_EXPECTS(setup.math != GemmMath::bf16,
              "the CPU backend trains in float32; bf16 GEMMs (TrainConfig::math, --math bf16) "
              "need the CUDA backend");
  auto state = std::make_unique<CpuTrainingState>();
  state->setup = setup;
  state->data = &as_cpu(data);
  for (std::size_t m = 0; m < initial.models.size(); ++m)
    state->models.push_back({initial.models[m], initial.models[m], initial.states[m]});
  state->rng_offset = initial.states.front().rng_offset;
  state->steps = initial.states.front().steps;
  return state;
}

EpochReport CpuBackend::train_epoch(TrainingState& base, const EpochPlan& plan) {
  auto& st = static_cast<CpuTrainingState&>(base);
  const CpuData& data = *st.data;
  const int D = data.n_visible, B = plan.batch_size;
  const int levels = std::max<int>(1, static_cast<int>(st.setup.tempering_ladder.size()));
  const int R = st.setup.persistent ? st.setup.chain_rows * levels : B;
  const int L = st.setup.n_hidden;
  const std::size_t n_batches = data.n_samples / B;
  const std::size_t step_uniforms = cd_step_uniform_count(R, D, L, plan.cd_steps);
  EpochReport report;
  std::uint64_t offset = st.rng_offset, steps = st.steps;
  for (std::size_t m = 0; m < st.models.size(); ++m) {
    CpuModel& cm = st.models[m];
    cm.epoch_start = cm.model;
    StepParams p = step_params(st.setup, plan.hyper[m], plan.cd_steps);
    const std::uint64_t seed = st.setup.seeds[m];
    const auto order = epoch_permutation(seed, plan.epoch, data.n_samples);
    st.batch.resize(static_cast<std::size_t>(B) * D);
    st.uniforms.resize(step_uniforms);
    offset = st.rng_offset;
    steps = st.steps;
    double error_sum = 0;
    for (std::size_t s = 0; s < n_batches; ++s, ++steps) {
      for (int r = 0; r < B; ++r)
        bits_to_units(st.setup.visible_type,
                      data.values.data() + static_cast<std::size_t>(order[s * B + r]) * D, D,
                      st.batch.data() + static_cast<std::size_t>(r) * D);
      pool_.parallel_for(
          step_uniforms,
          [&](std::size_t b, std::size_t e) {
            fill_uniforms(seed, RandomStream::gibbs, 0, offset + b, e - b, st.uniforms.data() + b);
          },
          kMinElementsPerThread);
      p.round = offset / (static_cast<std::uint64_t>(R) * (L + D));  // tempering's round count
      offset += step_uniforms;
      p.first_step = steps == 0;
      p.seed = seed;
      p.update.scalars = step_scalars(p.update.optimizer, p.update.hyper, steps + 1);
      error_sum += train_step(cm, p, st.batch.data(), B, st.uniforms.data(), st.ws, pool_);
    }
    report.reconstruction_error.push_back(error_sum / static_cast<double>(n_batches));
    report.unhealthy.push_back(count_unhealthy(cm.model, plan.max_abs_parameter));
  }
  st.rng_offset = offset;
  st.steps = steps;
  return report;
}

TrainingSnapshot CpuBackend::snapshot(TrainingState& base, bool epoch_start) {
  auto& st = static_cast<CpuTrainingState&>(base);
  TrainingSnapshot out;
  for (const CpuModel& cm : st.models) {
    out.models.push_back(epoch_start ? cm.epoch_start : cm.model);
    if (epoch_start) continue;
    out.states.push_back(cm.state);
    out.states.back().rng_offset = st.rng_offset;
    out.states.back().steps = st.steps;
  }
  return out;
}

Model CpuBackend::cd_step(const CdStepInput& input) {
  CpuModel cm{*input.model, *input.model, {}};
  TrainSetup setup;
  setup.visible_type = input.model->visible_type;
  setup.hidden_type = input.model->hidden_type;
  setup.optimizer = Optimizer::sgd;
  StepHyper hyper;
  hyper.learning_rate = input.learning_rate;
  hyper.weight_decay = input.weight_decay;
  StepParams p = step_params(setup, hyper, input.cd_steps);
  p.first_step = true;
  p.update.scalars = step_scalars(p.update.optimizer, hyper, 1);
  std::vector<float> batch(input.batch->size());
  bits_to_units(setup.visible_type, input.batch->data(), batch.size(), batch.data());
  StepWorkspace ws;
  train_step(cm, p, batch.data(), input.batch_size, input.uniforms->data(), ws, pool_);
  return cm.model;
}

}  // namespace rbm::detail
