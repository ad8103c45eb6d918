// host/python/bind_model.cpp — rbm.Model (W, b, c as NumPy views of the model's own memory),
// unit types as strings, model files (safetensors, the same files as the command-line tool).
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "host/python/bindings.hpp"

namespace rbm::python {
namespace {

using FloatView = nb::ndarray<nb::numpy, float>;

/// A writable NumPy view of one parameter tensor that keeps the Python model alive. The model's
/// tensors never change size after construction, so the view stays valid.
FloatView view(nb::handle self,
               std::vector<float>& values,
               std::initializer_list<std::size_t> shape) {
  return FloatView(values.data(), shape, self);
}

/// Copies `value` into `target` (same shape, finite values), in place so that views stay valid.
void assign(std::vector<float>& target,
            nb::handle value,
            const char* what,
            std::vector<long> shape) {
  const std::vector<float> values = read_floats(value, what, shape);
  std::copy(values.begin(), values.end(), target.begin());
}

Model make_model(nb::handle W,
                 nb::handle b,
                 nb::handle c,
                 const std::string& visible_type,
                 const std::string& hidden_type,
                 const std::string& provenance) {
  std::vector<long> w_shape{-1, -1};
  Model model;
  model.weights = read_floats(W, "W", w_shape);
  model.n_visible = static_cast<int>(w_shape[0]);
  model.n_hidden = static_cast<int>(w_shape[1]);
  std::vector<long> b_shape{w_shape[0]}, c_shape{w_shape[1]};
  model.visible_bias =
      b.is_none() ? std::vector<float>(w_shape[0], 0.0f) : read_floats(b, "b", b_shape);
  model.hidden_bias =
      c.is_none() ? std::vector<float>(w_shape[1], 0.0f) : read_floats(c, "c", c_shape);
  model.visible_type = parse_unit_type(visible_type);
  model.hidden_type = parse_unit_type(hidden_type);
  model.provenance = provenance;
  model.validate();
  return model;
}

std::string repr(const Model& model) {
  return "Model(n_visible=" + std::to_string(model.n_visible) +
         ", n_hidden=" + std::to_string(model.n_hidden) + ", visible_type='" +
         to_string(model.visible_type) + "', hidden_type='" + to_string(model.hidden_type) + "')";
}

using ModelState =
    std::tuple<int, int, std::string, std::string, nb::bytes, nb::bytes, nb::bytes, std::string>;

nb::bytes bytes_of(const std::vector<float>& v) {
  return nb::bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}
std::vector<float> floats_of(const nb::bytes& b) {
  std::vector<float> v(b.size() / sizeof(float));
  std::memcpy(v.data(), b.c_str(), v.size() * sizeof(float));
  return v;
}

}  // namespace

void bind_model(nb::module_& m) {
  nb::class_<Model>(m, "Model",
                    R"(A restricted Boltzmann machine: D visible and L hidden units, energy
E(v, h) = -b·v - c·h - v·W·h.

W ([D, L]), b ([D]) and c ([L]) are float32 NumPy views of the model's own memory: writing into
them changes the model; assigning an array of the same shape copies it in. Unit types are
'bernoulli' ({0, 1}), 'spin' ({-1, +1}), and for the hidden layer 'potts' (one-hot) or
'potts-off' (one-hot or all off).)")
      .def(
          "__init__",
          [](Model* self, nb::handle W, nb::handle b, nb::handle c, const std::string& visible_type,
             const std::string& hidden_type, const std::string& provenance) {
            new (self) Model(make_model(W, b, c, visible_type, hidden_type, provenance));
          },
          nb::arg("W"), nb::arg("b") = nb::none(), nb::arg("c") = nb::none(), nb::kw_only(),
          nb::arg("visible_type") = "bernoulli", nb::arg("hidden_type") = "bernoulli",
          nb::arg("provenance") = "",
          "A model from its weights W [D, L] and biases b [D], c [L] (zeros when omitted); any "
          "real dtype, copied into float32.")
      .def_static(
          "zeros",
          [](int n_visible, int n_hidden, const std::string& visible_type,
             const std::string& hidden_type) {
            RBM_EXPECTS(n_visible > 0 && n_hidden > 0, "Model.zeros: shape ", n_visible, "x",
                        n_hidden, " is not positive");
            Model model = Model::zeros(n_visible, n_hidden);
            model.visible_type = parse_unit_type(visible_type);
            model.hidden_type = parse_unit_type(hidden_type);
            model.validate();
            return model;
          },
          nb::arg("n_visible"), nb::arg("n_hidden"), nb::kw_only(),
          nb::arg("visible_type") = "bernoulli", nb::arg("hidden_type") = "bernoulli",
          "A D×L model with every parameter zero.")
      .def_ro("n_visible", &Model::n_visible, "D, the number of visible units.")
      .def_ro("n_hidden", &Model::n_hidden, "L, the number of hidden units.")
      .def_prop_rw(
          "W",
          [](nb::pointer_and_handle<Model> self) {
            return view(self.h, self.p->weights,
                        {std::size_t(self.p->n_visible), std::size_t(self.p->n_hidden)});
          },
          [](Model& self, nb::handle value) {
            assign(self.weights, value, "W", {self.n_visible, self.n_hidden});
          },
          nb::for_getter(nb::sig("def W(self) -> numpy.typing.NDArray[numpy.float32]")),
          nb::for_setter(nb::sig("def W(self, value: numpy.typing.ArrayLike, /) -> None")),
          "Weights [D, L], float32 (a view; assigning copies into it).")
      .def_prop_rw(
          "b",
          [](nb::pointer_and_handle<Model> self) {
            return view(self.h, self.p->visible_bias, {std::size_t(self.p->n_visible)});
          },
          [](Model& self, nb::handle value) {
            assign(self.visible_bias, value, "b", {self.n_visible});
          },
          nb::for_getter(nb::sig("def b(self) -> numpy.typing.NDArray[numpy.float32]")),
          nb::for_setter(nb::sig("def b(self, value: numpy.typing.ArrayLike, /) -> None")),
          "Visible biases [D], float32 (a view).")
      .def_prop_rw(
          "c",
          [](nb::pointer_and_handle<Model> self) {
            return view(self.h, self.p->hidden_bias, {std::size_t(self.p->n_hidden)});
          },
          [](Model& self, nb::handle value) {
            assign(self.hidden_bias, value, "c", {self.n_hidden});
          },
          nb::for_getter(nb::sig("def c(self) -> numpy.typing.NDArray[numpy.float32]")),
          nb::for_setter(nb::sig("def c(self, value: numpy.typing.ArrayLike, /) -> None")),
          "Hidden biases [L], float32 (a view).")
      .def_prop_rw(
          "visible_type",
          [](const Model& self) { return std::string(to_string(self.visible_type)); },
          [](Model& self, const std::string& type) {
            const UnitType parsed = parse_unit_type(type);
            RBM_EXPECTS(parsed == UnitType::bernoulli || parsed == UnitType::spin,
                        "visible units are 'bernoulli' or 'spin', not '", type, "'");
            self.visible_type = parsed;
          },
          "'bernoulli' or 'spin'.")
      .def_prop_rw(
          "hidden_type", [](const Model& self) { return std::string(to_string(self.hidden_type)); },
          [](Model& self, const std::string& type) { self.hidden_type = parse_unit_type(type); },
          "'bernoulli', 'spin', 'potts' or 'potts-off'.")
      .def_rw("provenance", &Model::provenance, "JSON text saying how the model was made.")
      .def("validate", &Model::validate,
           "Raises InvalidArgument when a parameter is not finite or the unit types do not fit.")
      .def("transposed", &transposed,
           "The same distribution seen from the other side: D and L swapped, W transposed, b and c "
           "swapped.")
      .def(
          "copy", [](const Model& self) { return Model(self); }, "An independent copy.")
      .def("__copy__", [](const Model& self) { return Model(self); })
      .def(
          "__deepcopy__", [](const Model& self, nb::handle) { return Model(self); },
          nb::arg("memo"))
      .def("__repr__", &repr)
      .def("__getstate__",
           [](const Model& self) {
             return ModelState(self.n_visible, self.n_hidden, to_string(self.visible_type),
                               to_string(self.hidden_type), bytes_of(self.weights),
                               bytes_of(self.visible_bias), bytes_of(self.hidden_bias),
                               self.provenance);
           })
      .def("__setstate__", [](Model& self, const ModelState& state) {
        Model model;
        model.n_visible = std::get<0>(state);
        model.n_hidden = std::get<1>(state);
        model.visible_type = parse_unit_type(std::get<2>(state));
        model.hidden_type = parse_unit_type(std::get<3>(state));
        model.weights = floats_of(std::get<4>(state));
        model.visible_bias = floats_of(std::get<5>(state));
        model.hidden_bias = floats_of(std::get<6>(state));
        model.provenance = std::get<7>(state);
        model.validate();
        new (&self) Model(std::move(model));
      });

  m.def(
      "save_model",
      [](const std::filesystem::path& path, const Model& model) {
        nb::gil_scoped_release release;
        save_model(path.string(), model);
      },
      nb::arg("path"), nb::arg("model"),
      "Writes a safetensors model file (the command-line tool's format), atomically.");
  m.def(
      "save_model",
      [](const std::filesystem::path& path, const std::vector<Model>& models) {
        nb::gil_scoped_release release;
        save_models(path.string(), models);
      },
      nb::arg("path"), nb::arg("models"),
      "Writes several models into one file (prefixes m0., m1., ...).");
  m.def(
      "save_tensors",
      [](const std::filesystem::path& path, const std::map<std::string, nb::handle>& arrays,
         const std::map<std::string, std::string>& metadata) {
        std::vector<Tensor> tensors;
        for (const auto& [name, value] : arrays) {
          const AnyArray array = as_array(value, name);
          std::vector<long> shape(array.ndim(), -1);
          Tensor tensor{name, {}, read_floats(value, name, shape)};
          tensor.shape.assign(shape.begin(), shape.end());
          tensors.push_back(std::move(tensor));
        }
        nb::gil_scoped_release release;
        save_tensors(path.string(), tensors, metadata);
      },
      nb::arg("path"), nb::arg("tensors"),
      nb::arg("metadata") = std::map<std::string, std::string>(),
      "Writes named arrays (as float32) and string metadata as one safetensors file, atomically "
      "(e.g. hidden-unit features for another model; safetensors.numpy.load_file reads it).");
  m.def(
      "load_model",
      [](const std::filesystem::path& path) {
        nb::gil_scoped_release release;
        return load_model(path.string());
      },
      nb::arg("path"), "Reads a model file; raises IoError naming the file and the problem.");
  m.def(
      "load_models",
      [](const std::filesystem::path& path) {
        nb::gil_scoped_release release;
        return load_models(path.string());
      },
      nb::arg("path"), "Reads every model of a file.");
}

}  // namespace rbm::python
