// host/json_fields.hpp — typed reads of JSON numbers that never convert out of range: a count of
// 1e30 or 2.5 is refused with the key's name instead of being cast (undefined behaviour in C++).
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "host/check.hpp"

namespace rbm::detail {

/// `value` as an integer of type Int; fractions, non-numbers and values outside Int's range are
/// refused with InvalidArgument naming `context` and `key`.
template <typename Int>
Int json_integer(const nlohmann::json& value, const char* context, const char* key) {
  using limits = std::numeric_limits<Int>;
  RBM_EXPECTS(value.is_number_integer(), context, ": '", key, "' must be an integer, got ",
              value.dump());
  bool in_range;
  if (value.is_number_unsigned()) {
    in_range = value.get<std::uint64_t>() <= static_cast<std::uint64_t>(limits::max());
  } else {
    const std::int64_t v = value.get<std::int64_t>();  // negative, or it would be unsigned
    in_range = limits::is_signed && v >= static_cast<std::int64_t>(limits::min());
  }
  RBM_EXPECTS(in_range, context, ": '", key, "' is out of range: ", value.dump());
  return value.is_number_unsigned() ? static_cast<Int>(value.get<std::uint64_t>())
                                    : static_cast<Int>(value.get<std::int64_t>());
}

/// `value` as a float; magnitudes beyond float's range become ±infinity (which the config checks
/// then refuse by name) rather than an undefined conversion.
inline float json_float(const nlohmann::json& value, const char* context, const char* key) {
  RBM_EXPECTS(value.is_number(), context, ": '", key, "' must be a number, got ", value.dump());
  const double v = value.get<double>();
  if (std::fabs(v) > std::numeric_limits<float>::max())
    return static_cast<float>(std::copysign(std::numeric_limits<float>::infinity(), v));
  return static_cast<float>(v);
}

}  // namespace rbm::detail
