// cuda/layers.cu — fused layer kernels (see layers.cuh).
//
// Why fused: between two GEMMs a training step needs bias-add, the unit function, sampling and
// (at t = 1) the reconstruction error of the same elements; one kernel reads the GEMM output
// once and writes means and samples once. Uniforms are computed in the kernel from
// (seed, index) with host/common/philox.hpp — one Philox block gives four consecutive indices,
// so each thread handles the four elements whose uniforms share a block — and are therefore
// exactly the CPU backend's, whatever the launch geometry.
//
// Arithmetic is the CPU backend's: the unit functions, optimizer updates and rounding helpers
// are the shared host/device headers; column sums run in double (exact for 0/1 and ±1 columns,
// in any order) with each mean rounded to float. For equal GEMM outputs the backends agree to
// the last bit or nearly so (expf may differ by an ulp).
#include "cuda/launch.cuh"
#include "cuda/layers.cuh"
#include "host/common/units.hpp"

namespace rbm::cuda {
namespace {

using detail::Philox4;
using detail::random_block;
using detail::random_uniform;
using detail::uniform_from_bits;
namespace units = detail::units;

// ---- layers: bias + unit function + sampling (+ reconstruction partials) ---------------------
__global__ void __launch_bounds__(kThreads) layer_kernel(const LayerArgs a) {
  const int m = blockIdx.y;
  const std::size_t n = static_cast<std::size_t>(a.rows) * a.cols;
  const std::size_t model_offset = m * n;
  const Uniforms& u = a.uniforms;
  const bool philox = a.samples && !u.values;
  // Thread g takes the elements whose uniform indices lie in Philox block (first / 4) + g,
  // i.e. elements 4g − head .. 4g − head + 3.
  const std::uint64_t first = philox ? first_uniform(u) : 0;
  const long long head = philox ? static_cast<long long>(first & 3) : 0;
  const std::size_t g = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const long long e0 = 4 * static_cast<long long>(g) - head;
  double squares = 0;
  if (e0 < static_cast<long long>(n) && e0 + 4 > 0) {
    Philox4 bits{};
    if (philox) bits = random_block(u.seeds[m], u.stream, u.substream, (first >> 2) + g);
    // One division for the four elements; the column then steps with wrap-around.
    int col = static_cast<int>((e0 < 0 ? 0 : e0) % a.cols);
    for (int lane = 0; lane < 4; ++lane) {
      const long long e = e0 + lane;
      if (e < 0 || e >= static_cast<long long>(n)) continue;
      const std::size_t at = model_offset + static_cast<std::size_t>(e);
      const float p = units::on_probability(a.type, a.field[at] + a.bias[m * a.bias_stride + col]);
      const float mean = a.probabilities ? p : units::mean_from_probability(a.type, p);
      a.field[at] = mean;
      if (a.samples) {
        const float uniform =
            philox ? uniform_from_bits(bits.v[lane]) : u.values[m * u.values_stride + u.base + e];
        a.samples[at] = units::sample(a.type, p, uniform);
      }
      if (a.target) {
        const double d = static_cast<double>(a.target[at]) - mean;
        squares += d * d;
      }
      col = col + 1 == a.cols ? 0 : col + 1;
    }
  }
  if (a.target) {
    const double total = block_sum(squares);
    if (threadIdx.x == 0)
      a.recon_partials[static_cast<std::size_t>(m) * gridDim.x + blockIdx.x] = total;
  }
}

/// One thread per row of a one-hot layer: units::one_hot_row, with the row's first uniform.
__global__ void one_hot_kernel(const LayerArgs a) {
  const int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= a.rows) return;
  const int m = blockIdx.y;
  const std::size_t at = (static_cast<std::size_t>(m) * a.rows + r) * a.cols;
  const Uniforms& u = a.uniforms;
  float uniform = 0.0f;
  if (a.samples) {
    const std::size_t slot = static_cast<std::size_t>(r) * a.cols;
    uniform = u.values ? u.values[m * u.values_stride + u.base + slot]
                       : random_uniform(u.seeds[m], u.stream, u.substream, first_uniform(u) + slot);
  }
  units::one_hot_row(a.field + at, a.bias + m * a.bias_stride, a.cols,
                     a.type == UnitType::potts_off, uniform, a.samples ? a.samples + at : nullptr);
}

unsigned layer_blocks(int rows, int cols) {
  // One group of four per thread, plus one group for a misaligned head (first % 4 != 0).
  const std::size_t groups = (static_cast<std::size_t>(rows) * cols + 3) / 4 + 1;
  return ceil_div(groups, kThreads);
}

}  // namespace

int recon_partial_count(int rows, int cols) {
  return static_cast<int>(layer_blocks(rows, cols));
}

void launch_layer(const LayerArgs& args, int n_models, cudaStream_t stream) {
  if (args.rows == 0 || args.cols == 0 || n_models == 0) return;
  if (units::is_one_hot(args.type)) {
    RBM_EXPECTS(args.target == nullptr, "one-hot layers are never reconstruction targets");
    one_hot_kernel<<<model_grid(ceil_div(args.rows, kThreads), n_models), kThreads, 0, stream>>>(
        args);
  } else {
    layer_kernel<<<model_grid(layer_blocks(args.rows, args.cols), n_models), kThreads, 0, stream>>>(
        args);
  }
  RBM_CUDA_CHECK_LAUNCH(stream);
}

}  // namespace rbm::cuda
