// cuda/cuda_backend.cu — the CUDA backend: every Backend operation on the device, implementing
// the training and sampling contract of host/backend.hpp exactly as the CPU backend does.
//
// Training: models are grouped by what fixes the buffer shapes and the step's kernel sequence
// (batch size B, negative rows R, CD/PCD, k, epochs, TF32); each group of M models trains
// together with strided-batched GEMMs (blockIdx.y = model in the fused kernels), per-model seed,
// learning rate, momentum and weight decay in small device arrays. Groups interleave epoch by
// epoch, so the epoch callback still sees every model once per epoch.
//
// One step (contract steps 1–6) for M models, CD-k:
//   gather  V0 ← data rows of the epoch's permutation (uint8 → float, on the device)
//   GEMM    P0 = V0·W            sigmoid_sample: P0 = σ(P0 + c), H = (u < P0)
//   k ×   { GEMM Pv = H·Wᵀ       sigmoid_sample: Pv = σ(Pv + b), X = (u < Pv) [+ recon at t=1]
//           GEMM Ph = X·W        sigmoid_sample: Ph = σ(Ph + c) [, H = (u < Ph) if t < k] }
//   GEMM    G = V0ᵀP0/B;  GEMM  G −= XᵀPh/R
//   update  bias column means + momentum update of W, b, c; advances the step cursor
// PCD adds a GEMM + sigmoid_sample for the chains' first hidden sample and one for the mean-field
// reconstruction of the data. Positions (step, batch) live in device memory, so a step is
// captured once into a CUDA graph (10 steps per graph) and replayed for the whole run.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <map>
#include <string>
#include <tuple>

#include "cuda/check.cuh"
#include "cuda/context.cuh"
#include "cuda/cuda_backend.hpp"
#include "cuda/device_buffer.cuh"
#include "cuda/free_energy.cuh"
#include "cuda/gibbs.cuh"
#include "cuda/logz.cuh"

namespace rbm::cuda {

int device_count() noexcept {
  // Queried once, on first use (never from a static initializer): any error (no driver, no
  // device) means zero devices.
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();
      n = 0;
    }
    return n;
  }();
  return count;
}

namespace {

using detail::RandomStream;

constexpr int kStepsPerGraph = 10;
constexpr std::size_t kInferenceBytes = std::size_t{64} << 20;  // scratch per inference chunk

using Clock = std::chrono::steady_clock;

/// A dataset resident on the device: uint8 values (the compact form) and labels.
struct CudaData final : detail::ResidentData {
  int device = 0;
  DeviceBuffer<std::uint8_t> values;  ///< [N][D]
  DeviceBuffer<std::int32_t> labels;  ///< [N] or empty
};

/// M models of one shape stacked on the device: W [M][D][L], b [M][D], c [M][L].
struct DeviceModels {
  int n_models = 0, n_visible = 0, n_hidden = 0;
  DeviceBuffer<float> w, b, c;

  DeviceModels(const std::vector<const Model*>& models, cudaStream_t stream)
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

  /// Stream-ordered copies into models[m]; the caller synchronizes before using them.
  void download(const std::vector<Model*>& models, cudaStream_t stream) const {
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
};

/// Runs a recorded step (or sweep) n times: through CUDA graphs of kStepsPerGraph steps and of
/// one step once captured, directly where capture is not possible. Steps read their position
/// from device memory, which is what makes a replayed graph correct.
class Repeater {
 public:
  template <typename Record>
  void run(Context& ctx, long long n, const Record& record) {
    cudaStream_t stream = ctx.stream();
    ctx.cublas();  // created (and its workspace allocated) outside any capture
    while (n >= kStepsPerGraph) {
      if (!chunk_tried_) {
        chunk_tried_ = true;
        chunk_ = capture(stream, [&] {
          for (int s = 0; s < kStepsPerGraph; ++s) record();
        });
      }
      if (!chunk_) break;
      chunk_.launch(stream);
      n -= kStepsPerGraph;
    }
    for (; n > 0; --n) {
      if (!single_tried_) {
        single_tried_ = true;
        single_ = capture(stream, record);
      }
      if (single_)
        single_.launch(stream);
      else
        record();
    }
  }

 private:
  /// A CUDA error or failed allocation while capturing (e.g. a library call that cannot be
  /// captured) means: run eagerly; a genuine error then surfaces from the eager run.
  template <typename Record>
  static GraphExec capture(cudaStream_t stream, const Record& record) {
    try {
      return capture_graph(stream, record);
    } catch (const CudaError&) {
      return {};
    } catch (const OutOfMemory&) {
      return {};
    }
  }

