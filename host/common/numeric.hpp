// host/common/numeric.hpp — the scalar functions every backend evaluates the same way: the
// clamped logistic, softplus, log 2cosh, log-sum-exp, and float arithmetic rounded step by step.
// Host and device (RBM_HD): the CPU loops and the CUDA kernels call these very functions.
#pragma once
#include <math.h>

#include "host/common/hd.hpp"

namespace rbm::detail {

/// σ(x) = 1/(1 + e^−x) in float, with x clamped to ±80 so that e^−x never overflows.
RBM_HD float sigmoid(float x) {
  x = fminf(fmaxf(x, -80.0f), 80.0f);
  return 1.0f / (1.0f + expf(-x));
}

/// log(1 + e^x) = max(x, 0) + log(1 + e^−|x|), stable for all x. Without a branch, so that loops
/// over it vectorise (host/cpu/cpu_free_energy.cpp); for every x it equals the two-branch form
/// bit for bit (max(x, 0) is x or an exact 0).
RBM_HD double softplus(double x) {
  return fmax(x, 0.0) + log1p(exp(-fabs(x)));
}

/// The same in float (exact log Z's guarded pair on the device, host/common/logz_math.hpp).
RBM_HD float softplus(float x) {
  return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x));
}

/// log(e^x + e^−x) = |x| + log(1 + e^−2|x|), stable for all x (the spin unit's softplus).
RBM_HD double log_2cosh(double x) {
  const double a = fabs(x);
  return a + log1p(exp(-2.0 * a));
}

/// log(e^a + e^b) without overflow; −inf is the identity.
RBM_HD double log_add_exp(double a, double b) {
  if (a < b) {
    const double t = a;
    a = b;
    b = t;
  }
  if (b == -INFINITY) return a;
  return a + log1p(exp(b - a));
}

// Float operations rounded one by one: nvcc would otherwise fuse a·b + c into one FMA (g++ does
// the same unless the translation unit is compiled with -ffp-contract=off, as the CPU backend's
// update loops are), and the two backends would round differently.
#if defined(__CUDA_ARCH__)
RBM_HD float mul_rn(float a, float b) {
  return __fmul_rn(a, b);
}
RBM_HD float add_rn(float a, float b) {
  return __fadd_rn(a, b);
}
RBM_HD float sub_rn(float a, float b) {
  return __fsub_rn(a, b);
}
RBM_HD float div_rn(float a, float b) {
  return __fdiv_rn(a, b);
}
RBM_HD float sqrt_rn(float a) {
  return __fsqrt_rn(a);
}
#else
RBM_HD float mul_rn(float a, float b) {
  return a * b;
}
RBM_HD float add_rn(float a, float b) {
  return a + b;
}
RBM_HD float sub_rn(float a, float b) {
  return a - b;
}
RBM_HD float div_rn(float a, float b) {
  return a / b;
}
RBM_HD float sqrt_rn(float a) {
  return sqrtf(a);
}
#endif

}  // namespace rbm::detail
