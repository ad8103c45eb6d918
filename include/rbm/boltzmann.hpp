// rbm/boltzmann.hpp — the general Boltzmann machine (Ackley, Hinton & Sejnowski, "A learning
// algorithm for Boltzmann machines", Cognitive Science 9, 1985): N binary {0,1} units, the
// first D visible and the other H = N − D hidden, symmetric couplings w_ij = w_ji without self
// loops, biases b_i and the energy
//   E(s) = −Σ_{i<j} w_ij s_i s_j − Σ_i b_i s_i,   p(s) = e^{−E(s)/T} / Z.
// Visible–visible and hidden–hidden couplings are allowed; a coupling mask says which exist,
// so the restricted Boltzmann machine (bipartite mask) and the fully visible one (H = 0) are
// special cases. Neither p(h | v) nor p(v) factorises, so everything is sampled by sequential
// Gibbs sweeps, and what can be enumerated (up to about 24 units in all) is computed exactly.
//
// CPU only: these machines are small and their sweeps are sequential; rbm::Engine and the CUDA
// backend serve the restricted machine. Randomness is the library's counter-based Philox, so
// every run repeats from its seed whatever the thread count.
//
// Gibbs sweep: units are visited class by class of a greedy colouring of the coupling graph
// (unit k gets the smallest colour none of its coupled lower-numbered units has), in index order
// within a class. Units of one class are not coupled, so each class is one block update: the
// RBM's bipartite graph gives two classes (all visible, then all hidden) and a full graph N
// classes of one unit. The sampler can also sweep sequentially, in index order 0..N−1
// (BmSweep::sequential); both orders leave p(s) invariant. Unit k turns on when u < σ(f_k / T), f_k
// = b_k + Σ_j w_kj s_j, with u the Philox uniform random_uniform(seed, stream, substream, base + k)
// of the chain's sweep.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rbm/dataset.hpp"
#include "rbm/export.hpp"
#include "rbm/model.hpp"
#include "rbm/train.hpp"

namespace rbm {

/// Named coupling graphs over D visible and H hidden units.
enum class CouplingGraph : std::uint8_t {
  full,             ///< every pair of units
  restricted,       ///< visible–hidden pairs only (the RBM's bipartite graph)
  semi_restricted,  ///< visible–visible and visible–hidden, no hidden–hidden
};
RBM_EXPORT const char* to_string(CouplingGraph graph);
/// Parses "full" | "restricted" (or "rbm") | "semi-restricted"; throws InvalidArgument otherwise.
RBM_EXPORT CouplingGraph parse_coupling_graph(const std::string& text);
/// The graph's mask, [N][N] row-major, 1 where a coupling exists (symmetric, zero diagonal).
RBM_EXPORT std::vector<std::uint8_t> coupling_mask(CouplingGraph graph,
                                                   int n_visible,
                                                   int n_hidden);

/// A Boltzmann machine's parameters (host memory, plain value type).
struct RBM_EXPORT BoltzmannMachine {
  int n_visible = 0;               ///< D: units 0 .. D−1
  int n_units = 0;                 ///< N = D + H
  std::vector<float> couplings;    ///< w [N][N] row-major, symmetric, zero diagonal
  std::vector<float> bias;         ///< b [N]
  std::vector<std::uint8_t> mask;  ///< [N][N] 0/1, symmetric, zero diagonal; w is 0 off the mask
  std::string provenance;          ///< JSON text saying how the machine was made

  int n_hidden() const { return n_units - n_visible; }
  float coupling(int i, int j) const {
    return couplings[static_cast<std::size_t>(i) * n_units + j];
  }
  bool coupled(int i, int j) const { return mask[static_cast<std::size_t>(i) * n_units + j] != 0; }

