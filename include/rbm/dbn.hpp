// rbm/dbn.hpp — deep belief nets (Hinton, Osindero & Teh, "A fast learning algorithm for deep
// belief nets", Neural Computation 18, 2006): a stack of RBMs trained greedily, layer by layer,
// each on the hidden units of the one below. The top two layers form an undirected RBM; every
// lower layer is a directed generative connection p(v | h) (its RBM's visible conditional).
//
// Every RBM runs on an rbm::Engine, so on any backend (CUDA included). Layer k's visible units
// are layer k−1's hidden units (same count and unit type; bernoulli or spin, never one-hot).
//
// Randomness (Philox, from the seeds given): the up-pass that makes layer k's training data
// draws random_uniform(seed_k, RandomStream::sample, kDbnUpSubstream + k, r·L + j); generation
// runs Engine::sample on the top RBM with SampleOptions::seed s, then layer k's downward draw
// uses (s, RandomStream::sample, kDbnDownSubstream + k, n·D_k + i); the bound's samples of
// q(h | v) use (seed, RandomStream::sample, kDbnBoundSubstream, (n·S + t)·L + j).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rbm/dataset.hpp"
#include "rbm/engine.hpp"
#include "rbm/estimators.hpp"
#include "rbm/export.hpp"
#include "rbm/model.hpp"
#include "rbm/train.hpp"

namespace rbm {

constexpr std::uint32_t kDbnUpSubstream = 16, kDbnDownSubstream = 48, kDbnBoundSubstream = 80;
/// The largest first hidden layer whose 2^L states DbnBoundOptions::exact_expectation sums.
constexpr int kDbnMaxExactHidden = 20;

/// How a layer's training data is made from the data rows' hidden units one layer down.
/// Engine datasets are binary, so real-valued probabilities cannot be the data; instead:
///  samples    h ~ p(h | below), `samples_per_row` independent draws per row (the greedy
///             objective: the layer then models the aggregated posterior, which is what the
///             variational bound asks of it);
///  rounded    1[p(h_j | below) > 1/2] (deterministic, mean-field rounded).
struct RBM_EXPORT DbnInput {
  enum class Kind : std::uint8_t { samples, rounded };
  Kind kind = Kind::samples;
  int samples_per_row = 1;
  /// "samples", "samples:R" or "rounded"; throws InvalidArgument otherwise.
  static DbnInput parse(const std::string& text);
  std::string to_string() const;
};

/// How one layer is made: its hidden units, its whole training recipe (every option of
/// `rbm train`), and (layers ≥ 1) how its data comes from the layer below and where its
/// training starts: init_model's random start, or (init_from_below) the layer below transposed,
/// Hinton et al.'s tied weights (then n_hidden must be the layer below's visible count and the
/// hidden type its visible type). From the tied start the net's bound equals the layer below's
/// exact log-likelihood, and training the new layer raises the bound.
struct DbnLayerRecipe {
  int n_hidden = 0;
  TrainConfig config;
  DbnInput input;
  bool init_from_below = false;
};

struct RBM_EXPORT DeepBeliefNet {
  std::vector<Model> layers;            ///< layer 0 at the bottom (its visible units are the data)
  std::vector<DbnLayerRecipe> recipes;  ///< one per layer, or empty (a net assembled by hand)
  std::string provenance;               ///< JSON text (data spec, image shape, backend, version)

