// host/estimators/ais.cpp — annealed importance sampling of log Z, its reverse from data rows,
// and the log-likelihood that picks exact enumeration or AIS: host code over the backends'
// chain sets (host/backend.hpp), one annealing run for M models of one shape.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <numeric>

#include "host/check.hpp"
#include "host/common/numeric.hpp"
#include "host/common/units.hpp"
#include "host/sampler.hpp"
#include "rbm/engine.hpp"

namespace rbm {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The ladder of `options` as floats, checked.
std::vector<float> ladder_of(const AisOptions& options) {
  const std::vector<double> betas =
      options.betas.empty() ? ais_schedule(options.n_betas) : options.betas;
  RBM_EXPECTS(betas.size() >= 2, "AIS needs at least two inverse temperatures (0 and 1), got ",
              betas.size());
  RBM_EXPECTS(betas.front() == 0.0 && betas.back() == 1.0, "AIS betas must run from 0 to 1; got ",
              betas.front(), " to ", betas.back());
  for (std::size_t k = 1; k < betas.size(); ++k)
    RBM_EXPECTS(std::isfinite(betas[k]) && betas[k] >= betas[k - 1],
                "AIS betas must not decrease; beta[", k, "] = ", betas[k], " after ", betas[k - 1]);
  return std::vector<float>(betas.begin(), betas.end());
}

void check_options(const AisOptions& options) {
  RBM_EXPECTS(options.n_chains >= 2, "AIS needs at least 2 chains for a standard error, got ",
              options.n_chains);
}

/// Runs `ladder` on `chains` in pieces, reporting progress between them.
void run_ladder(detail::Backend& backend,
                detail::ChainState& chains,
                const std::vector<float>& ladder,
                const std::function<bool(double)>& progress) {
  const std::size_t steps = ladder.size() - 1;
  const std::size_t piece = std::max<std::size_t>(1, steps / 100);
  for (std::size_t first = 0; first < steps; first += piece) {
    const std::size_t last = std::min(steps, first + piece);
    backend.anneal(chains, std::vector<float>(ladder.begin() + first, ladder.begin() + last + 1),
                   last < steps);
    if (progress && !progress(static_cast<double>(last) / steps))
      throw Cancelled("annealed importance sampling cancelled");
  }
}

/// The AIS result of one model from its chains' log-weights.
AisResult summarise(const double* log_w, int n_chains, double log_z_base) {
  AisResult r;
  r.n_chains = n_chains;
  r.log_z_base = log_z_base;
  r.log_weights.assign(log_w, log_w + n_chains);
  const double top = *std::max_element(log_w, log_w + n_chains);
  double sum = 0, sum_sq = 0;
  for (int c = 0; c < n_chains; ++c) {
    const double w = std::exp(log_w[c] - top);
    sum += w;
    sum_sq += w * w;
  }
  const double mean = sum / n_chains;
  const double variance = std::max(0.0, (sum_sq - n_chains * mean * mean) / (n_chains - 1));
  r.log_z = log_z_base + top + std::log(mean);
  r.standard_error = std::sqrt(variance / n_chains) / mean;  // delta method: sd(w̄) / w̄
  r.effective_sample_size = sum * sum / sum_sq;
  return r;
}

void expect_one_shape(const std::vector<Model>& models, const char* who) {
  RBM_EXPECTS(!models.empty(), who, ": no models given");
  const Model& first = models.front();
  for (const Model& model : models) {
    model.validate();
    RBM_EXPECTS(model.n_visible == first.n_visible && model.n_hidden == first.n_hidden &&
                    model.visible_type == first.visible_type &&
                    model.hidden_type == first.hidden_type,
                who, ": models of one call share one shape and unit types; got ", model.n_visible,
                "x", model.n_hidden, " and ", first.n_visible, "x", first.n_hidden);
  }
}

}  // namespace

