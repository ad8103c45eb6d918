// host/sampler.hpp — building chain sets above the backend seam (the chains contract of
// host/backend.hpp): where chains start, and the checks every sampler shares. Used by
// Engine::sample, tempering, clamped sampling (host/sampler.cpp) and AIS (host/estimators/).
#pragma once
#include <vector>

#include "host/backend.hpp"

namespace rbm::detail {

/// The chain set of `models` (one shape), C chains each with the same seed, between the
/// base-rate model with visible bias `base_visible_bias` ([D], every model; empty = 0) and
/// hidden bias 0 and each model. Starting states are left to the caller.
ChainStart chain_start(const std::vector<Model>& models,
                       const std::vector<float>& base_visible_bias,
                       int n_chains,
                       std::uint64_t seed,
                       RandomStream stream);

/// Starts every chain at an exact sample of its base-rate model:
/// v_i = sample(on_probability(a_i), u), u = random_uniform(seed, stream, 1, c·D + i).
void start_at_base_samples(ChainStart& start);

/// log Z of the base-rate model (visible bias a, hidden bias 0) of `model`'s unit types, exact.
double base_rate_log_z(const Model& model, const float* base_visible_bias);

/// Throws InvalidArgument when `options` do not fit `model` (counts, β, init rows, masks).
void validate_sample_options(const Model& model, const SampleOptions& options);

/// options.clamped as a [C][D] mask (a [D] mask repeated), or empty.
std::vector<std::uint8_t> clamp_mask(const SampleOptions& options, int n_visible);

}  // namespace rbm::detail
