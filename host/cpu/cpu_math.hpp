// host/cpu/cpu_math.hpp — the CPU backend's dense building blocks: row-major SGEMM/SGEMV through
// CBLAS (OpenBLAS), and the elementwise passes of block-Gibbs sampling and of the update, which
// call the arithmetic shared with the CUDA kernels (host/common/units.hpp, optimizer.hpp).
#pragma once
#include <cstddef>
#include <cstdint>

#include "host/common/optimizer.hpp"
#include "host/common/philox.hpp"
#include "rbm/model.hpp"

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
/// y = op(A)·x for row-major A [m][n] (op = transpose when the flag is set).
void gemv(bool transpose, int m, int n, const float* a, const float* x, float* y);

/// p[r][j] = σ(scale·(p[r][j] + bias[j])) in place for rows [row_begin, row_end): the
/// on-probability of Bernoulli (scale 1) or spin (scale 2) units.
void add_bias_sigmoid(float* p,
                      const float* bias,
                      std::size_t row_begin,
                      std::size_t row_end,
                      int width,
                      float scale);
/// Σ_i chains::visible_term(bias[i], x[i]): the visible layer's share of F_β, in double.
double visible_free_energy(const float* bias, const float* x, int n);
/// Σ_j chains::hidden_term(type, field_at(β, g[j], bias[j])) over n elementwise (Bernoulli or
/// spin) hidden units: their share of one chain's free energy F_β, summed in double.
double hidden_free_energy(UnitType type, float beta, const float* g, const float* bias, int n);
/// out[e] = (u[e] < p[e]) ? 1 : off for e in [begin, end).
void sample_units(
    const float* p, const float* u, float off, float* out, std::size_t begin, std::size_t end);
/// p → 2p − 1 (a spin unit's mean from its on-probability) for e in [begin, end).
void spin_means(float* p, std::size_t begin, std::size_t end);
/// Uniforms number first .. first+count-1 of stream (seed, stream, substream) into out.
void fill_uniforms(std::uint64_t seed,
                   RandomStream stream,
                   std::uint32_t substream,
                   std::uint64_t first,
                   std::size_t count,
                   float* out);

/// What the update of one model needs besides the parameters (see the training contract).
struct UpdateInputs {
  Optimizer optimizer = Optimizer::momentum;
  StepHyper hyper;
  StepScalars scalars;
  const float* sparsity_pull = nullptr;  ///< [L] cost·(q − target), or null
  const float* visible_means = nullptr;  ///< [D] colmean(V0), with sparsity_pull
};
/// Optimizer steps of W (elements [begin, end) of D·L) with weight_gradient. slots[k] points at
/// W's part of state slot k (null when the optimizer keeps fewer).
void update_weights(const UpdateInputs& in,
                    int n_hidden,
                    float* weights,
                    const float* grad,
                    float* const slots[2],
                    std::size_t begin,
                    std::size_t end);
/// Optimizer steps of a bias vector (n entries) with gradient grad.
void update_biases(
    const UpdateInputs& in, float* bias, const float* grad, float* const slots[2], std::size_t n);

}  // namespace rbm::detail::cpu
