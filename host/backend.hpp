// host/backend.hpp — the internal interface every backend (CPU, CUDA) implements.
//
// The seam is one epoch over resident training state: a backend owns the state of M models
// (parameters, optimizer slots, persistent chains, regularizer averages, RNG offset) and runs
// one epoch with that epoch's hyper-parameters. Everything that does not care about the device
// lives above the seam, once (host/trainer.cpp: the epoch loop, schedules, metrics, callbacks,
// early stop, divergence, checkpoints, initial state; host/engine.cpp: validation, β scaling,
// log Z's reduction to {0,1} units, its conversion to the backend's precision, its offset and
// its time budget). The arithmetic both backends share is in host/common/.
//
// ---- The training contract (both backends implement exactly this; tests compare them) ----
// Notation: model m, seed s, V0 a [B][D] batch of data rows as unit values (a data bit x is
// 2x − 1 on a spin layer), units as in host/common/units.hpp: for a layer's fields F (bias
// included) mean(F), p(F) = p(on) and sample(F) with the layer's unit type.
// Uniforms: random_uniform(s, RandomStream::gibbs, 0, offset + i), where `offset` starts at 0
// and advances, after each mini-batch step, by the count that step consumed, k·R·(L+D) with
// R = rows of the negative phase (B for CD, n_chains for PCD) and this epoch's B and k. Inside a
// step the layout is: h0 [R][L], then for t = 1..k: v_t [R][D], then (t < k) h_t [R][L] — except
// for PCD with hidden chains, which draws no h0: for t = 1..k: v_t [R][D], then h_t [R][L] (k·R·
// (L+D) all the same); a one-hot row r uses the first uniform of its slot, [r][0]. It depends on
// the model's own seed only, so M models trained together equal M single runs.
//  1. Positive phase: M0 = mean_h(V0 W + c).
//  2. Negative start: CD: X = V0, H = sample_h(V0 W + c).  PCD, visible chains: X = chains,
//     H = sample_h(X W + c).  PCD, hidden chains: H = chains.
//  3. For t = 1..k: X = sample_v(H Wᵀ + b); Mh = mean_h(X W + c); if t < k, or t = k with hidden
//     chains: H = sample_h(X W + c) (at t = k from the very fields of Mh).
//  4. Likelihood statistics: gW = V0ᵀM0 / B − XᵀMh / R; gb = colmean(V0) − colmean(X);
//     gc = colmean(M0) − colmean(Mh) (column means summed in double, each rounded to float).
//     Centering (with offsets μ [D], λ [L]): gW ← centered_weight_gradient(gW, μ, λ, gb, gc);
//     then gb ← gb − gW·λ and gc ← gc − gWᵀ·μ (the centered gradient of the plain parameters).
//     Sparsity: q ← colmean(M0) at the first step, else moving_average(q, colmean(M0), 1 − d);
//     gc_j ← gc_j − sparsity_pull(q_j); W's term is sparsity_pull(q_j)·colmean(V0)_i.
//  5. Every parameter takes optimizer_step with t = steps done + 1: W with weight_gradient
//     (sparsity, L2 = weight_decay, L1), b and c with their gradients as they are.
//     Centering offsets then move: μ ← moving_average(μ, colmean(V0), ν),
//     λ ← moving_average(λ, colmean(M0), ν).
//  6. PCD: chains = X (visible chains) or H (hidden chains).
//  Tempering (PCD with a ladder β_0 < … < β_{T−1} = 1; its chains are visible states, whatever
//  pcd_chains says): the stored chains are C·T rows, chain c at level β_{c mod T}, and steps 2–3
//  are k tempering rounds of the chains contract below over all C·T rows (between the zero
//  base-rate model and the model; swap uniforms from random_uniform(s, temper, 2, round·C·T + c),
//  `round` = the step's uniform offset / (C·T·(L+D)) + t − 1; sweep uniforms are the step's own,
//  per round h [C·T][L] then v [C·T][D]). Then X = the C rows at level T − 1 and
//  Mh = mean_h(X W + c); step 4 uses R = C; step 6 stores all C·T rows. Its reconstruction error
//  is PCD's.
//  Reconstruction error of the step: CD: mean over [B][D] of (V0 − mean_v(H₀ Wᵀ + b))², i.e. the
//  t = 1 visible means (free, already computed). PCD (whose visible means belong to the chains):
//  mean over [B][D] of (V0 − mean_v(M0 Wᵀ + b))².
// Epoch e (0-based): rows are visited in the order of a permutation that sorts n = 0..N-1 by
// (key_n, n) with key_n = random_block(s, RandomStream::shuffle, e, n).v[0]; mini-batches are
// consecutive runs of B rows of it; the last N mod B rows are dropped (requires B <= N).
// Epoch metric: mean over the epoch's steps of the step's reconstruction error. Health: the
// count of parameters that are non-finite or larger in magnitude than the plan's bound.
// Initial state of a run (built above the seam, host/trainer.cpp: initial_checkpoint):
// optimizer slots 0; uniform offset 0, steps 0; PCD chains (n_chains, or the run's largest B,
// rows) X = sample_v(b) with u = random_uniform(s, RandomStream::init, 1, c·D + i), or for hidden
// chains H = sample_h(c) with u = random_uniform(s, RandomStream::init, 1, c·L + j); sparsity q
// 0 (replaced by the first step's mean); centering offsets μ = the data's column means in unit
// values (spin: 2p − 1), λ = the mean of a hidden unit with zero field (Bernoulli 1/2, spin 0,
// Potts 1/L, Potts with off state 1/(L + 1)).
//
// ---- Chains contract (sampling, annealing, tempering, clamping) ----
// A chain set holds C chains for each of M models of one shape. Chain c of model m runs on the
// model between a base-rate model (zero weights, visible bias a, hidden bias d) at β = 0 and
// model m (W, b, c) at β = 1, E_β = (1 − β)·E_base + β·E_m, i.e. the RBM with weights βW and
// biases (1 − β)a + βb, (1 − β)d + βc. With a = d = 0 this is exp(−β E_m). Fields at β are
// interpolated_field(β, g, base, bias) (host/common/units.hpp) of the GEMM output g, per element.
// The set's sweep counter t starts at 0; sweep t uses random_uniform(seed_m, stream, 0,
// t·C·(L+D) + i): first h [C][L] = sample_h(fields of vW at β_c), then v [C][D] = sample_v(fields
// of hWᵀ at β_c); clamped visible units keep their value. (`stream` is the set's: sample for
// Engine::sample, anneal for AIS, temper for tempering.)
// Tempering round t (a ladder of R inverse temperatures; chain c at β = ladder[c mod R]): one
// sweep, then, when R > 1, the pairs of chains (c, c + 1) with c mod R = r ≡ t (mod 2) and
// r + 1 < R exchange their visible states when u < exp(F_a(x_c) + F_b(x_{c+1}) − F_a(x_{c+1}) −
// F_b(x_c)), a = β_r, b = β_{r+1}, u = random_uniform(seed_m, stream, 2, t·C + c).
// Annealing over a ladder β_0 … β_n: for j = 1..n the log-weight of each chain gains
// F_{β_{j−1}}(x) − F_{β_j}(x), then (j < n, or always when asked) the chains sweep at β_j.
// Free energies F_β(x) = −b_β·x − Σ_j log Σ_h e^{field_j h} are in double (host/common/units.hpp).
// Above the seam (host/sampler.cpp, host/estimators/): Engine::sample starts chains at the given
// rows or at v = sample_v(0) with u = random_uniform(seed, sample, 1, c·D + i), runs burn_in
// rounds, then keeps the C visible rows after every thinning-th round (chain c's samples: rows
// c·samples_per_chain + j). AIS starts from exact samples of the base-rate model,
// u = random_uniform(seed, anneal, 1, c·D + i).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "host/common/optimizer.hpp"
#include "host/common/philox.hpp"
#include "rbm/engine.hpp"

