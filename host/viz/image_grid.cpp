// host/viz/image_grid.cpp — grids of grey images (data, reconstructions, samples, filters) as
// PNG: per-image grey scaling, integer upscaling, padding and group gaps, libpng only.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "host/check.hpp"
#include "host/viz/png_writer.hpp"
#include "rbm/pictures.hpp"

namespace rbm {
namespace {

constexpr int kMaxScale = 64;
/// A larger grid is almost surely a mistake (a wrong image count or scale): past 2^16 pixels
/// per side some PNG viewers refuse the file, and 2^28 pixels are already 256 MiB to hold.
constexpr long long kMaxGridSide = 65535;
constexpr long long kMaxGridPixels = 1LL << 28;

/// Grey level in [0,1] → byte, rounded to nearest.
std::uint8_t to_byte(float grey) {
  return static_cast<std::uint8_t>(std::lround(std::clamp(grey, 0.0f, 1.0f) * 255.0f));
}

/// Pixels, gaps and padding along one side of the grid.
struct Axis {
  int cells = 0;            ///< images along this side
  long long cell_size = 0;  ///< image side × scale
  int padding = 0;
  int group = 0;  ///< cells per group, 0: no groups
  int group_gap = 0;

  /// Offset of cell k's first pixel.
  long long offset(int k) const {
    const long long gaps = group > 0 ? static_cast<long long>(k / group) * group_gap : 0;
    return padding + static_cast<long long>(k) * (cell_size + padding) + gaps;
  }
  long long total() const {
    return cells == 0 ? 2 * padding : offset(cells - 1) + cell_size + padding;
  }
};

/// Maps image i's values to grey levels in [0,1], as `scale` says.
void to_grey(const float* values,
             std::size_t stride,
             int n_pixels,
             PixelScale scale,
             std::vector<float>& grey) {
  grey.resize(n_pixels);
  float low = 0.0f, high = 1.0f;
  if (scale != PixelScale::unit) {
    float min = std::numeric_limits<float>::infinity(), max = -min;
    for (int p = 0; p < n_pixels; ++p) {
      min = std::min(min, values[p * stride]);
      max = std::max(max, values[p * stride]);
    }
    if (scale == PixelScale::symmetric) {
      high = std::max(std::fabs(min), std::fabs(max));
      low = -high;
    } else {
      low = min;
      high = max;
    }
  }
  // Range computed in float: a constant image (high == low) is mid-grey rather than 0/0.
  const float range = high - low;
  for (int p = 0; p < n_pixels; ++p) {
    grey[p] = range > 0.0f ? (values[p * stride] - low) / range : 0.5f;
  }
}

}  // namespace

void write_image_grid(const std::string& path,
                      const std::vector<float>& images,
                      int n_images,
                      int height,
                      int width,
                      const ImageGridOptions& options) {
  RBM_EXPECTS(n_images > 0 && height > 0 && width > 0, "write_image_grid: n_images (", n_images,
              "), height (", height, ") and width (", width, ") must be positive");
  const std::size_t n_pixels = static_cast<std::size_t>(height) * width;
  RBM_EXPECTS(images.size() == n_pixels * n_images, "write_image_grid: ", n_images, " images of ",
              height, "x", width, " need ", n_pixels * n_images, " values, got ", images.size());
  RBM_EXPECTS(options.columns >= 0, "write_image_grid: columns must be >= 0, got ",
              options.columns);
  RBM_EXPECTS(options.scale >= 1 && options.scale <= kMaxScale,
              "write_image_grid: scale must be in 1..", kMaxScale, ", got ", options.scale);
  RBM_EXPECTS(options.padding >= 0 && options.group_gap >= 0 && options.group_rows >= 0 &&
                  options.group_columns >= 0,
              "write_image_grid: padding (", options.padding, "), group_gap (", options.group_gap,
              "), group_rows (", options.group_rows, ") and group_columns (", options.group_columns,
              ") must be >= 0");
  RBM_EXPECTS(options.background >= 0.0f && options.background <= 1.0f,
              "write_image_grid: background must be in [0,1], got ", options.background);
  for (std::size_t k = 0; k < images.size(); ++k) {
    RBM_EXPECTS(std::isfinite(images[k]), "write_image_grid: value ", k, " is ", images[k]);
  }

  const int columns =
      options.columns > 0
          ? options.columns
          : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n_images)) - 1e-9));
  const int rows = (n_images + columns - 1) / columns;
  const Axis across{columns, static_cast<long long>(width) * options.scale, options.padding,
                    options.group_columns, options.group_gap};
  const Axis down{rows, static_cast<long long>(height) * options.scale, options.padding,
                  options.group_rows, options.group_gap};
  RBM_EXPECTS(across.total() <= kMaxGridSide && down.total() <= kMaxGridSide &&
                  across.total() * down.total() <= kMaxGridPixels,
              "write_image_grid: the grid would be ", across.total(), "x", down.total(),
              " pixels, more than ", kMaxGridSide, " per side or ", kMaxGridPixels,
              " in all (check n_images, columns and scale)");

  detail::Raster raster;
  raster.width = static_cast<int>(across.total());
  raster.height = static_cast<int>(down.total());
  raster.channels = 1;
  raster.pixels.assign(static_cast<std::size_t>(raster.width) * raster.height,
                       to_byte(options.background));

  const bool pixel_major = options.layout == ImageLayout::pixel_major;
  std::vector<float> grey;
  for (int i = 0; i < n_images; ++i) {
    const float* first = pixel_major ? images.data() + i : images.data() + i * n_pixels;
    to_grey(first, pixel_major ? n_images : 1, static_cast<int>(n_pixels), options.pixel_scale,
            grey);
    const long long x0 = across.offset(i % columns), y0 = down.offset(i / columns);
    for (int r = 0; r < height * options.scale; ++r) {
      std::uint8_t* out = raster.pixels.data() + (y0 + r) * raster.width + x0;
      const float* source = grey.data() + static_cast<std::size_t>(r / options.scale) * width;
      for (int c = 0; c < width * options.scale; ++c) {
        const float level = source[c / options.scale];
        out[c] = to_byte(options.invert ? 1.0f - level : level);
      }
    }
  }
  detail::write_png(path, "image grid", raster);
}

}  // namespace rbm
