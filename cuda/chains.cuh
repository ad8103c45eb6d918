// cuda/chains.cuh — the sampler's chains: random starts, storing kept samples as data bits, and
// the sweep counter.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/uniforms.cuh"
#include "rbm/model.hpp"

namespace rbm::cuda {

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

}  // namespace rbm::cuda
