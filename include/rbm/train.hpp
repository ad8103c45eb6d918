// rbm/train.hpp — what a training run needs: the recipe (TrainConfig, with per-epoch schedules),
// how a run is driven (TrainOptions: callbacks, checkpoints, interruption) and what it reports.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rbm/dataset.hpp"
#include "rbm/export.hpp"
#include "rbm/model.hpp"

namespace rbm {

/// A hyper-parameter's value per epoch. Implicitly a constant: `config.learning_rate = 0.1;`.
/// Epochs are 0-based; `epochs` is the run's length, so "linear" reaches `last` at the final
/// epoch. Integer hyper-parameters (batch size, CD steps) round to the nearest integer.
class RBM_EXPORT Schedule {
 public:
  enum class Shape : std::uint8_t { constant, linear, exponential, step, switch_at };

  Schedule(double value = 0) : first_(value), last_(value) {}  // NOLINT: implicit on purpose
  /// first at epoch 0, changing linearly to last at the final epoch.
  static Schedule linear(double first, double last);
  /// first at epoch 0, changing geometrically to last at the final epoch (both > 0).
  static Schedule exponential(double first, double last);
  /// first · factor^⌊epoch / every⌋.
  static Schedule step(double first, double factor, int every);
  /// before, then after from epoch `at` on; 0 < at < 1 means that fraction of the run, rounded
  /// up to a whole epoch: from epoch ⌈at·epochs⌉ on (a momentum 0.2 → 0.5 at 60% is
  /// switch_at(0.2, 0.5, 0.6)).
  static Schedule switch_at(double before, double after, double at);
  /// "0.1", "linear:0.1:0.01", "exp:0.1:0.001", "step:0.1:0.5:10", "switch:0.5:0.9:5".
  /// Throws InvalidArgument naming the text.
  static Schedule parse(const std::string& text);

  double at(int epoch, int epochs) const;
  int at_int(int epoch, int epochs) const;
  /// The extremes over a run of `epochs` epochs, in constant time (schedules are monotone
  /// between switches, so a few epochs decide them).
  double min_over(int epochs) const;
  double max_over(int epochs) const;
  Shape shape() const { return shape_; }
  double first() const { return first_; }
  bool is_constant() const { return shape_ == Shape::constant; }
  /// True when a value at some epoch depends on the run's length (linear and exponential
  /// between two different values, a switch at a fraction of the run).
  bool depends_on_run_length() const;
  /// The text parse() reads back.
  std::string to_string() const;
  bool operator==(const Schedule& other) const;
  bool operator!=(const Schedule& other) const { return !(*this == other); }

