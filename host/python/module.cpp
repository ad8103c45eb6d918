// host/python/module.cpp — the compiled part of the Python package: `rbm._rbm`, re-exported by
// python/rbm/__init__.py. Each bind_* lives in its own file (see bindings.hpp).
#include <nanobind/stl/string.h>

#include "host/python/bindings.hpp"

NB_MODULE(_rbm, m) {
  using namespace rbm::python;
  m.doc() = "rbm's C++ library: engines, models, datasets, training, exact log Z, pictures.";
  m.attr("__version__") = rbm::version();
  bind_errors(m);
  bind_model(m);
  bind_data(m);
  bind_train(m);
  bind_engine(m);
  bind_pictures(m);
}