  /// All parameters zero, couplings allowed where `graph` has them.
  static BoltzmannMachine zeros(int n_visible,
                                int n_hidden,
                                CouplingGraph graph = CouplingGraph::full);
  /// Throws InvalidArgument when shapes disagree, D > N, w is not symmetric, has a self loop
  /// or a coupling off the mask, the mask is not symmetric 0/1 with a zero diagonal, or a
  /// parameter is NaN/Inf.
  void validate() const;
};

/// E(s) for a state of N bits (0/1), in float64.
RBM_EXPORT double energy(const BoltzmannMachine& machine, const std::uint8_t* state);

/// The same distribution as an RBM with Bernoulli units: units 0..D−1 visible, D..D+L−1 hidden,
/// w_{i,D+j} = W_ij, the restricted mask. Throws InvalidArgument for other unit types.
RBM_EXPORT BoltzmannMachine boltzmann_from_rbm(const Model& model);
/// The RBM of a machine without visible–visible or hidden–hidden couplings (values; the mask
/// may be larger). Throws InvalidArgument naming a coupling within a layer that is non-zero.
RBM_EXPORT Model rbm_from_boltzmann(const BoltzmannMachine& machine);

// ---- Exact quantities by enumeration (float64) ---------------------------------------------

/// Enumeration refuses machines with more than `max_units` free units (2^max_units states,
/// each costing about N operations); at most kBmMaxExactUnits.
struct BmExactOptions {
  int max_units = 24;
  int threads = 0;  ///< CPU threads (0 = all); the sums do not depend on it
};
constexpr int kBmMaxExactUnits = 40;

/// log Z = log Σ_s e^{−E(s)} over all 2^N states.
RBM_EXPORT double bm_log_z(const BoltzmannMachine& machine, const BmExactOptions& options = {});
/// log p(v) = log Σ_h e^{−E(v,h)} − log Z for every row of `data` (hidden states summed).
RBM_EXPORT std::vector<double> bm_log_likelihoods(const BoltzmannMachine& machine,
                                                  const Dataset& data,
                                                  const BmExactOptions& options = {});
/// The mean of bm_log_likelihoods.
RBM_EXPORT double bm_mean_log_likelihood(const BoltzmannMachine& machine,
                                         const Dataset& data,
                                         const BmExactOptions& options = {});

/// The gradient of a mean log-likelihood (or an estimate of it), laid out like the parameters:
/// couplings [N][N] (symmetric; zero off the mask and on the diagonal), bias [N].
struct BmGradient {
  std::vector<double> couplings;
  std::vector<double> bias;
};
/// ∂/∂w_ij = ⟨s_i s_j⟩_clamped − ⟨s_i s_j⟩_free, ∂/∂b_i = ⟨s_i⟩_clamped − ⟨s_i⟩_free, the
/// clamped average over the rows of `data` with h ~ p(h | v), exactly.
RBM_EXPORT BmGradient bm_exact_gradient(const BoltzmannMachine& machine,
                                        const Dataset& data,
                                        const BmExactOptions& options = {});

// ---- Sampling ---------------------------------------------------------------------------------

/// The order of the units in a Gibbs sweep (see the top of this file).
enum class BmSweep : std::uint8_t {
  colour_classes,  ///< class by class of the coupling graph's greedy colouring
  sequential,      ///< index order 0..N−1
};
RBM_EXPORT const char* to_string(BmSweep sweep);
/// Parses "colour-classes" | "sequential"; throws InvalidArgument otherwise.
RBM_EXPORT BmSweep parse_bm_sweep(const std::string& text);

/// Free-running Gibbs chains with a temperature schedule (simulated annealing).
struct BmSampleOptions {
  int n_chains = 16;
  int burn_in = 1000;  ///< sweeps before the first kept sample
  int thinning = 1;    ///< sweeps between kept samples
  int samples_per_chain = 1;
  /// T over the burn-in: schedule.at(t, burn_in) at sweep t (t < burn_in), its value at the last
  /// burn-in sweep afterwards, e.g. Schedule::exponential(10, 0.05) anneals from 10 to 0.05.
  Schedule temperature = 1.0;
  BmSweep sweep = BmSweep::colour_classes;
  std::uint64_t seed = 1;
  std::vector<std::uint8_t> init;  ///< starts [n_chains][N] (bits), or empty: uniform random
  int threads = 0;                 ///< CPU threads (0 = all); the samples do not depend on it
};

struct RBM_EXPORT BmSamples {
  int n_units = 0, n_visible = 0;
  std::vector<std::uint8_t> states;  ///< [n][N]: chain c's samples are rows c·samples_per_chain + j
  std::vector<double> energies;      ///< E(s) of each row (at T = 1)
  std::size_t n_samples() const { return energies.size(); }
  /// The visible units of every row.
  Dataset visible() const;
};

/// Uniforms: random_uniform(seed, RandomStream::sample, 0, (t·C + c)·N + k) for unit k of chain c
/// in sweep t; uniform starts from random_uniform(seed, RandomStream::init, 0, c·N + k) < 1/2.
RBM_EXPORT BmSamples bm_sample(const BoltzmannMachine& machine, const BmSampleOptions& options);

/// What one learning step estimates, with chains as long as wished: the clamped phase runs
/// `clamped_sweeps` sweeps over the hidden units from `replicas` independent uniform starts per
/// data row; the free phase runs `free_chains` chains for `free_sweeps` sweeps from uniform
/// starts. The statistics of the final states make the estimate. Uniforms (seed s): starts
/// random_uniform(s, init, 1, r·N + k) (clamped replica r = n·replicas + j of row n) and
/// (s, init, 2, c·N + k) (free chain c); sweep t draws (s, gibbs, 1, (t·R + r)·N + k) and
/// (s, gibbs, 0, (t·C + c)·N + k).
struct BmGradientOptions {
  int replicas = 1;
  int clamped_sweeps = 10;
  int free_chains = 1000;
  int free_sweeps = 100;
  std::uint64_t seed = 1;
  int threads = 0;  ///< 0 = all hardware threads (the result does not depend on it)
};
RBM_EXPORT BmGradient bm_sampled_gradient(const BoltzmannMachine& machine,
                                          const Dataset& data,
                                          const BmGradientOptions& options);

// ---- Learning ---------------------------------------------------------------------------------

/// The learning rule Δw_ij = ε(⟨s_i s_j⟩_clamped − ⟨s_i s_j⟩_free) with rbm::TrainConfig's
/// optimizers, schedules, weight decays, batch schedule, seed and initialisation. Per mini-batch:
///  clamped phase  every row's hidden units run `clamped_sweeps` Gibbs sweeps with v clamped,
///                 from the row's own persistent hidden state (persistent_clamped) or from a
///                 fresh uniform start;
///  free phase     train.persistent: train.n_chains persistent chains (0: the largest batch)
///                 run train.cd_steps sweeps; otherwise the batch's clamped states run
///                 train.cd_steps sweeps (CD-k for the Boltzmann machine);
///  update         every coupling on the mask and every bias takes optimizer_step with the
///                 difference of the two phases' mean statistics (L2/L1 on couplings only).
/// TrainConfig fields that only RBMs have (sparsity, centering, unit types, TF32) must keep
/// their defaults.
struct BmTrainConfig {
  TrainConfig train;
  int clamped_sweeps = 5;
  bool persistent_clamped = true;
};
RBM_EXPORT void validate(const BmTrainConfig& config);
/// rbm::to_json(config.train) plus "clamped_sweeps" and "persistent_clamped".
RBM_EXPORT std::string to_json(const BmTrainConfig& config);
/// Reads what to_json writes (unknown keys are an error naming them).
RBM_EXPORT BmTrainConfig bm_train_config_from_json(const std::string& json);

/// A fresh machine for `data` with `n_hidden` hidden units and the couplings of `mask`
/// ([N][N], see coupling_mask): the visible–hidden couplings and visible biases exactly as
/// init_model(data, n_hidden, config) makes W and b (so a restricted machine starts where the
/// RBM does), other couplings ~ N(0, init_weight_std²) from the seed, hidden biases 0.
RBM_EXPORT BoltzmannMachine init_boltzmann(const Dataset& data,
                                           int n_hidden,
                                           const std::vector<std::uint8_t>& mask,
                                           const TrainConfig& config);

struct BmEpochMetrics {
  int epoch = 0;        ///< 1-based
  double seconds = 0;   ///< wall time of the epoch
  int batch_size = 0;   ///< this epoch's values of the schedules
  int free_sweeps = 0;  ///< cd_steps
  double learning_rate = 0;
  double momentum = 0;
};
struct BmTrainOptions {
  /// After every epoch with the current machine; return false to stop early.
  std::function<bool(const BmEpochMetrics&, const BoltzmannMachine&)> on_epoch;
  int threads = 0;  ///< CPU threads (0 = all); results do not depend on it
};
/// Trains a copy of `machine` (its mask says which couplings learn) on `data` (N × D bits) and
/// returns it. Throws Diverged (with no models) when a parameter becomes non-finite or larger
/// than train.max_abs_parameter.
RBM_EXPORT BoltzmannMachine train_boltzmann(const BoltzmannMachine& machine,
                                            const BmTrainConfig& config,
                                            const Dataset& data,
                                            const BmTrainOptions& options = {});

// ---- Files --------------------------------------------------------------------------------------

/// safetensors: tensors `couplings` [N,N], `bias` [N], `mask` [N,N] (F32 0/1), metadata
/// `format` = "rbm-bm", `n_visible`, `rbm_version`, `provenance`. Written atomically.
RBM_EXPORT void save_boltzmann(const std::string& path, const BoltzmannMachine& machine);
/// Throws IoError naming the file and the problem (not a Boltzmann machine file, bad shapes,
/// asymmetric or non-finite couplings). A file without `mask` gets the full graph's.
RBM_EXPORT BoltzmannMachine load_boltzmann(const std::string& path);

}  // namespace rbm