 private:
  Shape shape_ = Shape::constant;
  double first_ = 0, last_ = 0;  ///< step: last_ is the factor; switch_at: the value after
  double when_ = 0;              ///< step: epochs per step; switch_at: the switch point
  /// The epochs of a run where the schedule can take its extremes.
  std::vector<int> extreme_epochs(int epochs) const;
};

/// Parameter updates, as PyTorch documents them (torch.optim), for an ascent direction g:
///  sgd       θ += lr·g
///  momentum  v = μ·v + lr·g;  θ += v          (classical momentum, Hinton's guide §9; equal to
///                                             PyTorch's SGD(momentum=μ) while lr is constant)
///  nesterov  b = μ·b + g;  θ += lr·(g + μ·b)  (PyTorch SGD(momentum=μ, nesterov=True))
///  rmsprop   s = α·s + (1−α)·g²;  with μ > 0: b = μ·b + g/(√s + ε), θ += lr·b;
///            else θ += lr·g/(√s + ε)          (PyTorch RMSprop, not centered)
///  adam      m = β1·m + (1−β1)·g;  s = β2·s + (1−β2)·g²;
///            θ += (lr/(1−β1^t))·m/(√s/√(1−β2^t) + ε)   (PyTorch Adam, t = 1, 2, ...)
enum class Optimizer : std::uint8_t { sgd, momentum, nesterov, rmsprop, adam };
RBM_EXPORT const char* to_string(Optimizer optimizer);
/// Parses "sgd" | "momentum" | "nesterov" | "rmsprop" | "adam"; throws InvalidArgument otherwise.
RBM_EXPORT Optimizer parse_optimizer(const std::string& text);

/// What persistent chains carry from one mini-batch step to the next (PCD).
///  hidden   the last hidden sample, drawn from the fields the step's statistics already computed
///           (as scikit-learn's BernoulliRBM does): a step costs CD-k's GEMMs plus the data's
///           mean-field reconstruction for the reported error.
///  visible  the last visible sample; the next step draws the chains' hidden units from it with
///           the updated weights (Tieleman 2008), one GEMM of R×D×L more per step.
enum class PcdChains : std::uint8_t { hidden, visible };
RBM_EXPORT const char* to_string(PcdChains chains);
/// Parses "hidden" | "visible"; throws InvalidArgument otherwise.
RBM_EXPORT PcdChains parse_pcd_chains(const std::string& text);

/// The arithmetic of the CUDA backend's GEMMs (the CPU backend computes in float32 and refuses
/// bf16). Statistics, updates and the master parameters are float32 in every mode.
///  fp32  float32 GEMMs
///  tf32  TF32 tensor cores (10-bit mantissa inputs, float32 accumulation)
///  bf16  bfloat16 copies of the weights and activations (8-bit mantissa), float32 accumulation
enum class GemmMath : std::uint8_t { fp32, tf32, bf16 };
RBM_EXPORT const char* to_string(GemmMath math);
/// Parses "fp32" | "tf32" | "bf16"; throws InvalidArgument otherwise.
RBM_EXPORT GemmMath parse_gemm_math(const std::string& text);

/// Everything a CD-k / PCD run needs (the recipe). Serialised into each model's provenance, so
/// that a model file says how to make it again.
struct RBM_EXPORT TrainConfig {
  Schedule cd_steps = 1;    ///< k: Gibbs steps in the negative phase (may grow per epoch)
  bool persistent = false;  ///< PCD: chains persist across mini-batches
  int n_chains = 0;         ///< PCD chains; 0 = one per mini-batch row (the largest batch)
  PcdChains pcd_chains = PcdChains::hidden;  ///< what the chains carry between steps
  /// Parallel tempering as PCD's negative phase (Desjardins et al., AISTATS 2010): each of the
  /// n_chains chains is a ladder of this many levels, β geometric from tempering_min_beta to 1,
  /// whose β = 1 level gives the negative statistics; the chains are then visible states
  /// whatever pcd_chains says. 0 = plain PCD (1, a one-level ladder, draws the very chains of
  /// plain PCD with visible chains through the tempering code).
  int tempering_replicas = 0;
  float tempering_min_beta = 0.1f;
  Schedule batch_size = 100;  ///< B (may grow per epoch, from N_ini to N_fin)
  int epochs = 10;

  Optimizer optimizer = Optimizer::momentum;
  Schedule learning_rate = 0.05;
  Schedule momentum = 0.5;  ///< momentum, nesterov, rmsprop (0 = none); unused by sgd, adam
  float rmsprop_alpha = 0.99f;
  float adam_beta1 = 0.9f;
  float adam_beta2 = 0.999f;
  float epsilon = 1e-8f;  ///< rmsprop and adam

  float weight_decay = 0.0f;     ///< L2 coefficient on W (biases are not decayed)
  float l1_weight_decay = 0.0f;  ///< L1 coefficient on W
  /// Sparsity (Hinton's guide §11): pushes the mean hidden activation q (an exponential moving
  /// average with factor sparsity_decay) towards sparsity_target with cost sparsity_cost.
  float sparsity_target = 0.0f;
  float sparsity_cost = 0.0f;  ///< 0 = off
  float sparsity_decay = 0.9f;
  /// Centering (Melchior, Fischer & Wiskott, JMLR 17(99), 2016): the gradient of the model
  /// with visible and hidden offsets μ, λ (moving averages of the data and hidden means with
  /// rate centering_rate), applied to the plain parameters. Models stay plain (W, b, c).
  bool centering = false;
  float centering_rate = 0.01f;

  UnitType visible_type = UnitType::bernoulli;  ///< used by init_model
  UnitType hidden_type = UnitType::bernoulli;

