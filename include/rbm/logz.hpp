// rbm/logz.hpp — options and results of the exact partition function.
#pragma once
#include <cstdint>
#include <functional>

namespace rbm {

/// Exact log Z enumerates the smaller layer: 2^min(D,L) states, each costing max(D,L) pairs.
/// A one-hot (Potts) hidden layer has only L (or L + 1) states and is summed directly.
struct LogZOptions {
  /// Refuse (InvalidArgument) when more states than 2^max_log2_states would be enumerated.
  int max_log2_states = 34;
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

}  // namespace rbm
