// host/python/errors.cpp — the library's exceptions as Python exceptions under one base,
// rbm.Error, each also deriving from the built-in exception a Python caller would catch for it
// (InvalidArgument is a ValueError, IoError an OSError, OutOfMemory a MemoryError, ...), with
// the library's message and, for Diverged and Interrupted, their fields.
#include <nanobind/stl/vector.h>

#include "host/python/bindings.hpp"

namespace rbm::python {
namespace {

/// The exception classes, made once at import (module state lives as long as the module).
struct ErrorTypes {
  PyObject *error, *invalid_argument, *invalid_type, *io_error, *cuda_error, *out_of_memory,
      *not_built, *cancelled, *interrupted, *diverged;
};
ErrorTypes types;

PyObject* make_type(nb::module_& m,
                    const char* name,
                    const char* doc,
                    nb::handle base1,
                    nb::handle base2 = nb::handle()) {
  const std::string qualified = std::string("rbm.") + name;
  nb::object bases = base2 ? nb::make_tuple(base1, base2) : nb::make_tuple(base1);
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), /*dict=*/nullptr);
  if (!type) throw nb::python_error();
  m.attr(name) = nb::handle(type);
  return type;
}

/// Raises `type(message)` with extra attributes set on the instance.
void raise(PyObject* type,
           const char* message,
           const std::vector<std::pair<const char*, nb::object>>& fields = {}) {
  nb::object instance = nb::borrow(type)(nb::str(message));
  for (const auto& [name, value] : fields) nb::setattr(instance, name, value);
  PyErr_SetObject(type, instance.ptr());
}

void translate(const std::exception_ptr& p, void*) {
  try {
    std::rethrow_exception(p);
  } catch (const Diverged& e) {
    raise(types.diverged, e.what(),
          {{"model", nb::int_(e.model)},
           {"epoch", nb::int_(e.epoch)},
           {"last_good", nb::cast(e.last_good)}});
  } catch (const Interrupted& e) {
    raise(types.interrupted, e.what(), {{"epochs_done", nb::int_(e.epochs_done)}});
  } catch (const Cancelled& e) {
    raise(types.cancelled, e.what());
  } catch (const InvalidType& e) {
    raise(types.invalid_type, e.what());
  } catch (const InvalidArgument& e) {
    raise(types.invalid_argument, e.what());
  } catch (const IoError& e) {
    raise(types.io_error, e.what());
  } catch (const CudaError& e) {
    raise(types.cuda_error, e.what());
  } catch (const OutOfMemory& e) {
    raise(types.out_of_memory, e.what());
  } catch (const NotBuilt& e) {
    raise(types.not_built, e.what());
  } catch (const Error& e) {
    raise(types.error, e.what());
  }
}

}  // namespace

void bind_errors(nb::module_& m) {
  nb::handle builtins = nb::module_::import_("builtins");
  auto builtin = [&](const char* name) { return builtins.attr(name); };
  types.error = make_type(m, "Error", "Base of every exception rbm raises.", builtin("Exception"));
  nb::handle error = types.error;
  types.invalid_argument = make_type(m, "InvalidArgument",
                                     "A value is wrong: a shape mismatch, NaN, a bad spec string, "
                                     "too many states for exact log Z.",
                                     error, builtin("ValueError"));
  types.invalid_type = make_type(
      m, "InvalidType",
      "An argument of the wrong type: not an array, a dtype that cannot hold the values, a device "
      "tensor where host memory is needed.",
      error, builtin("TypeError"));
  types.io_error = make_type(m, "IoError", "A file is missing, unreadable, truncated or corrupt.",
                             error, builtin("OSError"));
  types.cuda_error = make_type(m, "CudaError", "A CUDA, cuBLAS or cuRAND call failed.", error,
                               builtin("RuntimeError"));
  types.out_of_memory = make_type(m, "OutOfMemory", "Device or host memory could not be allocated.",
                                  error, builtin("MemoryError"));
  types.not_built = make_type(
      m, "NotBuilt",
      "The feature is not in this build (the CUDA backend without CUDA, plots without PLplot).",
      error, builtin("NotImplementedError"));
  types.cancelled = make_type(m, "Cancelled", "A long computation was cancelled.", error,
                              builtin("RuntimeError"));
  types.interrupted = make_type(
      m, "Interrupted",
      "Training was asked to stop and did so after an epoch; `epochs_done` says how many ran.",
      types.cancelled);
  types.diverged = make_type(
      m, "Diverged",
      "Training blew up. `model` is the first model that diverged, `epoch` the 1-based epoch, "
      "`last_good` every model after the epoch before.",
      error, builtin("RuntimeError"));
  nb::register_exception_translator(translate);
}

}  // namespace rbm::python
