// rbm/engine.hpp — the entry point: pick a backend, upload data, train, evaluate, sample.
//
// One API whatever runs it. An Engine owns one backend (CPU or CUDA); datasets are uploaded
// once and stay resident on that backend; every call that returns host data is synchronous.
//
// Threads: distinct Engines may be used from different threads at the same time (each has its
// own CPU thread pool or CUDA stream). One Engine may be shared by several threads: its calls
// are serialised (a call waits until another thread's call on it has returned), so results are
// those of the calls made one after the other. Callbacks (epoch, progress, checkpoint) run on
// the calling thread and may call the same Engine. A DataHandle belongs to the Engine that made
// it; Models, Datasets and configs are plain values.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rbm/dataset.hpp"
#include "rbm/estimators.hpp"
#include "rbm/export.hpp"
#include "rbm/logz.hpp"
#include "rbm/model.hpp"
#include "rbm/train.hpp"

namespace rbm {

enum class BackendKind { auto_, cpu, cuda };
RBM_EXPORT const char* to_string(BackendKind kind);
/// Parses "auto" | "cpu" | "cuda"; throws InvalidArgument otherwise.
RBM_EXPORT BackendKind parse_backend_kind(const std::string& text);
/// True when this build has the CUDA backend and a usable device is present. Never throws.
RBM_EXPORT bool cuda_available();

struct EngineOptions {
  int cuda_device = 0;
  void* cuda_stream = nullptr;  ///< a caller's cudaStream_t to borrow (not owned); null = own one
  int cpu_threads = 0;          ///< 0 = all hardware threads
};

namespace detail {
class Backend;
struct ResidentData;
}  // namespace detail

/// A dataset resident on an Engine's backend. Cheap to copy (shared).
class RBM_EXPORT DataHandle {
 public:
  DataHandle() = default;
  std::size_t n_samples() const;
  int n_visible() const;
  const detail::ResidentData& resident() const;  ///< internal

 private:
  friend class Engine;
  std::shared_ptr<const detail::ResidentData> data_;
};

/// Options for free-running block-Gibbs chains.
struct SampleOptions {
  int n_chains = 16;
  int burn_in = 1000;  ///< Gibbs sweeps before the first kept sample
  int thinning = 1;    ///< sweeps between kept samples
  int samples_per_chain = 1;
  float beta = 1.0f;  ///< inverse temperature: samples from p(v)^β-like sharpened chains
  std::uint64_t seed = 1;
  Dataset init;  ///< optional starts, [n_chains][D]; empty = uniform random
  /// Clamped visible units (inpainting, conditioning on a label): [n_chains][D] or [D] (the
  /// same units of every chain); 1 = the unit keeps its value from `init` (then required) in
  /// every sweep. Empty = none.
  std::vector<std::uint8_t> clamped;
};

/// Number of uniforms Engine::cd_step consumes: B·L·k + B·D·k.
RBM_EXPORT std::size_t cd_step_uniform_count(int batch_size,
                                             int n_visible,
                                             int n_hidden,
                                             int cd_steps);

class RBM_EXPORT Engine {
 public:
  /// `auto_` picks CUDA when cuda_available(), else the CPU. `cuda` without a device throws
  /// NotBuilt (CPU-only build) or CudaError (no usable device).
  explicit Engine(BackendKind kind = BackendKind::auto_, const EngineOptions& options = {});
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  BackendKind kind() const;  ///< cpu or cuda, never auto_
  std::string device_name() const;

  /// Copies `data` to the backend once (compact form). Throws InvalidArgument if invalid.
  DataHandle upload(const Dataset& data);
  /// Uploads the rows `view` points to. Host memory: read and copied, on either backend. CUDA
  /// device memory: the CUDA backend converts it on its own device, device to device, after
  /// waiting for the work queued on that device (so a producer's pending writes land first);
  /// the CPU backend refuses it. A value other than 0 or 1 (NaN included) is an
  /// InvalidArgument naming its row and column.
  DataHandle upload(const DataView& view);

  /// Trains M models of one shape together, model m with configs[m] (configs may hold one
  /// entry for all). Models whose configs share unit types, optimizer, PCD chains, batch and
  /// CD schedules and epochs run batched in one group. Returns the trained models; the inputs
  /// are untouched, so a failure never leaves a half-updated model. Throws Diverged (with the
  /// last healthy models) when training blows up, Interrupted when options.stop_requested.
  std::vector<Model> train(const std::vector<Model>& models,
                           const std::vector<TrainConfig>& configs,
                           const DataHandle& data,
                           const TrainOptions& options);
  std::vector<Model> train(const std::vector<Model>& models,
                           const std::vector<TrainConfig>& configs,
                           const DataHandle& data,
                           const EpochCallback& on_epoch = {});
  Model train(const Model& model,
              const TrainConfig& config,
              const DataHandle& data,
              const EpochCallback& on_epoch = {});
  /// Continues a run from a checkpoint (TrainOptions::on_checkpoint, load_checkpoint) on the
  /// same data: the result equals the uninterrupted run's, bit for bit, on the same machine
  /// and thread count.
  std::vector<Model> resume(const TrainingCheckpoint& checkpoint,
                            const DataHandle& data,
                            const TrainOptions& options = {});

