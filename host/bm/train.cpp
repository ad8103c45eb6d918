// host/bm/train.cpp — Boltzmann machine learning (Ackley, Hinton & Sejnowski 1985):
// Δw_ij = ε(⟨s_i s_j⟩_clamped − ⟨s_i s_j⟩_free), with the clamped phase sampled because
// p(h | v) does not factorise, persistent free chains (or CD-k from the clamped states), and the
// optimizers, schedules and decays of rbm::TrainConfig through the shared optimizer_step.
//
// Uniforms, for the config's seed s (every stream advances by what a step consumed, so runs
// repeat exactly whatever the thread count):
//   rows of epoch e     epoch_permutation(s, e, N), as RBM training shuffles
//   clamped sweeps      random_uniform(s, gibbs, 1, offset + (t·B + r)·N + k), batch row r
//   free sweeps         random_uniform(s, gibbs, 0, offset + (t·R + c)·N + k), chain c of R
//   fresh clamped start random_uniform(s, gibbs, 2, offset + r·N + k) < 1/2
//   persistent starts   chains (s, init, 1, c·N + k), per-row hidden states (s, init, 2, n·N + k)
//   within-layer init   N(0, std²): random_normal(s, init, 3, i·N + j)
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "host/bm/bm_math.hpp"
#include "host/check.hpp"
#include "host/common/optimizer.hpp"
#include "host/json_fields.hpp"
#include "host/trainer.hpp"

namespace rbm {
namespace {

using detail::RandomStream;
using detail::bm::Params;
using Clock = std::chrono::steady_clock;

/// Substreams of RandomStream::gibbs and RandomStream::init (file comment).
constexpr std::uint32_t kFreeSweeps = 0, kClampedSweeps = 1, kFreshStarts = 2;
constexpr std::uint32_t kChainStarts = 1, kHiddenStarts = 2, kWithinLayerInit = 3;

class Trainer {
 public:
  Trainer(const BoltzmannMachine& machine,
          const BmTrainConfig& config,
          const Dataset& data,
          int threads)
      : machine_(machine),
        config_(config),
        data_(data),
        n_(machine.n_units),
        full_order_(detail::bm::sweep_order(machine)),
        hidden_order_(detail::bm::sweep_order(machine, machine.n_visible)),
        pool_(threads) {
    const std::size_t parameters = n_ * n_ + n_;
    slot0_.assign(parameters, 0.0f);
    slot1_.assign(parameters, 0.0f);
    if (config.train.persistent) {
      chains_.resize(detail::chain_rows(config.train) * n_);
      detail::bm::uniform_start(chains_.data(), chains_.size() / n_, machine.n_units, 0,
                                config.train.seed, kChainStarts);
    }
    if (config.persistent_clamped) {
      hidden_.resize(data.n_samples * n_);  // whole states; the visible part is overwritten
      detail::bm::uniform_start(hidden_.data(), data.n_samples, machine.n_units, machine.n_visible,
                                config.train.seed, kHiddenStarts);
    }
  }

  BoltzmannMachine run(const BmTrainOptions& options) {
    const TrainConfig& c = config_.train;
    for (int epoch = 0; epoch < c.epochs; ++epoch) {
      const auto start = Clock::now();
      const int batch = c.batch_size.at_int(epoch, c.epochs);
      const int sweeps = c.cd_steps.at_int(epoch, c.epochs);
      const detail::StepHyper hyper = detail::hyper_at(c, epoch);
      const auto order = detail::epoch_permutation(c.seed, epoch, data_.n_samples);
      for (std::size_t first = 0; first + batch <= data_.n_samples; first += batch)
        step(&order[first], batch, sweeps, hyper);
      check_health(epoch + 1);
      BmEpochMetrics metrics;
      metrics.epoch = epoch + 1;
      metrics.seconds = std::chrono::duration<double>(Clock::now() - start).count();
      metrics.batch_size = batch;
      metrics.free_sweeps = sweeps;
      metrics.learning_rate = hyper.learning_rate;
      metrics.momentum = hyper.momentum;
      if (options.on_epoch && !options.on_epoch(metrics, machine_)) break;
    }
    return machine_;
  }

