// cuda/gibbs.cuh — the fused kernels of block-Gibbs training and sampling, for M models at once
// (blockIdx.y = model): batch gathers, bias + sigmoid + Bernoulli sampling with in-kernel
// Philox uniforms, the bias-gradient reductions fused with the momentum update, chain starts,
// and the per-epoch shuffle. The arithmetic and the uniform layout are the contract of
// host/backend.hpp; the GEMMs between these kernels are cuBLAS (cuda/context.cuh).
//
// Layout: every per-model array is [M][rows][cols] row-major and contiguous, model m at offset
// m·rows·cols; biases [M][cols]. Launchers take the stream last, return early on empty work,
// and check the launch.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "cuda/device_buffer.cuh"
#include "host/common/philox.hpp"

namespace rbm::cuda {

/// The run's position, kept in device memory so that a captured graph can be replayed: kernels
/// read it, and the last kernel of a step (or sweep) advances it.
struct StepCursor {
  unsigned long long step;  ///< steps (or sweeps) done since the run began
  unsigned int batch;       ///< mini-batches done in the current epoch
};

/// Where a sampling kernel's uniforms come from. Element e of model m draws
///  Philox:   random_uniform(seeds[m], stream, substream, cursor->step·per_step + base + e)
///  explicit: values[m·values_stride + base + e]      (the cd_step test seam)
struct Uniforms {
  const std::uint64_t* seeds = nullptr;  ///< [M], device
  const StepCursor* cursor = nullptr;    ///< device; null reads as step 0
  std::uint64_t per_step = 0;            ///< uniforms one step consumes
  std::uint64_t base = 0;                ///< this layer's offset inside the step
  detail::RandomStream stream = detail::RandomStream::gibbs;
  std::uint32_t substream = 0;
  const float* values = nullptr;  ///< explicit uniforms, device; used when non-null
  std::size_t values_stride = 0;
};

/// Per-model optimiser settings, [M] in device memory so that one launch serves all models.
struct Hyper {
  float learning_rate;
  float momentum;
  float weight_decay;
};

/// out[m][r][:] = (float) data[row][:], row = perm[m][cursor->batch·rows + r] when `perm` is
/// given (training: the epoch's shuffled order), else first_row + r (chunks of the dataset).
void launch_gather_rows(const std::uint8_t* data,
                        int n_visible,
                        const std::uint32_t* perm,
                        std::size_t n_samples,
                        const StepCursor* cursor,
                        std::size_t first_row,
                        int rows,
                        int n_models,
                        float* out,
                        cudaStream_t stream);

/// In place: field = σ(field + bias) for field [M][rows][cols], bias [M][cols] (or shared by all
/// models when bias_stride = 0). Then, when `samples` is non-null, samples = (u < p) ? 1 : 0 with
/// `uniforms`; when `target` is non-null, recon_partials[m][block] = Σ (target − p)² over the
/// block's elements in double (a fixed number of blocks per model: recon_partial_count).
void launch_sigmoid_sample(float* field,
                           const float* bias,
                           std::size_t bias_stride,
                           int rows,
                           int cols,
                           int n_models,
                           float* samples,
                           const Uniforms& uniforms,
                           const float* target,
                           double* recon_partials,
                           cudaStream_t stream);
/// Blocks per model of launch_sigmoid_sample, i.e. the reconstruction partials it writes.
int recon_partial_count(int rows, int cols);

/// Everything the fused update needs (device pointers; [M] arrays unless noted).
struct UpdateArgs {
  int n_visible = 0, n_hidden = 0;
  int batch_rows = 0;        ///< B: rows of v0 and p0
  int chain_rows = 0;        ///< R: rows of x and ph
  float* weights = nullptr;  ///< [M][D][L]
  float* visible_bias = nullptr;
  float* hidden_bias = nullptr;
  float* velocity_w = nullptr;
  float* velocity_b = nullptr;
  float* velocity_c = nullptr;
  const float* grad_w = nullptr;  ///< [M][D][L], V0ᵀP0/B − XᵀPh/R (without decay)
  const float* v0 = nullptr;      ///< [M][B][D]
  const float* p0 = nullptr;      ///< [M][B][L]
  const float* x = nullptr;       ///< [M][R][D]
  const float* ph = nullptr;      ///< [M][R][L]
  const Hyper* hyper = nullptr;
  /// Optional: the step's reconstruction partials [M][recon_count] are summed in index order,
  /// divided by B·D and added to recon_sum[m] (double).
  const double* recon_partials = nullptr;
  int recon_count = 0;
  double* recon_sum = nullptr;
  StepCursor* cursor = nullptr;  ///< optional: advanced by one step / batch
};
/// Contract steps 4–5 in one launch: gb, gc as column means (double sums), then for W, b, c:
/// velocity = μ·velocity + lr·(g − wd·θ) (wd = 0 for biases); θ += velocity.
void launch_update(const UpdateArgs& args, int n_models, cudaStream_t stream);

/// x[m][r][i] = (u < p_i) ? 1 : 0, u = random_uniform(seeds[m], stream, substream, r·cols + i),
/// p_i = σ(bias[m][i]) when bias is given (PCD chain starts), else 1/2 (sampler starts).
void launch_init_chains(const float* bias,
                        const std::uint64_t* seeds,
                        detail::RandomStream stream_id,
                        std::uint32_t substream,
                        int rows,
                        int cols,
                        int n_models,
                        float* x,
                        cudaStream_t stream);

/// out[(c·samples_per_chain + sample)·cols + i] = x[c][i] (0/1 floats to bytes).
void launch_store_samples(const float* x,
                          int chains,
                          int cols,
                          int samples_per_chain,
                          int sample,
                          std::uint8_t* out,
                          cudaStream_t stream);

/// cursor->step += 1 (the sampler's sweep counter).
void launch_advance(StepCursor* cursor, cudaStream_t stream);

/// counts[m] = number of non-finite values among the `per_model` floats of each of `arrays`
/// (up to 3 arrays, model stride = per_model). counts must be zeroed first.
void launch_count_nonfinite(const float* const arrays[3],
                            const std::size_t per_model[3],
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
