// host/trainer.cpp — the epoch loop, once for every backend (see host/trainer.hpp).
#include "host/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <tuple>

#include "host/check.hpp"
#include "host/common/philox.hpp"
#include "host/common/units.hpp"

namespace rbm::detail {
namespace {

using Clock = std::chrono::steady_clock;

int max_batch_size(const TrainConfig& c) {
  return static_cast<int>(std::lround(c.batch_size.max_over(std::max(c.epochs, 1))));
}
int max_cd_steps(const TrainConfig& c) {
  return static_cast<int>(std::lround(c.cd_steps.max_over(std::max(c.epochs, 1))));
}

/// Hidden chains: PCD whose chains carry H (tempering's carry visible states).
bool hidden_chains(const TrainConfig& config) {
  return config.pcd_chains == PcdChains::hidden && config.tempering_replicas == 0;
}

/// What must agree for models to train together (the fields of TrainSetup and the schedules
/// that shape the buffers: batch size and CD steps).
struct GroupKey {
  UnitType visible_type, hidden_type;
  bool persistent;
  PcdChains pcd_chains;
  int chains;
  int levels;
  float min_beta;
  Optimizer optimizer;
  bool centering, sparsity;
  GemmMath math;
  int epochs;
  std::string batch_size, cd_steps;

  auto tied() const {
    return std::tie(visible_type, hidden_type, persistent, pcd_chains, chains, levels, min_beta,
                    optimizer, centering, sparsity, math, epochs, batch_size, cd_steps);
  }
  bool operator<(const GroupKey& o) const { return tied() < o.tied(); }
};

GroupKey group_key(const Model& model, const TrainConfig& c) {
  return {model.visible_type,
          model.hidden_type,
          c.persistent,
          c.persistent && c.tempering_replicas == 0 ? c.pcd_chains : PcdChains::hidden,
          c.persistent ? chain_rows(c) : 0,
          c.tempering_replicas,
          c.tempering_replicas > 1 ? c.tempering_min_beta : 0.0f,
          c.optimizer,
          c.centering,
          c.sparsity_cost > 0,
          c.math,
          c.epochs,
          c.batch_size.to_string(),
          c.cd_steps.to_string()};
}

struct Group {
  std::vector<std::size_t> members;  ///< indices of the run's models
  TrainSetup setup;
  const TrainConfig* config = nullptr;  ///< the first member's (shapes and schedules agree)
  std::unique_ptr<TrainingState> state;
  EpochReport report;
  bool ran = false;  ///< ran in the current epoch
};

/// Runs a training from a checkpoint: owns the groups and their backend states.
class Run {
 public:
  Run(Backend& backend,
      const ResidentData& data,
      const TrainingCheckpoint& start,
      const TrainOptions& options)
      : backend_(backend), start_(start), options_(options), dropped_(start.models.size()) {
    std::map<GroupKey, std::vector<std::size_t>> by_key;
    for (std::size_t m = 0; m < start.models.size(); ++m)
      by_key[group_key(start.models[m], start.configs[m])].push_back(m);
    for (auto& [key, members] : by_key) groups_.push_back(make_group(members, data));
  }

  std::vector<Model> run() {
    int max_epochs = 0;
    for (const TrainConfig& c : start_.configs) max_epochs = std::max(max_epochs, c.epochs);
    for (int epoch = start_.epochs_done; epoch < max_epochs; ++epoch) {
      const auto begin = Clock::now();
      for (auto& g : groups_) {
        g->ran = epoch < g->config->epochs;
        if (g->ran) g->report = backend_.train_epoch(*g->state, plan(*g, epoch));
      }
      const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
      const std::vector<std::size_t> diverged = check_health(epoch);
      std::vector<EpochMetrics> epoch_metrics = metrics(epoch, seconds);
      for (EpochMetrics& m : epoch_metrics)
        m.diverged = std::count(diverged.begin(), diverged.end(), std::size_t(m.model)) > 0;
      bool go_on = !options_.on_epoch || options_.on_epoch(epoch_metrics);
      const bool last = epoch + 1 == max_epochs;
      if (options_.on_inspect && options_.inspect_every > 0 &&
          ((epoch + 1) % options_.inspect_every == 0 || last || !go_on))
        go_on = options_.on_inspect(epoch + 1, current_models()) && go_on;
      const bool stop = options_.stop_requested && options_.stop_requested->load();
      if (options_.on_checkpoint &&
          (stop || (options_.checkpoint_every > 0 && (epoch + 1) % options_.checkpoint_every == 0)))
        options_.on_checkpoint(checkpoint(epoch + 1));
      if (stop)
        throw Interrupted(
            concat("training interrupted after epoch ", epoch + 1, " of ", max_epochs), epoch + 1);
      if (!go_on) break;
    }
    return current_models();
  }

