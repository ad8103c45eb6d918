// host/trainer.hpp — the training loop above the backend seam, written once for every backend:
// grouping of models that can train together, the initial state of a run, the schedules
// evaluated per epoch, metrics and callbacks, early stop, divergence, checkpoints and
// interruption. A backend only runs epochs (host/backend.hpp).
#pragma once
#include <vector>

#include "host/backend.hpp"

namespace rbm::detail {

/// PCD chains of a config: n_chains, or the largest batch of the run.
int chain_rows(const TrainConfig& config);
/// Levels of each PCD chain's tempering ladder: tempering_replicas, at least 1.
int tempering_levels(const TrainConfig& config);
/// Units per PCD chain: L for hidden chains, D for visible ones (and tempering's).
std::size_t chain_width(const Model& model, const TrainConfig& config);
/// A run's starting chains [chain_rows · tempering_levels][chain_width] (contract: initial
/// state).
std::vector<float> initial_chains(const Model& model, const TrainConfig& config);

/// The config's hyper-parameters with its schedules evaluated at `epoch` (0-based).
StepHyper hyper_at(const TrainConfig& config, int epoch);

/// The epoch's row order of the training contract: n sorted by (Philox key, n), identical on
/// every backend (and for every trainer that shuffles, such as the Boltzmann machine's).
std::vector<std::uint32_t> epoch_permutation(std::uint64_t seed, int epoch, std::size_t n);

/// The state of a fresh run (epochs_done = 0) of `models` with `configs` (one per model),
/// as the training contract's "initial state" defines it.
TrainingCheckpoint initial_checkpoint(const std::vector<Model>& models,
                                      const std::vector<TrainConfig>& configs,
                                      const ResidentData& data);

/// Throws InvalidArgument when a checkpoint's per-model state does not fit its models and
/// configs (sizes of optimizer slots, chains, offsets).
void validate(const TrainingCheckpoint& checkpoint);

/// Trains from `start` (a fresh run or a checkpoint) to the configs' epochs on `backend`.
/// Returns the models; throws Diverged, Interrupted, or what the backend throws.
std::vector<Model> run_training(Backend& backend,
                                const ResidentData& data,
                                const TrainingCheckpoint& start,
                                const TrainOptions& options);

}  // namespace rbm::detail
