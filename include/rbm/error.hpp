// rbm/error.hpp — the exception hierarchy every rbm call throws from.
// Messages name the offending value (shape, path, bytes, L) so that a user can act on them.
#pragma once
#include <stdexcept>
#include <string>

#include "rbm/export.hpp"

namespace rbm {

/// Base of every exception the library throws.
class RBM_EXPORT Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
/// A caller-supplied value is wrong: shape mismatch, NaN parameter, bad spec string, L too large.
class RBM_EXPORT InvalidArgument : public Error {
 public:
  using Error::Error;
};
/// A file is missing, unreadable, truncated or corrupt.
class RBM_EXPORT IoError : public Error {
 public:
  using Error::Error;
};
/// A CUDA, cuBLAS or cuRAND call failed.
class RBM_EXPORT CudaError : public Error {
 public:
  using Error::Error;
};
/// Device (or host) memory could not be allocated; the message carries the bytes requested.
class RBM_EXPORT OutOfMemory : public Error {
 public:
  using Error::Error;
};
/// The feature exists in the API but not in this build (e.g. the CUDA backend in a CPU build).
class RBM_EXPORT NotBuilt : public Error {
 public:
  using Error::Error;
};
/// A long computation was stopped by its progress callback.
class RBM_EXPORT Cancelled : public Error {
 public:
  using Error::Error;
};

}  // namespace rbm