 private:
  std::unique_ptr<Group> make_group(const std::vector<std::size_t>& members,
                                    const ResidentData& data) {
    auto g = std::make_unique<Group>();
    g->members = members;
    const Model& first = start_.models[members.front()];
    const TrainConfig& c = start_.configs[members.front()];
    g->config = &c;
    TrainSetup& s = g->setup;
    s.n_models = static_cast<int>(members.size());
    s.n_visible = first.n_visible;
    s.n_hidden = first.n_hidden;
    s.visible_type = first.visible_type;
    s.hidden_type = first.hidden_type;
    s.persistent = c.persistent;
    s.pcd_chains = hidden_chains(c) ? PcdChains::hidden : PcdChains::visible;
    s.chain_rows = c.persistent ? chain_rows(c) : 0;
    if (c.tempering_replicas > 0) {
      const std::vector<double> betas =
          tempering_betas({c.tempering_replicas, c.tempering_min_beta, {}, {}});
      s.tempering_ladder.assign(betas.begin(), betas.end());
    }
    s.max_batch_size = max_batch_size(c);
    s.max_cd_steps = max_cd_steps(c);
    s.optimizer = c.optimizer;
    s.centering = c.centering;
    s.sparsity = c.sparsity_cost > 0;
    s.math = c.math;
    TrainingSnapshot initial;
    for (std::size_t m : members) {
      s.seeds.push_back(start_.configs[m].seed);
      initial.models.push_back(start_.models[m]);
      initial.states.push_back(start_.states[m]);
    }
    g->state = backend_.start_training(s, initial, data);
    return g;
  }

  EpochPlan plan(const Group& g, int epoch) const {
    const TrainConfig& c = *g.config;
    EpochPlan p;
    p.epoch = epoch;
    p.batch_size = c.batch_size.at_int(epoch, c.epochs);
    p.cd_steps = c.cd_steps.at_int(epoch, c.epochs);
    p.max_abs_parameter = c.max_abs_parameter;
    for (std::size_t m : g.members) p.hyper.push_back(hyper_at(start_.configs[m], epoch));
    return p;
  }

  std::vector<EpochMetrics> metrics(int epoch, double seconds) const {
    std::vector<EpochMetrics> out;
    for (const auto& g : groups_) {
      if (!g->ran) continue;
      const EpochPlan p = plan(*g, epoch);
      for (std::size_t i = 0; i < g->members.size(); ++i) {
        if (dropped_[g->members[i]] && !dropped_now_[g->members[i]]) continue;
        EpochMetrics metric;
        metric.model = static_cast<int>(g->members[i]);
        metric.epoch = epoch + 1;
        metric.reconstruction_error = g->report.reconstruction_error[i];
        metric.seconds = seconds;
        metric.batch_size = p.batch_size;
        metric.cd_steps = p.cd_steps;
        metric.learning_rate = p.hyper[i].learning_rate;
        metric.momentum = p.hyper[i].momentum;
        metric.graphs = g->report.graphs;
        out.push_back(metric);
      }
    }
    std::sort(out.begin(), out.end(),
              [](const EpochMetrics& a, const EpochMetrics& b) { return a.model < b.model; });
    return out;
  }

