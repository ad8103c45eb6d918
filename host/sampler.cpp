// host/sampler.cpp — block-Gibbs sampling, parallel tempering and clamped sampling, written once
// over the backends' chain sets (the chains contract of host/backend.hpp).
#include "host/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "host/check.hpp"
#include "host/common/units.hpp"
#include "rbm/engine.hpp"

namespace rbm {
namespace detail {

ChainStart chain_start(const std::vector<Model>& models,
                       const std::vector<float>& base_visible_bias,
                       int n_chains,
                       std::uint64_t seed,
                       RandomStream stream) {
  const Model& first = models.front();
  const std::size_t M = models.size(), D = first.n_visible, L = first.n_hidden;
  RBM_EXPECTS(base_visible_bias.empty() || base_visible_bias.size() == D,
              "the base-rate model has ", base_visible_bias.size(),
              " visible biases; the model has D = ", D);
  for (float a : base_visible_bias)
    RBM_EXPECTS(std::isfinite(a), "the base-rate model's visible biases must be finite, got ", a);
  ChainStart start;
  start.models = models;
  start.n_chains = n_chains;
  start.seeds.assign(M, seed);
  start.stream = stream;
  start.base_hidden_bias.assign(M * L, 0.0f);
  start.base_visible_bias.assign(M * D, 0.0f);
  if (!base_visible_bias.empty())
    for (std::size_t m = 0; m < M; ++m)
      std::copy(base_visible_bias.begin(), base_visible_bias.end(),
                start.base_visible_bias.begin() + m * D);
  return start;
}

void start_at_base_samples(ChainStart& start) {
  const Model& first = start.models.front();
  const std::size_t M = start.models.size(), C = start.n_chains, D = first.n_visible;
  start.visible.resize(M * C * D);
  for (std::size_t m = 0; m < M; ++m)
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t i = 0; i < D; ++i) {
        const float p =
            units::on_probability(first.visible_type, start.base_visible_bias[m * D + i]);
        const float u = random_uniform(start.seeds[m], start.stream, 1, c * D + i);
        start.visible[(m * C + c) * D + i] = units::sample(first.visible_type, p, u);
      }
}

double base_rate_log_z(const Model& model, const float* base_visible_bias) {
  double log_z = 0;
  for (int i = 0; i < model.n_visible; ++i)
    log_z += units::log_partition_term(model.visible_type, base_visible_bias[i]);
  switch (model.hidden_type) {  // every hidden field is 0
    case UnitType::bernoulli:
      return log_z + model.n_hidden * std::log(2.0);
    case UnitType::spin:
      return log_z + model.n_hidden * std::log(2.0);
    case UnitType::potts:
      return log_z + std::log(static_cast<double>(model.n_hidden));
    case UnitType::potts_off:
      return log_z + std::log(static_cast<double>(model.n_hidden) + 1.0);
  }
  return log_z;
}

void validate_sample_options(const Model& model, const SampleOptions& options) {
  RBM_EXPECTS(options.n_chains >= 1, "sample: n_chains must be >= 1, got ", options.n_chains);
  RBM_EXPECTS(options.burn_in >= 0, "sample: burn_in must be >= 0, got ", options.burn_in);
  RBM_EXPECTS(options.thinning >= 1, "sample: thinning must be >= 1, got ", options.thinning);
  RBM_EXPECTS(options.samples_per_chain >= 1, "sample: samples_per_chain must be >= 1, got ",
              options.samples_per_chain);
  RBM_EXPECTS(std::isfinite(options.beta) && options.beta >= 0, "sample: beta must be >= 0, got ",
              options.beta);
  if (options.init.n_samples > 0) {
    options.init.validate();
    RBM_EXPECTS(options.init.n_visible == model.n_visible, "sample: the initial states have ",
                options.init.n_visible, " columns but the model has D=", model.n_visible);
    RBM_EXPECTS(options.init.n_samples == static_cast<std::size_t>(options.n_chains),
                "sample: ", options.init.n_samples, " initial states for ", options.n_chains,
                " chains");
  }
  if (options.clamped.empty()) return;
  const std::size_t D = model.n_visible;
  RBM_EXPECTS(options.clamped.size() == D || options.clamped.size() == options.n_chains * D,
              "sample: the clamp mask has ", options.clamped.size(), " entries; expected D = ", D,
              " or n_chains x D = ", options.n_chains * D);
  RBM_EXPECTS(options.init.n_samples > 0,
              "sample: clamped units keep their starting values, so `init` must give them");
  for (std::uint8_t flag : options.clamped)
    RBM_EXPECTS(flag <= 1, "sample: clamp mask entries are 0 or 1, got ", int(flag));
}

std::vector<std::uint8_t> clamp_mask(const SampleOptions& options, int n_visible) {
  if (options.clamped.size() != static_cast<std::size_t>(n_visible)) return options.clamped;
  std::vector<std::uint8_t> mask;
  for (int c = 0; c < options.n_chains; ++c)
    mask.insert(mask.end(), options.clamped.begin(), options.clamped.end());
  return mask;
}

namespace {

/// Starting states: `init` rows (chain c at row c / copies) or base-rate samples.
void set_start(ChainStart& start, const SampleOptions& options, int copies) {
  if (options.init.n_samples == 0) {
    start_at_base_samples(start);
    return;
  }
  const Model& model = start.models.front();
  const std::size_t D = model.n_visible;
  start.visible.resize(static_cast<std::size_t>(start.n_chains) * D);
  for (std::size_t c = 0; c < static_cast<std::size_t>(start.n_chains); ++c)
    for (std::size_t i = 0; i < D; ++i)
      start.visible[c * D + i] =
          units::from_bit(model.visible_type, options.init.at(c / copies, i));
}

/// Every chain's mask when each of n_chains rows is run at `copies` levels.
std::vector<std::uint8_t> repeated_mask(const SampleOptions& options, int n_visible, int copies) {
  const std::vector<std::uint8_t> rows = clamp_mask(options, n_visible);
  if (rows.empty() || copies == 1) return rows;
  std::vector<std::uint8_t> mask;
  for (int c = 0; c < options.n_chains * copies; ++c) {
    const auto first = rows.begin() + static_cast<std::size_t>(c / copies) * n_visible;
    mask.insert(mask.end(), first, first + n_visible);
  }
  return mask;
}

/// Runs the sampling schedule on `chains` (burn-in, then a kept row every thinning rounds) and
/// gathers the rows of the chains c with c % stride == stride − 1 (the top level).
Dataset run_schedule(Backend& backend,
                     ChainState& chains,
                     const std::vector<float>& ladder,
                     const SampleOptions& options,
                     int n_visible) {
  const int R = static_cast<int>(ladder.size()), S = options.samples_per_chain;
  const std::size_t D = n_visible;
  Dataset out;
  out.n_visible = n_visible;
  out.n_samples = static_cast<std::size_t>(options.n_chains) * S;
  out.values.resize(out.n_samples * D);
  out.name = "samples";
  backend.temper(chains, ladder, options.burn_in);
  for (int j = 0; j < S; ++j) {
    backend.temper(chains, ladder, options.thinning);
    const std::vector<float> v = backend.read_chains(chains).visible;
    for (std::size_t c = 0; c < static_cast<std::size_t>(options.n_chains); ++c) {
      const float* row = v.data() + (c * R + R - 1) * D;
      std::uint8_t* kept = out.values.data() + (c * S + j) * D;
      for (std::size_t i = 0; i < D; ++i) kept[i] = row[i] > 0.0f ? 1 : 0;
    }
  }
  return out;
}

}  // namespace
}  // namespace detail