  GraphExec chunk_, single_;
  bool chunk_tried_ = false, single_tried_ = false;
};

/// Shapes of one training step for a group of M models.
struct StepShape {
  int n_models = 1, n_visible = 0, n_hidden = 0;
  int batch_size = 0;  ///< B
  int chain_rows = 0;  ///< R: B for CD, the chains for PCD
  int cd_steps = 1;
  bool persistent = false;
};

/// Device buffers of one step, [M][rows][cols] each (see StepShape), plus where data and
/// uniforms come from. `data` null = V0 is already in place (cd_step).
struct StepBuffers {
  DeviceBuffer<float> vw, vb, vc;  // velocities
  DeviceBuffer<float> v0, p0, h, pv, x, ph, grad, recon;
  DeviceBuffer<double> recon_partials;  // [M][recon_count]
  DeviceBuffer<double> recon_sum;       // [M], the epoch's sum of step errors
  DeviceBuffer<Hyper> hyper;            // [M]
  DeviceBuffer<std::uint64_t> seeds;    // [M]
  DeviceBuffer<StepCursor> cursor;      // [1]
  int recon_count = 0;

  StepBuffers(const StepShape& s, cudaStream_t stream) {
    const std::size_t M = s.n_models, D = s.n_visible, L = s.n_hidden, B = s.batch_size,
                      R = s.chain_rows;
    // Any of these may be too large: DeviceBuffer throws OutOfMemory with the bytes.
    for (DeviceBuffer<float>* buffer : {&vw, &grad}) buffer->resize(M * D * L);
    x.resize(M * R * D);
    pv.resize(M * R * D);
    v0.resize(M * B * D);
    if (s.persistent) recon.resize(M * B * D);
    p0.resize(M * B * L);
    h.resize(M * R * L);
    ph.resize(M * R * L);
    vb.resize(M * D);
    vc.resize(M * L);
    recon_count = recon_partial_count(static_cast<int>(B), static_cast<int>(D));
    recon_partials.resize(M * recon_count);
    recon_sum.resize(M);
    hyper.resize(M);
    seeds.resize(M);
    cursor.resize(1);
    for (DeviceBuffer<float>* buffer : {&vw, &vb, &vc})
      RBM_CUDA_CHECK(cudaMemsetAsync(buffer->data(), 0, buffer->size() * sizeof(float), stream));
    RBM_CUDA_CHECK(cudaMemsetAsync(recon_sum.data(), 0, M * sizeof(double), stream));
    RBM_CUDA_CHECK(cudaMemsetAsync(cursor.data(), 0, sizeof(StepCursor), stream));
  }
};

/// Where V0 comes from: the epoch's permutation of the resident data (training), or nowhere
/// (cd_step copies the batch in itself).
struct BatchSource {
  const std::uint8_t* data = nullptr;
  const std::uint32_t* perm = nullptr;  ///< [M][N]
  std::size_t n_samples = 0;
};

/// Enqueues one step (contract steps 1–6) for all models of the group. `explicit_uniforms`
/// ([M][k·R·(L+D)], device) replaces Philox when given.
void record_step(Context& ctx,
                 const StepShape& s,
                 DeviceModels& params,
                 StepBuffers& buf,
                 const BatchSource& source,
                 const float* explicit_uniforms,
                 bool track_recon) {
  cudaStream_t stream = ctx.stream();
  const int M = s.n_models, D = s.n_visible, L = s.n_hidden, B = s.batch_size, R = s.chain_rows,
            k = s.cd_steps;
  const long long DL = static_cast<long long>(D) * L, BD = static_cast<long long>(B) * D,
                  BL = static_cast<long long>(B) * L, RD = static_cast<long long>(R) * D,
                  RL = static_cast<long long>(R) * L;
  const float* w = params.w.data();
  float* const b = params.b.data();
  float* const c = params.c.data();

  if (source.data)
    launch_gather_rows(source.data, D, source.perm, source.n_samples, buf.cursor.data(), 0, B, M,
                       buf.v0.data(), stream);

  Uniforms u;
  u.per_step = static_cast<std::uint64_t>(k) * static_cast<std::uint64_t>(RL + RD);
  if (explicit_uniforms) {
    u.values = explicit_uniforms;
    u.values_stride = u.per_step;
  } else {
    u.seeds = buf.seeds.data();
    u.cursor = buf.cursor.data();
  }
  double* partials = track_recon ? buf.recon_partials.data() : nullptr;

  // 1–2. Positive phase; the negative chain's first hidden sample (uniforms h0 at base 0).
  gemm_xw(ctx, B, L, D, buf.v0.data(), w, buf.p0.data(), {BD, DL, BL}, M);
  u.base = 0;
  if (!s.persistent) {
    launch_sigmoid_sample(buf.p0.data(), c, L, B, L, M, buf.h.data(), u, nullptr, nullptr, stream);
  } else {
    launch_sigmoid_sample(buf.p0.data(), c, L, B, L, M, nullptr, u, nullptr, nullptr, stream);
    gemm_xw(ctx, R, L, D, buf.x.data(), w, buf.ph.data(), {RD, DL, RL}, M);
    launch_sigmoid_sample(buf.ph.data(), c, L, R, L, M, buf.h.data(), u, nullptr, nullptr, stream);
    if (partials) {  // PCD's error: the data's mean-field reconstruction σ(P0·Wᵀ + b)
      gemm_xwt(ctx, B, D, L, buf.p0.data(), w, buf.recon.data(), {BL, DL, BD}, M);
      launch_sigmoid_sample(buf.recon.data(), b, D, B, D, M, nullptr, u, buf.v0.data(), partials,
                            stream);
    }
  }
  // 3. k block-Gibbs steps; uniforms v_t then h_t after h0, per the contract's layout.
  for (int t = 1; t <= k; ++t) {
    const std::uint64_t visible_base = RL + static_cast<std::uint64_t>(t - 1) * (RL + RD);
    gemm_xwt(ctx, R, D, L, buf.h.data(), w, buf.pv.data(), {RL, DL, RD}, M);
    u.base = visible_base;
    const bool recon_here = t == 1 && !s.persistent && partials;
    launch_sigmoid_sample(buf.pv.data(), b, D, R, D, M, buf.x.data(), u,
                          recon_here ? buf.v0.data() : nullptr, recon_here ? partials : nullptr,
                          stream);
    gemm_xw(ctx, R, L, D, buf.x.data(), w, buf.ph.data(), {RD, DL, RL}, M);
    u.base = visible_base + RD;
    launch_sigmoid_sample(buf.ph.data(), c, L, R, L, M, t < k ? buf.h.data() : nullptr, u, nullptr,
                          nullptr, stream);
  }
  // 4. gW = V0ᵀP0/B − XᵀPh/R (decay is applied in the update).
  gemm_atb(ctx, D, L, B, 1.0f / B, buf.v0.data(), buf.p0.data(), 0.0f, buf.grad.data(),
           {BD, BL, DL}, M);
  gemm_atb(ctx, D, L, R, -1.0f / R, buf.x.data(), buf.ph.data(), 1.0f, buf.grad.data(),
           {RD, RL, DL}, M);
  // 4–5. Bias gradients and the momentum update; 6. PCD chains are X, which persists.
  UpdateArgs args;
  args.n_visible = D;
  args.n_hidden = L;
  args.batch_rows = B;
  args.chain_rows = R;
  args.weights = params.w.data();
  args.visible_bias = b;
  args.hidden_bias = c;
  args.velocity_w = buf.vw.data();
  args.velocity_b = buf.vb.data();
  args.velocity_c = buf.vc.data();
  args.grad_w = buf.grad.data();
  args.v0 = buf.v0.data();
  args.p0 = buf.p0.data();
  args.x = buf.x.data();
  args.ph = buf.ph.data();
  args.hyper = buf.hyper.data();
  if (partials) {
    args.recon_partials = partials;
    args.recon_count = buf.recon_count;
    args.recon_sum = buf.recon_sum.data();
  }
  args.cursor = buf.cursor.data();
  launch_update(args, M, stream);
}

/// Models that can share one batched step: equal shapes of every buffer and kernel sequence.
struct GroupKey {
  int batch_size, chain_rows, cd_steps, epochs;
  bool persistent, tf32;
  bool operator<(const GroupKey& o) const {
    return std::tie(batch_size, chain_rows, cd_steps, epochs, persistent, tf32) <
           std::tie(o.batch_size, o.chain_rows, o.cd_steps, o.epochs, o.persistent, o.tf32);
  }
};

/// A group of models training together: parameters, step buffers, permutation, graphs.
struct TrainGroup {
  std::vector<std::size_t> members;  ///< indices into the caller's models
  GroupKey key{};
  StepShape shape;
  std::unique_ptr<DeviceModels> params;
  std::unique_ptr<StepBuffers> buffers;
  std::unique_ptr<Shuffler> shuffler;
  DeviceBuffer<std::uint32_t> perm;  ///< [M][N]
  DeviceBuffer<unsigned int> bad;    ///< [M] non-finite parameter counts
  Repeater repeater;
  std::vector<double> recon_sum;  ///< host copy after each epoch
  std::vector<unsigned int> bad_host;
};

template <typename T>
std::vector<const T*> pointers(const std::vector<T>& values) {
  std::vector<const T*> out;
  for (const T& value : values) out.push_back(&value);
  return out;
}

// ---- the backend -----------------------------------------------------------------------------
class CudaBackend final : public detail::Backend {
 public:
  explicit CudaBackend(const EngineOptions& options) : ctx_(options) {}