namespace rbm::detail {

/// A dataset as a backend keeps it. Backends derive from this to add their storage.
struct ResidentData {
  virtual ~ResidentData() = default;
  std::size_t n_samples = 0;
  int n_visible = 0;
  std::vector<double> bit_means;  ///< fraction of ones per column (centering's starting μ)
};

/// Fraction of ones per column of `data` (ResidentData::bit_means).
std::vector<double> column_bit_means(const Dataset& data);

/// What stays fixed while M models train together: it fixes the buffers and the kernel
/// sequence. Models whose configs agree on all of it form one group (host/trainer.cpp).
struct TrainSetup {
  int n_models = 0, n_visible = 0, n_hidden = 0;
  UnitType visible_type = UnitType::bernoulli, hidden_type = UnitType::bernoulli;
  bool persistent = false;
  PcdChains pcd_chains = PcdChains::hidden;  ///< what PCD chains carry (contract step 2)
  int chain_rows = 0;                        ///< R for PCD
  /// PCD with tempering: the ladder's inverse temperatures [levels] ascending to 1; empty = plain
  /// PCD. The stored chains are then chain_rows · levels visible rows.
  std::vector<float> tempering_ladder;
  int max_batch_size = 0;  ///< the largest B of the run
  int max_cd_steps = 0;    ///< the largest k of the run
  Optimizer optimizer = Optimizer::momentum;
  bool centering = false;
  bool sparsity = false;
  GemmMath math = GemmMath::fp32;
  std::vector<std::uint64_t> seeds;  ///< [M]
};

/// The state of M models in host memory, laid out as TrainingCheckpoint::ModelState.
struct TrainingSnapshot {
  std::vector<Model> models;
  std::vector<TrainingCheckpoint::ModelState> states;
};

/// One epoch's plan: the schedules evaluated for epoch `epoch` (0-based).
struct EpochPlan {
  int epoch = 0;
  int batch_size = 0;
  int cd_steps = 1;
  float max_abs_parameter = 0;
  std::vector<StepHyper> hyper;  ///< [M]
};

struct EpochReport {
  std::vector<double> reconstruction_error;  ///< [M]
  std::vector<std::uint64_t> unhealthy;      ///< [M] parameters non-finite or beyond the bound
  bool graphs = false;                       ///< CUDA graphs ran the steps
};

/// A backend's training state of one group; only its backend knows what is inside.
class TrainingState {
 public:
  virtual ~TrainingState() = default;
};

/// Inputs of one deterministic CD-k step (the test seam: both backends get the same uniforms).
/// Uniform layout: h0 [B][L], then for t = 1..k: v_t [B][D], and h_t [B][L] for t < k.
struct CdStepInput {
  const Model* model = nullptr;
  const std::vector<float>* batch = nullptr;  ///< [B][D] row-major, data bits 0/1
  int batch_size = 0;
  int cd_steps = 1;
  float learning_rate = 0;
  float weight_decay = 0;
  const std::vector<float>* uniforms = nullptr;
};

/// A model reduced to {0,1} units on both layers and oriented so that its hidden layer is the
/// one to enumerate (host/enumeration.hpp), in the precision its backend enumerates in (the
/// Engine converts once; backends never round parameters themselves). A backend's log_z returns
///   log Z' = log Σ_h e^{cᵀh} Π_i (1 + e^{b_i + W_i·h}),
/// the raw sum: the Engine adds the reduction's constant and records the orientation.
template <typename Real>
struct EnumerationModel {
  int n_visible = 0, n_hidden = 0;
  std::vector<Real> weights, visible_bias, hidden_bias;  ///< [D][L], [D], [L]
};

/// The arithmetic of a backend's exact log Z: float64 (the CPU reference) or float32 (the CUDA
/// kernels, float products with float64 sums).
enum class LogZPrecision { float32, float64 };

/// A backend's exact log Z throughput, for the time budget of LogZOptions::max_seconds.
struct LogZRate {
  double pairs_per_second = 0;  ///< (state, unit) pairs per second at large L
  std::string source;           ///< how it was obtained (measured where, or calibrated here)
};

/// Where a chain set starts: M models of one shape with C chains each (chains contract).
struct ChainStart {
  std::vector<Model> models;             ///< [M] the β = 1 ends
  std::vector<float> base_visible_bias;  ///< [M][D] a: the base-rate model (β = 0)
  std::vector<float> base_hidden_bias;   ///< [M][L] d
  int n_chains = 0;                      ///< C
  std::vector<std::uint64_t> seeds;      ///< [M]
  RandomStream stream = RandomStream::sample;
  /// Starting states: [M][C][D] in unit values; or, when `data` is set, chain c of every model
  /// starts at row rows[c] of the resident data (and `visible` is empty).
  std::vector<float> visible;
  const ResidentData* data = nullptr;
  std::vector<std::size_t> rows;      ///< [C]
  std::vector<std::uint8_t> clamped;  ///< [C][D] (all models): 1 = the unit never changes; or empty
};

/// A backend's chain set; only its backend knows what is inside.
class ChainState {
 public:
  virtual ~ChainState() = default;
};

/// What a chain set holds now.
struct ChainReadout {
  std::vector<float> visible;       ///< [M][C][D] unit values
  std::vector<double> log_weights;  ///< [M][C] annealing log-weights (0 until annealed)
  /// [M][R − 1]: swaps accepted and attempted between ladder levels r and r + 1 so far.
  std::vector<std::uint64_t> swaps_accepted, swaps_attempted;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendKind kind() const = 0;
  virtual std::string device_name() const = 0;