  /// Whether exact log Z of `model` is within the limits of `options` (log_z would not refuse
  /// it): the check of log_z_estimate for one model.
  bool can_enumerate(const Model& model, const LogZOptions& options = {}) const;
  /// Exact log Z by enumerating the smaller layer (float64 accumulation). Refused
  /// (InvalidArgument) beyond the limits of `options` (by default a time budget, see
  /// LogZOptions); throws Cancelled when options.progress returns false.
  LogZResult log_z(const Model& model, const LogZOptions& options = {});
  /// The same for several models of one shape, in one call.
  std::vector<LogZResult> log_z(const std::vector<Model>& models, const LogZOptions& options = {});
  /// What log_z of `n_models` models shaped like `model` would cost on this engine, and whether
  /// `options` allow it (the check log_z makes). The first call on a CPU engine measures its
  /// rate (a few ms).
  LogZEstimate log_z_estimate(const Model& model,
                              const LogZOptions& options = {},
                              std::size_t n_models = 1);

  /// F(v) = -log Σ_h e^{-E(v,h)} for every sample, in float64: -bᵀv - Σ_j softplus(c_j +
  /// vᵀW_{:,j}) for Bernoulli hidden units (log 2cosh for spin, log-sum-exp for Potts).
  std::vector<double> free_energy(const Model& model, const DataHandle& data);
  /// Exact mean log-likelihood: mean(-F(v)) - log_z.
  double mean_log_likelihood(const Model& model, const DataHandle& data, double log_z);
  /// Mean squared error between v and its mean-field reconstruction p(v | p(h|v)).
  double reconstruction_error(const Model& model, const DataHandle& data);
  /// p(h_j on | v) for every sample, [N][L] row-major (on = 1, or +1 for spin units; for a
  /// one-hot layer the softmax over the row).
  std::vector<float> hidden_probabilities(const Model& model, const DataHandle& data);
  /// p(v_i on | h) for hidden vectors given as [n][L] row-major in the hidden units' values
  /// (or their means).
  std::vector<float> visible_probabilities(const Model& model, const std::vector<float>& hidden);

  /// One deterministic CD-k step with caller-supplied uniforms in place of the RNG (layout:
  /// h0 [B][L], then for t = 1..k: v_t [B][D], and h_t [B][L] for t < k; see
  /// cd_step_uniform_count). `batch` is [B][D] data bits (0/1 floats; a spin layer reads them
  /// as ±1). Plain SGD with config.learning_rate's first value, whatever config.optimizer: returns
  /// W + lr·(⟨v0 p(h|v0)ᵀ⟩ - ⟨vk p(h|vk)ᵀ⟩ - wd·W) and the matching bias steps. Both backends
  /// give the same result for the same inputs, which is what the backend-agreement tests use.
  Model cd_step(const Model& model,
                const std::vector<float>& batch,
                const TrainConfig& config,
                const std::vector<float>& uniforms);

  /// Block-Gibbs samples of v: n_chains × samples_per_chain rows, chain-major.
  Dataset sample(const Model& model, const SampleOptions& options);
  /// Parallel tempering: options.n_chains independent ladders of `ladder`'s levels (options.beta
  /// is not used: the top level is the model); the β = 1 level's samples and the swap rates.
  TemperingResult sample_tempered(const Model& model,
                                  const SampleOptions& options,
                                  const TemperingLadder& ladder);

  /// AIS estimates of log Z (rbm/estimators.hpp) for M models of one shape, in one chain set.
  std::vector<AisResult> ais_log_z(const std::vector<Model>& models, const AisOptions& options);
  AisResult ais_log_z(const Model& model, const AisOptions& options);
  /// Reverse AIS from the given rows of `data` (options.n_chains chains per row).
  ReverseAisResult reverse_ais(const Model& model,
                               const DataHandle& data,
                               const std::vector<std::size_t>& rows,
                               const AisOptions& options);
  /// Mean log-likelihood of `data`: exact log Z when affordable or asked, AIS otherwise (with
  /// its standard error, and a reverse-AIS bracket when asked). Several models of one shape
  /// share their AIS run.
  LikelihoodEstimate log_likelihood(const Model& model,
                                    const DataHandle& data,
                                    const LikelihoodOptions& options = {});
  std::vector<LikelihoodEstimate> log_likelihood(const std::vector<Model>& models,
                                                 const DataHandle& data,
                                                 const LikelihoodOptions& options = {});

  /// For a model whose last K visible units are one label unit per class (with_label_units):
  /// p(class | pixels) for every row of `pixels` ([N][D − K] data), [N][K], exactly: the
  /// softmax over k of −F(pixels, e_k), the free energies of the K label completions.
  std::vector<double> label_posteriors(const Model& model,
                                       const Dataset& pixels,
                                       const std::vector<int>& classes);
  /// The same by clamped Gibbs sampling, as a network with label units is classically used:
  /// pixels clamped, label units free, one chain per row started with the labels off; the mean
  /// of each label unit over the kept samples (options: burn_in, thinning, samples_per_chain,
  /// seed), [N][K] (rows need not sum to 1).
  std::vector<double> label_activations(const Model& model,
                                        const Dataset& pixels,
                                        const std::vector<int>& classes,
                                        const SampleOptions& options);

 private:
  std::unique_ptr<detail::Backend> backend_;
  /// Serialises calls from several threads; recursive so that callbacks may call the Engine.
  std::unique_ptr<std::recursive_mutex> mutex_;
};

}  // namespace rbm