  BackendKind kind() const override { return BackendKind::cuda; }
  std::string device_name() const override {
    return "cuda:" + std::to_string(ctx_.device()) + " (" + ctx_.device_name() + ")";
  }

  std::shared_ptr<const detail::ResidentData> upload(const Dataset& data) override {
    return guarded("upload", [&] {
      auto resident = std::make_shared<CudaData>();
      resident->n_samples = data.n_samples;
      resident->n_visible = data.n_visible;
      resident->device = ctx_.device();
      resident->values.copy_from_host(data.values, ctx_.stream());
      resident->labels.copy_from_host(data.labels, ctx_.stream());
      ctx_.synchronize("upload");
      return std::shared_ptr<const detail::ResidentData>(std::move(resident));
    });
  }

  void train(std::vector<Model>& models,
             const std::vector<TrainConfig>& configs,
             const detail::ResidentData& data,
             const EpochCallback& on_epoch) override {
    guarded("train", [&] { train_impl(models, configs, as_cuda(data), on_epoch); });
  }

  Model cd_step(const detail::CdStepInput& input) override {
    return guarded("cd_step", [&] { return cd_step_impl(input); });
  }

  std::vector<LogZResult> log_z(const std::vector<Model>& models,
                                const LogZOptions& options) override {
    return guarded("log_z",
                   [&] { return exact_log_z(models, options, ctx_.stream(), &logz_workspace_); });
  }

