// cuda/training.cu — CD-k / PCD training on the device, one epoch at a time (the training
// contract of host/backend.hpp) for a group of M models.
//
// One step (contract steps 1–6) for M models, CD-k:
//   gather  V0 ← data rows of the epoch's permutation (uint8 → unit values, on the device)
//   GEMM    M0 = V0·W            layer: M0 = mean_h(M0 + c), H = sample_h
//   k ×   { GEMM Mv = H·Wᵀ       layer: Mv = mean_v(Mv + b), X = sample_v [+ recon at t=1]
//           GEMM Mh = X·W        layer: Mh = mean_h(Mh + c) [, H = sample_h if t < k] }
//   GEMM    G = V0ᵀM0/B;  GEMM  G −= XᵀMh/R
//   statistics  gb, gc (+ column means, sparsity q)   [centering: center G; 2 GEMVs]
//   update  optimizer steps of W, b, c; offsets; reconstruction sum; cursor advance
// PCD adds a GEMM + layer for the mean-field reconstruction of the data (the step's reported
// error) and, with visible chains, one for the chains' first hidden sample; hidden chains start
// from the hidden sample the previous step drew with its statistics. With GemmMath::bf16 every
// GEMM reads bfloat16 copies of its operands, made by one conversion kernel after each operand
// is written (W once per step); everything else stays float32. Positions (uniform offset, step,
// batch) live in device memory and hyper-parameters in a device array, so a step is captured
// once per shape (B, k) into CUDA graphs and replayed for the whole run, whatever the schedules
// do.
#include <cuda_bf16.h>

#include <map>
#include <string>
#include <utility>

#include "cuda/bf16.cuh"
#include "cuda/chains.cuh"
#include "cuda/gather.cuh"
#include "cuda/graphs.cuh"
#include "cuda/health.cuh"
#include "cuda/layers.cuh"
#include "cuda/operations.cuh"
#include "cuda/shuffle.cuh"
#include "cuda/update.cuh"
#include "host/common/units.hpp"