 private:
  /// One mini-batch: the two phases' statistics and the update.
  void step(const std::uint32_t* rows, int batch, int sweeps, const detail::StepHyper& hyper) {
    const Params params(machine_);
    const std::size_t B = batch;
    std::vector<std::uint8_t> clamped(B * n_);
    clamped_phase(params, rows, B, clamped);
    std::vector<std::uint8_t> fresh_chains;
    std::uint8_t* chains = chains_.data();
    std::size_t R = chains_.size() / n_;
    if (!config_.train.persistent) {  // CD-k: the free chains start at the clamped states
      fresh_chains = clamped;
      chains = fresh_chains.data();
      R = B;
    }
    detail::bm::run_chains(params, full_order_, chains, R, sweeps,
                           {config_.train.seed, RandomStream::gibbs, kFreeSweeps, free_offset_},
                           pool_);
    free_offset_ += static_cast<std::uint64_t>(sweeps) * R * n_;
    std::vector<double> positive(n_ * n_, 0.0), negative(n_ * n_, 0.0);
    for (std::size_t r = 0; r < B; ++r)
      detail::bm::add_products(&clamped[r * n_], n_, positive.data());
    for (std::size_t c = 0; c < R; ++c)
      detail::bm::add_products(&chains[c * n_], n_, negative.data());
    update(detail::bm::gradient_from_moments(
               machine_, detail::bm::mean_products(positive, n_, static_cast<double>(B)),
               detail::bm::mean_products(negative, n_, static_cast<double>(R))),
           hyper);
  }

  /// The batch rows' states after clamped_sweeps sweeps of their hidden units with v fixed.
  void clamped_phase(const Params& params,
                     const std::uint32_t* rows,
                     std::size_t B,
                     std::vector<std::uint8_t>& states) {
    const int D = machine_.n_visible;
    for (std::size_t r = 0; r < B; ++r) {
      std::uint8_t* s = &states[r * n_];
      if (config_.persistent_clamped) {
        std::copy_n(&hidden_[rows[r] * n_], n_, s);
      } else {
        for (std::size_t k = D; k < n_; ++k)
          s[k] = random_uniform(config_.train.seed, RandomStream::gibbs, kFreshStarts,
                                fresh_offset_ + r * n_ + k) < 0.5f;
      }
      std::copy_n(&data_.values[rows[r] * D], D, s);
    }
    if (!config_.persistent_clamped) fresh_offset_ += B * n_;
    detail::bm::run_chains(
        params, hidden_order_, states.data(), B, config_.clamped_sweeps,
        {config_.train.seed, RandomStream::gibbs, kClampedSweeps, clamped_offset_}, pool_);
    clamped_offset_ += static_cast<std::uint64_t>(config_.clamped_sweeps) * B * n_;
    if (config_.persistent_clamped)
      for (std::size_t r = 0; r < B; ++r) std::copy_n(&states[r * n_], n_, &hidden_[rows[r] * n_]);
  }

  /// optimizer_step on every coupling of the mask (kept symmetric) and every bias.
  void update(const BmGradient& g, const detail::StepHyper& hyper) {
    const Optimizer optimizer = config_.train.optimizer;
    const detail::StepScalars scalars = detail::step_scalars(optimizer, hyper, ++steps_);
    for (std::size_t i = 0; i < n_; ++i)
      for (std::size_t j = i + 1; j < n_; ++j) {
        const std::size_t ij = i * n_ + j;
        if (!machine_.mask[ij]) continue;
        float& w = machine_.couplings[ij];
        const float direction =
            detail::weight_gradient(hyper, static_cast<float>(g.couplings[ij]), w, 0.0f);
        detail::optimizer_step(optimizer, hyper, scalars, direction, w, slot0_[ij], slot1_[ij]);
        machine_.couplings[j * n_ + i] = w;
      }
    for (std::size_t i = 0; i < n_; ++i)
      detail::optimizer_step(optimizer, hyper, scalars, static_cast<float>(g.bias[i]),
                             machine_.bias[i], slot0_[n_ * n_ + i], slot1_[n_ * n_ + i]);
  }

  void check_health(int epoch) const {
    const float bound = config_.train.max_abs_parameter;
    std::size_t bad = 0;
    for (const auto* values : {&machine_.couplings, &machine_.bias})
      for (float x : *values) bad += !(std::fabs(x) <= bound);  // NaN compares false
    if (bad == 0) return;
    throw Diverged(detail::concat("Boltzmann machine training diverged in epoch ", epoch, ": ", bad,
                                  " parameter(s) non-finite or beyond |", bound,
                                  "| (learning rate ", config_.train.learning_rate.to_string(),
                                  " too large, or too few free chains?)"),
                   0, epoch, {});
  }