  std::vector<double> free_energy(const Model& model, const detail::ResidentData& data) override {
    return guarded("free_energy", [&] { return free_energy_impl(model, as_cuda(data)); });
  }
  double reconstruction_error(const Model& model, const detail::ResidentData& data) override {
    return guarded("reconstruction_error",
                   [&] { return reconstruction_error_impl(model, as_cuda(data)); });
  }
  std::vector<float> hidden_probabilities(const Model& model,
                                          const detail::ResidentData& data) override {
    return guarded("hidden_probabilities",
                   [&] { return hidden_probabilities_impl(model, as_cuda(data)); });
  }
  std::vector<float> visible_probabilities(const Model& model,
                                           const std::vector<float>& hidden) override {
    return guarded("visible_probabilities",
                   [&] { return visible_probabilities_impl(model, hidden); });
  }
  Dataset sample(const Model& model, const SampleOptions& options) override {
    return guarded("sample", [&] { return sample_impl(model, options); });
  }

 private:
  /// Runs an operation on this backend's device; CUDA failures are rethrown with the operation
  /// named, after the stream has drained. (The operation's buffers are freed while unwinding,
  /// before the drain; that is safe because cudaFree waits for the device's queued work.)
  template <typename F>
  auto guarded(const char* operation, F&& body) -> decltype(body()) {
    const std::string prefix = std::string("CUDA backend, ") + operation + ": ";
    try {
      ctx_.activate();
      return body();
    } catch (const OutOfMemory& e) {
      drain();
      throw OutOfMemory(prefix + e.what());
    } catch (const CudaError& e) {
      drain();
      throw CudaError(prefix + e.what());
    } catch (...) {
      drain();
      throw;
    }
  }
  void drain() noexcept {
    try {
      if (cudaStreamSynchronize(ctx_.stream()) != cudaSuccess) cudaGetLastError();
    } catch (...) {  // no stream could be made: nothing is queued
    }
  }

  const CudaData& as_cuda(const detail::ResidentData& data) const {
    const auto* cuda_data = dynamic_cast<const CudaData*>(&data);
    RBM_EXPECTS(cuda_data != nullptr, "dataset was uploaded to another backend, not CUDA");
    RBM_EXPECTS(cuda_data->device == ctx_.device(), "dataset was uploaded to CUDA device ",
                cuda_data->device, ", this engine runs on device ", ctx_.device());
    return *cuda_data;
  }