std::vector<double> tempering_betas(const TemperingLadder& ladder) {
  std::vector<double> betas = ladder.betas;
  if (betas.empty()) {
    RBM_EXPECTS(ladder.replicas >= 1, "tempering: replicas must be >= 1, got ", ladder.replicas);
    RBM_EXPECTS(ladder.min_beta > 0 && ladder.min_beta <= 1,
                "tempering: min_beta must be in (0, 1], got ", ladder.min_beta);
    for (int r = 0; r < ladder.replicas; ++r)  // geometric: equal ratios between neighbours
      betas.push_back(ladder.replicas == 1
                          ? 1.0
                          : std::pow(ladder.min_beta, 1.0 - double(r) / (ladder.replicas - 1)));
    betas.back() = 1.0;
  }
  for (std::size_t r = 0; r < betas.size(); ++r) {
    RBM_EXPECTS(std::isfinite(betas[r]) && betas[r] >= 0 && betas[r] <= 1, "tempering: beta ",
                betas[r], " at level ", r, " is not in [0, 1]");
    RBM_EXPECTS(r == 0 || betas[r] > betas[r - 1], "tempering: the betas must increase; level ", r,
                " has ", betas[r]);
  }
  RBM_EXPECTS(!betas.empty() && betas.back() == 1.0,
              "tempering: the last level must be the model itself (beta 1)");
  return betas;
}

Dataset Engine::sample(const Model& model, const SampleOptions& options) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  model.validate();
  detail::validate_sample_options(model, options);
  detail::ChainStart start = detail::chain_start({model}, {}, options.n_chains, options.seed,
                                                 detail::RandomStream::sample);
  detail::set_start(start, options, 1);
  start.clamped = detail::clamp_mask(options, model.n_visible);
  const auto chains = backend_->start_chains(start);
  return detail::run_schedule(*backend_, *chains, {options.beta}, options, model.n_visible);
}

TemperingResult Engine::sample_tempered(const Model& model,
                                        const SampleOptions& options,
                                        const TemperingLadder& ladder) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  model.validate();
  detail::validate_sample_options(model, options);
  TemperingResult result;
  result.betas = tempering_betas(ladder);
  const int R = static_cast<int>(result.betas.size());
  RBM_EXPECTS(static_cast<long long>(options.n_chains) * R <= INT_MAX,
              "tempering: n_chains x replicas is too large");
  detail::ChainStart start =
      detail::chain_start({model}, ladder.base_visible_bias, options.n_chains * R, options.seed,
                          detail::RandomStream::temper);
  detail::set_start(start, options, R);
  start.clamped = detail::repeated_mask(options, model.n_visible, R);
  const auto chains = backend_->start_chains(start);
  const std::vector<float> levels(result.betas.begin(), result.betas.end());
  result.samples = detail::run_schedule(*backend_, *chains, levels, options, model.n_visible);
  const detail::ChainReadout readout = backend_->read_chains(*chains);
  for (int r = 0; r + 1 < R; ++r)
    result.swap_rates.push_back(readout.swaps_attempted[r] == 0
                                    ? 0.0
                                    : static_cast<double>(readout.swaps_accepted[r]) /
                                          static_cast<double>(readout.swaps_attempted[r]));
  return result;
}

}  // namespace rbm
