// rbm/model.hpp — the RBM parameters as a plain value type.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "rbm/export.hpp"

namespace rbm {

/// Values a layer's units take:
///  bernoulli  {0,1} each, independently given the other layer;
///  spin       {-1,+1} each (Ising units);
///  potts      hidden layer only: exactly one of the L units is on (one-hot, L states);
///  potts_off  hidden layer only: at most one unit is on (L + 1 states, "all off" included).
enum class UnitType : std::uint8_t { bernoulli, spin, potts, potts_off };

RBM_EXPORT const char* to_string(UnitType type);
/// Parses "bernoulli" | "spin" | "potts" | "potts-off"; throws InvalidArgument otherwise.
RBM_EXPORT UnitType parse_unit_type(const std::string& text);

/// A restricted Boltzmann machine with D visible and L hidden units and energy
///   E(v,h) = -bᵀv - cᵀh - vᵀWh.
/// Parameters live in host memory; backends copy them in and out.
struct RBM_EXPORT Model {
  int n_visible = 0;  ///< D
  int n_hidden = 0;   ///< L
  UnitType visible_type = UnitType::bernoulli;
  UnitType hidden_type = UnitType::bernoulli;
  std::vector<float> weights;       ///< W, [D][L] row-major
  std::vector<float> visible_bias;  ///< b, [D]
  std::vector<float> hidden_bias;   ///< c, [L]
  std::string provenance;  ///< JSON text saying how the model was made (TrainConfig, data spec)

  /// A D×L model with all parameters zero.
  static Model zeros(int n_visible, int n_hidden);

  float weight(int i, int j) const { return weights[static_cast<std::size_t>(i) * n_hidden + j]; }

  /// Throws InvalidArgument when shapes disagree, a parameter is NaN/Inf, or the visible layer
  /// is one-hot. Every backend entry point calls this.
  void validate() const;
};

/// The same distribution seen from the other side: D and L swapped, W transposed, b and c
/// swapped. Z is unchanged, which lets one routine enumerate whichever layer is smaller.
RBM_EXPORT Model transposed(const Model& model);

}  // namespace rbm