  /// Rows per inference chunk: bounded scratch whatever N.
  static std::size_t chunk_rows(std::size_t n, int D, int L) {
    const std::size_t per_row = 4 * (static_cast<std::size_t>(D) + L);
    return std::max<std::size_t>(1, std::min(n, kInferenceBytes / per_row));
  }

  // ---- training ------------------------------------------------------------------------------
  void train_impl(std::vector<Model>& models,
                  const std::vector<TrainConfig>& configs,
                  const CudaData& data,
                  const EpochCallback& on_epoch) {
    cudaStream_t stream = ctx_.stream();
    std::map<GroupKey, std::vector<std::size_t>> by_key;
    for (std::size_t m = 0; m < models.size(); ++m) {
      const TrainConfig& config = configs[m];
      const int rows =
          config.persistent && config.n_chains > 0 ? config.n_chains : config.batch_size;
      by_key[{config.batch_size, rows, config.cd_steps, config.epochs, config.persistent,
              config.use_tf32}]
          .push_back(m);
    }
    std::vector<std::unique_ptr<TrainGroup>> groups;
    for (auto& [key, members] : by_key) {
      auto group = std::make_unique<TrainGroup>();
      group->members = members;
      group->key = key;
      prepare_group(*group, models, configs, data, stream);
      groups.push_back(std::move(group));
    }

    int max_epochs = 0;
    for (const auto& config : configs) max_epochs = std::max(max_epochs, config.epochs);
    for (int epoch = 0; epoch < max_epochs; ++epoch) {
      const auto start = Clock::now();
      for (auto& group : groups)
        if (epoch < group->key.epochs) run_epoch(*group, data, epoch);
      const std::string what = "train, epoch " + std::to_string(epoch + 1);
      ctx_.synchronize(what.c_str());
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      std::vector<EpochMetrics> metrics;
      for (auto& group : groups) {
        if (epoch >= group->key.epochs) continue;
        const std::size_t n_batches = data.n_samples / group->key.batch_size;
        for (std::size_t i = 0; i < group->members.size(); ++i) {
          const std::size_t model = group->members[i];
          RBM_EXPECTS(group->bad_host[i] == 0, "training diverged: model ", model, " has ",
                      group->bad_host[i], " non-finite parameters after epoch ", epoch + 1,
                      " (learning rate ", configs[model].learning_rate, " too large?)");
          EpochMetrics metric;
          metric.model = static_cast<int>(model);
          metric.epoch = epoch + 1;
          metric.reconstruction_error = group->recon_sum[i] / static_cast<double>(n_batches);
          metric.seconds = seconds;
          metrics.push_back(metric);
        }
      }
      std::sort(metrics.begin(), metrics.end(),
                [](const EpochMetrics& a, const EpochMetrics& b) { return a.model < b.model; });
      if (on_epoch && !on_epoch(metrics)) break;
    }
    // Only now do the host models change (the Engine hands in scratch copies anyway).
    for (auto& group : groups) {
      std::vector<Model*> targets;
      for (std::size_t model : group->members) targets.push_back(&models[model]);
      group->params->download(targets, stream);
    }
    ctx_.synchronize("train, downloading the trained models");
  }

  void prepare_group(TrainGroup& g,
                     const std::vector<Model>& models,
                     const std::vector<TrainConfig>& configs,
                     const CudaData& data,
                     cudaStream_t stream) {
    const int M = static_cast<int>(g.members.size());
    const Model& first = models[g.members.front()];
    g.shape = StepShape{M,
                        first.n_visible,
                        first.n_hidden,
                        g.key.batch_size,
                        g.key.chain_rows,
                        g.key.cd_steps,
                        g.key.persistent};
    std::vector<const Model*> member_models;
    std::vector<Hyper> hyper;
    std::vector<std::uint64_t> seeds;
    for (std::size_t model : g.members) {
      member_models.push_back(&models[model]);
      const TrainConfig& config = configs[model];
      hyper.push_back({config.learning_rate, config.momentum, config.weight_decay});
      seeds.push_back(config.seed);
    }
    g.buffers = std::make_unique<StepBuffers>(g.shape, stream);
    g.params = std::make_unique<DeviceModels>(member_models, stream);
    g.perm.resize(static_cast<std::size_t>(M) * data.n_samples);
    g.shuffler = std::make_unique<Shuffler>(data.n_samples, M);
    g.bad.resize(M);
    g.buffers->hyper.copy_from_host(hyper, stream);
    g.buffers->seeds.copy_from_host(seeds, stream);
    if (g.shape.persistent)  // chains start as (u < σ(b)), u from the init stream, substream 1
      launch_init_chains(g.params->b.data(), g.buffers->seeds.data(), RandomStream::init, 1,
                         g.shape.chain_rows, g.shape.n_visible, M, g.buffers->x.data(), stream);
    g.recon_sum.assign(M, 0.0);
    g.bad_host.assign(M, 0);
    // The host vectors above are read by the async copies: make sure they have happened.
    ctx_.synchronize("train, preparing the models");
  }