  BoltzmannMachine machine_;
  const BmTrainConfig& config_;
  const Dataset& data_;
  const std::size_t n_;
  const std::vector<int> full_order_, hidden_order_;
  detail::ThreadPool pool_;
  std::vector<float> slot0_, slot1_;  ///< optimizer state: couplings [N][N], then bias [N]
  std::vector<std::uint8_t> chains_;  ///< persistent free chains [R][N]
  std::vector<std::uint8_t> hidden_;  ///< persistent clamped states per data row [N_data][N]
  std::uint64_t free_offset_ = 0, clamped_offset_ = 0, fresh_offset_ = 0, steps_ = 0;
};

}  // namespace

void validate(const BmTrainConfig& config) {
  const TrainConfig& c = config.train;
  validate(c);
  RBM_EXPECTS(config.clamped_sweeps >= 1,
              "Boltzmann machine training: clamped_sweeps must be >= 1, got ",
              config.clamped_sweeps);
  RBM_EXPECTS(c.sparsity_cost == 0.0f,
              "Boltzmann machine training has no sparsity penalty (sparsity_cost is ",
              c.sparsity_cost, ")");
  RBM_EXPECTS(!c.centering, "Boltzmann machine training has no centering");
  RBM_EXPECTS(c.visible_type == UnitType::bernoulli && c.hidden_type == UnitType::bernoulli,
              "a Boltzmann machine has {0,1} units; got unit types ", to_string(c.visible_type),
              "/", to_string(c.hidden_type));
  RBM_EXPECTS(c.math == GemmMath::fp32, "Boltzmann machines train on the CPU in float32: math ",
              to_string(c.math), " does not apply");
  RBM_EXPECTS(c.tempering_replicas == 0,
              "Boltzmann machine training has no parallel tempering (tempering_replicas is ",
              c.tempering_replicas, ")");
}

std::string to_json(const BmTrainConfig& config) {
  nlohmann::json j = nlohmann::json::parse(to_json(config.train));
  j["clamped_sweeps"] = config.clamped_sweeps;
  j["persistent_clamped"] = config.persistent_clamped;
  return j.dump();
}

BmTrainConfig bm_train_config_from_json(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    RBM_THROW(InvalidArgument, "Boltzmann machine train config is not JSON: ", e.what());
  }
  RBM_EXPECTS(j.is_object(), "Boltzmann machine train config must be a JSON object");
  BmTrainConfig config;
  if (j.contains("clamped_sweeps"))
    config.clamped_sweeps = detail::json_integer<int>(j.at("clamped_sweeps"),
                                                      "Boltzmann machine config", "clamped_sweeps");
  if (j.contains("persistent_clamped")) {
    RBM_EXPECTS(j.at("persistent_clamped").is_boolean(),
                "Boltzmann machine config: 'persistent_clamped' must be true or false");
    config.persistent_clamped = j.at("persistent_clamped").get<bool>();
  }
  j.erase("clamped_sweeps");
  j.erase("persistent_clamped");
  config.train = train_config_from_json(j.dump());
  return config;
}

BoltzmannMachine init_boltzmann(const Dataset& data,
                                int n_hidden,
                                const std::vector<std::uint8_t>& mask,
                                const TrainConfig& config) {
  RBM_EXPECTS(n_hidden >= 0, "init_boltzmann: n_hidden must be >= 0, got ", n_hidden);
  const int D = data.n_visible, n = D + n_hidden;
  RBM_EXPECTS(mask.size() == static_cast<std::size_t>(n) * n, "init_boltzmann: the mask has ",
              mask.size(), " entries, not N x N = ", n, " x ", n);
  // The visible-hidden couplings and visible biases exactly as the RBM's initialisation.
  const Model rbm = init_model(data, std::max(n_hidden, 1), config);
  BoltzmannMachine m;
  m.n_visible = D;
  m.n_units = n;
  m.mask = mask;
  m.couplings.assign(mask.size(), 0.0f);
  m.bias.assign(n, 0.0f);
  std::copy(rbm.visible_bias.begin(), rbm.visible_bias.end(), m.bias.begin());
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      const std::size_t ij = static_cast<std::size_t>(i) * n + j;
      if (!mask[ij]) continue;
      const bool between = i < D && j >= D;
      const float w =
          between ? rbm.weight(i, j - D)
                  : static_cast<float>(config.init_weight_std *
                                       detail::random_normal(config.seed, RandomStream::init,
                                                             kWithinLayerInit, ij));
      m.couplings[ij] = m.couplings[static_cast<std::size_t>(j) * n + i] = w;
    }
  m.validate();
  return m;
}

BoltzmannMachine train_boltzmann(const BoltzmannMachine& machine,
                                 const BmTrainConfig& config,
                                 const Dataset& data,
                                 const BmTrainOptions& options) {
  machine.validate();
  validate(config);
  data.validate();
  RBM_EXPECTS(data.n_visible == machine.n_visible,
              "train_boltzmann: the machine has D=", machine.n_visible,
              " visible units but the dataset has ", data.n_visible, " columns");
  RBM_EXPECTS(data.n_samples > 0, "train_boltzmann: the dataset is empty");
  const double largest_batch = config.train.batch_size.max_over(std::max(config.train.epochs, 1));
  RBM_EXPECTS(largest_batch <= static_cast<double>(data.n_samples), "batch_size ",
              config.train.batch_size.to_string(), " exceeds the dataset's ", data.n_samples,
              " samples");
  return Trainer(machine, config, data, options.threads).run(options);
}

}  // namespace rbm
