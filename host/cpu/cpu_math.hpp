// host/cpu/cpu_math.hpp — the CPU backend's dense building blocks: row-major SGEMM through
// CBLAS (OpenBLAS), and the fused elementwise passes of block-Gibbs sampling.
#pragma once
#include <cstddef>
#include <cstdint>

#include "host/common/philox.hpp"

namespace rbm::detail::cpu {

/// C[m][n] = alpha · op(A) op(B) + beta · C, all row-major; op = transpose when the flag is set.
void gemm(bool transpose_a,
          bool transpose_b,
          int m,
          int n,
          int k,
          float alpha,
          const float* a,
          const float* b,
          float beta,
          float* c);

/// p[r][j] = σ(p[r][j] + bias[j]) in place, for rows [row_begin, row_end) of width `width`.
void add_bias_sigmoid(
    float* p, const float* bias, std::size_t row_begin, std::size_t row_end, int width);
/// out[e] = (u[e] < p[e]) ? 1 : 0 for e in [begin, end).
void bernoulli(const float* p, const float* u, float* out, std::size_t begin, std::size_t end);
/// Uniforms number first .. first+count-1 of stream (seed, stream, substream) into out.
void fill_uniforms(std::uint64_t seed,
                   RandomStream stream,
                   std::uint32_t substream,
                   std::uint64_t first,
                   std::size_t count,
                   float* out);

/// velocity = μ·velocity + lr·(grad − decay·θ); θ += velocity, for e in [begin, end).
void momentum_update(float* theta,
                     float* velocity,
                     const float* grad,
                     float momentum,
                     float learning_rate,
                     float decay,
                     std::size_t begin,
                     std::size_t end);

/// softplus(x) = log(1 + e^x), stable for all x.
double softplus(double x);

}  // namespace rbm::detail::cpu
