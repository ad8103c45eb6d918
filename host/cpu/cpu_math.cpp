// host/cpu/cpu_math.cpp — CBLAS wrapper and the vectorisable elementwise loops.
#include "host/cpu/cpu_math.hpp"

#include <cblas.h>

#include <cmath>

#include "host/common/parallel.hpp"

namespace rbm::detail::cpu {

void gemm(bool transpose_a,
          bool transpose_b,
          int m,
          int n,
          int k,
          float alpha,
          const float* a,
          const float* b,
          float beta,
          float* c) {
  const int lda = transpose_a ? m : k;
  const int ldb = transpose_b ? k : n;
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
}

RBM_HOT_CLONES
void bernoulli(const float* p, const float* u, float* out, std::size_t begin, std::size_t end) {
  for (std::size_t e = begin; e < end; ++e) out[e] = u[e] < p[e] ? 1.0f : 0.0f;
}

RBM_HOT_CLONES
void momentum_update(float* theta,
                     float* velocity,
                     const float* grad,
                     float momentum,
                     float learning_rate,
                     float decay,
                     std::size_t begin,
                     std::size_t end) {
  for (std::size_t e = begin; e < end; ++e) {
    velocity[e] = momentum * velocity[e] + learning_rate * (grad[e] - decay * theta[e]);
    theta[e] += velocity[e];
  }
}

RBM_HOT_CLONES
void fill_uniforms(std::uint64_t seed,
                   RandomStream stream,
                   std::uint32_t substream,
                   std::uint64_t first,
                   std::size_t count,
                   float* out) {
  std::size_t written = 0;
  std::uint64_t index = first;
  // Unaligned head, one number at a time.
  for (; written < count && (index & 3) != 0; ++written, ++index)
    out[written] = random_uniform(seed, stream, substream, index);
  // Whole blocks: independent iterations, which the compiler vectorises across blocks.
  const std::size_t blocks = (count - written) / 4;
  const std::uint64_t first_block = index >> 2;
  float* body = out + written;
  for (std::size_t k = 0; k < blocks; ++k) {
    const Philox4 r = random_block(seed, stream, substream, first_block + k);
    for (int lane = 0; lane < 4; ++lane) body[4 * k + lane] = uniform_from_bits(r.v[lane]);
  }
  written += 4 * blocks;
  index += 4 * blocks;
  for (; written < count; ++written, ++index)
    out[written] = random_uniform(seed, stream, substream, index);
}

double softplus(double x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

}  // namespace rbm::detail::cpu