std::vector<double> ais_schedule(int n_betas) {
  RBM_EXPECTS(n_betas >= 1, "ais_schedule: n_betas must be >= 1, got ", n_betas);
  // Knots (share of the steps, β) of Salakhutdinov & Murray's 500 + 4000 + 10000 steps.
  const double share[] = {0.0, 500.0 / 14500, 4500.0 / 14500, 1.0};
  const double beta[] = {0.0, 0.5, 0.9, 1.0};
  std::vector<double> betas(n_betas + 1);
  for (int k = 0; k <= n_betas; ++k) {
    const double s = static_cast<double>(k) / n_betas;
    int piece = 0;
    while (piece < 2 && s > share[piece + 1]) ++piece;
    betas[k] = beta[piece] + (beta[piece + 1] - beta[piece]) * (s - share[piece]) /
                                 (share[piece + 1] - share[piece]);
  }
  betas.front() = 0.0;
  betas.back() = 1.0;
  return betas;
}

const char* to_string(LikelihoodMethod method) {
  switch (method) {
    case LikelihoodMethod::exact:
      return "exact";
    case LikelihoodMethod::ais:
      return "ais";
    case LikelihoodMethod::auto_:
      return "auto";
  }
  return "unknown";
}

LikelihoodMethod parse_likelihood_method(const std::string& text) {
  if (text == "exact") return LikelihoodMethod::exact;
  if (text == "ais") return LikelihoodMethod::ais;
  if (text == "auto") return LikelihoodMethod::auto_;
  RBM_THROW(InvalidArgument, "unknown likelihood method '", text,
            "' (expected exact, ais or auto)");
}

std::vector<AisResult> Engine::ais_log_z(const std::vector<Model>& models,
                                         const AisOptions& options) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  const auto start_time = Clock::now();
  expect_one_shape(models, "ais_log_z");
  check_options(options);
  const std::vector<float> ladder = ladder_of(options);
  detail::ChainStart start =
      detail::chain_start(models, options.base_visible_bias, options.n_chains, options.seed,
                          detail::RandomStream::anneal);
  detail::start_at_base_samples(start);
  const auto chains = backend_->start_chains(start);
  run_ladder(*backend_, *chains, ladder, options.progress);
  const std::vector<double> log_w = backend_->read_chains(*chains).log_weights;
  std::vector<AisResult> results;
  for (std::size_t m = 0; m < models.size(); ++m) {
    const float* base = start.base_visible_bias.data() + m * models[m].n_visible;
    results.push_back(summarise(log_w.data() + m * options.n_chains, options.n_chains,
                                detail::base_rate_log_z(models[m], base)));
    results.back().n_betas = static_cast<int>(ladder.size()) - 1;
    results.back().seconds = seconds_since(start_time);
  }
  return results;
}

AisResult Engine::ais_log_z(const Model& model, const AisOptions& options) {
  return ais_log_z(std::vector<Model>{model}, options).front();
}

ReverseAisResult Engine::reverse_ais(const Model& model,
                                     const DataHandle& data,
                                     const std::vector<std::size_t>& rows,
                                     const AisOptions& options) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  const auto start_time = Clock::now();
  model.validate();
  check_options(options);
  RBM_EXPECTS(data.n_visible() == model.n_visible, "reverse AIS: model has D=", model.n_visible,
              " visible units but the dataset has ", data.n_visible(), " columns");
  RBM_EXPECTS(!rows.empty(), "reverse AIS: no data rows given");
  for (std::size_t row : rows)
    RBM_EXPECTS(row < data.n_samples(), "reverse AIS: row ", row, " is past the dataset's ",
                data.n_samples(), " rows");
  const std::vector<float> forward = ladder_of(options);
  const int per_row = options.n_chains;
  const std::size_t n_chains = rows.size() * per_row;
  detail::ChainStart start = detail::chain_start(
      {model}, options.base_visible_bias,
      detail::checked_int(n_chains, "reverse AIS chains (rows x chains per row)"), options.seed,
      detail::RandomStream::anneal_reverse);
  start.data = &data.resident();
  for (std::size_t row : rows) start.rows.insert(start.rows.end(), per_row, row);
  const auto chains = backend_->start_chains(start);
  const std::vector<double> free_energy = backend_->chain_free_energies(*chains, 1.0f);
  // The reverse chain anneals from the model down to the base-rate model. Its state x_k at level
  // k adds F_{β_k}(x_k) − F_{β_{k−1}}(x_k), the negated forward increment, so that the
  // log-weight log f_K(v) − Σ_k log(f_k(x_k) / f_{k−1}(x_k)) − log Z_A is −F(v) − log Z_A plus
  // what the chain collected (Burda, Grosse & Salakhutdinov 2015, section 3).
  run_ladder(*backend_, *chains, std::vector<float>(forward.rbegin(), forward.rend()),
             options.progress);
  const std::vector<double> collected = backend_->read_chains(*chains).log_weights;
  const double log_z_base = detail::base_rate_log_z(model, start.base_visible_bias.data());
  ReverseAisResult result;
  result.n_betas = static_cast<int>(forward.size()) - 1;
  result.chains_per_row = per_row;
  std::vector<double> log_w(per_row);
  double variance = 0;  // of the mean over rows, from each row's chains
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const double f = free_energy[r * per_row];
    for (int c = 0; c < per_row; ++c) log_w[c] = -f - log_z_base + collected[r * per_row + c];
    result.log_weights.insert(result.log_weights.end(), log_w.begin(), log_w.end());
    result.row_free_energy.push_back(f);
    const AisResult row = summarise(log_w.data(), per_row, 0.0);
    result.row_log_likelihood.push_back(row.log_z);
    variance += row.standard_error * row.standard_error;
  }
  const std::vector<double>& ll = result.row_log_likelihood;
  const double n = static_cast<double>(ll.size());
  result.mean_log_likelihood = std::accumulate(ll.begin(), ll.end(), 0.0) / n;
  result.standard_error = std::sqrt(variance) / n;
  result.seconds = seconds_since(start_time);
  return result;
}

