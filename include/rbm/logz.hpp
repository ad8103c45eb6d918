// rbm/logz.hpp — options and results of the exact partition function.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rbm/export.hpp"

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

/// Exact log Z in parts, for spreading one enumeration over threads, processes or machines.
/// The enumeration is cut into work units (Engine::log_z_units: the CPU's chunks of 64
/// prefixes, the GPU's prefix tiles) that are the leaves of one fixed binary tree of
/// (max, Σexp) merges. Node (index, level) covers units [index·2^level, (index + 1)·2^level).
struct LogZNode {
  std::uint64_t index = 0;
  int level = 0;
  double max = 0;  ///< the node's terms as max + log(sum)
  double sum = 0;
};

/// The units [begin, end) of one model's enumeration, reduced to the maximal tree nodes they
/// fill (Engine::log_z_part). Parts that cover [0, units) in order combine into log Z
/// (combine_log_z_parts), bit for bit the value Engine::log_z returns on the same backend.
struct LogZPart {
  std::uint64_t units = 0;  ///< work units of the whole enumeration
  std::uint64_t begin = 0;  ///< the units this part enumerated
  std::uint64_t end = 0;
  std::vector<LogZNode> nodes;  ///< ascending; each within [begin, end), together all of it
  double log_offset = 0;        ///< added to the tree's value (the reduction to {0,1} units)
  /// enumerated_hidden, states, log2_states, pairs of the whole enumeration, and this part's
  /// seconds (log_z is not set).
  LogZResult info;
};

/// log Z from parts of one model that cover its units [0, units) in ascending order (empty
/// parts allowed): equal to Engine::log_z bit for bit, however the units were split. `seconds`
/// is the longest part's. Throws InvalidArgument when the parts do not fit together.
RBM_EXPORT LogZResult combine_log_z_parts(const std::vector<LogZPart>& parts);

}  // namespace rbm
