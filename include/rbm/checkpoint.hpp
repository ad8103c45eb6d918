// rbm/checkpoint.hpp — training checkpoints as safetensors files: everything a run needs to
// continue exactly (TrainingCheckpoint: parameters, optimizer state, PCD chains, regularizer
// averages, RNG offsets, epoch, configs). Written atomically; `Engine::resume` continues them.
//
// Layout: per model m, tensors `m<m>.weights` [D,L], `.visible_bias`, `.hidden_bias`,
// `.optimizer` [slots, D·L+D+L], `.chains` [R,L] or [R,D] (TrainConfig::pcd_chains),
// `.sparsity` [L], `.visible_offsets` [D],
// `.hidden_offsets` [L] (present when used), all F32; metadata `format` = "rbm-checkpoint",
// `epochs_done`, `n_models`, `note`, and per model the config (JSON), unit types, provenance,
// `rng_offset` and `steps` (decimal).
#pragma once
#include <string>

#include "rbm/export.hpp"
#include "rbm/train.hpp"

namespace rbm {

RBM_EXPORT void save_checkpoint(const std::string& path, const TrainingCheckpoint& checkpoint);
/// Throws IoError naming the file and the problem (not a checkpoint, missing or inconsistent
/// tensors, non-finite values).
RBM_EXPORT TrainingCheckpoint load_checkpoint(const std::string& path);

}  // namespace rbm
