// rbm/dataset.hpp — binary datasets, the loaders that produce them and generated datasets.
//
// Loaders of grey-level images (MNIST IDX, CSV) return GrayImages in [0,1]; `binarize` turns
// them into a Dataset. `load_dataset(spec)` composes everything from one string, e.g.
//   bas:4                      bars-and-stripes 4×4, all 30 distinct patterns
//   glyphs[:N]                 synthetic glyph digits, N per class (default 100)
//   mnist:DIR[:train|test][:7,8,9]   MNIST IDX files (gzip or plain) in DIR, optional label subset
//   csv:FILE                   scikit-learn digits.csv(.gz) layout: pixels then label
//   amat:FILE                  binarized MNIST .amat text (0/1, no labels)
// followed by options `:threshold=X`, `:scale=S` (csv), `:resize=HxW`, `:labels=7,8,9`,
// `:skip=N` (drop the first N rows), `:limit=N` (keep the first N rows after that), `:seed=S`
// (glyphs). E.g. `csv:FILE:limit=1500` and `csv:FILE:skip=1500` split a file in two.
// `threshold` (default 0.5, pixel > X → 1) binarizes grey levels: mnist and csv data, or any
// data after a resize. On data that is already binary (bas, glyphs, amat) without a resize it
// could only do nothing or blank every image, so it is an InvalidArgument there. A resize
// that would make more than 2^31 pixel values is an InvalidArgument too.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rbm/export.hpp"
#include "rbm/model.hpp"

namespace rbm {

/// N binary vectors of length D, with optional labels and image shape.
struct RBM_EXPORT Dataset {
  std::size_t n_samples = 0;
  int n_visible = 0;                 ///< D
  std::vector<std::uint8_t> values;  ///< [N][D] row-major, each 0 or 1
  std::vector<std::int32_t> labels;  ///< empty, or one per sample
  int image_height = 0;              ///< 0 when the vectors are not images
  int image_width = 0;
  std::string name;  ///< the spec or file it came from, for provenance

  std::uint8_t at(std::size_t n, int i) const { return values[n * n_visible + i]; }
  /// Throws InvalidArgument when sizes disagree or a value is not 0/1.
  void validate() const;
};

/// N grey-level images with pixel values in [0,1].
struct RBM_EXPORT GrayImages {
  std::size_t n_images = 0;
  int height = 0;
  int width = 0;
  std::vector<float> pixels;         ///< [N][H*W] row-major, in [0,1]
  std::vector<std::int32_t> labels;  ///< empty, or one per image
};

/// Options for CSV files in the scikit-learn digits layout (D pixel values, then a label).
struct CsvOptions {
  float scale = 0.0f;     ///< divide pixels by this; 0 = by the file's maximum value
  bool has_label = true;  ///< last column is an integer label
  int image_height = 0;   ///< 0 = square images inferred from the width
  int image_width = 0;
};

/// Reads MNIST IDX images (magic 0x803) and, if `labels_path` is non-empty, labels (0x801).
/// Files may be gzip-compressed. Throws IoError naming the file on bad magic or truncation.
RBM_EXPORT GrayImages load_mnist_idx(const std::string& images_path,
                                     const std::string& labels_path = "");
/// Reads a CSV file (gzip or plain). Throws IoError naming file and line on a wrong width.
RBM_EXPORT GrayImages load_csv(const std::string& path, const CsvOptions& options = {});
/// Reads a binarized-MNIST .amat text file (gzip or plain): lines of D space-separated 0/1.
RBM_EXPORT Dataset load_amat(const std::string& path, int image_height = 28, int image_width = 28);

/// pixel > threshold → 1.
RBM_EXPORT Dataset binarize(const GrayImages& images, float threshold = 0.5f);
/// Keeps the images whose label is in `keep` (requires labels).
RBM_EXPORT GrayImages select_labels(const GrayImages& images, const std::vector<int>& keep);
RBM_EXPORT Dataset select_labels(const Dataset& data, const std::vector<int>& keep);
/// Bilinear resampling to height×width (e.g. the scikit-learn digits 8×8 → 14×14).
RBM_EXPORT GrayImages resize_bilinear(const GrayImages& images, int height, int width);
/// The first `count` samples (or all if fewer).
RBM_EXPORT Dataset head(const Dataset& data, std::size_t count);

/// The visible biases of the independent ("base-rate") model whose unit means are the data's
/// column means p_i: log(p/(1−p)) for Bernoulli units, atanh(2p − 1) for spin units, p clamped
/// to [1/(2N+2), 1 − 1/(2N+2)] so that constant columns give large finite biases.
RBM_EXPORT std::vector<float> base_rate_bias(const Dataset& data, UnitType visible_type);
/// The same from column means already at hand (n_samples sets the clamp).
RBM_EXPORT std::vector<float> base_rate_bias(const std::vector<double>& column_means,
                                             std::size_t n_samples,
                                             UnitType visible_type);

/// Labels as visible units: every row gets one more unit per class, 1 for its label's class
/// (one-hot), appended after the data's units; the result has no image shape. Requires labels,
/// each one of `classes` (distinct). A model trained on it classifies with
/// Engine::label_posteriors.
RBM_EXPORT Dataset with_label_units(const Dataset& data, const std::vector<int>& classes);

/// Bars-and-stripes n×n: every pattern of full rows or full columns, each distinct pattern
/// once (2^(n+1) - 2 of them; the all-off and all-on images appear once each).
RBM_EXPORT Dataset make_bars_and_stripes(int n);
/// Synthetic glyph digits: 10 seven-segment-like glyphs on a 14×14 grid with random shifts,
/// stroke thickness and pixel noise; `per_class` images per digit (1 to 10^6), labels 0..9.
RBM_EXPORT Dataset make_glyph_digits(std::size_t per_class, std::uint64_t seed = 1);

/// Element type of a caller's array of data bits (DataView). Arrays of other 1-, 4- and 8-byte
/// integer types holding 0/1 (bool, int8, uint32, ...) have the same bytes as one of these.
enum class ElementType : std::uint8_t { uint8, int32, int64, float32, float64 };
RBM_EXPORT const char* to_string(ElementType type);

/// A dataset in memory the caller owns: N rows of D data bits (each exactly 0 or 1), row-major
/// and contiguous, in host memory or on a CUDA device; read only during the call it is given
/// to (dataset_from, Engine::upload). Lets arrays from other libraries (NumPy, PyTorch, CuPy)
/// become datasets in one pass, and device arrays be uploaded without a trip through host
/// memory.
struct DataView {
  const void* data = nullptr;
  std::size_t n_samples = 0;  ///< N
  int n_visible = 0;          ///< D
  ElementType type = ElementType::uint8;
  int cuda_device = -1;  ///< -1: host memory; otherwise the CUDA device the memory is on
  std::string name;      ///< what the data is, for messages
};

/// The rows of a host-memory view as a Dataset (no labels, no image shape). Throws
/// InvalidArgument for an empty view, a null pointer, device memory, or a value that is not
/// exactly 0 or 1 (naming its row and column).
RBM_EXPORT Dataset dataset_from(const DataView& view);

/// Builds a dataset from a spec string (see the file comment). Throws InvalidArgument naming
/// the part of the spec that is wrong, IoError for file problems.
RBM_EXPORT Dataset load_dataset(const std::string& spec);

}  // namespace rbm
