// host/python/bindings.hpp — what the files of the Python module (rbm._rbm, nanobind) share:
// the bind_* function of each file, array conversion in both directions, and the way long
// calls run Python callbacks with the GIL released.
#pragma once
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/check.hpp"
#include "rbm/rbm.hpp"

namespace rbm::python {

namespace nb = nanobind;

void bind_errors(nb::module_& m);
void bind_model(nb::module_& m);
void bind_data(nb::module_& m);
void bind_train(nb::module_& m);
void bind_engine(nb::module_& m);
/// AIS, tempering, likelihood estimates, label posteriors: Engine methods and their results.
void bind_estimators(nb::module_& m, nb::class_<Engine>& engine);
void bind_pictures(nb::module_& m);

// ---- errors ----------------------------------------------------------------------------------

/// An argument of the wrong type (a string where an array belongs, a complex array, a device
/// tensor where host memory is needed): raised in Python as rbm.InvalidType, a TypeError.
class InvalidType : public Error {
 public:
  using Error::Error;
};

// ---- arrays in -------------------------------------------------------------------------------

/// Any array nanobind can take without copying: NumPy arrays, DLPack tensors (PyTorch, JAX,
/// CuPy), read-only ones included (inputs are only read).
using AnyArray = nb::ndarray<nb::ro>;

/// `value` as an array: an array or tensor as it is, a nested sequence of numbers through
/// numpy.asarray. Throws InvalidType naming `what` otherwise.
AnyArray as_array(nb::handle value, const std::string& what);

/// A host array's shape, for messages: "(3, 4)".
std::string shape_text(const AnyArray& array);
/// "cuda:0", "cpu", ... for messages.
std::string device_text(const AnyArray& array);

/// The values of a host array of any real dtype and strides, in C order, as float32; each must
/// be finite. `shape` gives the expected extents (-1: any); a mismatch is an InvalidArgument
/// naming `what`. Returns the values and fills `shape` with the actual extents.
std::vector<float> read_floats(nb::handle value, const std::string& what, std::vector<long>& shape);

/// The same as float64 (no rounding to float32).
std::vector<double> read_doubles(nb::handle value,
                                 const std::string& what,
                                 std::vector<long>& shape);

/// Data bits from an array [N][D] (or images [N][H][W]): a view of the caller's memory where
/// its layout and dtype allow, else of a float64 copy. Host or CUDA memory.
struct DataArray {
  DataView view;
  int image_height = 0, image_width = 0;
  AnyArray array;                 ///< keeps the caller's memory alive
  std::vector<double> converted;  ///< the copy the view points to, when one was needed
};
/// Throws InvalidArgument (wrong shape, non-contiguous device memory) or InvalidType (a dtype
/// that cannot hold data bits, an unsupported device).
std::unique_ptr<DataArray> data_array(nb::handle value, const std::string& what);

/// A Dataset from an array (host memory) or a copy of a Dataset.
Dataset to_dataset(nb::handle value, const std::string& what);

// ---- arrays out ------------------------------------------------------------------------------

/// A NumPy array that takes over `values` (no copy), with the given shape.
template <typename T>
nb::ndarray<nb::numpy, T> to_numpy(std::vector<T>&& values,
                                   std::initializer_list<std::size_t> shape) {
  auto* owned = new std::vector<T>(std::move(values));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::ndarray<nb::numpy, T>(owned->data(), shape, owner);
}

// ---- Python calls from inside long computations ----------------------------------------------

/// The Python side of one long call that runs with the GIL released (train, resume, log Z).
/// Callbacks take the GIL, run, and hand back; a Python exception they raise, or a pending
/// signal (Ctrl-C) seen between epochs, asks the computation to stop and is re-raised once it
/// has returned. Construct and destroy with the GIL held.
class PythonCalls {
 public:
  /// Runs `body` (which returns bool) with the GIL held; on a Python exception returns false.
  template <typename Body>
  bool run(Body&& body) {
    nb::gil_scoped_acquire gil;
    try {
      return body();
    } catch (nb::python_error& e) {
      keep(e);
      return false;
    }
  }
  /// Checks for a pending signal (GIL held inside); true if one raised (e.g. KeyboardInterrupt).
  bool signalled();
  /// Asks the computation to stop (TrainOptions::stop_requested).
  const std::atomic<bool>* stop_flag() const { return &stop_; }
  /// With the GIL held: re-raises the kept exception, if any.
  void raise_if_failed();

 private:
  void keep(nb::python_error& e);
  std::atomic<bool> stop_{false};
  std::unique_ptr<nb::python_error> error_;
};

/// A progress callback's type in Python: fraction done → None/True goes on, False cancels.
using ProgressFunction = nb::typed<nb::callable, std::optional<bool>(double)>;

/// A callback's answer: None or anything true goes on.
bool goes_on(nb::handle answer);

/// The library's progress callback for a long call: checks for Ctrl-C, then asks `progress`.
std::function<bool(double)> progress_function(PythonCalls& calls,
                                              const std::optional<ProgressFunction>& progress);

/// Runs `compute()` with the GIL released; when it was cancelled through `calls` (a Python
/// exception in a callback, or Ctrl-C), re-raises that instead of rbm.Cancelled.
template <typename Compute>
auto run_cancellable(PythonCalls& calls, Compute&& compute) -> decltype(compute()) {
  try {
    nb::gil_scoped_release release;
    return compute();
  } catch (const Cancelled&) {
    calls.raise_if_failed();
    throw;
  }
}

/// The data argument of an Engine method: a DataHandle as it is; a Dataset or an array (host
/// or CUDA) uploaded for this call.
DataHandle resolve(Engine& engine, nb::handle data);

/// Block-Gibbs options from Engine.sample's keywords (init, clamped: arrays or None).
SampleOptions sample_options(int n_chains,
                             int burn_in,
                             int thinning,
                             int samples_per_chain,
                             float beta,
                             std::uint64_t seed,
                             nb::handle init,
                             nb::handle clamped);

}  // namespace rbm::python
