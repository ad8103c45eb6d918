// host/cpu/cpu_math.cpp — CBLAS wrappers and the vectorisable elementwise loops. Compiled with
// -ffp-contract=off (CMakeLists.txt): the update rounds each operation as the CUDA kernels do.
#include "host/cpu/cpu_math.hpp"

#include <cblas.h>

#include <cmath>

#include "host/common/parallel.hpp"
#include "host/common/units.hpp"

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

void gemv(bool transpose, int m, int n, const float* a, const float* x, float* y) {
  cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, m, n, 1.0f, a, n, x, 1, 0.0f, y,
              1);
}

RBM_HOT_CLONES
void sample_units(
    const float* p, const float* u, float off, float* out, std::size_t begin, std::size_t end) {
  for (std::size_t e = begin; e < end; ++e) out[e] = u[e] < p[e] ? 1.0f : off;
}

RBM_HOT_CLONES
void spin_means(float* p, std::size_t begin, std::size_t end) {
  for (std::size_t e = begin; e < end; ++e)
    p[e] = units::mean_from_probability(UnitType::spin, p[e]);
}

RBM_HOT_CLONES
void update_weights(const UpdateInputs& in,
                    int n_hidden,
                    float* weights,
                    const float* grad,
                    float* const slots[2],
                    std::size_t begin,
                    std::size_t end) {
  float unused0 = 0, unused1 = 0;
  for (std::size_t e = begin; e < end; ++e) {
    float sparsity = 0.0f;
    if (in.sparsity_pull)
      sparsity = mul_rn(in.sparsity_pull[e % n_hidden], in.visible_means[e / n_hidden]);
    const float g = weight_gradient(in.hyper, grad[e], weights[e], sparsity);
    optimizer_step(in.optimizer, in.hyper, in.scalars, g, weights[e],
                   slots[0] ? slots[0][e] : unused0, slots[1] ? slots[1][e] : unused1);
  }
}

void update_biases(
    const UpdateInputs& in, float* bias, const float* grad, float* const slots[2], std::size_t n) {
  float unused0 = 0, unused1 = 0;
  for (std::size_t e = 0; e < n; ++e)
    optimizer_step(in.optimizer, in.hyper, in.scalars, grad[e], bias[e],
                   slots[0] ? slots[0][e] : unused0, slots[1] ? slots[1][e] : unused1);
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

}  // namespace rbm::detail::cpu
