// host/check.hpp — argument checks that throw rbm exceptions with readable messages.
#pragma once
#include <climits>
#include <cstddef>
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

/// `count` as an int, for interfaces that take int sizes (BLAS dimensions, kernel shapes); a
/// count that does not fit throws InvalidArgument naming `what`, so sizes never wrap.
inline int checked_int(std::size_t count, const char* what) {
  if (count > static_cast<std::size_t>(INT_MAX))
    throw ::rbm::InvalidArgument(concat(what, " is ", count, ", more than this operation's limit of ",
                                        INT_MAX, " (2^31 - 1)"));
  return static_cast<int>(count);
}

}  // namespace rbm::detail

/// Throws rbm::InvalidArgument with the message built from the remaining arguments.
#define RBM_EXPECTS(cond, ...)                                                     \
  do {                                                                             \
    if (!(cond)) throw ::rbm::InvalidArgument(::rbm::detail::concat(__VA_ARGS__)); \
  } while (0)

/// Throws the given rbm exception type with the message built from the remaining arguments.
#define RBM_THROW(ExceptionType, ...) throw ExceptionType(::rbm::detail::concat(__VA_ARGS__))