  void run_epoch(TrainGroup& g, const CudaData& data, int epoch) {
    cudaStream_t stream = ctx_.stream();
    ctx_.set_tf32(g.key.tf32);
    StepBuffers& buf = *g.buffers;
    const int M = g.shape.n_models;
    g.shuffler->run(buf.seeds.data(), static_cast<std::uint32_t>(epoch), g.perm.data(), stream);
    RBM_CUDA_CHECK(
        cudaMemsetAsync(reinterpret_cast<char*>(buf.cursor.data()) + offsetof(StepCursor, batch), 0,
                        sizeof(unsigned int), stream));
    RBM_CUDA_CHECK(cudaMemsetAsync(buf.recon_sum.data(), 0, M * sizeof(double), stream));
    const BatchSource source{data.values.data(), g.perm.data(), data.n_samples};
    const long long steps = static_cast<long long>(data.n_samples / g.key.batch_size);
    g.repeater.run(ctx_, steps, [&] {
      record_step(ctx_, g.shape, *g.params, buf, source, nullptr, /*track_recon=*/true);
    });
    // Divergence check of the epoch's parameters, downloaded with the metrics.
    const std::size_t D = g.shape.n_visible, L = g.shape.n_hidden;
    const float* arrays[3] = {g.params->w.data(), g.params->b.data(), g.params->c.data()};
    const std::size_t sizes[3] = {D * L, D, L};
    RBM_CUDA_CHECK(cudaMemsetAsync(g.bad.data(), 0, M * sizeof(unsigned int), stream));
    launch_count_nonfinite(arrays, sizes, M, g.bad.data(), stream);
    buf.recon_sum.copy_to_host(g.recon_sum.data(), stream);
    g.bad.copy_to_host(g.bad_host.data(), stream);
    ctx_.set_tf32(false);
  }

  Model cd_step_impl(const detail::CdStepInput& input) {
    cudaStream_t stream = ctx_.stream();
    const Model& model = *input.model;
    StepShape shape{
        1,    model.n_visible, model.n_hidden, input.batch_size, input.batch_size, input.cd_steps,
        false};
    StepBuffers buf(shape, stream);
    DeviceModels params({&model}, stream);
    DeviceBuffer<float> uniforms;
    uniforms.copy_from_host(*input.uniforms, stream);
    buf.v0.copy_from_host(*input.batch, stream);
    // Plain SGD: momentum 0 on a zero velocity gives θ += lr·g.
    const std::vector<Hyper> hyper{{input.learning_rate, 0.0f, input.weight_decay}};
    buf.hyper.copy_from_host(hyper, stream);
    ctx_.set_tf32(false);
    record_step(ctx_, shape, params, buf, BatchSource{}, uniforms.data(), /*track_recon=*/false);
    Model result = model;
    params.download({&result}, stream);
    ctx_.synchronize("cd_step");
    return result;
  }

  // ---- inference -----------------------------------------------------------------------------
  std::vector<double> free_energy_impl(const Model& model, const CudaData& data) {
    cudaStream_t stream = ctx_.stream();
    const int D = model.n_visible, L = model.n_hidden;
    const std::size_t N = data.n_samples, chunk = chunk_rows(N, D, L);
    DeviceModels params({&model}, stream);
    DeviceBuffer<float> v(chunk * D), fields(chunk * L);
    DeviceBuffer<double> energies(N);
    ctx_.set_tf32(false);
    for (std::size_t begin = 0; begin < N; begin += chunk) {
      const int rows = static_cast<int>(std::min(chunk, N - begin));
      launch_gather_rows(data.values.data(), D, nullptr, N, nullptr, begin, rows, 1, v.data(),
                         stream);
      gemm_xw(ctx_, rows, L, D, v.data(), params.w.data(), fields.data(), {}, 1);
      launch_free_energy_rows(v.data(), fields.data(), params.b.data(), params.c.data(), rows, D, L,
                              energies.data() + begin, stream);
    }
    std::vector<double> out(N);
    energies.copy_to_host(out.data(), stream);
    ctx_.synchronize("free_energy");
    return out;
  }

