// rbm/pictures.hpp — the pictures RBM users look at, written as PNG files.
//
// Image grids (data, reconstructions, samples, Gibbs chains, weight filters) are drawn with
// libpng and exist in every build. Line plots (learning curves, error vs noise, log-likelihood
// vs hidden units with error bars), grouped bar charts and heat maps have axes, ticks, labels
// and legends drawn by PLplot (its cairo driver); they exist when the library was built with
// PLplot (CMake RBM_WITH_PLOTS, on when found) and throw NotBuilt otherwise: ask
// plots_available() first.
//
// Every call validates its inputs first (InvalidArgument naming the value: mismatched sizes, NaN,
// a non-positive value on a log axis), then writes the file atomically: to a temporary name in
// the same directory, renamed over `path` once complete (IoError naming the path when that
// fails; no temporary is left behind). All functions may be called from several threads at
// once; plots are drawn one at a time because PLplot keeps global state.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "rbm/export.hpp"

namespace rbm {

// ---- Image grids (libpng, always built) ------------------------------------------------------

/// How the values of each image become grey levels (0 black, 1 white).
enum class PixelScale {
  unit,       ///< values are in [0,1] (binary data, probabilities); clamped to [0,1]
  min_max,    ///< each image from its own [min, max] to [0,1]; a constant image is mid-grey
  symmetric,  ///< each image from [−m, m], m = its max |value|: 0 is mid-grey (signed weights)
};

/// Where pixel (r, c) of image i is in the `images` array (H×W images, n of them).
enum class ImageLayout {
  image_major,  ///< images[(i·H + r)·W + c]: one image after another, [n][H][W] (data, samples)
  pixel_major,  ///< images[(r·W + c)·n + i]: one image per column, [H·W][n]; e.g. the weights
                ///< W [D][L] row-major, whose column j is the filter of hidden unit j
};

/// Layout and grey scale of write_image_grid. Sizes are output pixels (after upscaling).
struct ImageGridOptions {
  int columns = 0;        ///< images per grid row; 0: ceil(sqrt(n))
  int scale = 1;          ///< each image pixel becomes a scale×scale block (1..64)
  int padding = 1;        ///< pixels between neighbouring images and around the grid (≥ 0)
  int group_rows = 0;     ///< > 0: `group_gap` more pixels after every group_rows grid rows,
                          ///< e.g. 2 for rows of originals, each over its reconstructions
  int group_columns = 0;  ///< > 0: the same after every group_columns grid columns, e.g. 3 for
                          ///< clean | corrupted | denoised triplets side by side
  int group_gap = 4;      ///< extra pixels between groups (≥ 0)
  PixelScale pixel_scale = PixelScale::unit;
  ImageLayout layout = ImageLayout::image_major;
  bool invert = false;      ///< ink on paper: 1 (or the maximum) black, 0 white
  float background = 0.5f;  ///< grey level of padding, gaps and empty cells, in [0,1]
};

/// Writes n_images grey images of height×width as one 8-bit grey PNG grid, filled row by row
/// (image i in grid row i / columns, grid column i % columns; cells past the last image stay
/// background). `images` holds n_images·height·width finite values, laid out as
/// options.layout says. Grid size: columns·width·scale + (columns + 1)·padding +
/// group_gap·(number of column groups − 1) pixels wide, and likewise high.
RBM_EXPORT void write_image_grid(const std::string& path,
                                 const std::vector<float>& images,
                                 int n_images,
                                 int height,
                                 int width,
                                 const ImageGridOptions& options = {});

// ---- Plots (PLplot; NotBuilt when the library was built without it) --------------------------

/// True when write_line_plot, write_bar_chart and write_heatmap work in this build and on this
/// machine (PLplot compiled in and its cairo driver installed), unless the environment variable
/// RBM_PLOTS is "off", which makes the library behave as if built without PLplot.
RBM_EXPORT bool plots_available();

/// One curve of a line plot.
struct Series {
  std::string label;            ///< legend entry; empty: the curve is not in the legend
  std::vector<double> x;        ///< ≥ 1 finite values
  std::vector<double> y;        ///< one finite value per x
  std::vector<double> y_error;  ///< empty, or one half-width ≥ 0 per point: a bar y ± error
  bool markers = false;         ///< a dot at each point (always drawn for a single point)
};

/// A horizontal dashed line across the plot, e.g. the optimum mean log-likelihood log(1/30)
/// of bars-and-stripes 4×4.
struct ReferenceLine {
  double y = 0.0;
  std::string label;  ///< legend entry; empty: not in the legend
};

/// Where the legend goes, inside the plot box; `automatic`: the corner where it hides the
/// fewest data (top right on a tie).
enum class LegendPosition { automatic, top_right, top_left, bottom_right, bottom_left, none };

/// Frame of a line plot or bar chart. Texts are plain UTF-8 ('#' is printed as is).
struct PlotOptions {
  std::string title, x_label, y_label;
  int width = 800;     ///< pixels, 200..8192
  int height = 500;    ///< pixels, 200..8192
  bool log_x = false;  ///< log10 x axis: every x must be > 0 (not for bar charts)
  bool log_y = false;  ///< log10 y axis: every y − error must be > 0
  /// Axis ranges; unset ends are fitted to the data (error bars and reference lines included)
  /// with a small margin. A set end must be finite (and > 0 on a log axis), min < max.
  std::optional<double> x_min, x_max, y_min, y_max;
  std::vector<ReferenceLine> reference_lines;
  LegendPosition legend = LegendPosition::automatic;  ///< no legend when nothing has a label
};

/// Writes a PNG line plot of `series` (≥ 1) with axes, ticks, labels, error bars where a
/// series has y_error, the reference lines, and a legend of the labelled series and lines.
RBM_EXPORT void write_line_plot(const std::string& path,
                                const std::vector<Series>& series,
                                const PlotOptions& options = {});

/// One bar per category, in each category's group of bars.
struct BarSeries {
  std::string label;           ///< legend entry; empty: not in the legend
  std::vector<double> values;  ///< one finite value per category
  std::vector<double> errors;  ///< empty, or one half-width ≥ 0 per category
};

/// Writes a PNG grouped bar chart: one group per category (its name under the x axis), one bar
/// per series within each group (e.g. categories = the most frequent hidden states, series = the
/// digit labels, values = how often). options.log_x and x_min/x_max must be unset; bars start at
/// 0, or at the bottom of the axis when log_y.
RBM_EXPORT void write_bar_chart(const std::string& path,
                                const std::vector<std::string>& categories,
                                const std::vector<BarSeries>& series,
                                const PlotOptions& options = {});

/// Frame and colours of a heat map.
struct HeatmapOptions {
  std::string title, x_label, y_label;
  std::string value_label;                 ///< caption of the colour bar
  std::vector<std::string> row_labels;     ///< empty (rows numbered 0, 1, ...) or one per row
  std::vector<std::string> column_labels;  ///< empty (numbered) or one per column
  int width = 800;                         ///< pixels, 200..8192
  int height = 500;                        ///< pixels, 200..8192
  /// false: white → dark blue from the smallest to the largest value (frequencies, counts);
  /// true: blue → white → red, symmetric about 0 (signed values such as weights).
  bool diverging = false;
  /// Colour range; values beyond it get the end colours. Unset: the data's range (symmetric
  /// about 0 when diverging). A set end must be finite, value_min < value_max.
  std::optional<double> value_min, value_max;
};

/// Writes a PNG heat map of a rows×columns matrix (values [rows][columns] row-major, finite),
/// row 0 at the top, with a colour bar, e.g. how often each hidden unit is on (columns) for
/// each digit label (rows).
RBM_EXPORT void write_heatmap(const std::string& path,
                              const std::vector<double>& values,
                              int rows,
                              int columns,
                              const HeatmapOptions& options = {});

}  // namespace rbm
