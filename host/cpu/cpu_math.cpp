// host/cpu/cpu_math.cpp — CBLAS wrappers and the vectorisable elementwise loops. Compiled with
// -ffp-contract=off (CMakeLists.txt): the update rounds each operation as the CUDA kernels do.
#include "host/cpu/cpu_math.hpp"

#include <cblas.h>

#include <algorithm>
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

namespace {

/// The weight update for one optimizer over elements [begin, end) of W [D][L]: no branch on the
/// optimizer or the slots inside the loop, so it vectorises; the sparsity term walks (i, j).
template <Optimizer kOptimizer>
inline __attribute__((always_inline)) void update_weights_as(const UpdateInputs& in,
                                                             std::size_t n_hidden,
                                                             float* weights,
                                                             const float* grad,
                                                             float* s0,
                                                             float* s1,
                                                             std::size_t begin,
                                                             std::size_t end) {
  const StepHyper h = in.hyper;
  const StepScalars scalars = in.scalars;
  constexpr bool kFirstSlot = kOptimizer != Optimizer::sgd;
  constexpr bool kSecondSlot = kOptimizer == Optimizer::rmsprop || kOptimizer == Optimizer::adam;
  float unused = 0;
  auto step = [&](std::size_t e, float sparsity_term) {
    const float g = weight_gradient(h, grad[e], weights[e], sparsity_term);
    optimizer_step_as<kOptimizer>(h, scalars, g, weights[e], kFirstSlot ? s0[e] : unused,
                                  kSecondSlot ? s1[e] : unused);
  };
  if (!in.sparsity_pull) {
    for (std::size_t e = begin; e < end; ++e) step(e, 0.0f);
    return;
  }
  for (std::size_t e = begin; e < end;) {  // a row i of W at a time: pull_j · mean_i
    const std::size_t i = e / n_hidden, row_end = std::min(end, (i + 1) * n_hidden);
    const float mean_i = in.visible_means[i];
    for (std::size_t j = e - i * n_hidden; e < row_end; ++e, ++j)
      step(e, mul_rn(in.sparsity_pull[j], mean_i));
  }
}

}  // namespace

RBM_HOT_CLONES
void update_weights(const UpdateInputs& in,
                    int n_hidden,
                    float* weights,
                    const float* grad,
                    float* const slots[2],
                    std::size_t begin,
                    std::size_t end) {
  const std::size_t L = static_cast<std::size_t>(n_hidden);
  switch (in.optimizer) {
    case Optimizer::sgd:
      return update_weights_as<Optimizer::sgd>(in, L, weights, grad, nullptr, nullptr, begin, end);
    case Optimizer::momentum:
      return update_weights_as<Optimizer::momentum>(in, L, weights, grad, slots[0], nullptr, begin,
                                                    end);
    case Optimizer::nesterov:
      return update_weights_as<Optimizer::nesterov>(in, L, weights, grad, slots[0], nullptr, begin,
                                                    end);
    case Optimizer::rmsprop:
      return update_weights_as<Optimizer::rmsprop>(in, L, weights, grad, slots[0], slots[1], begin,
                                                   end);
    case Optimizer::adam:
      return update_weights_as<Optimizer::adam>(in, L, weights, grad, slots[0], slots[1], begin,
                                                end);
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