  /// Throws Diverged, carrying every model as it was before this epoch, if any model blew up;
  /// with drop_diverged, keeps those models as they were and returns them instead.
  std::vector<std::size_t> check_health(int epoch) {
    std::vector<std::size_t> diverged;
    dropped_now_.assign(start_.models.size(), false);
    for (const auto& g : groups_) {
      if (!g->ran) continue;
      for (std::size_t i = 0; i < g->members.size(); ++i) {
        const std::uint64_t bad = g->report.unhealthy[i];
        const double error = g->report.reconstruction_error[i];
        const std::size_t m = g->members[i];
        if (dropped_[m] || (bad == 0 && std::isfinite(error))) continue;
        if (options_.drop_diverged) {
          dropped_[m] = dropped_now_[m] = true;
          last_good_[m] = backend_.snapshot(*g->state, /*epoch_start=*/true).models[i];
          diverged.push_back(m);
          continue;
        }
        const TrainConfig& c = start_.configs[m];
        std::vector<Model> last_good(start_.models.size());
        for (const auto& h : groups_) {
          const TrainingSnapshot s = backend_.snapshot(*h->state, /*epoch_start=*/h->ran);
          for (std::size_t k = 0; k < h->members.size(); ++k)
            last_good[h->members[k]] = s.models[k];
        }
        throw Diverged(
            concat("training diverged: model ", m, " has ", bad,
                   " parameters that are non-finite or beyond ±", c.max_abs_parameter,
                   " after epoch ", epoch + 1, " (reconstruction error ", error, ", ",
                   to_string(c.optimizer), ", learning rate ", c.learning_rate.to_string(),
                   c.persistent ? concat(", PCD with ", chain_rows(c), " chains",
                                         tempering_levels(c) > 1
                                             ? concat(" of ", tempering_levels(c), " levels")
                                             : "")
                                : "",
                   "); lower the learning rate or use a decaying schedule",
                   c.persistent ? ", or more chains" : ""),
            static_cast<int>(m), epoch + 1, std::move(last_good));
      }
    }
    return diverged;
  }

  std::vector<Model> current_models() {
    std::vector<Model> models(start_.models.size());
    for (const auto& g : groups_) {
      TrainingSnapshot s = backend_.snapshot(*g->state, false);
      for (std::size_t k = 0; k < g->members.size(); ++k)
        models[g->members[k]] = std::move(s.models[k]);
    }
    for (const auto& [m, model] : last_good_) models[m] = model;
    return models;
  }

  TrainingCheckpoint checkpoint(int epochs_done) {
    TrainingCheckpoint out = start_;
    out.epochs_done = epochs_done;
    for (const auto& g : groups_) {
      TrainingSnapshot s = backend_.snapshot(*g->state, false);
      for (std::size_t k = 0; k < g->members.size(); ++k) {
        out.models[g->members[k]] = std::move(s.models[k]);
        out.states[g->members[k]] = std::move(s.states[k]);
      }
    }
    return out;
  }

