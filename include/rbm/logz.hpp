// rbm/logz.hpp — options and results of the exact partition function.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace rbm {

/// The time budget of exact log Z when no limit is given (LogZOptions): ten minutes.
inline constexpr double kDefaultLogZSeconds = 600;

/// Exact log Z enumerates the smaller layer: 2^min(D,L) states, each costing max(D,L) pairs.
/// A one-hot (Potts) hidden layer has only L (or L + 1) states and is summed directly.
///
/// Limits: a call is refused (InvalidArgument, naming the estimate and the option that raises
/// the limit) when it would exceed a limit that is set. With neither set, the limit is
/// max_seconds = kDefaultLogZSeconds. The time is estimated before the call from the backend's
/// enumeration rate (Engine::log_z_estimate): measured on an H200 for CUDA, calibrated by a
/// short run on first use for the CPU.
struct LogZOptions {
  /// Refuse when the estimated time of the call exceeds this many seconds.
  std::optional<double> max_seconds;
  /// Refuse when more than 2^max_log2_states states would be enumerated.
  std::optional<int> max_log2_states;
  /// Called now and then with the fraction done; return false to cancel (throws Cancelled).
  std::function<bool(double fraction_done)> progress;
};

struct LogZResult {
  double log_z = 0;
  bool enumerated_hidden = true;  ///< true: summed over the hidden states; false: the visible
  double states = 0;              ///< states summed: 2^min(D, L), or L (+1) for a Potts layer
  double log2_states = 0;         ///< log2(states)
  double pairs = 0;               ///< states × units of the other layer
  double seconds = 0;
  double pairs_per_second() const { return seconds > 0 ? pairs / seconds : 0; }
};

/// What exact log Z of a call would cost, and whether its limits allow it.
struct LogZEstimate {
  double states = 0;            ///< per model
  double log2_states = 0;       ///< per model
  double pairs = 0;             ///< all models of the call together
  double pairs_per_second = 0;  ///< the backend's enumeration rate
  std::string rate_source;      ///< where that rate comes from
  double seconds = 0;           ///< pairs / pairs_per_second
  bool allowed = true;          ///< within the options' limits
  std::string refusal;          ///< when not allowed: why, and the option that raises the limit
};

}  // namespace rbm