  double reconstruction_error_impl(const Model& model, const CudaData& data) {
    cudaStream_t stream = ctx_.stream();
    const int D = model.n_visible, L = model.n_hidden;
    const std::size_t N = data.n_samples, chunk = chunk_rows(N, D, L);
    DeviceModels params({&model}, stream);
    DeviceBuffer<float> v(chunk * D), hidden(chunk * L), recon(chunk * D);
    // Each chunk writes its block partials at its own offset; the host sums them in order.
    std::size_t total_partials = 0;
    for (std::size_t begin = 0; begin < N; begin += chunk)
      total_partials += recon_partial_count(static_cast<int>(std::min(chunk, N - begin)), D);
    DeviceBuffer<double> partials(total_partials);
    ctx_.set_tf32(false);
    std::size_t offset = 0;
    for (std::size_t begin = 0; begin < N; begin += chunk) {
      const int rows = static_cast<int>(std::min(chunk, N - begin));
      launch_gather_rows(data.values.data(), D, nullptr, N, nullptr, begin, rows, 1, v.data(),
                         stream);
      gemm_xw(ctx_, rows, L, D, v.data(), params.w.data(), hidden.data(), {}, 1);
      launch_sigmoid_sample(hidden.data(), params.c.data(), 0, rows, L, 1, nullptr, {}, nullptr,
                            nullptr, stream);
      gemm_xwt(ctx_, rows, D, L, hidden.data(), params.w.data(), recon.data(), {}, 1);
      launch_sigmoid_sample(recon.data(), params.b.data(), 0, rows, D, 1, nullptr, {}, v.data(),
                            partials.data() + offset, stream);
      offset += recon_partial_count(rows, D);
    }
    std::vector<double> host(total_partials);
    partials.copy_to_host(host.data(), stream);
    ctx_.synchronize("reconstruction_error");
    double sum = 0;
    for (double partial : host) sum += partial;
    return sum / (static_cast<double>(N) * D);
  }

  std::vector<float> hidden_probabilities_impl(const Model& model, const CudaData& data) {
    return probabilities(model, data.n_samples, /*of_hidden=*/true,
                         [&](std::size_t begin, int rows, float* visible, cudaStream_t stream) {
                           launch_gather_rows(data.values.data(), model.n_visible, nullptr,
                                              data.n_samples, nullptr, begin, rows, 1, visible,
                                              stream);
                         });
  }

  std::vector<float> visible_probabilities_impl(const Model& model,
                                                const std::vector<float>& hidden_host) {
    const std::size_t L = model.n_hidden;
    return probabilities(
        model, hidden_host.size() / L, /*of_hidden=*/false,
        [&](std::size_t begin, int rows, float* hidden, cudaStream_t stream) {
          RBM_CUDA_CHECK(cudaMemcpyAsync(hidden, hidden_host.data() + begin * L,
                                         rows * L * sizeof(float), cudaMemcpyHostToDevice, stream));
        });
  }

  /// P(h=1|v) (of_hidden) or P(v=1|h) for n rows, chunk by chunk: load(begin, rows, given,
  /// stream) puts the given layer's rows [begin, begin+rows) on the device.
  template <typename Load>
  std::vector<float> probabilities(const Model& model,
                                   std::size_t n,
                                   bool of_hidden,
                                   const Load& load) {
    cudaStream_t stream = ctx_.stream();
    const int D = model.n_visible, L = model.n_hidden;
    const int given_cols = of_hidden ? D : L, out_cols = of_hidden ? L : D;
    std::vector<float> out(n * out_cols);
    if (n == 0) return out;
    const std::size_t chunk = chunk_rows(n, D, L);
    DeviceModels params({&model}, stream);
    DeviceBuffer<float> given(chunk * given_cols), fields(chunk * out_cols);
    ctx_.set_tf32(false);
    for (std::size_t begin = 0; begin < n; begin += chunk) {
      const int rows = static_cast<int>(std::min(chunk, n - begin));
      load(begin, rows, given.data(), stream);
      if (of_hidden)
        gemm_xw(ctx_, rows, L, D, given.data(), params.w.data(), fields.data(), {}, 1);
      else
        gemm_xwt(ctx_, rows, D, L, given.data(), params.w.data(), fields.data(), {}, 1);
      launch_sigmoid_sample(fields.data(), of_hidden ? params.c.data() : params.b.data(), 0, rows,
                            out_cols, 1, nullptr, {}, nullptr, nullptr, stream);
      RBM_CUDA_CHECK(cudaMemcpyAsync(out.data() + begin * out_cols, fields.data(),
                                     static_cast<std::size_t>(rows) * out_cols * sizeof(float),
                                     cudaMemcpyDeviceToHost, stream));
    }
    ctx_.synchronize(of_hidden ? "hidden_probabilities" : "visible_probabilities");
    return out;
  }

