// cuda/sampling.cu — free-running block-Gibbs chains on the device (the sampling contract of
// host/backend.hpp), replayed through CUDA graphs sweep by sweep.
#include "cuda/chains.cuh"
#include "cuda/gather.cuh"
#include "cuda/graphs.cuh"
#include "cuda/layers.cuh"
#include "cuda/operations.cuh"

namespace rbm::cuda {

Dataset sample(Context& ctx, const Model& model, const SampleOptions& options) {
  cudaStream_t stream = ctx.stream();
  const int D = model.n_visible, L = model.n_hidden, C = options.n_chains,
            S = options.samples_per_chain;
  const std::size_t CD = static_cast<std::size_t>(C) * D, CL = static_cast<std::size_t>(C) * L;
  DeviceBuffer<float> x(CD), mv(CD), h(CL), mh(CL);
  DeviceBuffer<std::uint8_t> kept(CD * S);
  DeviceModels params({&model}, stream);
  DeviceBuffer<std::uint64_t> seed;
  const std::vector<std::uint64_t> seed_host{options.seed};
  seed.copy_from_host(seed_host, stream);
  DeviceBuffer<StepCursor> cursor(1);
  RBM_CUDA_CHECK(cudaMemsetAsync(cursor.data(), 0, sizeof(StepCursor), stream));
  DeviceBuffer<std::uint8_t> init;
  if (options.init.n_samples > 0) {
    init.copy_from_host(options.init.values, stream);
    launch_gather_rows(init.data(), D, model.visible_type, nullptr, options.init.n_samples, nullptr,
                       0, C, 1, x.data(), stream);
  } else {  // v = sample_v(0), u from the sample stream, substream 1
    launch_init_chains(nullptr, model.visible_type, seed.data(), detail::RandomStream::sample, 1, C,
                       D, 1, x.data(), stream);
  }
  Uniforms u;
  u.seeds = seed.data();
  u.cursor = cursor.data();
  u.stream = detail::RandomStream::sample;
  u.substream = 0;
  auto layer = [&](UnitType type, float* field, const float* bias, int cols, float* samples,
                   std::uint64_t base) {
    LayerArgs a;
    a.type = type;
    a.field = field;
    a.bias = bias;
    a.rows = C;
    a.cols = cols;
    a.samples = samples;
    a.uniforms = u;
    a.uniforms.base = base;
    launch_layer(a, 1, stream);
  };
  const auto sweep = [&] {  // h from vW + c, then v from hWᵀ + b; the sweep counter
    gemm_xw(ctx, C, L, D, x.data(), params.w.data(), mh.data(), {}, 1);
    layer(model.hidden_type, mh.data(), params.c.data(), L, h.data(), 0);
    gemm_xwt(ctx, C, D, L, h.data(), params.w.data(), mv.data(), {}, 1);
    layer(model.visible_type, mv.data(), params.b.data(), D, x.data(), CL);
    launch_advance(cursor.data(), CL + CD, stream);
  };
  Repeater repeater;
  repeater.run(ctx, options.burn_in, sweep);
  for (int j = 0; j < S; ++j) {
    repeater.run(ctx, options.thinning, sweep);
    launch_store_samples(x.data(), C, D, S, j, kept.data(), stream);
  }
  Dataset out;
  out.n_visible = D;
  out.n_samples = static_cast<std::size_t>(C) * S;
  out.values.resize(out.n_samples * D);
  out.name = "samples";
  kept.copy_to_host(out.values.data(), stream);
  ctx.synchronize("sample");
  return out;
}

}  // namespace rbm::cuda
