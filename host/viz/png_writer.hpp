// host/viz/png_writer.hpp — the one place that encodes PNG files (libpng), used by the image
// grids and by the plots (which PLplot draws into memory). Files go through the atomic writer.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rbm::detail {

/// 8-bit pixels, row-major from the top-left, `channels` bytes per pixel: 1 grey, 3 RGB.
struct Raster {
  int width = 0;
  int height = 0;
  int channels = 1;
  std::vector<std::uint8_t> pixels;  ///< [height][width][channels]
};

/// Writes `raster` as a PNG file atomically; `what` names the file in errors ("image grid").
/// Throws IoError naming `path` when the file cannot be written.
void write_png(const std::string& path, const char* what, const Raster& raster);

}  // namespace rbm::detail
