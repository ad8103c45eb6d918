// host/backend.hpp — the internal interface every backend (CPU, CUDA) implements.
//
// Operations are coarse and math-level (train, log Z, free energy, sampling) so that a device
// backend can fuse kernels and keep data resident. Algorithms that do not care about the device
// live above this seam, in engine.cpp.
//
// ---- The training contract (both backends implement exactly this; tests compare them) ----
// Notation: model m, seed s = configs[m].seed, V0 a [B][D] batch of data rows, σ the logistic.
// Sampling rule everywhere: unit = (u < p) ? 1 : 0 with u a uniform in (0,1].
// Uniforms come from host/common/philox.hpp: random_uniform(s, RandomStream::gibbs, 0, offset+i)
// where `offset` starts at 0 and advances, after each mini-batch step, by the count that step
// consumed, k·R·(L+D) with R = rows of the negative phase (B for CD, n_chains for PCD). Inside a
// step the layout is: h0 [R][L], then for t = 1..k: v_t [R][D], then (t < k) h_t [R][L].
// It depends on the model's own seed only, so M models trained together equal M single runs.
//  1. Positive phase: P0 = σ(V0 W + c).
//  2. Negative start: CD: X = V0, H = (u < P0).  PCD: X = chains, H = (u < σ(X W + c)).
//  3. For t = 1..k: Pv = σ(H Wᵀ + b); X = (u < Pv); Ph = σ(X W + c); if t < k: H = (u < Ph).
//  4. gW = V0ᵀP0 / B - XᵀPh / R - wd·W;  gb = mean_rows(V0) - mean_rows(X);
//     gc = mean_rows(P0) - mean_rows(Ph).   (wd = weight_decay; biases are not decayed)
//  5. velocity = momentum·velocity + lr·g (velocity starts at 0); θ += velocity.
//  6. PCD: chains = X.
//  Reconstruction error of the step: CD: mean over [B][D] of (V0 - Pv_{t=1})² (free, already
//  computed). PCD (whose Pv belongs to the chains): mean over [B][D] of (V0 - σ(P0 Wᵀ + b))².
// Epoch e (0-based): rows are visited in the order of a permutation that sorts n = 0..N-1 by
// (key_n, n) with key_n = random_block(s, RandomStream::shuffle, e, n).v[0]; mini-batches are
// consecutive runs of B rows of it; the last N mod B rows are dropped (requires B <= N).
// PCD chains start as (u < σ(b)) with u = random_uniform(s, RandomStream::init, 1, c·D + i),
// n_chains = config.n_chains or B when 0.
// Epoch metric: mean over the epoch's steps of the step's reconstruction error.
//
// ---- Sampling contract ----
// Parameters scaled by β (W, b, c all multiplied: samples from exp(-β E)).
// Start: init rows, or v = (u < 0.5) with u = random_uniform(seed, sample, 1, c·D + i).
// Sweep t (0-based) uses random_uniform(seed, sample, 0, t·C·(L+D) + i): first h [C][L] from
// σ(vW + c), then v [C][D] from σ(hWᵀ + b). After burn_in sweeps, every thinning-th sweep
// appends the C visible rows (chain c's samples: rows c·samples_per_chain + j).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "rbm/engine.hpp"

namespace rbm::detail {

/// A dataset as a backend keeps it. Backends derive from this to add their storage.
struct ResidentData {
  virtual ~ResidentData() = default;
  std::size_t n_samples = 0;
  int n_visible = 0;
};

/// Inputs of one deterministic CD-k step (the test seam: both backends get the same uniforms).
/// Uniform layout: h0 [B][L], then for t = 1..k: v_t [B][D], and h_t [B][L] for t < k.
struct CdStepInput {
  const Model* model = nullptr;
  const std::vector<float>* batch = nullptr;  ///< [B][D] row-major, values 0/1
  int batch_size = 0;
  int cd_steps = 1;
  float learning_rate = 0;
  float weight_decay = 0;
  const std::vector<float>* uniforms = nullptr;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendKind kind() const = 0;
  virtual std::string device_name() const = 0;

  virtual std::shared_ptr<const ResidentData> upload(const Dataset& data) = 0;
  /// Trains `models` in place (the Engine hands in scratch copies and validates inputs).
  virtual void train(std::vector<Model>& models,
                     const std::vector<TrainConfig>& configs,
                     const ResidentData& data,
                     const EpochCallback& on_epoch) = 0;
  virtual Model cd_step(const CdStepInput& input) = 0;

  virtual std::vector<LogZResult> log_z(const std::vector<Model>& models,
                                        const LogZOptions& options) = 0;
  virtual std::vector<double> free_energy(const Model& model, const ResidentData& data) = 0;
  virtual double reconstruction_error(const Model& model, const ResidentData& data) = 0;
  virtual std::vector<float> hidden_probabilities(const Model& model, const ResidentData& data) = 0;
  virtual std::vector<float> visible_probabilities(const Model& model,
                                                   const std::vector<float>& hidden) = 0;
  virtual Dataset sample(const Model& model, const SampleOptions& options) = 0;
};

std::unique_ptr<Backend> make_cpu_backend(const EngineOptions& options);

}  // namespace rbm::detail
