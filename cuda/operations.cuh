// cuda/operations.cuh — the CUDA backend's operations, one file per concern: training
// (cuda/training.cu), inference (cuda/inference.cu), uploads from device memory
// (cuda/upload.cu) and chain sets (cuda/chains.cu). The
// backend class (cuda/cuda_backend.cu) makes the device current and translates errors around
// each of them; the contracts are those of host/backend.hpp.
#pragma once
#include <memory>
#include <vector>

#include "cuda/context.cuh"
#include "cuda/resident.cuh"

namespace rbm::cuda {

// ---- training.cu -----------------------------------------------------------------------------
std::unique_ptr<detail::TrainingState> start_training(Context& ctx,
                                                      const detail::TrainSetup& setup,
                                                      const detail::TrainingSnapshot& initial,
                                                      const CudaData& data);
detail::EpochReport train_epoch(Context& ctx,
                                detail::TrainingState& state,
                                const detail::EpochPlan& plan);
detail::TrainingSnapshot snapshot(Context& ctx, detail::TrainingState& state, bool epoch_start);
Model cd_step(Context& ctx, const detail::CdStepInput& input);

// ---- inference.cu ----------------------------------------------------------------------------
std::vector<double> free_energy(Context& ctx, const Model& model, const CudaData& data);
double reconstruction_error(Context& ctx, const Model& model, const CudaData& data);
std::vector<float> hidden_probabilities(Context& ctx, const Model& model, const CudaData& data);
std::vector<float> visible_probabilities(Context& ctx,
                                         const Model& model,
                                         const std::vector<float>& hidden);

// ---- upload.cu -------------------------------------------------------------------------------
/// A dataset from CUDA device memory (Engine::upload(DataView)), converted on the device.
std::shared_ptr<const detail::ResidentData> upload_device(Context& ctx, const DataView& view);

// ---- chains.cu -------------------------------------------------------------------------------
std::unique_ptr<detail::ChainState> start_chains(Context& ctx, const detail::ChainStart& start);
void temper(Context& ctx, detail::ChainState& chains, const std::vector<float>& ladder, int rounds);
void anneal(Context& ctx,
            detail::ChainState& chains,
            const std::vector<float>& ladder,
            bool sweep_after_last);
detail::ChainReadout read_chains(Context& ctx, detail::ChainState& chains);
std::vector<double> chain_free_energies(Context& ctx, detail::ChainState& chains, float beta);

}  // namespace rbm::cuda
