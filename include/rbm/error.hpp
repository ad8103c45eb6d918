// rbm/error.hpp — the exception hierarchy every rbm call throws from.
// Messages name the offending value (shape, path, bytes, L) so that a user can act on them.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "rbm/export.hpp"
#include "rbm/model.hpp"

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
/// Training was asked to stop (TrainOptions::stop_requested) and did so after an epoch.
class RBM_EXPORT Interrupted : public Cancelled {
 public:
  Interrupted(const std::string& what, int epochs_done)
      : Cancelled(what), epochs_done(epochs_done) {}
  int epochs_done;
};

}  // namespace rbm

namespace rbm {
/// Training blew up: a parameter became non-finite or larger than TrainConfig::max_abs_parameter
/// (usually a learning rate too large, or too few PCD chains). Carries the models as they were
/// after the last healthy epoch.
class RBM_EXPORT Diverged : public Error {
 public:
  Diverged(const std::string& what, int model, int epoch, std::vector<Model> last_good)
      : Error(what), model(model), epoch(epoch), last_good(std::move(last_good)) {}
  int model;                     ///< the first model that diverged
  int epoch;                     ///< 1-based epoch in which it did
  std::vector<Model> last_good;  ///< every model after epoch − 1 (the inputs when epoch is 1)
};
}  // namespace rbm
