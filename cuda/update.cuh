// cuda/update.cuh — the end of a training step for M models: the likelihood statistics (contract
// step 4), centering, and the optimizer update with the centering offsets (step 5); the
// arithmetic is host/common/optimizer.hpp's, the contract host/backend.hpp's.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "cuda/uniforms.cuh"
#include "host/common/optimizer.hpp"

namespace rbm::cuda {

using detail::StepHyper;

/// The statistics, centering and update kernels' view of a training step for M models: device
/// pointers, [M] arrays unless noted; column statistics are [M][D] / [M][L]. Grouped by what the
/// fields describe; training.cu builds the groups once per training state and sets the rows and
/// the reconstruction per step shape.
struct UpdateArgs {
  /// The step's sizes and the recipe's switches.
  struct Shape {
    int n_visible = 0, n_hidden = 0;
    int batch_rows = 0;  ///< B: rows of v0 and m0
    int chain_rows = 0;  ///< R: rows of x and mh
    Optimizer optimizer = Optimizer::momentum;
    int slots = 0;  ///< optimizer state slots
    bool centering = false, sparsity = false;
  } shape;
  /// The parameters and the optimizer state they step with.
  struct Parameters {
    float* weights = nullptr;  ///< [M][D][L]
    float* visible_bias = nullptr;
    float* hidden_bias = nullptr;
    float* state = nullptr;  ///< optimizer slots: [slots][M][D·L + D + L]
  } params;
  /// The step's two phases: the data and its hidden means, the chains' end and theirs.
  struct Phases {
    const float* v0 = nullptr;  ///< [M][B][D]
    const float* m0 = nullptr;  ///< [M][B][L]
    const float* x = nullptr;   ///< [M][R][D]
    const float* mh = nullptr;  ///< [M][R][L]
  } phases;
  /// The likelihood gradient and the column means it is made from.
  struct Gradients {
    float* w = nullptr;  ///< [M][D][L], V0ᵀM0/B − XᵀMh/R (centered in place if asked)
    float* b = nullptr;  ///< [M][D]
    float* c = nullptr;  ///< [M][L]
    float* visible_means = nullptr;  ///< [M][D]: colmean(V0) (centering, sparsity)
    float* hidden_means = nullptr;   ///< [M][L]: colmean(M0)
  } grad;
  /// Centering: the offsets and the corrections of the bias gradients.
  struct Centering {
    float* visible_offsets = nullptr;  ///< [M][D]: μ
    float* hidden_offsets = nullptr;   ///< [M][L]: λ
    float* correction_b = nullptr;     ///< [M][D]: gW·λ
    float* correction_c = nullptr;     ///< [M][L]: gWᵀ·μ
  } centering;
  /// Sparsity: the running mean activation and its pull.
  struct Sparsity {
    float* q = nullptr;     ///< [M][L]
    float* pull = nullptr;  ///< [M][L]: sparsity_pull(q)
  } sparsity;
  /// The step's place in the run and what it reports.
  struct Progress {
    const StepHyper* hyper = nullptr;
    StepCursor* cursor = nullptr;     ///< read (steps), and advanced by the update
    std::uint64_t step_uniforms = 0;  ///< what the cursor's offset advances by
    /// Optional: the step's reconstruction partials [M][recon_count] are summed in index order,
    /// divided by B·D and added to recon_sum[m] (double).
    const double* recon_partials = nullptr;
    int recon_count = 0;
    double* recon_sum = nullptr;
  } progress;
};
/// Contract step 4's column statistics: grad_b, grad_c, and (centering or sparsity) the column
/// means of V0 and M0; with sparsity also q and its pull.
void launch_statistics(const UpdateArgs& args, int n_models, cudaStream_t stream);
/// Centering's weight gradient, in place: grad_w ← centered_weight_gradient(...).
void launch_center_weights(const UpdateArgs& args, int n_models, cudaStream_t stream);
/// Contract step 5 in one launch: optimizer steps of W, b and c, the centering offsets'
/// moving averages, the reconstruction sum; the cursor advances by one step.
void launch_update(const UpdateArgs& args, int n_models, cudaStream_t stream);

}  // namespace rbm::cuda
