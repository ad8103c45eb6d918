// host/common/optimizer.hpp — one training step's parameter arithmetic, shared by the CPU loops
// and the CUDA update kernels (RBM_HD): regularized gradients, centering, and the optimizer
// updates of rbm::Optimizer (formulas in include/rbm/train.hpp). Every float operation is
// rounded on its own (mul_rn, add_rn, ...), so both backends produce the same bits from the
// same gradients.
#pragma once
#include <math.h>

#include <cstdint>

#include "host/common/numeric.hpp"
#include "rbm/train.hpp"

namespace rbm::detail {

/// One model's hyper-parameters for one epoch (the schedules evaluated), as the kernels read
/// them from device memory: a schedule never changes a captured CUDA graph.
struct StepHyper {
  float learning_rate = 0, momentum = 0;
  float weight_decay = 0, l1_weight_decay = 0;
  float sparsity_target = 0, sparsity_cost = 0, sparsity_decay = 0;
  float centering_rate = 0;
  float rmsprop_alpha = 0, adam_beta1 = 0, adam_beta2 = 0, epsilon = 0;
};

/// Per-parameter state slots an optimizer keeps (velocity, averages).
RBM_HD int optimizer_slots(Optimizer optimizer) {
  switch (optimizer) {
    case Optimizer::sgd:
      return 0;
    case Optimizer::momentum:
    case Optimizer::nesterov:
      return 1;
    case Optimizer::rmsprop:
    case Optimizer::adam:
      return 2;
  }
  return 0;
}

/// Scalars of step t (1-based) shared by all parameters: Adam's bias-corrected step size
/// lr/(1 − β1^t) and √(1 − β2^t), in double and then rounded, as PyTorch computes them.
struct StepScalars {
  float step_size = 0;
  float sqrt_correction2 = 1;
};
RBM_HD StepScalars step_scalars(Optimizer optimizer, const StepHyper& h, std::uint64_t t) {
  StepScalars s;
  s.step_size = h.learning_rate;
  if (optimizer == Optimizer::adam) {
    const double correction1 = 1.0 - pow(static_cast<double>(h.adam_beta1), static_cast<double>(t));
    const double correction2 = 1.0 - pow(static_cast<double>(h.adam_beta2), static_cast<double>(t));
    s.step_size = static_cast<float>(static_cast<double>(h.learning_rate) / correction1);
    s.sqrt_correction2 = static_cast<float>(sqrt(correction2));
  }
  return s;
}

/// θ += the optimizer's step for ascent direction g; s0, s1 are the parameter's state slots.
/// The optimizer is a template argument so that loops over parameters carry no branch on it
/// (the CPU loops vectorise); optimizer_step below picks it at run time.
template <Optimizer kOptimizer>
RBM_HD void optimizer_step_as(
    const StepHyper& h, const StepScalars& scalars, float g, float& theta, float& s0, float& s1) {
  if constexpr (kOptimizer == Optimizer::sgd) {
    theta = add_rn(theta, mul_rn(h.learning_rate, g));
  } else if constexpr (kOptimizer == Optimizer::momentum) {
    s0 = add_rn(mul_rn(h.momentum, s0), mul_rn(h.learning_rate, g));
    theta = add_rn(theta, s0);
  } else if constexpr (kOptimizer == Optimizer::nesterov) {
    s0 = add_rn(mul_rn(h.momentum, s0), g);
    theta = add_rn(theta, mul_rn(h.learning_rate, add_rn(g, mul_rn(h.momentum, s0))));
  } else if constexpr (kOptimizer == Optimizer::rmsprop) {
    s0 = add_rn(mul_rn(h.rmsprop_alpha, s0), mul_rn(sub_rn(1.0f, h.rmsprop_alpha), mul_rn(g, g)));
    const float scaled = div_rn(g, add_rn(sqrt_rn(s0), h.epsilon));
    if (h.momentum > 0.0f) {
      s1 = add_rn(mul_rn(h.momentum, s1), scaled);
      theta = add_rn(theta, mul_rn(h.learning_rate, s1));
    } else {
      theta = add_rn(theta, mul_rn(h.learning_rate, scaled));
    }
  } else {
    static_assert(kOptimizer == Optimizer::adam, "an optimizer without an update rule");
    s0 = add_rn(mul_rn(h.adam_beta1, s0), mul_rn(sub_rn(1.0f, h.adam_beta1), g));
    s1 = add_rn(mul_rn(h.adam_beta2, s1), mul_rn(mul_rn(sub_rn(1.0f, h.adam_beta2), g), g));
    const float denominator = add_rn(div_rn(sqrt_rn(s1), scalars.sqrt_correction2), h.epsilon);
    theta = add_rn(theta, mul_rn(scalars.step_size, div_rn(s0, denominator)));
  }
}

/// optimizer_step_as with the optimizer chosen at run time.
RBM_HD void optimizer_step(Optimizer optimizer,
                           const StepHyper& h,
                           const StepScalars& scalars,
                           float g,
                           float& theta,
                           float& s0,
                           float& s1) {
  switch (optimizer) {
    case Optimizer::sgd:
      return optimizer_step_as<Optimizer::sgd>(h, scalars, g, theta, s0, s1);
    case Optimizer::momentum:
      return optimizer_step_as<Optimizer::momentum>(h, scalars, g, theta, s0, s1);
    case Optimizer::nesterov:
      return optimizer_step_as<Optimizer::nesterov>(h, scalars, g, theta, s0, s1);
    case Optimizer::rmsprop:
      return optimizer_step_as<Optimizer::rmsprop>(h, scalars, g, theta, s0, s1);
    case Optimizer::adam:
      return optimizer_step_as<Optimizer::adam>(h, scalars, g, theta, s0, s1);
  }
}

/// The sparsity penalty's pull on hidden unit j: cost·(q_j − target) (Hinton's guide §11).
RBM_HD float sparsity_pull(const StepHyper& h, float q) {
  return mul_rn(h.sparsity_cost, sub_rn(q, h.sparsity_target));
}

/// A weight's full ascent direction: the likelihood gradient g minus the sparsity penalty
/// (pull_j · mean visible activity_i) and the L2 and L1 decays.
RBM_HD float weight_gradient(const StepHyper& h, float g, float theta, float sparsity_term) {
  g = sub_rn(g, sparsity_term);
  g = sub_rn(g, mul_rn(h.weight_decay, theta));
  if (h.l1_weight_decay != 0.0f) {
    const float sign = theta > 0.0f ? 1.0f : (theta < 0.0f ? -1.0f : 0.0f);
    g = sub_rn(g, mul_rn(h.l1_weight_decay, sign));
  }
  return g;
}

/// The centered weight gradient (Melchior et al. 2016): ⟨(v−μ)(h−λ)ᵀ⟩_data − ⟨·⟩_model
/// = gW − μ_i·gc_j − gb_i·λ_j, from the plain statistics gW, gb, gc.
RBM_HD float centered_weight_gradient(float g, float mu_i, float lambda_j, float gb_i, float gc_j) {
  return sub_rn(sub_rn(g, mul_rn(mu_i, gc_j)), mul_rn(gb_i, lambda_j));
}

/// An exponential moving average: (1 − rate)·average + rate·value (centering offsets and the
/// sparsity estimate, whose decay d is 1 − rate).
RBM_HD float moving_average(float average, float value, float rate) {
  return add_rn(mul_rn(sub_rn(1.0f, rate), average), mul_rn(rate, value));
}

}  // namespace rbm::detail
