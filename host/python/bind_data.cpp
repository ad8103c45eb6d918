// host/python/bind_data.cpp — rbm.Dataset (binary rows, optional labels and image shape) from
// arrays or spec strings, and the generated datasets.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cmath>
#include <optional>

#include "host/python/bindings.hpp"

namespace rbm::python {
namespace {

using BitsView = nb::ndarray<nb::numpy, const std::uint8_t>;
using LabelsView = nb::ndarray<nb::numpy, const std::int32_t>;
using ImageShape = std::optional<std::pair<int, int>>;

Dataset make_dataset(nb::handle values,
                     nb::handle labels,
                     const ImageShape& image_shape,
                     const std::string& name) {
  Dataset data = to_dataset(values, "values");
  if (!name.empty()) data.name = name;
  if (!labels.is_none()) {
    std::vector<long> shape{static_cast<long>(data.n_samples)};
    const std::vector<float> read = read_floats(labels, "labels", shape);
    data.labels.reserve(read.size());
    for (std::size_t n = 0; n < read.size(); ++n) {
      RBM_EXPECTS(read[n] == std::floor(read[n]) && std::fabs(read[n]) < 2147483648.0f, "labels[",
                  n, "] = ", read[n], " is not an int32 label");
      data.labels.push_back(static_cast<std::int32_t>(read[n]));
    }
  }
  if (image_shape) {
    data.image_height = image_shape->first;
    data.image_width = image_shape->second;
  }
  data.validate();
  return data;
}

ImageShape image_shape(const Dataset& data) {
  if (data.image_height == 0) return std::nullopt;
  return std::make_pair(data.image_height, data.image_width);
}

std::string repr(const Dataset& data) {
  std::string text = "Dataset(n_samples=" + std::to_string(data.n_samples) +
                     ", n_visible=" + std::to_string(data.n_visible);
  if (data.image_height)
    text += ", image_shape=(" + std::to_string(data.image_height) + ", " +
            std::to_string(data.image_width) + ")";
  if (!data.labels.empty()) text += ", labels";
  if (!data.name.empty()) text += ", name='" + data.name + "'";
  return text + ")";
}

}  // namespace

void bind_data(nb::module_& m) {
  nb::class_<Dataset>(m, "Dataset",
                      R"(N binary vectors of length D (data bits 0/1), with optional labels
and image shape; what training and evaluation read.

Made from an array [N, D] or images [N, H, W] of any real dtype whose values are 0 or 1 (bool,
uint8 and float arrays alike; grey levels must be thresholded first, e.g. x > 0.5), or from a spec
string with rbm.load_dataset. Engine methods also take arrays directly.)")
      .def(
          "__init__",
          [](Dataset* self, nb::handle values, nb::handle labels, const ImageShape& shape,
             const std::string& name) {
            new (self) Dataset(make_dataset(values, labels, shape, name));
          },
          nb::arg("values"), nb::arg("labels") = nb::none(), nb::kw_only(),
          nb::arg("image_shape") = nb::none(), nb::arg("name") = "",
          "values: [N, D] or [N, H, W] of 0/1; labels: N integers; image_shape: (H, W).")
      .def_prop_ro(
          "values",
          [](nb::pointer_and_handle<Dataset> self) {
            return BitsView(self.p->values.data(),
                            {self.p->n_samples, static_cast<std::size_t>(self.p->n_visible)},
                            self.h);
          },
          "The bits [N, D], uint8 (a read-only view).")
      .def_prop_ro(
          "labels",
          [](nb::pointer_and_handle<Dataset> self) -> std::optional<LabelsView> {
            if (self.p->labels.empty()) return std::nullopt;
            return LabelsView(self.p->labels.data(), {self.p->labels.size()}, self.h);
          },
          "The labels [N], int32 (a read-only view), or None.")
      .def_prop_ro("image_shape", &image_shape,
                   "(height, width) when the rows are images, else None.")
      .def_ro("n_samples", &Dataset::n_samples, "N.")
      .def_ro("n_visible", &Dataset::n_visible, "D.")
      .def_rw("name", &Dataset::name, "The spec or file it came from.")
      .def("__len__", [](const Dataset& d) { return d.n_samples; })
      .def("__repr__", &repr)
      .def("head", &head, nb::arg("count"), "The first `count` samples (or all, if fewer).")
      .def(
          "select_labels",
          [](const Dataset& d, const std::vector<int>& keep) { return select_labels(d, keep); },
          nb::arg("labels"), "The samples whose label is in `labels`.");

  m.def(
      "load_dataset",
      [](const std::string& spec) {
        nb::gil_scoped_release release;
        return load_dataset(spec);
      },
      nb::arg("spec"),
      R"(A dataset from a spec string:
  bas:N                            bars-and-stripes N×N, all 2^(N+1)-2 patterns
  glyphs[:N]                       synthetic 14×14 glyph digits, N per class
  mnist:DIR[:train|test][:7,8,9]   MNIST IDX files (gzip or plain)
  csv:FILE                         scikit-learn digits layout (pixels, then a label)
  amat:FILE                        binarized MNIST .amat text
with options :threshold=X, :scale=S, :resize=HxW, :labels=7,8,9, :skip=N, :limit=N, :seed=S,
e.g. "csv:digits.csv.gz:resize=14x14". Raises InvalidArgument naming the wrong part, IoError for
file problems.)");
  m.def("make_bars_and_stripes", &make_bars_and_stripes, nb::arg("n"),
        "Bars-and-stripes n×n: every pattern of full rows or full columns, each once.");
  m.def("make_glyph_digits", &make_glyph_digits, nb::arg("per_class"), nb::arg("seed") = 1,
        "Synthetic seven-segment-like digits on a 14×14 grid, `per_class` per digit, labels 0-9.");
}

}  // namespace rbm::python