  std::uint64_t seed = 1;         ///< drives init, shuffling and sampling; runs repeat exactly
  float init_weight_std = 0.01f;  ///< W ~ N(0, std²) (Hinton's guide)
  bool init_visible_bias_from_data = true;  ///< b from the data's pixel means (Hinton's guide)
  GemmMath math = GemmMath::fp32;           ///< CUDA GEMM arithmetic
  /// Training stops with Diverged when a parameter is non-finite or |θ| exceeds this.
  float max_abs_parameter = 1e4f;
};

/// Throws InvalidArgument for a non-positive batch, epochs < 0, NaN rate, and so on.
RBM_EXPORT void validate(const TrainConfig& config);
RBM_EXPORT std::string to_json(const TrainConfig& config);
/// Reads what to_json writes. Keys missing keep their defaults, but for "pcd_chains": a recipe
/// without it predates the option and reads as visible chains. Unknown keys are an error that
/// names the key.
RBM_EXPORT TrainConfig train_config_from_json(const std::string& json);

/// A fresh model for `data` with `n_hidden` hidden units of the config's unit types:
/// W ~ N(0, init_weight_std²) from config.seed, c = 0, and b matching the data's pixel means
/// (b = logit(p), or atanh(2p − 1) for spin units; clamped), or 0.
RBM_EXPORT Model init_model(const Dataset& data, int n_hidden, const TrainConfig& config);

/// Reported after each epoch for each model.
struct EpochMetrics {
  int model = 0;
  int epoch = 0;                    ///< 1-based
  double reconstruction_error = 0;  ///< mean squared error of the one-step mean reconstruction
  double seconds = 0;               ///< wall time of the epoch (all models together)
  int batch_size = 0;               ///< this epoch's values of the schedules
  int cd_steps = 0;
  double learning_rate = 0;
  double momentum = 0;
  bool graphs = false;    ///< CUDA: the steps ran through CUDA graphs
  bool diverged = false;  ///< this model blew up in this epoch (TrainOptions::drop_diverged)
};
/// Called after every epoch with one entry per model; return false to stop training early.
using EpochCallback = std::function<bool(const std::vector<EpochMetrics>&)>;

/// The whole state of a run after `epochs_done` epochs: resuming from it continues the run
/// exactly as if it had not stopped (same machine, same thread count).
struct TrainingCheckpoint {
  /// Per model: what the optimizer, the PCD chains and the regularizers carry between steps.
  struct ModelState {
    std::vector<float> optimizer;        ///< [slots][D·L + D + L]: W, b, c per slot
    std::vector<float> chains;           ///< PCD chains [R][L] or [R][D] (pcd_chains), unit values
    std::vector<float> sparsity;         ///< q [L] when sparsity is on
    std::vector<float> visible_offsets;  ///< μ [D] when centering
    std::vector<float> hidden_offsets;   ///< λ [L] when centering
    std::uint64_t rng_offset = 0;        ///< next index of the Gibbs uniform stream
    std::uint64_t steps = 0;             ///< mini-batch steps done
  };
  int epochs_done = 0;
  std::vector<TrainConfig> configs;  ///< one per model
  std::vector<Model> models;
  std::vector<ModelState> states;
  std::string note;  ///< free text for the caller (the CLI stores its run configuration here)
};

/// Makes `epochs` the new total length of a checkpoint's run (every model's config), so that
/// Engine::resume trains on to it (or, fewer than planned, stops earlier). The result equals an
/// uninterrupted run of `epochs` epochs, which is why it is refused (InvalidArgument, naming
/// the schedule) when a schedule depends on the run's length: the epochs already done would
/// have followed another schedule. Also refused when `epochs` < checkpoint.epochs_done.
RBM_EXPORT void set_total_epochs(TrainingCheckpoint& checkpoint, int epochs);

/// How a run is driven (not part of the recipe).
struct TrainOptions {
  EpochCallback on_epoch;
  /// Every `inspect_every` epochs (and after the last), called with the epoch (1-based) and the
  /// current models; it may call the Engine (e.g. exact log-likelihood). Return false to stop.
  int inspect_every = 0;
  std::function<bool(int epoch, const std::vector<Model>&)> on_inspect;
  /// Every `checkpoint_every` epochs, and when a stop is requested, on_checkpoint receives the
  /// whole state (save_checkpoint writes it atomically).
  int checkpoint_every = 0;
  std::function<void(const TrainingCheckpoint&)> on_checkpoint;
  /// When set to true (e.g. from a SIGINT handler), training finishes the current epoch,
  /// hands a checkpoint to on_checkpoint and throws Interrupted.
  const std::atomic<bool>* stop_requested = nullptr;
  /// When a model diverges: false (the default) stops the whole run with Diverged; true drops
  /// that model (its metrics say diverged; it is returned as it was before that epoch) and
  /// trains the others on (hyper-parameter searches).
  bool drop_diverged = false;
};

}  // namespace rbm
