// cuda/inference.cu — free energies, reconstruction errors and conditionals over a resident
// dataset (or host rows), chunk by chunk so that scratch stays bounded whatever N.
#include <algorithm>

#include "cuda/free_energy.cuh"
#include "cuda/gather.cuh"
#include "cuda/layers.cuh"
#include "cuda/operations.cuh"

namespace rbm::cuda {
namespace {

constexpr std::size_t kInferenceBytes = std::size_t{64} << 20;  // scratch per inference chunk

/// Rows per inference chunk: bounded scratch whatever N.
std::size_t chunk_rows(std::size_t n, int D, int L) {
  const std::size_t per_row = 4 * (static_cast<std::size_t>(D) + L);
  return std::max<std::size_t>(1, std::min(n, kInferenceBytes / per_row));
}

/// means (or p(on) when `probabilities`) of a layer from fields [rows][cols], in place.
void activate(UnitType type,
              float* fields,
              const float* bias,
              int rows,
              int cols,
              bool probabilities,
              const float* target,
              double* partials,
              cudaStream_t stream) {
  LayerArgs a;
  a.type = type;
  a.field = fields;
  a.bias = bias;
  a.rows = rows;
  a.cols = cols;
  a.probabilities = probabilities;
  a.target = target;
  a.recon_partials = partials;
  launch_layer(a, 1, stream);
}

void gather(const Model& model,
            const CudaData& data,
            std::size_t begin,
            int rows,
            float* out,
            cudaStream_t stream) {
  launch_gather_rows(data.values.data(), model.n_visible, model.visible_type, nullptr,
                     data.n_samples, nullptr, begin, rows, 1, out, stream);
}

/// P(on) of the hidden (of_hidden) or visible layer for n rows, chunk by chunk:
/// load(begin, rows, given, stream) puts the given layer's rows [begin, begin+rows) on the device.
template <typename Load>
std::vector<float> probabilities(
    Context& ctx, const Model& model, std::size_t n, bool of_hidden, const Load& load) {
  cudaStream_t stream = ctx.stream();
  const int D = model.n_visible, L = model.n_hidden;
  const int given_cols = of_hidden ? D : L, out_cols = of_hidden ? L : D;
  std::vector<float> out(n * out_cols);
  if (n == 0) return out;
  const std::size_t chunk = chunk_rows(n, D, L);
  DeviceModels params({&model}, stream);
  DeviceBuffer<float> given(chunk * given_cols), fields(chunk * out_cols);
  for (std::size_t begin = 0; begin < n; begin += chunk) {
    const int rows = static_cast<int>(std::min(chunk, n - begin));
    load(begin, rows, given.data(), stream);
    if (of_hidden)
      gemm_xw(ctx, rows, L, D, given.data(), params.w.data(), fields.data(), {}, 1);
    else
      gemm_xwt(ctx, rows, D, L, given.data(), params.w.data(), fields.data(), {}, 1);
    activate(of_hidden ? model.hidden_type : model.visible_type, fields.data(),
             of_hidden ? params.c.data() : params.b.data(), rows, out_cols,
             /*probabilities=*/true, nullptr, nullptr, stream);
    RBM_CUDA_CHECK(cudaMemcpyAsync(out.data() + begin * out_cols, fields.data(),
                                   static_cast<std::size_t>(rows) * out_cols * sizeof(float),
                                   cudaMemcpyDeviceToHost, stream));
  }
  ctx.synchronize(of_hidden ? "hidden_probabilities" : "visible_probabilities");
  return out;
}

}  // namespace

std::vector<double> free_energy(Context& ctx, const Model& model, const CudaData& data) {
  cudaStream_t stream = ctx.stream();
  const int D = model.n_visible, L = model.n_hidden;
  const std::size_t N = data.n_samples, chunk = chunk_rows(N, D, L);
  DeviceModels params({&model}, stream);
  DeviceBuffer<float> v(chunk * D), fields(chunk * L);
  DeviceBuffer<double> energies(N);
  for (std::size_t begin = 0; begin < N; begin += chunk) {
    const int rows = static_cast<int>(std::min(chunk, N - begin));
    gather(model, data, begin, rows, v.data(), stream);
    gemm_xw(ctx, rows, L, D, v.data(), params.w.data(), fields.data(), {}, 1);
    launch_free_energy_rows(v.data(), fields.data(), params.b.data(), params.c.data(),
                            model.hidden_type, rows, D, L, energies.data() + begin, stream);
  }
  std::vector<double> out(N);
  energies.copy_to_host(out.data(), stream);
  ctx.synchronize("free_energy");
  return out;
}

double reconstruction_error(Context& ctx, const Model& model, const CudaData& data) {
  cudaStream_t stream = ctx.stream();
  const int D = model.n_visible, L = model.n_hidden;
  const std::size_t N = data.n_samples, chunk = chunk_rows(N, D, L);
  DeviceModels params({&model}, stream);
  DeviceBuffer<float> v(chunk * D), hidden(chunk * L), recon(chunk * D);
  // Each chunk writes its block partials at its own offset; the host sums them in order.
  std::size_t total_partials = 0;
  for (std::size_t begin = 0; begin < N; begin += chunk)
    total_partials += recon_partial_count(static_cast<int>(std::min(chunk, N - begin)), D);
  DeviceBuffer<double> partials(total_partials);
  std::size_t offset = 0;
  for (std::size_t begin = 0; begin < N; begin += chunk) {
    const int rows = static_cast<int>(std::min(chunk, N - begin));
    gather(model, data, begin, rows, v.data(), stream);
    gemm_xw(ctx, rows, L, D, v.data(), params.w.data(), hidden.data(), {}, 1);
    activate(model.hidden_type, hidden.data(), params.c.data(), rows, L, false, nullptr, nullptr,
             stream);
    gemm_xwt(ctx, rows, D, L, hidden.data(), params.w.data(), recon.data(), {}, 1);
    activate(model.visible_type, recon.data(), params.b.data(), rows, D, false, v.data(),
             partials.data() + offset, stream);
    offset += recon_partial_count(rows, D);
  }
  std::vector<double> host(total_partials);
  partials.copy_to_host(host.data(), stream);
  ctx.synchronize("reconstruction_error");
  double sum = 0;
  for (double partial : host) sum += partial;
  return sum / (static_cast<double>(N) * D);
}

std::vector<float> hidden_probabilities(Context& ctx, const Model& model, const CudaData& data) {
  return probabilities(ctx, model, data.n_samples, /*of_hidden=*/true,
                       [&](std::size_t begin, int rows, float* visible, cudaStream_t stream) {
                         gather(model, data, begin, rows, visible, stream);
                       });
}

std::vector<float> visible_probabilities(Context& ctx,
                                         const Model& model,
                                         const std::vector<float>& hidden_host) {
  const std::size_t L = model.n_hidden;
  return probabilities(
      ctx, model, hidden_host.size() / L, /*of_hidden=*/false,
      [&](std::size_t begin, int rows, float* hidden, cudaStream_t stream) {
        RBM_CUDA_CHECK(cudaMemcpyAsync(hidden, hidden_host.data() + begin * L,
                                       rows * L * sizeof(float), cudaMemcpyHostToDevice, stream));
      });
}

}  // namespace rbm::cuda
