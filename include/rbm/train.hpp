// rbm/train.hpp — what a training run needs, and how a model is initialised from data.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rbm/dataset.hpp"
#include "rbm/export.hpp"
#include "rbm/model.hpp"

namespace rbm {

/// Everything a CD-k / PCD run needs. Serialised into each model's provenance.
struct TrainConfig {
  int cd_steps = 1;         ///< k: Gibbs steps in the negative phase
  bool persistent = false;  ///< PCD: chains persist across mini-batches
  int n_chains = 0;         ///< PCD chains; 0 = one per mini-batch row
  int batch_size = 100;     ///< B
  int epochs = 10;
  float learning_rate = 0.05f;
  float momentum = 0.5f;          ///< classical momentum on the parameter velocity
  float weight_decay = 0.0f;      ///< L2 coefficient on W
  std::uint64_t seed = 1;         ///< drives init, shuffling and sampling; runs repeat exactly
  float init_weight_std = 0.01f;  ///< W ~ N(0, std²) (Hinton's guide)
  bool init_visible_bias_from_data = true;  ///< b_i = log(p_i/(1-p_i)) (Hinton's guide)
  bool use_tf32 = false;                    ///< CUDA only: TF32 tensor-core GEMMs
};

/// Throws InvalidArgument for a non-positive batch, epochs < 0, NaN rate, and so on.
RBM_EXPORT void validate(const TrainConfig& config);
RBM_EXPORT std::string to_json(const TrainConfig& config);
RBM_EXPORT TrainConfig train_config_from_json(const std::string& json);

/// A fresh model for `data` with `n_hidden` hidden units: W ~ N(0, init_weight_std²) from
/// config.seed, c = 0, b = log(p/(1-p)) of the data's pixel means (clamped), or 0.
RBM_EXPORT Model init_model(const Dataset& data, int n_hidden, const TrainConfig& config);

/// Reported after each epoch for each model.
struct EpochMetrics {
  int model = 0;
  int epoch = 0;                    ///< 1-based
  double reconstruction_error = 0;  ///< mean squared error of the one-step mean reconstruction
  double seconds = 0;               ///< wall time of the epoch (all models together)
};
/// Called after every epoch with one entry per model; return false to stop training early.
using EpochCallback = std::function<bool(const std::vector<EpochMetrics>&)>;

}  // namespace rbm