std::vector<LikelihoodEstimate> Engine::log_likelihood(const std::vector<Model>& models,
                                                       const DataHandle& data,
                                                       const LikelihoodOptions& options) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  const auto start_time = Clock::now();
  expect_one_shape(models, "log_likelihood");
  const Model& first = models.front();
  // auto_: exact when exact log Z of all the models is within its limits (by default its time
  // budget).
  const bool exact = options.method == LikelihoodMethod::exact ||
                     (options.method == LikelihoodMethod::auto_ &&
                      log_z_estimate(first, options.exact, models.size()).allowed);
  std::vector<LikelihoodEstimate> estimates(models.size());
  if (exact) {
    const std::vector<LogZResult> log_zs = log_z(models, options.exact);
    for (std::size_t m = 0; m < models.size(); ++m) {
      estimates[m].log_z = log_zs[m].log_z;
      estimates[m].exact = log_zs[m];
      estimates[m].mean_log_likelihood = mean_log_likelihood(models[m], data, log_zs[m].log_z);
      estimates[m].seconds = seconds_since(start_time);
    }
    return estimates;
  }
  AisOptions ais = options.ais;
  const detail::ResidentData& resident = data.resident();
  RBM_EXPECTS(resident.n_visible == first.n_visible,
              "log_likelihood: model has D=", first.n_visible,
              " visible units but the dataset has ", resident.n_visible, " columns");
  if (ais.base_visible_bias.empty())
    ais.base_visible_bias =
        base_rate_bias(resident.bit_means, resident.n_samples, first.visible_type);
  const std::vector<AisResult> log_zs = ais_log_z(models, ais);
  std::vector<std::size_t> rows;
  const std::size_t n_rows = std::min<std::size_t>(options.bracket_rows, resident.n_samples);
  for (std::size_t r = 0; r < n_rows; ++r) rows.push_back(r * resident.n_samples / n_rows);
  for (std::size_t m = 0; m < models.size(); ++m) {
    LikelihoodEstimate& e = estimates[m];
    e.method = LikelihoodMethod::ais;
    e.log_z = log_zs[m].log_z;
    e.log_z_error = log_zs[m].standard_error;
    e.mean_log_likelihood = mean_log_likelihood(models[m], data, e.log_z);
    if (!rows.empty()) {
      const ReverseAisResult reverse = reverse_ais(models[m], data, rows, ais);
      const std::vector<double>& f = reverse.row_free_energy;
      e.has_bracket = true;
      e.bracket_lower = reverse.mean_log_likelihood;
      e.bracket_lower_error = reverse.standard_error;
      e.bracket_upper = -std::accumulate(f.begin(), f.end(), 0.0) / f.size() - e.log_z;
    }
    e.seconds = seconds_since(start_time);
  }
  return estimates;
}

LikelihoodEstimate Engine::log_likelihood(const Model& model,
                                          const DataHandle& data,
                                          const LikelihoodOptions& options) {
  return log_likelihood(std::vector<Model>{model}, data, options).front();
}

}  // namespace rbm