  Backend& backend_;
  const TrainingCheckpoint& start_;
  const TrainOptions& options_;
  std::vector<std::unique_ptr<Group>> groups_;
  std::vector<bool> dropped_, dropped_now_;  ///< diverged models (drop_diverged)
  std::map<std::size_t, Model> last_good_;   ///< what a dropped model is returned as
};

/// The hidden offset λ's start: the mean of a hidden unit with zero field.
float hidden_offset_start(UnitType type, int n_hidden) {
  switch (type) {
    case UnitType::spin:
      return 0.0f;
    case UnitType::potts:
      return 1.0f / static_cast<float>(n_hidden);
    case UnitType::potts_off:
      return 1.0f / static_cast<float>(n_hidden + 1);
    case UnitType::bernoulli:
      break;
  }
  return 0.5f;
}

}  // namespace

StepHyper hyper_at(const TrainConfig& c, int epoch) {
  StepHyper h;
  h.learning_rate = static_cast<float>(c.learning_rate.at(epoch, c.epochs));
  h.momentum = static_cast<float>(c.momentum.at(epoch, c.epochs));
  h.weight_decay = c.weight_decay;
  h.l1_weight_decay = c.l1_weight_decay;
  h.sparsity_target = c.sparsity_target;
  h.sparsity_cost = c.sparsity_cost;
  h.sparsity_decay = c.sparsity_decay;
  h.centering_rate = c.centering_rate;
  h.rmsprop_alpha = c.rmsprop_alpha;
  h.adam_beta1 = c.adam_beta1;
  h.adam_beta2 = c.adam_beta2;
  h.epsilon = c.epsilon;
  return h;
}

int tempering_levels(const TrainConfig& config) {
  return std::max(1, config.tempering_replicas);
}

int chain_rows(const TrainConfig& config) {
  return config.n_chains > 0 ? config.n_chains : max_batch_size(config);
}

std::size_t chain_width(const Model& model, const TrainConfig& config) {
  return hidden_chains(config) ? model.n_hidden : model.n_visible;
}

std::vector<float> initial_chains(const Model& model, const TrainConfig& config) {
  // Visible chains: sample_v(b); hidden chains: sample_h(c); uniform e = r·width + unit of the
  // init stream's substream 1.
  const bool hidden = hidden_chains(config);
  const UnitType type = hidden ? model.hidden_type : model.visible_type;
  const std::vector<float>& bias = hidden ? model.hidden_bias : model.visible_bias;
  const std::size_t width = chain_width(model, config);
  std::vector<float> chains(static_cast<std::size_t>(chain_rows(config)) *
                            tempering_levels(config) * width);
  auto uniform = [&](std::size_t e) {
    return random_uniform(config.seed, RandomStream::init, 1, e);
  };
  if (units::is_one_hot(type)) {  // a one-hot row draws with the first uniform of its slot
    for (std::size_t at = 0; at < chains.size(); at += width) {
      std::vector<float> fields(width, 0.0f);
      units::one_hot_row(fields.data(), bias.data(), static_cast<int>(width),
                         type == UnitType::potts_off, uniform(at), chains.data() + at);
    }
    return chains;
  }
  for (std::size_t e = 0; e < chains.size(); ++e)
    chains[e] = units::sample(type, units::on_probability(type, bias[e % width]), uniform(e));
  return chains;
}

TrainingCheckpoint initial_checkpoint(const std::vector<Model>& models,
                                      const std::vector<TrainConfig>& configs,
                                      const ResidentData& data) {
  TrainingCheckpoint start;
  start.configs = configs;
  start.models = models;
  for (std::size_t m = 0; m < models.size(); ++m) {
    const Model& model = models[m];
    const TrainConfig& c = configs[m];
    const std::size_t D = model.n_visible, L = model.n_hidden;
    TrainingCheckpoint::ModelState s;
    s.optimizer.assign(optimizer_slots(c.optimizer) * (D * L + D + L), 0.0f);
    if (c.persistent) s.chains = initial_chains(model, c);
    if (c.sparsity_cost > 0) s.sparsity.assign(L, 0.0f);
    if (c.centering) {
      s.visible_offsets.resize(D);
      for (std::size_t i = 0; i < D; ++i) {
        const double p = data.bit_means[i];
        s.visible_offsets[i] =
            static_cast<float>(model.visible_type == UnitType::spin ? 2 * p - 1 : p);
      }
      s.hidden_offsets.assign(L, hidden_offset_start(model.hidden_type, model.n_hidden));
    }
    start.states.push_back(std::move(s));
  }
  return start;
}

void validate(const TrainingCheckpoint& c) {
  RBM_EXPECTS(!c.models.empty(), "checkpoint holds no models");
  RBM_EXPECTS(c.configs.size() == c.models.size() && c.states.size() == c.models.size(),
              "checkpoint holds ", c.models.size(), " models, ", c.configs.size(), " configs and ",
              c.states.size(), " training states");
  RBM_EXPECTS(c.epochs_done >= 0, "checkpoint: epochs_done is ", c.epochs_done);
  for (std::size_t m = 0; m < c.models.size(); ++m) {
    const Model& model = c.models[m];
    const TrainConfig& config = c.configs[m];
    const TrainingCheckpoint::ModelState& s = c.states[m];
    const std::size_t D = model.n_visible, L = model.n_hidden;
    auto expect_size = [&](const std::vector<float>& v, std::size_t n, const char* what) {
      RBM_EXPECTS(v.size() == n, "checkpoint model ", m, ": ", what, " has ", v.size(),
                  " values, expected ", n);
    };
    expect_size(s.optimizer, optimizer_slots(config.optimizer) * (D * L + D + L),
                "optimizer state");
    expect_size(s.chains,
                config.persistent
                    ? std::size_t(chain_rows(config)) * tempering_levels(config) *
                          chain_width(model, config)
                    : 0,
                "PCD chains");
    expect_size(s.sparsity, config.sparsity_cost > 0 ? L : 0, "sparsity estimate");
    expect_size(s.visible_offsets, config.centering ? D : 0, "visible offsets");
    expect_size(s.hidden_offsets, config.centering ? L : 0, "hidden offsets");
  }
}

std::vector<Model> run_training(Backend& backend,
                                const ResidentData& data,
                                const TrainingCheckpoint& start,
                                const TrainOptions& options) {
  return Run(backend, data, start, options).run();
}

/// The epoch's row order: n sorted by (Philox key, n) — identical on every backend.
std::vector<std::uint32_t> epoch_permutation(std::uint64_t seed, int epoch, std::size_t n) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> keyed(n);
  for (std::size_t i = 0; i < n; ++i)
    keyed[i] = {
        random_block(seed, RandomStream::shuffle, static_cast<std::uint32_t>(epoch), i).v[0],
        static_cast<std::uint32_t>(i)};
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::uint32_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = keyed[i].second;
  return order;
}

}  // namespace rbm::detail