namespace rbm::cuda {
namespace {

using detail::EpochPlan;
using detail::EpochReport;
using detail::TrainingSnapshot;
using detail::TrainSetup;

/// bfloat16 copies of the GEMM operands (GemmMath::bf16 only).
struct Bf16Operands {
  DeviceBuffer<__nv_bfloat16> w, v0, m0, h, x, mh;
};

/// A group's training state on the device; buffers are sized for the run's largest B.
struct CudaTrainingState final : detail::TrainingState {
  TrainSetup setup;
  const CudaData* data = nullptr;
  int chain_rows = 0;  ///< R's allocation: the PCD chains, or the largest B
  DeviceModels params, epoch_start;
  DeviceBuffer<float> state;  ///< optimizer slots [slots][M][D·L + D + L]
  DeviceBuffer<float> v0, m0, h, mv, x, mh, recon, grad_w, grad_b, grad_c;
  DeviceBuffer<float> visible_means, hidden_means, sparsity, pull, visible_offsets, hidden_offsets,
      correction_b, correction_c;
  DeviceBuffer<double> recon_partials, recon_sum;
  Bf16Operands half;
  UpdateArgs update;  ///< built once the buffers exist; rows and reconstruction set per step
  DeviceBuffer<detail::StepHyper> hyper;
  std::vector<detail::StepHyper> hyper_host;  ///< read by the last async upload
  DeviceBuffer<std::uint64_t> seeds;
  DeviceBuffer<StepCursor> cursor;
  std::unique_ptr<Shuffler> shuffler;
  DeviceBuffer<std::uint32_t> perm;  ///< [M][N]
  DeviceBuffer<unsigned int> unhealthy;
  std::map<std::pair<int, int>, Repeater> repeaters;  ///< per (B, k)
  int recon_count = 0;
  std::vector<double> recon_host;
  std::vector<unsigned int> unhealthy_host;
  std::vector<std::string> provenance;  ///< [M]: snapshots return the models as they came in
  /// Tempering (setup.tempering_ladder not empty): the chains' T levels, [M][R·T] rows, with
  /// their sweep buffers, the ladder [T] and the zero base-rate model.
  int levels = 0;  ///< T, 0 without tempering
  DeviceBuffer<float> tempered, tempered_gh, tempered_h, tempered_gv, ladder, zeros;

};

/// Where V0 comes from: the epoch's permutation of the resident data (training), or nowhere
/// (cd_step copies the batch in itself).
struct BatchSource {
  const std::uint8_t* data = nullptr;
  const std::uint32_t* perm = nullptr;  ///< [M][N]
  std::size_t n_samples = 0;
};

void allocate(CudaTrainingState& st) {
  const TrainSetup& s = st.setup;
  const std::size_t M = s.n_models, D = s.n_visible, L = s.n_hidden, B = s.max_batch_size,
                    R = st.chain_rows;
  // Any of these may be too large: DeviceBuffer throws OutOfMemory with the bytes.
  st.state.resize(detail::optimizer_slots(s.optimizer) * M * (D * L + D + L));
  st.grad_w.resize(M * D * L);
  st.x.resize(M * R * D);
  st.mv.resize(M * R * D);
  st.v0.resize(M * B * D);
  if (s.persistent) st.recon.resize(M * B * D);
  st.m0.resize(M * B * L);
  st.h.resize(M * R * L);
  st.mh.resize(M * R * L);
  st.grad_b.resize(M * D);
  st.grad_c.resize(M * L);
  if (s.centering || s.sparsity) {
    st.visible_means.resize(M * D);
    st.hidden_means.resize(M * L);
  }
  if (s.sparsity) {
    st.sparsity.resize(M * L);
    st.pull.resize(M * L);
  }
  if (s.centering) {
    for (auto* buffer : {&st.visible_offsets, &st.correction_b}) buffer->resize(M * D);
    for (auto* buffer : {&st.hidden_offsets, &st.correction_c}) buffer->resize(M * L);
  }
  st.recon_count = recon_partial_count(static_cast<int>(B), static_cast<int>(D));
  st.recon_partials.resize(M * st.recon_count);
  st.recon_sum.resize(M);
  st.hyper.resize(M);
  st.seeds.resize(M);
  st.cursor.resize(1);
  st.unhealthy.resize(M);
  st.perm.resize(M * st.data->n_samples);
  if (st.levels > 0) {
    const std::size_t rows = R * st.levels;
    for (auto* buffer : {&st.tempered, &st.tempered_gv}) buffer->resize(M * rows * D);
    for (auto* buffer : {&st.tempered_gh, &st.tempered_h}) buffer->resize(M * rows * L);
    st.zeros.resize(M * std::max(D, L));
    RBM_CUDA_CHECK(cudaMemset(st.zeros.data(), 0, st.zeros.size() * sizeof(float)));
  }
  st.shuffler = std::make_unique<Shuffler>(st.data->n_samples, static_cast<int>(M));
  if (s.math == GemmMath::bf16) {
    st.half.w.resize(M * D * L);
    st.half.v0.resize(M * B * D);
    st.half.m0.resize(M * B * L);
    st.half.h.resize(M * R * L);
    st.half.x.resize(M * R * D);
    st.half.mh.resize(M * R * L);
  }
}

bool hidden_chains(const TrainSetup& s) {
  return s.persistent && s.pcd_chains == PcdChains::hidden;
}

/// The PCD chains a checkpoint stores: all ladder rows (tempering), H (hidden chains) or X.
DeviceBuffer<float>& stored_chains(CudaTrainingState& st) {
  return st.levels > 0 ? st.tempered : hidden_chains(st.setup) ? st.h : st.x;
}
std::size_t stored_chain_floats(const CudaTrainingState& st) {
  const TrainSetup& s = st.setup;
  return static_cast<std::size_t>(st.chain_rows) * std::max(st.levels, 1) *
         (hidden_chains(s) ? s.n_hidden : s.n_visible);
}

/// The update kernels' arguments that stay fixed for a training state.
UpdateArgs make_update_args(CudaTrainingState& st) {
  const TrainSetup& s = st.setup;
  UpdateArgs a;
  a.shape.n_visible = s.n_visible;
  a.shape.n_hidden = s.n_hidden;
  a.shape.optimizer = s.optimizer;
  a.shape.slots = detail::optimizer_slots(s.optimizer);
  a.shape.centering = s.centering;
  a.shape.sparsity = s.sparsity;
  a.params = {st.params.w.data(), st.params.b.data(), st.params.c.data(), st.state.data()};
  a.phases = {st.v0.data(), st.m0.data(), st.x.data(), st.mh.data()};
  const bool means = s.centering || s.sparsity;
  a.grad = {st.grad_w.data(), st.grad_b.data(), st.grad_c.data(),
            means ? st.visible_means.data() : nullptr, means ? st.hidden_means.data() : nullptr};
  a.centering = {st.visible_offsets.data(), st.hidden_offsets.data(), st.correction_b.data(),
                 st.correction_c.data()};
  a.sparsity = {s.sparsity ? st.sparsity.data() : nullptr, st.pull.data()};
  a.progress.hyper = st.hyper.data();
  a.progress.cursor = st.cursor.data();
  return a;
}

/// Copies per-model host vectors (each `per_model` floats, or all empty) into `buffer`.
void upload_per_model(const std::vector<const std::vector<float>*>& parts,
                      std::size_t per_model,
                      DeviceBuffer<float>& buffer,
                      cudaStream_t stream) {
  for (std::size_t m = 0; m < parts.size(); ++m)
    if (per_model)
      RBM_CUDA_CHECK(cudaMemcpyAsync(buffer.data() + m * per_model, parts[m]->data(),
                                     per_model * sizeof(float), cudaMemcpyHostToDevice, stream));
}

void download_per_model(const DeviceBuffer<float>& buffer,
                        std::size_t per_model,
                        const std::vector<std::vector<float>*>& parts,
                        cudaStream_t stream) {
  for (std::size_t m = 0; m < parts.size(); ++m) {
    parts[m]->resize(per_model);
    if (per_model)
      RBM_CUDA_CHECK(cudaMemcpyAsync(parts[m]->data(), buffer.data() + m * per_model,
                                     per_model * sizeof(float), cudaMemcpyDeviceToHost, stream));
  }
}

/// The optimizer slots: host [slots][P] per model ↔ device [slots][M][P].
void copy_optimizer_state(CudaTrainingState& st,
                          std::vector<TrainingCheckpoint::ModelState>& states,
                          bool to_device,
                          cudaStream_t stream) {
  const TrainSetup& s = st.setup;
  const std::size_t P =
      static_cast<std::size_t>(s.n_visible) * s.n_hidden + s.n_visible + s.n_hidden;
  const int slots = detail::optimizer_slots(s.optimizer);
  for (int k = 0; k < slots; ++k)
    for (std::size_t m = 0; m < states.size(); ++m) {
      float* device = st.state.data() + (static_cast<std::size_t>(k) * s.n_models + m) * P;
      std::vector<float>& host = states[m].optimizer;
      if (!to_device) host.resize(slots * P);
      RBM_CUDA_CHECK(cudaMemcpyAsync(
          to_device ? device : host.data() + k * P, to_device ? host.data() + k * P : device,
          P * sizeof(float), to_device ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost, stream));
    }
}

/// The tempering negative phase (contract "Tempering"): k rounds over all R·T ladder rows,
/// then X = the top level's rows and Mh = mean_h(X·W + c). Returns the step's uniform count.
std::uint64_t record_tempering(Context& ctx, CudaTrainingState& st, int k) {
  cudaStream_t stream = ctx.stream();
  const TrainSetup& s = st.setup;
  const int M = s.n_models, D = s.n_visible, L = s.n_hidden, T = st.levels;
  const int C = st.chain_rows, rows = C * T;
  const long long DL = static_cast<long long>(D) * L;
  ChainArgs a;
  a.M = M;
  a.C = rows;
  a.D = D;
  a.L = L;
  a.visible_type = s.visible_type;
  a.hidden_type = s.hidden_type;
  a.w = st.params.w.data();
  a.b = st.params.b.data();
  a.c = st.params.c.data();
  a.base_b = a.base_c = a.zeros = st.zeros.data();
  a.seeds = st.seeds.data();
  a.stream = detail::RandomStream::gibbs;
  a.swap_stream = detail::RandomStream::temper;
  a.x = st.tempered.data();
  a.g_h = st.tempered_gh.data();
  a.h = st.tempered_h.data();
  a.g_v = st.tempered_gv.data();
  a.cursor = st.cursor.data();
  a.per_round = static_cast<std::uint64_t>(rows) * (L + D);
  const BetaOf beta_of{st.ladder.data(), T, 1.0f};
  const long long rows_d = static_cast<long long>(rows) * D,
                  rows_l = static_cast<long long>(rows) * L;
  for (int t = 1; t <= k; ++t) {
    const std::uint64_t first = static_cast<std::uint64_t>(t - 1) * a.per_round;
    gemm_xw(ctx, rows, L, D, a.x, a.w, a.g_h, {rows_d, DL, rows_l}, M);
    launch_swaps(a, st.ladder.data(), T, t - 1, nullptr, nullptr, stream);
    launch_chain_layer(a, beta_of, false, first, stream);
    gemm_xwt(ctx, rows, D, L, a.h, a.w, a.g_v, {rows_l, DL, rows_d}, M);
    launch_chain_layer(a, beta_of, true, first + static_cast<std::uint64_t>(rows_l), stream);
  }
  // X = every T-th row (the β = 1 level): one strided copy across all models' rows.
  RBM_CUDA_CHECK(cudaMemcpy2DAsync(
      st.x.data(), D * sizeof(float), st.tempered.data() + static_cast<std::size_t>(T - 1) * D,
      static_cast<std::size_t>(T) * D * sizeof(float), D * sizeof(float),
      static_cast<std::size_t>(M) * C, cudaMemcpyDeviceToDevice, stream));
  const long long CD = static_cast<long long>(C) * D, CL = static_cast<long long>(C) * L;
  gemm_xw(ctx, C, L, D, st.x.data(), a.w, st.mh.data(), {CD, DL, CL}, M);
  LayerArgs mean;
  mean.type = s.hidden_type;
  mean.field = st.mh.data();
  mean.bias = a.c;
  mean.bias_stride = static_cast<std::size_t>(L);
  mean.rows = C;
  mean.cols = L;
  launch_layer(mean, M, stream);
  return static_cast<std::uint64_t>(k) * a.per_round;
}

/// Enqueues one step (contract steps 1–6) of shape (B, k) for all models of the group.
/// `explicit_uniforms` ([M][k·R·(L+D)], device) replaces Philox when given.
void record_step(Context& ctx,
                 CudaTrainingState& st,
                 int B,
                 int k,
                 const BatchSource& source,
                 const float* explicit_uniforms,
                 bool track_recon) {
  cudaStream_t stream = ctx.stream();
  const TrainSetup& s = st.setup;
  const int M = s.n_models, D = s.n_visible, L = s.n_hidden;
  const int R = s.persistent ? st.chain_rows : B;
  const bool carry_hidden = hidden_chains(s);
  const long long DL = static_cast<long long>(D) * L, BD = static_cast<long long>(B) * D,
                  BL = static_cast<long long>(B) * L, RD = static_cast<long long>(R) * D,
                  RL = static_cast<long long>(R) * L;
  const float* b = st.params.b.data();
  const float* c = st.params.c.data();

  // GEMM operands: the float buffers, or (bf16) their copies, refreshed where each is written.
  const bool bf16 = s.math == GemmMath::bf16;
  Bf16Operands& half = st.half;
  auto refresh = [&](const float* from, long long per_model, DeviceBuffer<__nv_bfloat16>& to) {
    if (bf16) launch_to_bf16(from, static_cast<std::size_t>(per_model) * M, to.data(), stream);
  };
  auto op = [&](const DeviceBuffer<float>& from, const DeviceBuffer<__nv_bfloat16>& copy) {
    return bf16 ? Operand(copy.data()) : Operand(from.data());
  };
  const Operand w = op(st.params.w, half.w), v0 = op(st.v0, half.v0), m0 = op(st.m0, half.m0),
                h = op(st.h, half.h), x = op(st.x, half.x), mh = op(st.mh, half.mh);
  refresh(st.params.w.data(), DL, half.w);

  if (source.data)
    launch_gather_rows(source.data, D, s.visible_type, source.perm, source.n_samples,
                       st.cursor.data(), 0, B, M, st.v0.data(), stream);
  refresh(st.v0.data(), BD, half.v0);

  Uniforms u;
  if (explicit_uniforms) {
    u.values = explicit_uniforms;
    u.values_stride = static_cast<std::size_t>(k) * static_cast<std::size_t>(RL + RD);
  } else {
    u.seeds = st.seeds.data();
    u.cursor = st.cursor.data();
  }
  double* partials = track_recon ? st.recon_partials.data() : nullptr;
  auto layer = [&](UnitType type, float* field, const float* bias, int rows, int cols,
                   float* samples, std::uint64_t base, const float* target) {
    LayerArgs a;
    a.type = type;
    a.field = field;
    a.bias = bias;
    a.bias_stride = static_cast<std::size_t>(cols);
    a.rows = rows;
    a.cols = cols;
    a.samples = samples;
    a.uniforms = u;
    a.uniforms.base = base;
    a.target = target;
    a.recon_partials = target ? partials : nullptr;
    launch_layer(a, M, stream);
  };

  // 1–2. Positive phase; the negative chain's first hidden sample (uniforms h0 at base 0), or
  // the hidden chains as the previous step left them in st.h; with tempering, its rounds.
  gemm_xw(ctx, B, L, D, v0, w, st.m0.data(), {BD, DL, BL}, M);
  std::uint64_t step_uniforms = static_cast<std::uint64_t>(k) * static_cast<std::uint64_t>(RL + RD);
  if (st.levels > 0) {
    RBM_EXPECTS(explicit_uniforms == nullptr, "tempering draws its own uniforms");
    layer(s.hidden_type, st.m0.data(), c, B, L, nullptr, 0, nullptr);
    step_uniforms = record_tempering(ctx, st, k);
  } else if (!s.persistent) {
    layer(s.hidden_type, st.m0.data(), c, B, L, st.h.data(), 0, nullptr);
  } else {
    layer(s.hidden_type, st.m0.data(), c, B, L, nullptr, 0, nullptr);
    if (!carry_hidden) {
      refresh(st.x.data(), RD, half.x);
      gemm_xw(ctx, R, L, D, x, w, st.mh.data(), {RD, DL, RL}, M);
      layer(s.hidden_type, st.mh.data(), c, R, L, st.h.data(), 0, nullptr);
    }
  }
  refresh(st.m0.data(), BL, half.m0);
  refresh(st.h.data(), RL, half.h);
  if (s.persistent && partials) {  // PCD's error: the data's mean-field reconstruction
    gemm_xwt(ctx, B, D, L, m0, w, st.recon.data(), {BL, DL, BD}, M);
    layer(s.visible_type, st.recon.data(), b, B, D, nullptr, 0, st.v0.data());
  }
  // 3. k block-Gibbs steps; uniforms v_t then h_t (after h0, unless the chains carry H).
  const std::uint64_t head = carry_hidden ? 0 : static_cast<std::uint64_t>(RL);
  for (int t = 1; t <= k && st.levels == 0; ++t) {
    const std::uint64_t visible_base = head + static_cast<std::uint64_t>(t - 1) * (RL + RD);
    gemm_xwt(ctx, R, D, L, h, w, st.mv.data(), {RL, DL, RD}, M);
    const bool recon_here = t == 1 && !s.persistent && partials;
    layer(s.visible_type, st.mv.data(), b, R, D, st.x.data(), visible_base,
          recon_here ? st.v0.data() : nullptr);
    refresh(st.x.data(), RD, half.x);
    gemm_xw(ctx, R, L, D, x, w, st.mh.data(), {RD, DL, RL}, M);
    const bool sample = t < k || carry_hidden;
    layer(s.hidden_type, st.mh.data(), c, R, L, sample ? st.h.data() : nullptr, visible_base + RD,
          nullptr);
    if (t < k) refresh(st.h.data(), RL, half.h);
  }
  refresh(st.mh.data(), RL, half.mh);
  // 4. gW = V0ᵀM0/B − XᵀMh/R; the column statistics; centering.
  gemm_atb(ctx, D, L, B, 1.0f / B, v0, m0, 0.0f, st.grad_w.data(), {BD, BL, DL}, M);
  gemm_atb(ctx, D, L, R, -1.0f / R, x, mh, 1.0f, st.grad_w.data(), {RD, RL, DL}, M);
  UpdateArgs args = st.update;
  args.shape.batch_rows = B;
  args.shape.chain_rows = R;
  if (partials) {
    args.progress.recon_partials = partials;
    args.progress.recon_count = recon_partial_count(B, D);
    args.progress.recon_sum = st.recon_sum.data();
  }
  args.progress.step_uniforms = step_uniforms;
  launch_statistics(args, M, stream);
  if (s.centering) {
    launch_center_weights(args, M, stream);
    gemv(ctx, false, D, L, st.grad_w.data(), st.hidden_offsets.data(), st.correction_b.data(),
         {DL, L, D}, M);
    gemv(ctx, true, D, L, st.grad_w.data(), st.visible_offsets.data(), st.correction_c.data(),
         {DL, D, L}, M);
  }
  // 5. Optimizer steps, offsets, cursor; 6. PCD chains are X or H, which persist.
  launch_update(args, M, stream);
}

std::unique_ptr<CudaTrainingState> make_state(Context& ctx,
                                              const TrainSetup& setup,
                                              const TrainingSnapshot& initial,
                                              const CudaData& data) {
  cudaStream_t stream = ctx.stream();
  auto st = std::make_unique<CudaTrainingState>();
  st->setup = setup;
  st->data = &data;
  st->chain_rows = setup.persistent ? setup.chain_rows : setup.max_batch_size;
  st->levels = static_cast<int>(setup.tempering_ladder.size());
  allocate(*st);
  if (st->levels > 0) st->ladder.copy_from_host(setup.tempering_ladder, stream);
  std::vector<const Model*> models;
  for (const Model& model : initial.models) {
    models.push_back(&model);
    st->provenance.push_back(model.provenance);
  }
  st->params = DeviceModels(models, stream);
  st->epoch_start = DeviceModels(models, stream);
  st->seeds.copy_from_host(setup.seeds, stream);
  auto states = initial.states;
  copy_optimizer_state(*st, states, /*to_device=*/true, stream);
  std::vector<const std::vector<float>*> chains, sparsity, mu, lambda;
  for (const auto& s : initial.states) {
    chains.push_back(&s.chains);
    sparsity.push_back(&s.sparsity);
    mu.push_back(&s.visible_offsets);
    lambda.push_back(&s.hidden_offsets);
  }
  const std::size_t D = setup.n_visible, L = setup.n_hidden;
  if (setup.persistent)
    upload_per_model(chains, stored_chain_floats(*st), stored_chains(*st), stream);
  if (setup.sparsity) upload_per_model(sparsity, L, st->sparsity, stream);
  if (setup.centering) {
    upload_per_model(mu, D, st->visible_offsets, stream);
    upload_per_model(lambda, L, st->hidden_offsets, stream);
  }
  const StepCursor cursor{initial.states.front().rng_offset, initial.states.front().steps, 0};
  RBM_CUDA_CHECK(
      cudaMemcpyAsync(st->cursor.data(), &cursor, sizeof cursor, cudaMemcpyHostToDevice, stream));
  st->update = make_update_args(*st);
  // The host vectors above are read by the async copies: make sure they have happened.
  ctx.synchronize("training, uploading the initial state");
  return st;
}

}  // namespace

// ---- DeviceModels ----------------------------------------------------------------------------
DeviceModels::DeviceModels(const std::vector<const Model*>& models, cudaStream_t stream)
    : n_models(static_cast<int>(models.size())),
      n_visible(models.front()->n_visible),
      n_hidden(models.front()->n_hidden) {
  const std::size_t D = n_visible, L = n_hidden;
  w.resize(n_models * D * L);
  b.resize(n_models * D);
  c.resize(n_models * L);
  for (int m = 0; m < n_models; ++m) {
    const Model& model = *models[m];
    RBM_CUDA_CHECK(cudaMemcpyAsync(w.data() + m * D * L, model.weights.data(), D * L * 4,
                                   cudaMemcpyHostToDevice, stream));
    RBM_CUDA_CHECK(cudaMemcpyAsync(b.data() + m * D, model.visible_bias.data(), D * 4,
                                   cudaMemcpyHostToDevice, stream));
    RBM_CUDA_CHECK(cudaMemcpyAsync(c.data() + m * L, model.hidden_bias.data(), L * 4,
                                   cudaMemcpyHostToDevice, stream));
  }
}

void DeviceModels::download(const std::vector<Model*>& models, cudaStream_t stream) const {
  const std::size_t D = n_visible, L = n_hidden;
  for (int m = 0; m < n_models; ++m) {
    Model& model = *models[m];
    RBM_CUDA_CHECK(cudaMemcpyAsync(model.weights.data(), w.data() + m * D * L, D * L * 4,
                                   cudaMemcpyDeviceToHost, stream));
    RBM_CUDA_CHECK(cudaMemcpyAsync(model.visible_bias.data(), b.data() + m * D, D * 4,
                                   cudaMemcpyDeviceToHost, stream));
    RBM_CUDA_CHECK(cudaMemcpyAsync(model.hidden_bias.data(), c.data() + m * L, L * 4,
                                   cudaMemcpyDeviceToHost, stream));
  }
}

void DeviceModels::copy_from(const DeviceModels& other, cudaStream_t stream) {
  for (auto [to, from] :
       {std::make_pair(&w, &other.w), std::make_pair(&b, &other.b), std::make_pair(&c, &other.c)})
    RBM_CUDA_CHECK(cudaMemcpyAsync(to->data(), from->data(), from->size() * sizeof(float),
                                   cudaMemcpyDeviceToDevice, stream));
}

// ---- the operations --------------------------------------------------------------------------
std::unique_ptr<detail::TrainingState> start_training(Context& ctx,
                                                      const TrainSetup& setup,
                                                      const TrainingSnapshot& initial,
                                                      const CudaData& data) {
  return make_state(ctx, setup, initial, data);
}

EpochReport train_epoch(Context& ctx, detail::TrainingState& base, const EpochPlan& plan) {
  auto& st = static_cast<CudaTrainingState&>(base);
  cudaStream_t stream = ctx.stream();
  const TrainSetup& s = st.setup;
  const int M = s.n_models, B = plan.batch_size, k = plan.cd_steps;
  RBM_EXPECTS(B <= s.max_batch_size && k >= 1, "epoch plan: batch ", B, " exceeds the run's ",
              s.max_batch_size);
  const GemmMathScope math(ctx, s.math);
  st.hyper_host = plan.hyper;
  st.hyper.copy_from_host(st.hyper_host, stream);
  st.epoch_start.copy_from(st.params, stream);
  st.shuffler->run(st.seeds.data(), static_cast<std::uint32_t>(plan.epoch), st.perm.data(), stream);
  RBM_CUDA_CHECK(
      cudaMemsetAsync(reinterpret_cast<char*>(st.cursor.data()) + offsetof(StepCursor, batch), 0,
                      sizeof(unsigned int), stream));
  RBM_CUDA_CHECK(cudaMemsetAsync(st.recon_sum.data(), 0, M * sizeof(double), stream));
  const BatchSource source{st.data->values.data(), st.perm.data(), st.data->n_samples};
  const long long steps = static_cast<long long>(st.data->n_samples / B);
  Repeater& repeater = st.repeaters[{B, k}];
  repeater.run(ctx, steps, [&] { record_step(ctx, st, B, k, source, nullptr, true); });
  // Health of the epoch's parameters, downloaded with the metrics.
  const std::size_t D = s.n_visible, L = s.n_hidden;
  const float* arrays[3] = {st.params.w.data(), st.params.b.data(), st.params.c.data()};
  const std::size_t sizes[3] = {D * L, D, L};
  RBM_CUDA_CHECK(cudaMemsetAsync(st.unhealthy.data(), 0, M * sizeof(unsigned int), stream));
  launch_count_unhealthy(arrays, sizes, plan.max_abs_parameter, M, st.unhealthy.data(), stream);
  st.recon_host.resize(M);
  st.unhealthy_host.resize(M);
  st.recon_sum.copy_to_host(st.recon_host.data(), stream);
  st.unhealthy.copy_to_host(st.unhealthy_host.data(), stream);
  const std::string what = "training, epoch " + std::to_string(plan.epoch + 1);
  ctx.synchronize(what.c_str());
  EpochReport report;
  for (int m = 0; m < M; ++m) {
    report.reconstruction_error.push_back(st.recon_host[m] / static_cast<double>(steps));
    report.unhealthy.push_back(st.unhealthy_host[m]);
  }
  report.graphs = repeater.used_graphs();
  return report;
}

TrainingSnapshot snapshot(Context& ctx, detail::TrainingState& base, bool epoch_start) {
  auto& st = static_cast<CudaTrainingState&>(base);
  cudaStream_t stream = ctx.stream();
  const TrainSetup& s = st.setup;
  const std::size_t D = s.n_visible, L = s.n_hidden;
  TrainingSnapshot out;
  out.models.assign(s.n_models, Model::zeros(s.n_visible, s.n_hidden));
  std::vector<Model*> targets;
  for (std::size_t m = 0; m < out.models.size(); ++m) {
    Model& model = out.models[m];
    model.visible_type = s.visible_type;
    model.hidden_type = s.hidden_type;
    model.provenance = st.provenance[m];
    targets.push_back(&model);
  }
  (epoch_start ? st.epoch_start : st.params).download(targets, stream);
  StepCursor cursor{};
  if (!epoch_start) {
    out.states.resize(s.n_models);
    copy_optimizer_state(st, out.states, /*to_device=*/false, stream);
    std::vector<std::vector<float>*> chains, sparsity, mu, lambda;
    for (auto& state : out.states) {
      chains.push_back(&state.chains);
      sparsity.push_back(&state.sparsity);
      mu.push_back(&state.visible_offsets);
      lambda.push_back(&state.hidden_offsets);
    }
    if (s.persistent)
      download_per_model(stored_chains(st), stored_chain_floats(st), chains, stream);
    if (s.sparsity) download_per_model(st.sparsity, L, sparsity, stream);
    if (s.centering) {
      download_per_model(st.visible_offsets, D, mu, stream);
      download_per_model(st.hidden_offsets, L, lambda, stream);
    }
    RBM_CUDA_CHECK(
        cudaMemcpyAsync(&cursor, st.cursor.data(), sizeof cursor, cudaMemcpyDeviceToHost, stream));
  }
  ctx.synchronize("training, downloading the state");
  for (auto& state : out.states) {
    state.rng_offset = cursor.offset;
    state.steps = cursor.steps;
  }
  return out;
}

Model cd_step(Context& ctx, const detail::CdStepInput& input) {
  cudaStream_t stream = ctx.stream();
  const Model& model = *input.model;
  TrainSetup setup;
  setup.n_models = 1;
  setup.n_visible = model.n_visible;
  setup.n_hidden = model.n_hidden;
  setup.visible_type = model.visible_type;
  setup.hidden_type = model.hidden_type;
  setup.max_batch_size = input.batch_size;
  setup.max_cd_steps = input.cd_steps;
  setup.optimizer = Optimizer::sgd;
  setup.seeds = {0};
  TrainingSnapshot initial;
  initial.models = {model};
  initial.states.resize(1);
  CudaData no_data;
  no_data.n_samples = static_cast<std::size_t>(input.batch_size);
  no_data.n_visible = model.n_visible;
  auto st = make_state(ctx, setup, initial, no_data);
  std::vector<float> batch(input.batch->size());
  for (std::size_t e = 0; e < batch.size(); ++e)
    batch[e] = detail::units::from_bit(model.visible_type, (*input.batch)[e] != 0.0f);
  st->v0.copy_from_host(batch, stream);
  DeviceBuffer<float> uniforms;
  uniforms.copy_from_host(*input.uniforms, stream);
  st->hyper_host.resize(1);
  st->hyper_host[0].learning_rate = input.learning_rate;
  st->hyper_host[0].weight_decay = input.weight_decay;
  st->hyper.copy_from_host(st->hyper_host, stream);
  record_step(ctx, *st, input.batch_size, input.cd_steps, BatchSource{}, uniforms.data(), false);
  Model result = model;
  st->params.download({&result}, stream);
  ctx.synchronize("cd_step");
  return result;
}

}  // namespace rbm::cuda