  /// Throws InvalidArgument unless there is ≥ 1 layer, each valid, layer k's visible units match
  /// layer k−1's hidden units in count and type, no hidden layer is one-hot, and recipes are
  /// empty or one per layer.
  void validate() const;
};

struct DbnTrainOptions {
  /// Passed to each layer's Engine::train (epoch callbacks, inspection, interruption).
  std::function<TrainOptions(int layer)> layer_options;
  /// After each layer is trained, with the layer and its training data.
  std::function<void(int layer, const Model&, const Dataset& input)> on_layer;
};

/// Greedy layer-wise training: layer 0 trains on `data` with recipes[0] (init_model, then
/// Engine::train), and each layer k ≥ 1 on dbn_layer_input(...) of the layers below. Layer k's
/// visible unit type is the layer below's hidden type (recipes' visible_type is set so).
RBM_EXPORT DeepBeliefNet train_dbn(Engine& engine,
                                   const Dataset& data,
                                   const std::vector<DbnLayerRecipe>& recipes,
                                   const DbnTrainOptions& options = {});

/// The training data of layer `layer` (≥ 1) made from `below` (layer − 1's own training data)
/// through layer − 1's p(h | v), as `input` says; draws from seed `seed` (that layer's config seed
/// in train_dbn): output row r = n·R + t is draw t of row n. Rows keep their labels.
RBM_EXPORT Dataset dbn_layer_input(Engine& engine,
                                   const Model& below_layer,
                                   const Dataset& below,
                                   int layer,
                                   const DbnInput& input,
                                   std::uint64_t seed);

/// Generation: Gibbs sampling in the top RBM (Engine::sample with `top`), then one downward pass
/// per lower layer, h_k ~ p(h_k | h_{k+1}) (sampled), ending with p(v | h_1) at the bottom.
struct DbnSampleOptions {
  SampleOptions top;
  int n_layers = 0;  ///< use only the first n layers (1: the first RBM alone); 0 = all
};
struct DbnSamples {
  Dataset visible;  ///< sampled visible bits [n][D]
  /// p(v | h_1) [n][D] of the last downward step; a one-layer net's samples come from its chain
  /// (Engine::sample) and its means are p(v | h) one half-step on, h drawn from p(h | sample)
  /// with (seed, RandomStream::sample, kDbnUpSubstream + 1, n·L + j).
  std::vector<float> visible_means;
};
RBM_EXPORT DbnSamples dbn_sample(Engine& engine,
                                 const DeepBeliefNet& net,
                                 const DbnSampleOptions& options);

/// Up-pass features of hidden layer `layer` (1 = the first RBM's hidden units, up to the number
/// of layers), [N][L_layer]: mean-field (each layer's p(h | ·) fed with the probabilities from
/// below, as Engine::visible_probabilities of the transposed RBM takes real values) or, with
/// `sample`, binary draws at every layer: hidden layer k's unit j of row n is on when
/// random_uniform(seed, RandomStream::sample, kDbnUpSubstream + k, n·L_k + j) < p(on).
RBM_EXPORT std::vector<float> dbn_transform(Engine& engine,
                                            const DeepBeliefNet& net,
                                            const Dataset& data,
                                            int layer,
                                            bool sample = false,
                                            std::uint64_t seed = 1);

/// The variational lower bound on the log-likelihood of a two-layer DBN (Hinton et al. 2006;
/// Salakhutdinov & Murray, "On the quantitative analysis of deep belief networks", ICML 2008):
///   log p(v) ≥ Σ_h q(h|v) [log p(h) + log p(v|h)] + H(q(·|v)),
/// q(h|v) the first RBM's factorial posterior, p(v|h) its visible conditional, log p(h) =
/// −F₂(h) − log Z₂ the top RBM's log marginal of its visible units. H(q) is exact; the
/// expectation is estimated from `samples` draws h ~ q(h|v) per row (standard error from their
/// spread) or, with exact_expectation, summed over all 2^L states of h.
struct DbnBoundOptions {
  int samples = 100;  ///< per data row, ≥ 2 (the standard error needs a spread)
  std::uint64_t seed = 1;
  bool exact_expectation = false;  ///< enumerate h (L of the first layer ≤ kDbnMaxExactHidden)
  /// log Z₂: exact when within exact log Z's limits `log_z` (auto_: Engine::can_enumerate; by
  /// default a time budget, see LogZOptions) or when asked (exact), else by AIS (Engine::ais_log_z
  /// with `ais`; an empty ais.base_visible_bias means the base rate of the first layer's mean
  /// posterior over the data). The first RBM's exact log-likelihood is reported within the same
  /// limits (a one-layer net's is refused beyond).
  LikelihoodMethod top_log_z = LikelihoodMethod::auto_;
  LogZOptions log_z;
  AisOptions ais;
};
struct DbnBound {
  double bound = 0;  ///< mean over the data rows of the bound, in nats
  /// Of the estimate: from the sampling of h and, with AIS, from log Z₂ (0 when both are exact).
  double standard_error = 0;
  int samples_per_row = 0;  ///< 0 when the expectation was enumerated
  double log_z_top = 0;     ///< log Z₂
  LikelihoodMethod log_z_top_method = LikelihoodMethod::exact;  ///< exact or ais
  double log_z_top_standard_error = 0;                          ///< 0 when exact
  /// The first RBM alone: exact mean log-likelihood (NaN when its log Z is not affordable).
  double first_layer_log_likelihood = 0;
  /// The net's mean log-likelihood log Σ_h p(h) p(v|h) when the expectation was enumerated (NaN
  /// otherwise); exact with an exact log Z₂.
  double exact_log_likelihood = 0;
};
/// Two-layer nets (a one-layer net's bound is its exact log-likelihood); InvalidArgument for
/// more layers. With AIS, log Ẑ₂ tends to be low (Jensen), so the bound built on it tends to be
/// high by about its standard error.
RBM_EXPORT DbnBound dbn_log_likelihood_bound(Engine& engine,
                                             const DeepBeliefNet& net,
                                             const Dataset& data,
                                             const DbnBoundOptions& options = {});

/// One safetensors file for the whole stack: layer k's tensors under `l<k>.` (`weights`,
/// `visible_bias`, `hidden_bias`) with metadata `l<k>.visible_type`, `l<k>.hidden_type`,
/// `l<k>.recipe` (JSON: n_hidden, input, init_from_below and the TrainConfig), and `format` =
/// "rbm-dbn", `n_layers`, `rbm_version`, `provenance`. Written atomically.
RBM_EXPORT void save_dbn(const std::string& path, const DeepBeliefNet& net);
/// Throws IoError naming the file and the problem.
RBM_EXPORT DeepBeliefNet load_dbn(const std::string& path);

}  // namespace rbm
