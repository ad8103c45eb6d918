// host/cpu/cpu_free_energy.cpp — a chain's free energy, the inner loop of AIS's log-weights and
// of tempering swaps (one softplus or log 2cosh per hidden unit,
// twice per β in AIS). This file is compiled with -ffast-math (CMakeLists.txt) so that GCC calls
// glibc's vector exp and log1p (libmvec) and sums in vector lanes; the terms are the shared
// host/common functions, branch-free and finite for finite fields (parameters are validated).
#include "host/common/chains.hpp"
#include "host/common/parallel.hpp"
#include "host/cpu/cpu_math.hpp"

namespace rbm::detail::cpu {
namespace {

template <UnitType kType>
double sum_of_terms(float beta, const float* __restrict g, const float* __restrict bias, int n) {
  double energy = 0;
  for (int j = 0; j < n; ++j)
    energy += chains::hidden_term(kType, chains::field_at(beta, g[j], bias[j]));
  return energy;
}

}  // namespace

RBM_HOT_CLONES
double visible_free_energy(const float* __restrict bias, const float* __restrict x, int n) {
  double energy = 0;
  for (int i = 0; i < n; ++i) energy += chains::visible_term(bias[i], x[i]);
  return energy;
}

RBM_HOT_CLONES
double hidden_free_energy(UnitType type, float beta, const float* g, const float* bias, int n) {
  return type == UnitType::spin ? sum_of_terms<UnitType::spin>(beta, g, bias, n)
                                : sum_of_terms<UnitType::bernoulli>(beta, g, bias, n);
}

}  // namespace rbm::detail::cpu
