// cuda/gibbs.cuh — the fused kernels of block-Gibbs training and sampling, for M models at once
// (blockIdx.y = model): batch gathers, layer activations (bias + unit function + sampling with
// in-kernel Philox uniforms), the gradient statistics, centering, the optimizer update, chain
// starts and the per-epoch shuffle. The arithmetic is the CPU backend's own, from the shared
// headers host/common/{units,optimizer,numeric,philox}.hpp; the contract is host/backend.hpp;
// the GEMMs between these kernels are cuBLAS (cuda/context.cuh).
//
// Layout: every per-model array is [M][rows][cols] row-major and contiguous, model m at offset
// m·rows·cols for the current shape; biases [M][cols]. Launchers take the stream last, return
// early on empty work, refuse more models than a grid's y dimension holds, and check the launch.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "cuda/device_buffer.cuh"
#include "host/common/optimizer.hpp"
#include "host/common/philox.hpp"

namespace rbm::cuda {

using detail::StepHyper;

/// The run's position, kept in device memory so that a captured graph can be replayed: kernels
/// read it, and the last kernel of a step (or sweep) advances it.
struct StepCursor {
  unsigned long long offset;  ///< first uniform index of the current step (or sweep)
  unsigned long long steps;   ///< steps done since the run began (Adam's t − 1)
  unsigned int batch;         ///< mini-batches done in the current epoch
};

/// Where a kernel's uniforms come from. Element e of model m draws
///  Philox:   random_uniform(seeds[m], stream, substream, cursor->offset + base + e)
///  explicit: values[m·values_stride + base + e]      (the cd_step test seam)
struct Uniforms {
  const std::uint64_t* seeds = nullptr;  ///< [M], device
  const StepCursor* cursor = nullptr;    ///< device; null reads as offset 0
  std::uint64_t base = 0;                ///< this layer's offset inside the step
  detail::RandomStream stream = detail::RandomStream::gibbs;
  std::uint32_t substream = 0;
  const float* values = nullptr;  ///< explicit uniforms, device; used when non-null
  std::size_t values_stride = 0;
};

/// out[m][r][:] = the data bits of row `row` as `type` unit values (spin: 2x − 1), row =
/// perm[m][cursor->batch·rows + r] when `perm` is given (training: the epoch's shuffled order),
/// else first_row + r (chunks of the dataset).
void launch_gather_rows(const std::uint8_t* data,
                        int n_visible,
                        UnitType type,
                        const std::uint32_t* perm,
                        std::size_t n_samples,
                        const StepCursor* cursor,
                        std::size_t first_row,
                        int rows,
                        int n_models,
                        float* out,
                        cudaStream_t stream);

/// One layer's fields turned into means (host/common/units.hpp) for [M][rows][cols] fields.
struct LayerArgs {
  UnitType type = UnitType::bernoulli;
  float* field = nullptr;       ///< GEMM output in, means out
  const float* bias = nullptr;  ///< [M][cols], or shared when bias_stride = 0
  std::size_t bias_stride = 0;
  int rows = 0, cols = 0;
  bool probabilities = false;  ///< write p(on) instead of the mean (spin inference)
  float* samples = nullptr;    ///< sampled units, or null
  Uniforms uniforms;
  /// Optional: recon_partials[m][block] = Σ (target − mean)² over the block's elements, in
  /// double (recon_partial_count blocks per model; one-hot layers are never targets).
  const float* target = nullptr;
  double* recon_partials = nullptr;
};
void launch_layer(const LayerArgs& args, int n_models, cudaStream_t stream);
/// Blocks per model of an elementwise launch_layer, i.e. the reconstruction partials it writes.
int recon_partial_count(int rows, int cols);

/// Everything the statistics, centering and update kernels of a step need (device pointers;
/// [M] arrays unless noted). Column statistics are [M][D] / [M][L].
struct UpdateArgs {
  int n_visible = 0, n_hidden = 0;
  int batch_rows = 0;  ///< B: rows of v0 and m0
  int chain_rows = 0;  ///< R: rows of x and mh
  Optimizer optimizer = Optimizer::momentum;
  int slots = 0;  ///< optimizer state slots
  bool centering = false, sparsity = false;
  float* weights = nullptr;  ///< [M][D][L]
  float* visible_bias = nullptr;
  float* hidden_bias = nullptr;
  float* state = nullptr;   ///< optimizer slots: [slots][M][D·L + D + L]
  float* grad_w = nullptr;  ///< [M][D][L], V0ᵀM0/B − XᵀMh/R (centered in place if asked)
  float* grad_b = nullptr;  ///< [M][D]
  float* grad_c = nullptr;  ///< [M][L]
  float* correction_b = nullptr;     ///< [M][D]: gW·λ (centering)
  float* correction_c = nullptr;     ///< [M][L]: gWᵀ·μ
  float* visible_means = nullptr;    ///< [M][D]: colmean(V0) (centering, sparsity)
  float* hidden_means = nullptr;     ///< [M][L]: colmean(M0)
  float* sparsity_q = nullptr;       ///< [M][L]: q
  float* pull = nullptr;             ///< [M][L]: sparsity_pull(q)
  float* visible_offsets = nullptr;  ///< [M][D]: μ
  float* hidden_offsets = nullptr;   ///< [M][L]: λ
  const float* v0 = nullptr;         ///< [M][B][D]
  const float* m0 = nullptr;         ///< [M][B][L]
  const float* x = nullptr;          ///< [M][R][D]
  const float* mh = nullptr;         ///< [M][R][L]
  const StepHyper* hyper = nullptr;
  /// Optional: the step's reconstruction partials [M][recon_count] are summed in index order,
  /// divided by B·D and added to recon_sum[m] (double).
  const double* recon_partials = nullptr;
  int recon_count = 0;
  double* recon_sum = nullptr;
  StepCursor* cursor = nullptr;     ///< read (steps), and advanced by the update
  std::uint64_t step_uniforms = 0;  ///< what the cursor's offset advances by
};
/// Contract step 4's column statistics: grad_b, grad_c, and (centering or sparsity) the column
/// means of V0 and M0; with sparsity also q and its pull.
void launch_statistics(const UpdateArgs& args, int n_models, cudaStream_t stream);
/// Centering's weight gradient, in place: grad_w ← centered_weight_gradient(...).
void launch_center_weights(const UpdateArgs& args, int n_models, cudaStream_t stream);
/// Contract step 5 in one launch: optimizer steps of W, b and c, the centering offsets'
/// moving averages, the reconstruction sum; the cursor advances by one step.
void launch_update(const UpdateArgs& args, int n_models, cudaStream_t stream);

/// x[m][r][i] = sample of a `type` unit with p(on) = on_probability(type, bias[m][i]) (or 1/2
/// without bias: the sampler's random starts), u = random_uniform(seeds[m], stream, substream,
/// r·cols + i).
void launch_init_chains(const float* bias,
                        UnitType type,
                        const std::uint64_t* seeds,
                        detail::RandomStream stream_id,
                        std::uint32_t substream,
                        int rows,
                        int cols,
                        int n_models,
                        float* x,
                        cudaStream_t stream);

/// out[(c·samples_per_chain + sample)·cols + i] = (x[c][i] > 0) as a data bit.
void launch_store_samples(const float* x,
                          int chains,
                          int cols,
                          int samples_per_chain,
                          int sample,
                          std::uint8_t* out,
                          cudaStream_t stream);

/// cursor->offset += per_sweep (the sampler's sweep counter).
void launch_advance(StepCursor* cursor, std::uint64_t per_sweep, cudaStream_t stream);

/// counts[m] = number of values that are non-finite or beyond ±bound among the `per_model`
/// floats of each of `arrays` (up to 3 arrays, model stride = per_model). counts must be zeroed.
void launch_count_unhealthy(const float* const arrays[3],
                            const std::size_t per_model[3],
                            float bound,
                            int n_models,
                            unsigned int* counts,
                            cudaStream_t stream);

/// The epochs' row orders: perm[m][·] = n = 0..N−1 sorted by (key, n) with
/// key = random_block(seeds[m], shuffle, epoch, n).v[0] (CUB radix sort of Philox keys; stable,
/// so ties keep ascending n). Owns its key and scratch buffers.
class Shuffler {
 public:
  Shuffler(std::size_t n_samples, int n_models);
  /// perm is [M][N], device.
  void run(const std::uint64_t* seeds,
           std::uint32_t epoch,
           std::uint32_t* perm,
           cudaStream_t stream);

 private:
  std::size_t n_samples_;
  int n_models_;
  DeviceBuffer<std::uint32_t> keys_, sorted_keys_, rows_;
  DeviceBuffer<unsigned char> temp_;
};

}  // namespace rbm::cuda