  virtual std::shared_ptr<const ResidentData> upload(const Dataset& data) = 0;
  /// Rows in CUDA device memory (view.cuda_device >= 0), validated by the Engine otherwise.
  virtual std::shared_ptr<const ResidentData> upload_device(const DataView& view) = 0;

  /// Uploads the group's initial state (models and per-model state as built by the trainer,
  /// or read from a checkpoint).
  virtual std::unique_ptr<TrainingState> start_training(const TrainSetup& setup,
                                                        const TrainingSnapshot& initial,
                                                        const ResidentData& data) = 0;
  /// One epoch of contract steps 1–6 for every model of the group.
  virtual EpochReport train_epoch(TrainingState& state, const EpochPlan& plan) = 0;
  /// The whole current state, or (epoch_start) only the models as they were when the last
  /// train_epoch began.
  virtual TrainingSnapshot snapshot(TrainingState& state, bool epoch_start) = 0;

  virtual Model cd_step(const CdStepInput& input) = 0;

  /// The precision of this backend's exact log Z; the Engine calls the log_z overload of it.
  virtual LogZPrecision log_z_precision() const = 0;
  /// log Z' of each model (one shape, already validated and within the limits) and its
  /// states, pairs and seconds; options.progress as documented in LogZOptions. A backend
  /// implements the overload of its precision (the other is never called: it throws).
  virtual std::vector<LogZResult> log_z(const std::vector<EnumerationModel<double>>& models,
                                        const LogZOptions& options);
  virtual std::vector<LogZResult> log_z(const std::vector<EnumerationModel<float>>& models,
                                        const LogZOptions& options);
  /// The enumeration rate the time budget is estimated from (may be measured on first use,
  /// then kept).
  virtual LogZRate log_z_rate() = 0;
  virtual std::vector<double> free_energy(const Model& model, const ResidentData& data) = 0;
  virtual double reconstruction_error(const Model& model, const ResidentData& data) = 0;
  virtual std::vector<float> hidden_probabilities(const Model& model, const ResidentData& data) = 0;
  virtual std::vector<float> visible_probabilities(const Model& model,
                                                   const std::vector<float>& hidden) = 0;
  // Chains (the chains contract above).
  virtual std::unique_ptr<ChainState> start_chains(const ChainStart& start) = 0;
  /// `rounds` tempering rounds on `ladder` ([R], R ≥ 1; R = 1: plain sweeps at that β).
  virtual void temper(ChainState& chains, const std::vector<float>& ladder, int rounds) = 0;
  /// Annealing over `ladder` (β_0 … β_n, n ≥ 1); the last sweep at β_n only when
  /// `sweep_after_last` (so that a ladder can be run in pieces).
  virtual void anneal(ChainState& chains,
                      const std::vector<float>& ladder,
                      bool sweep_after_last) = 0;
  virtual ChainReadout read_chains(ChainState& chains) = 0;
  /// F_β of every chain's visible state, [M][C].
  virtual std::vector<double> chain_free_energies(ChainState& chains, float beta) = 0;
};

std::unique_ptr<Backend> make_cpu_backend(const EngineOptions& options);

}  // namespace rbm::detail
