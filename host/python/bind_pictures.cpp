// host/python/bind_pictures.cpp — the library's pictures: image grids (data, reconstructions,
// samples, filters) always; line plots, bar charts and heat maps when built with PLplot.
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cmath>
#include <filesystem>
#include <optional>

#include "host/python/bindings.hpp"

namespace rbm::python {
namespace {

using ImageShape = std::optional<std::pair<int, int>>;

PixelScale parse_pixel_scale(const std::string& text) {
  if (text == "unit") return PixelScale::unit;
  if (text == "min_max") return PixelScale::min_max;
  if (text == "symmetric") return PixelScale::symmetric;
  RBM_THROW(InvalidArgument, "pixel_scale '", text,
            "' (expected 'unit', 'min_max' or 'symmetric')");
}

LegendPosition parse_legend(const std::string& text) {
  if (text == "automatic") return LegendPosition::automatic;
  if (text == "top_right") return LegendPosition::top_right;
  if (text == "top_left") return LegendPosition::top_left;
  if (text == "bottom_right") return LegendPosition::bottom_right;
  if (text == "bottom_left") return LegendPosition::bottom_left;
  if (text == "none") return LegendPosition::none;
  RBM_THROW(InvalidArgument, "legend '", text,
            "' (expected 'automatic', 'top_right', 'top_left', 'bottom_right', 'bottom_left' or "
            "'none')");
}

/// The side of a square image of `pixels` pixels, or 0.
int square_side(long pixels) {
  const long side = std::lround(std::sqrt(static_cast<double>(pixels)));
  return side * side == pixels ? static_cast<int>(side) : 0;
}

void image_grid(const std::filesystem::path& path,
                nb::handle images,
                const ImageShape& image_shape,
                bool pixel_major,
                ImageGridOptions options) {
  // Image-major: [n, H, W] or [n, H·W]; pixel-major (e.g. model.W): [H·W, n].
  const AnyArray array = as_array(images, "images");
  std::vector<long> shape(array.ndim(), -1);
  if (array.ndim() != 2 && !(array.ndim() == 3 && !pixel_major))
    throw InvalidArgument(
        "images: expected [n, H, W] or [n, H*W] (pixel_major: [H*W, n]), got "
        "shape " +
        shape_text(array));
  const std::vector<float> values = read_floats(images, "images", shape);
  const long pixels = array.ndim() == 3 ? shape[1] * shape[2] : shape[pixel_major ? 0 : 1];
  const long n = shape[pixel_major ? 1 : 0];
  int height = 0, width = 0;
  if (image_shape) {
    std::tie(height, width) = *image_shape;
  } else if (array.ndim() == 3) {
    height = static_cast<int>(shape[1]);
    width = static_cast<int>(shape[2]);
  } else {
    height = width = square_side(pixels);
    RBM_EXPECTS(height > 0, "images: ", pixels,
                " pixels per image is not a square; give image_shape");
  }
  RBM_EXPECTS(static_cast<long>(height) * width == pixels, "images: image_shape ", height, "x",
              width, " does not hold ", pixels, " pixels per image");
  options.layout = pixel_major ? ImageLayout::pixel_major : ImageLayout::image_major;
  nb::gil_scoped_release release;
  write_image_grid(path.string(), values, static_cast<int>(n), height, width, options);
}

PlotOptions plot_options(const std::string& title,
                         const std::string& x_label,
                         const std::string& y_label,
                         int width,
                         int height,
                         bool log_x,
                         bool log_y,
                         std::optional<double> x_min,
                         std::optional<double> x_max,
                         std::optional<double> y_min,
                         std::optional<double> y_max,
                         const std::vector<ReferenceLine>& reference_lines,
                         const std::string& legend) {
  PlotOptions o;
  o.title = title;
  o.x_label = x_label;
  o.y_label = y_label;
  o.width = width;
  o.height = height;
  o.log_x = log_x;
  o.log_y = log_y;
  o.x_min = x_min;
  o.x_max = x_max;
  o.y_min = y_min;
  o.y_max = y_max;
  o.reference_lines = reference_lines;
  o.legend = parse_legend(legend);
  return o;
}

std::vector<double> doubles(nb::handle value, const char* what) {
  if (value.is_none()) return {};
  std::vector<long> shape{-1};
  return read_doubles(value, what, shape);
}

}  // namespace

void bind_pictures(nb::module_& m) {
  m.def(
      "write_image_grid",
      [](const std::filesystem::path& path, nb::handle images, const ImageShape& image_shape,
         bool pixel_major, int columns, int scale, int padding, int group_rows, int group_columns,
         int group_gap, const std::string& pixel_scale, bool invert, float background) {
        ImageGridOptions options;
        options.columns = columns;
        options.scale = scale;
        options.padding = padding;
        options.group_rows = group_rows;
        options.group_columns = group_columns;
        options.group_gap = group_gap;
        options.pixel_scale = parse_pixel_scale(pixel_scale);
        options.invert = invert;
        options.background = background;
        image_grid(path, images, image_shape, pixel_major, options);
      },
      nb::arg("path"), nb::arg("images"), nb::kw_only(), nb::arg("image_shape") = nb::none(),
      nb::arg("pixel_major") = false, nb::arg("columns") = 0, nb::arg("scale") = 1,
      nb::arg("padding") = 1, nb::arg("group_rows") = 0, nb::arg("group_columns") = 0,
      nb::arg("group_gap") = 4, nb::arg("pixel_scale") = "unit", nb::arg("invert") = false,
      nb::arg("background") = 0.5f,
      R"(Writes images as one grey PNG grid, row by row.

images: [n, H, W], or [n, H*W] with image_shape (H, W) (square images need none); with
pixel_major=True one image per column, [H*W, n], e.g. model.W (the filters). pixel_scale:
'unit' (values in [0, 1]), 'min_max' (each image to its own range) or 'symmetric' (0 is
mid-grey; for weights). columns: images per row (0: about sqrt(n)); scale: pixel upscaling;
group_rows / group_columns: an extra gap after every so many rows / columns.)");

  m.def("plots_available", &plots_available,
        "True when line plots, bar charts and heat maps work (the library was built with PLplot).");

  nb::class_<Series>(m, "Series", "One curve of a line plot.")
      .def(
          "__init__",
          [](Series* s, nb::handle x, nb::handle y, const std::string& label, nb::handle y_error,
             bool markers) {
            new (s) Series{label, doubles(x, "x"), doubles(y, "y"), doubles(y_error, "y_error"),
                           markers};
          },
          nb::arg("x"), nb::arg("y"), nb::arg("label") = "", nb::kw_only(),
          nb::arg("y_error") = nb::none(), nb::arg("markers") = false,
          "x, y: the points; y_error: half-widths of error bars; label: the legend entry.")
      .def_rw("label", &Series::label)
      .def_rw("x", &Series::x)
      .def_rw("y", &Series::y)
      .def_rw("y_error", &Series::y_error)
      .def_rw("markers", &Series::markers);
  nb::class_<ReferenceLine>(m, "ReferenceLine", "A horizontal dashed line across a plot.")
      .def(nb::init<>())
      .def(
          "__init__",
          [](ReferenceLine* r, double y, const std::string& label) {
            new (r) ReferenceLine{y, label};
          },
          nb::arg("y"), nb::arg("label") = "")
      .def_rw("y", &ReferenceLine::y)
      .def_rw("label", &ReferenceLine::label);
  nb::class_<BarSeries>(m, "BarSeries", "One bar per category.")
      .def(
          "__init__",
          [](BarSeries* b, nb::handle values, const std::string& label, nb::handle errors) {
            new (b) BarSeries{label, doubles(values, "values"), doubles(errors, "errors")};
          },
          nb::arg("values"), nb::arg("label") = "", nb::kw_only(), nb::arg("errors") = nb::none())
      .def_rw("label", &BarSeries::label)
      .def_rw("values", &BarSeries::values)
      .def_rw("errors", &BarSeries::errors);

  m.def(
      "write_line_plot",
      [](const std::filesystem::path& path, const std::vector<Series>& series,
         const std::string& title, const std::string& x_label, const std::string& y_label,
         int width, int height, bool log_x, bool log_y, std::optional<double> x_min,
         std::optional<double> x_max, std::optional<double> y_min, std::optional<double> y_max,
         const std::vector<ReferenceLine>& reference_lines, const std::string& legend) {
        const PlotOptions options =
            plot_options(title, x_label, y_label, width, height, log_x, log_y, x_min, x_max, y_min,
                         y_max, reference_lines, legend);
        nb::gil_scoped_release release;
        write_line_plot(path.string(), series, options);
      },
      nb::arg("path"), nb::arg("series"), nb::kw_only(), nb::arg("title") = "",
      nb::arg("x_label") = "", nb::arg("y_label") = "", nb::arg("width") = 800,
      nb::arg("height") = 500, nb::arg("log_x") = false, nb::arg("log_y") = false,
      nb::arg("x_min") = nb::none(), nb::arg("x_max") = nb::none(), nb::arg("y_min") = nb::none(),
      nb::arg("y_max") = nb::none(), nb::arg("reference_lines") = std::vector<ReferenceLine>(),
      nb::arg("legend") = "automatic",
      "Writes a PNG line plot of `series` (a list of Series) with axes, error bars, reference "
      "lines and a legend. Raises NotBuilt without PLplot (see plots_available).");
  m.def(
      "write_bar_chart",
      [](const std::filesystem::path& path, const std::vector<std::string>& categories,
         const std::vector<BarSeries>& series, const std::string& title, const std::string& x_label,
         const std::string& y_label, int width, int height, bool log_y, std::optional<double> y_min,
         std::optional<double> y_max, const std::string& legend) {
        const PlotOptions options =
            plot_options(title, x_label, y_label, width, height, false, log_y, std::nullopt,
                         std::nullopt, y_min, y_max, {}, legend);
        nb::gil_scoped_release release;
        write_bar_chart(path.string(), categories, series, options);
      },
      nb::arg("path"), nb::arg("categories"), nb::arg("series"), nb::kw_only(),
      nb::arg("title") = "", nb::arg("x_label") = "", nb::arg("y_label") = "",
      nb::arg("width") = 800, nb::arg("height") = 500, nb::arg("log_y") = false,
      nb::arg("y_min") = nb::none(), nb::arg("y_max") = nb::none(), nb::arg("legend") = "automatic",
      "Writes a PNG grouped bar chart: one group per category, one bar per BarSeries.");
  m.def(
      "write_heatmap",
      [](const std::filesystem::path& path, nb::handle values, const std::string& title,
         const std::string& x_label, const std::string& y_label, const std::string& value_label,
         const std::vector<std::string>& row_labels, const std::vector<std::string>& column_labels,
         int width, int height, bool diverging, std::optional<double> value_min,
         std::optional<double> value_max) {
        std::vector<long> shape{-1, -1};
        const std::vector<double> matrix = read_doubles(values, "values", shape);
        HeatmapOptions o;
        o.title = title;
        o.x_label = x_label;
        o.y_label = y_label;
        o.value_label = value_label;
        o.row_labels = row_labels;
        o.column_labels = column_labels;
        o.width = width;
        o.height = height;
        o.diverging = diverging;
        o.value_min = value_min;
        o.value_max = value_max;
        nb::gil_scoped_release release;
        write_heatmap(path.string(), matrix, static_cast<int>(shape[0]), static_cast<int>(shape[1]),
                      o);
      },
      nb::arg("path"), nb::arg("values"), nb::kw_only(), nb::arg("title") = "",
      nb::arg("x_label") = "", nb::arg("y_label") = "", nb::arg("value_label") = "",
      nb::arg("row_labels") = std::vector<std::string>(),
      nb::arg("column_labels") = std::vector<std::string>(), nb::arg("width") = 800,
      nb::arg("height") = 500, nb::arg("diverging") = false, nb::arg("value_min") = nb::none(),
      nb::arg("value_max") = nb::none(),
      "Writes a PNG heat map of a [rows, columns] matrix (row 0 at the top) with a colour bar; "
      "diverging=True: blue-white-red about 0.");
}

}  // namespace rbm::python