  // ---- sampling ------------------------------------------------------------------------------
  Dataset sample_impl(const Model& model, const SampleOptions& options) {
    cudaStream_t stream = ctx_.stream();
    // Sampling at inverse temperature β: every parameter scaled (exp(−βE)), as on the CPU.
    Model scaled = model;
    for (auto* values : {&scaled.weights, &scaled.visible_bias, &scaled.hidden_bias})
      for (float& value : *values) value *= options.beta;
    const int D = model.n_visible, L = model.n_hidden, C = options.n_chains,
              S = options.samples_per_chain;
    const std::size_t CD = static_cast<std::size_t>(C) * D, CL = static_cast<std::size_t>(C) * L;
    DeviceBuffer<float> x(CD), pv(CD), h(CL), ph(CL);
    DeviceBuffer<std::uint8_t> kept(CD * S);
    DeviceModels params({&scaled}, stream);
    DeviceBuffer<std::uint64_t> seed;
    const std::vector<std::uint64_t> seed_host{options.seed};
    seed.copy_from_host(seed_host, stream);
    DeviceBuffer<StepCursor> cursor(1);
    RBM_CUDA_CHECK(cudaMemsetAsync(cursor.data(), 0, sizeof(StepCursor), stream));
    DeviceBuffer<std::uint8_t> init;
    if (options.init.n_samples > 0) {
      init.copy_from_host(options.init.values, stream);
      launch_gather_rows(init.data(), D, nullptr, options.init.n_samples, nullptr, 0, C, 1,
                         x.data(), stream);
    } else {  // v = (u < 1/2), u from the sample stream, substream 1
      launch_init_chains(nullptr, seed.data(), RandomStream::sample, 1, C, D, 1, x.data(), stream);
    }
    ctx_.set_tf32(false);
    Uniforms u;
    u.seeds = seed.data();
    u.cursor = cursor.data();
    u.per_step = CL + CD;
    u.stream = RandomStream::sample;
    u.substream = 0;
    const auto sweep = [&] {  // h from σ(vW + c), then v from σ(hWᵀ + b); the sweep counter
      gemm_xw(ctx_, C, L, D, x.data(), params.w.data(), ph.data(), {}, 1);
      Uniforms hidden_u = u;
      hidden_u.base = 0;
      launch_sigmoid_sample(ph.data(), params.c.data(), 0, C, L, 1, h.data(), hidden_u, nullptr,
                            nullptr, stream);
      gemm_xwt(ctx_, C, D, L, h.data(), params.w.data(), pv.data(), {}, 1);
      Uniforms visible_u = u;
      visible_u.base = CL;
      launch_sigmoid_sample(pv.data(), params.b.data(), 0, C, D, 1, x.data(), visible_u, nullptr,
                            nullptr, stream);
      launch_advance(cursor.data(), stream);
    };
    Repeater repeater;
    repeater.run(ctx_, options.burn_in, sweep);
    for (int j = 0; j < S; ++j) {
      repeater.run(ctx_, options.thinning, sweep);
      launch_store_samples(x.data(), C, D, S, j, kept.data(), stream);
    }
    Dataset out;
    out.n_visible = D;
    out.n_samples = static_cast<std::size_t>(C) * S;
    out.values.resize(out.n_samples * D);
    out.name = "samples";
    kept.copy_to_host(out.values.data(), stream);
    ctx_.synchronize("sample");
    return out;
  }

  Context ctx_;
  DeviceBuffer<unsigned char> logz_workspace_;
};

}  // namespace

std::unique_ptr<detail::Backend> make_cuda_backend(const EngineOptions& options) {
  return std::make_unique<CudaBackend>(options);
}

}  // namespace rbm::cuda
