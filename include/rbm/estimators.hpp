// rbm/estimators.hpp — likelihood beyond enumeration and sampling beyond plain Gibbs chains:
// annealed importance sampling (AIS) of log Z, its reverse (a conservative bracket), parallel
// tempering, and the rule that picks exact or AIS. The Engine runs them (rbm/engine.hpp).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rbm/dataset.hpp"
#include "rbm/export.hpp"
#include "rbm/logz.hpp"

namespace rbm {

/// Annealed importance sampling (Neal 2001; for RBMs Salakhutdinov & Murray, ICML 2008): C
/// chains start from exact samples of a base-rate model A (zero weights, visible bias a) and
/// move through p_β ∝ exp(−(1 − β)E_A − βE) for β_0 = 0 < β_1 < ... < β_K = 1, each chain
/// collecting the log-weight Σ_k log p*_{β_k}(x_k) − log p*_{β_{k−1}}(x_k). Then
/// log Ẑ = log Z_A + log mean_c e^{w_c}; E[Ẑ] = Z, so log Ẑ tends to be low (Jensen) and the
/// log-likelihood built on it tends to be high.
struct AisOptions {
  int n_chains = 100;   ///< C: independent annealing runs per model
  int n_betas = 10000;  ///< K: intermediate distributions, when `betas` is empty
  /// β_0 = 0 < ... < β_K = 1, or empty for ais_schedule(n_betas).
  std::vector<double> betas;
  /// The base-rate model's visible bias a: [D] (e.g. base_rate_bias of the training data,
  /// Salakhutdinov & Murray's choice), or empty for a = 0 (the uniform distribution).
  std::vector<float> base_visible_bias;
  std::uint64_t seed = 1;
  /// Called now and then with the fraction done; return false to cancel (throws Cancelled).
  std::function<bool(double fraction_done)> progress;
};

/// K + 1 inverse temperatures from 0 to 1 shaped like Salakhutdinov & Murray's 14 500: a
/// 500/14500 share of the steps evenly over [0, 0.5], 4000/14500 over [0.5, 0.9] and the rest
/// over [0.9, 1], where the distributions change fastest. K ≥ 1.
RBM_EXPORT std::vector<double> ais_schedule(int n_betas);

struct AisResult {
  double log_z = 0;                  ///< log Ẑ
  double standard_error = 0;         ///< of log Ẑ, from the spread of the weights (delta method)
  double effective_sample_size = 0;  ///< (Σ w)² / Σ w², between 1 and C
  double log_z_base = 0;             ///< log Z_A, exact
  std::vector<double> log_weights;   ///< [C] the chains' log-weights w_c
  int n_betas = 0, n_chains = 0;
  double seconds = 0;
};

/// Reverse annealing (RAISE; Burda, Grosse & Salakhutdinov, AISTATS 2015): chains start at data
/// rows and anneal from the model back to the base-rate model; the weights are unbiased for the
/// probability that the forward annealing process generates the row, so the mean of the
/// per-row log estimates is a stochastic lower bound on that log-likelihood, which approaches
/// the model's as K grows. Beside AIS (a stochastic upper bound) it brackets the log-likelihood.
struct ReverseAisResult {
  double mean_log_likelihood = 0;  ///< mean over the rows of log p̂(v): the lower side
  /// of that mean as an estimate for these rows: from each row's spread of chain weights (delta
  /// method), not from the rows' spread (the rows are given, not sampled)
  double standard_error = 0;
  std::vector<double> row_log_likelihood;  ///< [rows] log mean_c e^{w_rc}
  std::vector<double> row_free_energy;     ///< [rows] F(v)
  std::vector<double> log_weights;         ///< [rows][chains_per_row]: log of each chain's estimate
  int n_betas = 0, chains_per_row = 0;
  double seconds = 0;
};

/// Parallel tempering (Swendsen & Wang 1986; for RBMs Desjardins et al. 2010): replicas on a
/// ladder of inverse temperatures between a base-rate model (β = 0) and the model (β = 1),
/// Gibbs sweeps at each level and swaps of neighbouring levels' states (Metropolis rule).
struct TemperingLadder {
  int replicas = 10;                     ///< R, when `betas` is empty: geometric from min_beta to 1
  double min_beta = 0.1;                 ///< the hottest level's β
  std::vector<double> betas;             ///< β_0 < ... < β_{R−1} = 1, or empty
  std::vector<float> base_visible_bias;  ///< [D] or empty (a = 0: plain temperature)
};
/// The ladder's inverse temperatures, ascending to 1. Throws InvalidArgument when malformed.
RBM_EXPORT std::vector<double> tempering_betas(const TemperingLadder& ladder);

struct TemperingResult {
  Dataset samples;                 ///< the β = 1 level's samples, as Engine::sample returns them
  std::vector<double> swap_rates;  ///< [R − 1] accepted / attempted swaps between r and r + 1
  std::vector<double> betas;       ///< [R]
};

/// How Engine::log_likelihood obtains log Z.
enum class LikelihoodMethod : std::uint8_t { exact, ais, auto_ };
RBM_EXPORT const char* to_string(LikelihoodMethod method);
/// Parses "exact" | "ais" | "auto"; throws InvalidArgument otherwise.
RBM_EXPORT LikelihoodMethod parse_likelihood_method(const std::string& text);

struct LikelihoodOptions {
  /// auto_: exact when exact log Z is within exact's limits (by default its time budget, see
  /// LogZOptions), else AIS.
  LikelihoodMethod method = LikelihoodMethod::auto_;
  LogZOptions exact;
  AisOptions ais;  ///< an empty base_visible_bias means: the base rate of the data evaluated
  /// With AIS, also reverse AIS on this many rows (evenly spread over the data) for the lower
  /// side of the bracket; 0 = none. Reverse AIS uses ais's ladder and n_chains per row.
  int bracket_rows = 0;
};

struct LikelihoodEstimate {
  LikelihoodMethod method = LikelihoodMethod::exact;  ///< exact or ais, never auto_
  double log_z = 0;
  double log_z_error = 0;          ///< AIS standard error of log Z (0 when exact)
  LogZResult exact;                ///< exact: the enumeration's states, pairs and time
  double mean_log_likelihood = 0;  ///< mean(−F(v)) − log Z (with AIS: the upper side, on average)
  /// Reverse AIS over bracket_rows rows (bracket_rows > 0 with AIS): the lower side and its
  /// standard error, and the AIS value on the same rows, the upper side.
  bool has_bracket = false;
  double bracket_lower = 0, bracket_lower_error = 0, bracket_upper = 0;
  double seconds = 0;
};

}  // namespace rbm
