// host/data/generated.cpp — datasets made on the fly: bars-and-stripes (small enough for exact
// likelihoods) and seven-segment-style glyph digits (a labelled image set needing no files).
#include <algorithm>
#include <random>

#include "host/check.hpp"
#include "rbm/dataset.hpp"

namespace rbm {

Dataset make_bars_and_stripes(int n) {
  // 2^(n+1) - 2 patterns of n*n pixels: n = 16 is already 33 MB, and beyond that the set is
  // useless as an exactly enumerable test distribution anyway.
  RBM_EXPECTS(n >= 1 && n <= 16, "make_bars_and_stripes: n = ", n, " must be in [1, 16]");
  Dataset data;
  data.n_visible = n * n;
  data.image_height = n;
  data.image_width = n;
  data.name = detail::concat("bas:", n);
  const std::size_t subsets = std::size_t{1} << n;
  // Horizontal bars: every subset of rows, including none (all off) and all (all on).
  for (std::size_t mask = 0; mask < subsets; ++mask) {
    for (int row = 0; row < n; ++row) {
      data.values.insert(data.values.end(), n, static_cast<std::uint8_t>((mask >> row) & 1u));
    }
  }
  // Vertical stripes: every subset of columns except none and all, which would repeat the
  // all-off and all-on images already produced as bars.
  for (std::size_t mask = 1; mask + 1 < subsets; ++mask) {
    for (int row = 0; row < n; ++row) {
      for (int col = 0; col < n; ++col) {
        data.values.push_back(static_cast<std::uint8_t>((mask >> col) & 1u));
      }
    }
  }
  data.n_samples = data.values.size() / data.n_visible;
  return data;
}

namespace {

constexpr int glyph_size = 14;
// The glyph box. A ±1 shift must keep every stroke on the grid, so the box leaves one free
// row/column beyond the shift on each side: columns 3..10 and rows 1..12 move to 2..11 / 0..13.
constexpr int box_left = 3, box_right = 10, box_top = 1, box_bottom = 12, box_middle = 6;
constexpr double flip_probability = 0.02;

// Seven-segment bits, segment order a (top), b (top right), c (bottom right), d (bottom),
// e (bottom left), f (top left), g (middle). The ten patterns are pairwise different.
constexpr std::uint8_t segments[10] = {
    0b0111111,  // 0: a b c d e f
    0b0000110,  // 1: b c (drawn differently below)
    0b1011011,  // 2: a b d e g
    0b1001111,  // 3: a b c d g
    0b1100110,  // 4: b c f g
    0b1101101,  // 5: a c d f g
    0b1111101,  // 6: a c d e f g
    0b0000111,  // 7: a b c
    0b1111111,  // 8: all
    0b1101111,  // 9: a b c d f g
};

/// A uniform double in [0, 1) from the top 53 bits of one engine output. The std::
/// distributions are implementation-defined, so they would make the dataset differ between
/// standard libraries; raw mt19937_64 output is specified exactly.
double uniform(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1p-53;
}

/// 0, 1 or 2 with equal chance (the modulo bias of 2^64 mod 3 is negligible).
int one_of_three(std::mt19937_64& rng) {
  return static_cast<int>(rng() % 3);
}

void fill(std::uint8_t* image, int top, int bottom, int left, int right) {
  for (int y = top; y <= bottom; ++y)
    for (int x = left; x <= right; ++x) image[y * glyph_size + x] = 1;
}

/// Draws `digit` with strokes `thickness` wide, growing inward so that the outline stays put.
void draw_glyph(std::uint8_t* image, int digit, int thickness) {
  const int t = thickness - 1;
  if (digit == 1) {
    // Seven-segment "1" is the right edge of 0, 3, 4, 7, 8 and 9; a centred stroke with a
    // flag at the top reads as a handwritten 1 and shares fewer pixels with the others.
    const int centre = (box_left + box_right) / 2;
    fill(image, box_top, box_bottom, centre, centre + t);
    for (int k = 1; k <= 2; ++k) fill(image, box_top + k, box_top + k + t, centre - k, centre - k);
    return;
  }
  const std::uint8_t bits = segments[digit];
  if (bits & 0b0000001) fill(image, box_top, box_top + t, box_left, box_right);         // a
  if (bits & 0b0000010) fill(image, box_top, box_middle, box_right - t, box_right);     // b
  if (bits & 0b0000100) fill(image, box_middle, box_bottom, box_right - t, box_right);  // c
  if (bits & 0b0001000) fill(image, box_bottom - t, box_bottom, box_left, box_right);   // d
  if (bits & 0b0010000) fill(image, box_middle, box_bottom, box_left, box_left + t);    // e
  if (bits & 0b0100000) fill(image, box_top, box_middle, box_left, box_left + t);       // f
  if (bits & 0b1000000) fill(image, box_middle, box_middle + t, box_left, box_right);   // g
}

}  // namespace

Dataset make_glyph_digits(std::size_t per_class, std::uint64_t seed) {
  // 10^6 per class is 10^7 images, 1.96 GB: more is no test set any machine should be asked
  // to make from a few characters of spec.
  RBM_EXPECTS(per_class >= 1 && per_class <= 1'000'000,
              "make_glyph_digits: per_class = ", per_class, " must be in [1, 1000000]");
  constexpr int n_pixels = glyph_size * glyph_size;
  Dataset data;
  data.n_samples = 10 * per_class;
  data.n_visible = n_pixels;
  data.image_height = glyph_size;
  data.image_width = glyph_size;
  data.name = detail::concat("glyphs:", per_class);
  data.values.assign(data.n_samples * n_pixels, 0);
  data.labels.resize(data.n_samples);
  std::mt19937_64 rng(seed);
  std::uint8_t clean[n_pixels];
  // Classes interleave (0, 1, ..., 9, 0, 1, ...) so that any prefix, e.g. from head() or
  // limit=N, is balanced.
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const int digit = static_cast<int>(n % 10);
    const int dx = one_of_three(rng) - 1;
    const int dy = one_of_three(rng) - 1;
    const int thickness = 1 + static_cast<int>(rng() & 1u);
    std::fill(clean, clean + n_pixels, 0);
    draw_glyph(clean, digit, thickness);
    std::uint8_t* image = data.values.data() + n * n_pixels;
    for (int y = 0; y < glyph_size; ++y) {
      for (int x = 0; x < glyph_size; ++x) {
        const int from_y = y - dy, from_x = x - dx;
        const bool inside =
            from_y >= 0 && from_y < glyph_size && from_x >= 0 && from_x < glyph_size;
        std::uint8_t pixel = inside ? clean[from_y * glyph_size + from_x] : 0;
        // Pixel-flip noise keeps every pattern off the exact template, so models must
        // generalise rather than memorise ten images.
        if (uniform(rng) < flip_probability) pixel ^= 1u;
        image[y * glyph_size + x] = pixel;
      }
    }
    data.labels[n] = digit;
  }
  return data;
}

}  // namespace rbm
