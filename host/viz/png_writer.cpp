// host/viz/png_writer.cpp — libpng encoding into the FILE* of the atomic writer.
//
// libpng reports errors by longjmp to the setjmp point of png_jmpbuf (its documented way; a
// C++ exception thrown from its error callback would unwind through C frames). Only the
// function holding that setjmp touches libpng, and it creates no C++ objects, so the jump skips
// no destructor.
#include "host/viz/png_writer.hpp"

#include <png.h>

#include <csetjmp>
#include <cstdio>

#include "host/check.hpp"
#include "host/io/atomic_file.hpp"

namespace rbm::detail {
namespace {

void ignore_png_warning(png_structp, png_const_charp) {}

/// Encodes `raster` into `file`; false when libpng failed (out of memory, write error).
bool encode_png(std::FILE* file, const Raster& raster) {
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, ignore_png_warning);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_init_io(png, file);
  const int color_type = raster.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB;
  png_set_IHDR(png, info, static_cast<png_uint_32>(raster.width),
               static_cast<png_uint_32>(raster.height), 8, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const std::size_t row_bytes = static_cast<std::size_t>(raster.width) * raster.channels;
  for (int row = 0; row < raster.height; ++row) {
    png_write_row(png, raster.pixels.data() + row * row_bytes);
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

void write_png(const std::string& path, const char* what, const Raster& raster) {
  RBM_EXPECTS(raster.width > 0 && raster.height > 0 &&
                  (raster.channels == 1 || raster.channels == 3) &&
                  raster.pixels.size() ==
                      static_cast<std::size_t>(raster.width) * raster.height * raster.channels,
              "write_png: raster ", raster.width, "x", raster.height, "x", raster.channels,
              " does not match its ", raster.pixels.size(), " bytes");
  write_file_atomically(path, what, [&](std::FILE* file) { return encode_png(file, raster); });
}

}  // namespace rbm::detail
