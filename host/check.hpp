// host/check.hpp — argument checks that throw rbm exceptions with readable messages.
#pragma once
#include <sstream>
#include <string>

#include "rbm/error.hpp"

namespace rbm::detail {

template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

}  // namespace rbm::detail

/// Throws rbm::InvalidArgument with the message built from the remaining arguments.
#define RBM_EXPECTS(cond, ...)                                                     \
  do {                                                                             \
    if (!(cond)) throw ::rbm::InvalidArgument(::rbm::detail::concat(__VA_ARGS__)); \
  } while (0)

/// Throws the given rbm exception type with the message built from the remaining arguments.
#define RBM_THROW(ExceptionType, ...) throw ExceptionType(::rbm::detail::concat(__VA_ARGS__))
