// tests/test_data.cpp — datasets: generators, transforms, the IDX/CSV/amat loaders (round trips
// and malformed files, gzip and plain), spec strings, and the real files in ../shared/data.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "rbm/dataset.hpp"
#include "rbm/error.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef RBM_TEST_DATA_DIR
#define RBM_TEST_DATA_DIR ""
#endif

namespace {

namespace fs = std::filesystem;
using rbm::Dataset;
using rbm::GrayImages;
using rbm::test::TempDir;

// ---- helpers -------------------------------------------------------------------------------

/// CRC-32 (the gzip polynomial), bit by bit: the test must not depend on zlib, which librbm
/// links privately.
std::uint32_t crc32(const std::string& bytes) {
  std::uint32_t crc = 0xffffffffu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put_le32(std::string& out, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
}

/// A valid gzip member holding `bytes` in stored (uncompressed) deflate blocks.
std::string gzip_stored(const std::string& bytes) {
  std::string out = {'\x1f', '\x8b', '\x08', '\0', '\0', '\0', '\0', '\0', '\0', '\xff'};
  std::size_t at = 0;
  do {
    const std::size_t len = std::min<std::size_t>(bytes.size() - at, 65535);
    const bool last = at + len == bytes.size();
    out.push_back(last ? '\x01' : '\x00');
    out.push_back(static_cast<char>(len & 0xff));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(~len & 0xff));
    out.push_back(static_cast<char>((~len >> 8) & 0xff));
    out.append(bytes, at, len);
    at += len;
  } while (at < bytes.size());
  put_le32(out, crc32(bytes));
  put_le32(out, static_cast<std::uint32_t>(bytes.size()));
  return out;
}

void write_file(const fs::path& path, const std::string& bytes, bool gzip = false) {
  std::ofstream out(path, std::ios::binary);
  out << (gzip ? gzip_stored(bytes) : bytes);
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

void put_be32(std::string& out, std::uint32_t v) {
  for (int k = 3; k >= 0; --k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
}

/// An IDX images file: magic, count, rows, cols, then the pixel bytes.
std::string idx_images(std::uint32_t magic,
                       std::uint32_t count,
                       std::uint32_t rows,
                       std::uint32_t cols,
                       const std::vector<std::uint8_t>& pixels) {
  std::string out;
  put_be32(out, magic);
  put_be32(out, count);
  put_be32(out, rows);
  put_be32(out, cols);
  out.append(pixels.begin(), pixels.end());
  return out;
}

std::string idx_labels(std::uint32_t magic, const std::vector<std::uint8_t>& labels) {
  std::string out;
  put_be32(out, magic);
  put_be32(out, static_cast<std::uint32_t>(labels.size()));
  out.append(labels.begin(), labels.end());
  return out;
}

/// Runs `call`, expecting exception type E whose message contains every one of `parts`.
template <typename E, typename F>
::testing::AssertionResult throws_with(F&& call, const std::vector<std::string>& parts) {
  try {
    call();
  } catch (const E& error) {
    const std::string message = error.what();
    for (const auto& part : parts) {
      if (message.find(part) == std::string::npos) {
        return ::testing::AssertionFailure()
               << "message \"" << message << "\" lacks \"" << part << "\"";
      }
    }
    return ::testing::AssertionSuccess() << message;
  } catch (const std::exception& other) {
    return ::testing::AssertionFailure() << "threw a different exception: " << other.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

std::vector<std::uint8_t> sample(const Dataset& data, std::size_t n) {
  const auto first = data.values.begin() + n * data.n_visible;
  return {first, first + data.n_visible};
}

GrayImages gray(
    int n, int height, int width, std::vector<float> pixels, std::vector<int> labels = {}) {
  GrayImages images;
  images.n_images = n;
  images.height = height;
  images.width = width;
  images.pixels = std::move(pixels);
  images.labels.assign(labels.begin(), labels.end());
  return images;
}

std::string data_dir() {
  return RBM_TEST_DATA_DIR;
}

// ---- generated datasets --------------------------------------------------------------------

class DataBarsAndStripes : public ::testing::TestWithParam<int> {};

TEST_P(DataBarsAndStripes, AllDistinctPatternsOnce) {
  const int n = GetParam();
  const Dataset data = rbm::make_bars_and_stripes(n);
  EXPECT_NO_THROW(data.validate());
  ASSERT_EQ(data.n_samples, (std::size_t{1} << (n + 1)) - 2) << "n = " << n;
  EXPECT_EQ(data.n_visible, n * n);
  EXPECT_EQ(data.image_height, n);
  EXPECT_EQ(data.image_width, n);
  std::set<std::vector<std::uint8_t>> seen;
  for (std::size_t s = 0; s < data.n_samples; ++s) {
    const auto pattern = sample(data, s);
    EXPECT_TRUE(seen.insert(pattern).second) << "pattern " << s << " repeats";
    bool rows_constant = true, cols_constant = true;
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) {
        rows_constant &= pattern[y * n + x] == pattern[y * n];
        cols_constant &= pattern[y * n + x] == pattern[x];
      }
    EXPECT_TRUE(rows_constant || cols_constant)
        << "pattern " << s << " is neither bars nor stripes";
  }
  EXPECT_EQ(seen.count(std::vector<std::uint8_t>(n * n, 0)), 1u);
  EXPECT_EQ(seen.count(std::vector<std::uint8_t>(n * n, 1)), 1u);
}

INSTANTIATE_TEST_SUITE_P(Data, DataBarsAndStripes, ::testing::Values(2, 3, 4));

TEST(DataBarsAndStripesArgs, RejectsBadSize) {
  EXPECT_THROW(rbm::make_bars_and_stripes(0), rbm::InvalidArgument);
  EXPECT_THROW(rbm::make_bars_and_stripes(17), rbm::InvalidArgument);
}

TEST(DataGlyphDigits, ShapeAndLabels) {
  const Dataset data = rbm::make_glyph_digits(7, 3);
  EXPECT_NO_THROW(data.validate());
  ASSERT_EQ(data.n_samples, 70u);
  EXPECT_EQ(data.n_visible, 196);
  EXPECT_EQ(data.image_height, 14);
  EXPECT_EQ(data.image_width, 14);
  ASSERT_EQ(data.labels.size(), 70u);
  std::map<int, int> counts;
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    EXPECT_EQ(data.labels[n], static_cast<int>(n % 10)) << "classes interleave, sample " << n;
    ++counts[data.labels[n]];
  }
  EXPECT_EQ(counts.size(), 10u);
  for (const auto& [label, count] : counts) EXPECT_EQ(count, 7) << "label " << label;
  EXPECT_THROW(rbm::make_glyph_digits(0), rbm::InvalidArgument);
}

TEST(DataGlyphDigits, DeterministicFromSeed) {
  const Dataset a = rbm::make_glyph_digits(20, 42);
  const Dataset b = rbm::make_glyph_digits(20, 42);
  const Dataset c = rbm::make_glyph_digits(20, 43);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_NE(a.values, c.values);
  // Ink per image: strokes are a few dozen pixels, noise about 2% of 196.
  for (std::size_t n = 0; n < a.n_samples; ++n) {
    int ink = 0;
    for (int i = 0; i < a.n_visible; ++i) ink += a.at(n, i);
    EXPECT_GT(ink, 8) << "sample " << n;
    EXPECT_LT(ink, 120) << "sample " << n;
  }
}

TEST(DataGlyphDigits, ClassesAreDistinct) {
  // Nearest neighbour in Hamming distance, from one seed's images to another's: shifts,
  // thickness and 2% flips must not blur the ten glyphs together. (Class means are too
  // blurred by the ±1 shifts to serve as prototypes, so only their L1 gaps are checked.)
  const Dataset train = rbm::make_glyph_digits(100, 1);
  const Dataset test = rbm::make_glyph_digits(30, 2);
  int correct = 0;
  for (std::size_t n = 0; n < test.n_samples; ++n) {
    int best_distance = 1 << 30, best_label = -1;
    for (std::size_t m = 0; m < train.n_samples; ++m) {
      int distance = 0;
      for (int i = 0; i < 196; ++i) distance += test.at(n, i) != train.at(m, i);
      if (distance < best_distance) best_distance = distance, best_label = train.labels[m];
    }
    correct += best_label == test.labels[n];
  }
  EXPECT_GE(correct, 285) << correct << " of 300 classified correctly by 1-NN";

  std::vector<std::array<double, 196>> means(10);
  for (auto& m : means) m.fill(0.0);
  for (std::size_t n = 0; n < train.n_samples; ++n)
    for (int i = 0; i < 196; ++i) means[train.labels[n]][i] += train.at(n, i) / 100.0;
  for (int a = 0; a < 10; ++a)
    for (int b = a + 1; b < 10; ++b) {
      double l1 = 0.0;
      for (int i = 0; i < 196; ++i) l1 += std::fabs(means[a][i] - means[b][i]);
      EXPECT_GT(l1, 5.0) << "classes " << a << " and " << b;
    }
}

// ---- transforms ----------------------------------------------------------------------------

TEST(DataTransforms, BinarizeUsesStrictThreshold) {
  const GrayImages images = gray(2, 1, 2, {0.0f, 0.5f, 0.51f, 1.0f}, {3, 4});
  const Dataset half = rbm::binarize(images);
  EXPECT_EQ(half.values, (std::vector<std::uint8_t>{0, 0, 1, 1}));
  EXPECT_EQ(half.labels, (std::vector<std::int32_t>{3, 4}));
  EXPECT_EQ(half.n_samples, 2u);
  EXPECT_EQ(half.n_visible, 2);
  EXPECT_EQ(half.image_height, 1);
  EXPECT_EQ(half.image_width, 2);
  EXPECT_NO_THROW(half.validate());
  EXPECT_EQ(rbm::binarize(images, 0.0f).values, (std::vector<std::uint8_t>{0, 1, 1, 1}));
  EXPECT_EQ(rbm::binarize(images, 0.9f).values, (std::vector<std::uint8_t>{0, 0, 0, 1}));
  EXPECT_THROW(rbm::binarize(gray(2, 1, 2, {0.0f, 1.0f, 0.0f})), rbm::InvalidArgument);
  EXPECT_THROW(rbm::binarize(images, NAN), rbm::InvalidArgument);
}

TEST(DataTransforms, ValidateCatchesInconsistencies) {
  Dataset good = rbm::make_bars_and_stripes(2);
  EXPECT_NO_THROW(good.validate());
  Dataset bad_value = good;
  bad_value.values[5] = 2;
  EXPECT_TRUE(throws_with<rbm::InvalidArgument>([&] { bad_value.validate(); },
                                                {"value 2", "sample 1", "unit 1"}));
  Dataset short_values = good;
  short_values.values.pop_back();
  EXPECT_THROW(short_values.validate(), rbm::InvalidArgument);
  Dataset bad_labels = good;
  bad_labels.labels = {1, 2};
  EXPECT_THROW(bad_labels.validate(), rbm::InvalidArgument);
  Dataset bad_shape = good;
  bad_shape.image_width = 3;
  EXPECT_THROW(bad_shape.validate(), rbm::InvalidArgument);
}

TEST(DataTransforms, ImageShapesBeyondIntAreRejected) {
  // 65536 x 65536 pixels is 2^32: in int arithmetic that wrapped to 0 and matched an empty
  // dataset (undefined behaviour, flagged by UBSan).
  Dataset empty;
  empty.image_height = 65536;
  empty.image_width = 65536;
  EXPECT_THROW(empty.validate(), rbm::InvalidArgument);
  EXPECT_TRUE(throws_with<rbm::InvalidArgument>([] { rbm::binarize(gray(0, 65536, 65536, {})); },
                                                {"binarize", "65536x65536"}));
}

TEST(DataTransforms, SelectLabelsKeepsOrder) {
  const GrayImages images = gray(4, 1, 1, {0.1f, 0.2f, 0.3f, 0.4f}, {7, 1, 9, 7});
  const GrayImages kept = rbm::select_labels(images, {9, 7});
  EXPECT_EQ(kept.n_images, 3u);
  EXPECT_EQ(kept.pixels, (std::vector<float>{0.1f, 0.3f, 0.4f}));
  EXPECT_EQ(kept.labels, (std::vector<std::int32_t>{7, 9, 7}));
  EXPECT_EQ(rbm::select_labels(images, {5}).n_images, 0u);

  const Dataset glyphs = rbm::make_glyph_digits(5, 9);
  const Dataset sevens = rbm::select_labels(glyphs, {7});
  EXPECT_NO_THROW(sevens.validate());
  ASSERT_EQ(sevens.n_samples, 5u);
  for (std::size_t n = 0; n < 5; ++n) {
    EXPECT_EQ(sevens.labels[n], 7);
    EXPECT_EQ(sample(sevens, n), sample(glyphs, 10 * n + 7));
  }

  EXPECT_THROW(rbm::select_labels(images, {}), rbm::InvalidArgument);
  EXPECT_THROW(rbm::select_labels(gray(1, 1, 1, {0.5f}), {1}), rbm::InvalidArgument);
  EXPECT_THROW(rbm::select_labels(rbm::make_bars_and_stripes(2), {1}), rbm::InvalidArgument);
}

TEST(DataTransforms, ResizeKeepsConstantsAndCorners) {
  const GrayImages constant = gray(1, 8, 8, std::vector<float>(64, 0.375f), {4});
  const GrayImages big = rbm::resize_bilinear(constant, 14, 14);
  EXPECT_EQ(big.n_images, 1u);
  EXPECT_EQ(big.height, 14);
  EXPECT_EQ(big.width, 14);
  EXPECT_EQ(big.labels, (std::vector<std::int32_t>{4}));
  ASSERT_EQ(big.pixels.size(), 196u);
  for (float p : big.pixels) EXPECT_FLOAT_EQ(p, 0.375f);

  std::vector<float> ramp(64);
  for (int i = 0; i < 64; ++i) ramp[i] = static_cast<float>(i) / 63.0f;
  const GrayImages images = gray(1, 8, 8, ramp);
  for (auto [h, w] : {std::pair{14, 14}, std::pair{5, 3}, std::pair{8, 8}}) {
    const GrayImages out = rbm::resize_bilinear(images, h, w);
    ASSERT_EQ(out.pixels.size(), static_cast<std::size_t>(h * w));
    EXPECT_EQ(out.pixels[0], ramp[0]) << h << "x" << w;
    EXPECT_EQ(out.pixels[w - 1], ramp[7]) << h << "x" << w;
    EXPECT_EQ(out.pixels[(h - 1) * w], ramp[56]) << h << "x" << w;
    EXPECT_EQ(out.pixels[h * w - 1], ramp[63]) << h << "x" << w;
    for (float p : out.pixels) {
      EXPECT_GE(p, 0.0f);
      EXPECT_LE(p, 1.0f);
    }
  }
  EXPECT_EQ(rbm::resize_bilinear(images, 8, 8).pixels, ramp);
  // 2×2 → 3×3: the centre is the mean of the four corners, edge midpoints the mean of two.
  const GrayImages square = rbm::resize_bilinear(gray(1, 2, 2, {0.0f, 1.0f, 0.5f, 0.25f}), 3, 3);
  EXPECT_FLOAT_EQ(square.pixels[4], 0.4375f);
  EXPECT_FLOAT_EQ(square.pixels[1], 0.5f);
  EXPECT_FLOAT_EQ(square.pixels[3], 0.25f);
  EXPECT_THROW(rbm::resize_bilinear(images, 0, 4), rbm::InvalidArgument);
}

TEST(DataTransforms, HeadTakesFirstRows) {
  const Dataset glyphs = rbm::make_glyph_digits(3, 5);
  const Dataset first = rbm::head(glyphs, 4);
  EXPECT_NO_THROW(first.validate());
  ASSERT_EQ(first.n_samples, 4u);
  EXPECT_EQ(first.labels, (std::vector<std::int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(first.image_height, 14);
  for (std::size_t n = 0; n < 4; ++n) EXPECT_EQ(sample(first, n), sample(glyphs, n));
  EXPECT_EQ(rbm::head(glyphs, 1000).values, glyphs.values);
  EXPECT_EQ(rbm::head(glyphs, 0).n_samples, 0u);
  const Dataset bas = rbm::head(rbm::make_bars_and_stripes(3), 2);
  EXPECT_EQ(bas.n_samples, 2u);
  EXPECT_TRUE(bas.labels.empty());
}

// ---- IDX -----------------------------------------------------------------------------------

class DataIdx : public ::testing::TestWithParam<bool> {
 protected:
  bool gzip() const { return GetParam(); }
  std::string file(const std::string& stem) const {
    return (dir_ / (stem + (gzip() ? ".gz" : ""))).string();
  }
  void write(const std::string& path, const std::string& bytes) { write_file(path, bytes, gzip()); }
  TempDir dir_;
  const std::vector<std::uint8_t> pixels_ = [] {
    std::vector<std::uint8_t> p(3 * 2 * 4);
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>(i * 11);
    p[5] = 255;
    return p;
  }();
};

TEST_P(DataIdx, RoundTrip) {
  const std::string images_path = file("images"), labels_path = file("labels");
  write(images_path, idx_images(0x803, 3, 2, 4, pixels_));
  write(labels_path, idx_labels(0x801, {7, 0, 9}));
  const GrayImages images = rbm::load_mnist_idx(images_path, labels_path);
  EXPECT_EQ(images.n_images, 3u);
  EXPECT_EQ(images.height, 2);
  EXPECT_EQ(images.width, 4);
  ASSERT_EQ(images.pixels.size(), pixels_.size());
  for (std::size_t i = 0; i < pixels_.size(); ++i)
    EXPECT_EQ(images.pixels[i], pixels_[i] / 255.0f) << "pixel " << i;
  EXPECT_EQ(images.pixels[5], 1.0f);
  EXPECT_EQ(images.labels, (std::vector<std::int32_t>{7, 0, 9}));
  EXPECT_TRUE(rbm::load_mnist_idx(images_path).labels.empty());
}

TEST_P(DataIdx, WrongMagic) {
  const std::string images_path = file("images"), labels_path = file("labels");
  write(images_path, idx_images(0x804, 3, 2, 4, pixels_));
  EXPECT_TRUE(throws_with<rbm::IoError>(
      [&] { rbm::load_mnist_idx(images_path); },
      {images_path, "bad magic number 0x00000804, expected 0x00000803 (MNIST IDX images)"}));
  write(images_path, idx_images(0x803, 3, 2, 4, pixels_));
  write(labels_path, idx_images(0x803, 3, 2, 4, pixels_));  // images where labels belong
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_mnist_idx(images_path, labels_path); },
                                        {labels_path, "expected 0x00000801"}));
}

TEST_P(DataIdx, Truncated) {
  const std::string path = file("images");
  std::string bytes = idx_images(0x803, 3, 2, 4, pixels_);
  bytes.resize(bytes.size() - 5);
  write(path, bytes);
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_mnist_idx(path); },
                                        {path, "truncated: expected 24 bytes of pixels, got 19"}));
  write(path, bytes.substr(0, 10));
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_mnist_idx(path); }, {path, "header"}));
  // A header claiming a billion images must fail on truncation, not on allocation.
  write(path, idx_images(0x803, 1'000'000'000, 28, 28, pixels_));
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_mnist_idx(path); }, {path, "truncated"}));
}

TEST_P(DataIdx, LabelCountMismatch) {
  const std::string images_path = file("images"), labels_path = file("labels");
  write(images_path, idx_images(0x803, 3, 2, 4, pixels_));
  write(labels_path, idx_labels(0x801, {1, 2}));
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_mnist_idx(images_path, labels_path); },
                                        {labels_path, "2 labels", "3 images"}));
}

TEST_P(DataIdx, MissingFile) {
  const std::string path = file("nowhere");
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_mnist_idx(path); }, {path}));
  write(file("images"), idx_images(0x803, 3, 2, 4, pixels_));
  EXPECT_TRUE(
      throws_with<rbm::IoError>([&] { rbm::load_mnist_idx(file("images"), path); }, {path}));
}

INSTANTIATE_TEST_SUITE_P(Data, DataIdx, ::testing::Bool(), [](const auto& info) {
  return info.param ? "gzip" : "plain";
});

TEST(DataIdxGzip, TruncatedCompressedStream) {
  TempDir dir;
  const std::string path = (dir / "images.gz").string();
  std::vector<std::uint8_t> pixels(100 * 28 * 28, 17);
  std::string gz = gzip_stored(idx_images(0x803, 100, 28, 28, pixels));
  gz.resize(gz.size() / 2);
  write_file(path, gz);
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_mnist_idx(path); }, {path, "truncated"}));
}

// ---- CSV and amat --------------------------------------------------------------------------

class DataText : public ::testing::TestWithParam<bool> {
 protected:
  std::string write(const std::string& stem, const std::string& text) {
    const std::string path = (dir_ / (stem + (GetParam() ? ".gz" : ""))).string();
    write_file(path, text, GetParam());
    return path;
  }
  TempDir dir_;
};

TEST_P(DataText, CsvRoundTrip) {
  const std::string path = write("d.csv", "0,4,8,16,3\n2,2, 2 ,2,9\r\n\n");
  const GrayImages images = rbm::load_csv(path);
  EXPECT_EQ(images.n_images, 2u);
  EXPECT_EQ(images.height, 2);
  EXPECT_EQ(images.width, 2);
  EXPECT_EQ(images.pixels,
            (std::vector<float>{0.0f, 0.25f, 0.5f, 1.0f, 0.125f, 0.125f, 0.125f, 0.125f}));
  EXPECT_EQ(images.labels, (std::vector<std::int32_t>{3, 9}));

  rbm::CsvOptions options;
  options.scale = 32.0f;
  options.image_height = 1;
  options.image_width = 4;
  const GrayImages scaled = rbm::load_csv(path, options);
  EXPECT_EQ(scaled.height, 1);
  EXPECT_EQ(scaled.width, 4);
  EXPECT_EQ(scaled.pixels[3], 0.5f);

  options = {};
  options.has_label = false;
  options.image_height = 1;
  options.image_width = 5;
  const GrayImages unlabelled = rbm::load_csv(path, options);
  EXPECT_TRUE(unlabelled.labels.empty());
  EXPECT_EQ(unlabelled.pixels.size(), 10u);
}

TEST_P(DataText, CsvMalformed) {
  const std::string narrow = write("narrow.csv", "1,2,3,4,0\n1,2,3,4,1\n1,2,3,1\n");
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_csv(narrow); },
                                        {narrow, "line 3", "4 values, expected 5"}));
  const std::string word = write("word.csv", "1,2,3,4,0\n1,two,3,4,1\n");
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_csv(word); },
                                        {word, "line 2", "column 2", "'two'"}));
  const std::string label = write("label.csv", "1,2,3,4,0.5\n");
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_csv(label); }, {label, "line 1"}));
  const std::string empty = write("empty.csv", "\n\n");
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_csv(empty); }, {empty, "no data"}));
  const std::string odd = write("odd.csv", "1,2,3,0\n");
  EXPECT_TRUE(throws_with<rbm::InvalidArgument>([&] { rbm::load_csv(odd); }, {odd, "square"}));
  rbm::CsvOptions small_scale;
  small_scale.scale = 2.0f;
  const std::string bright = write("bright.csv", "1,2,3,4,0\n");
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_csv(bright, small_scale); },
                                        {bright, "exceeds the scale"}));
  const std::string negative = write("negative.csv", "1,-2,3,4,0\n");
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_csv(negative); },
                                        {negative, "line 1", "negative"}));
  const std::string missing = (dir_ / "missing.csv").string();
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_csv(missing); }, {missing}));
}

TEST_P(DataText, NotTextIsAnIoError) {
  // A NUL byte is no text: before it ended the line silently and merged it with the next.
  const std::string nul = write("nul.csv", std::string("1,2,3,4,0\n1,2\0,3,4,1\n", 22));
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_csv(nul); }, {nul, "line 2", "NUL"}));
  const std::string amat = write("nul.amat", std::string("0 1\n1\0 0\n", 9));
  EXPECT_TRUE(
      throws_with<rbm::IoError>([&] { rbm::load_amat(amat, 0, 0); }, {amat, "line 2", "NUL"}));
  // Pixels are floats: a value beyond float range would turn every pixel into NaN or 0.
  const std::string huge = write("huge.csv", "1e300,2,3,4,0\n");
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_csv(huge); },
                                        {huge, "line 1", "column 1", "beyond float range"}));
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_csv(dir_.path().string()); },
                                        {dir_.path().string()}));
}

TEST(DataTextGzip, TruncatedCompressedStream) {
  TempDir dir;
  std::string csv;
  for (int row = 0; row < 2000; ++row) csv += "1,2,3,4,5\n";
  std::string gz = gzip_stored(csv);
  gz.resize(gz.size() / 2);
  write_file(dir / "cut.csv.gz", gz);
  const std::string path = (dir / "cut.csv.gz").string();
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_csv(path); }, {path, "truncated"}));
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_amat(path, 0, 0); }, {path}));
}

TEST(DataTextDevice, EndlessInputIsAnIoError) {
  // /dev/zero never ends a line; the loaders used to spin on it forever.
  if (!fs::exists("/dev/zero")) GTEST_SKIP() << "no /dev/zero";
  EXPECT_TRUE(throws_with<rbm::IoError>([] { rbm::load_csv("/dev/zero"); }, {"NUL"}));
  EXPECT_TRUE(throws_with<rbm::IoError>([] { rbm::load_amat("/dev/zero"); }, {"NUL"}));
  EXPECT_TRUE(throws_with<rbm::IoError>([] { rbm::load_dataset("csv:/dev/zero"); }, {"/dev/zero"}));
}

TEST_P(DataText, AmatRoundTrip) {
  const std::string path = write("a.amat", "0 1 1 0 1 0\n1 1 1 0 0 0\n");
  const Dataset data = rbm::load_amat(path, 2, 3);
  EXPECT_NO_THROW(data.validate());
  EXPECT_EQ(data.n_samples, 2u);
  EXPECT_EQ(data.n_visible, 6);
  EXPECT_EQ(data.image_height, 2);
  EXPECT_EQ(data.image_width, 3);
  EXPECT_TRUE(data.labels.empty());
  EXPECT_EQ(data.values, (std::vector<std::uint8_t>{0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0}));
  const Dataset inferred = rbm::load_amat(path, 0, 0);
  EXPECT_EQ(inferred.n_visible, 6);
  EXPECT_EQ(inferred.image_height, 0);
}

TEST_P(DataText, AmatMalformed) {
  const std::string wide = write("wide.amat", "0 1 1 0 1 0\n0 1 1 0 1 0 1\n");
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_amat(wide, 2, 3); },
                                        {wide, "line 2", "7 values, expected 6"}));
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_amat(wide); },
                                        {wide, "line 1", "6 values, expected 784"}));
  const std::string bad = write("bad.amat", "0 1 2 0 1 0\n");
  EXPECT_TRUE(throws_with<rbm::IoError>([&] { rbm::load_amat(bad, 2, 3); },
                                        {bad, "line 1", "column 3", "'2'"}));
}

INSTANTIATE_TEST_SUITE_P(Data, DataText, ::testing::Bool(), [](const auto& info) {
  return info.param ? "gzip" : "plain";
});

// ---- spec strings --------------------------------------------------------------------------

TEST(DataSpec, GeneratedKinds) {
  const Dataset bas = rbm::load_dataset("bas:3");
  EXPECT_EQ(bas.n_samples, 14u);
  EXPECT_EQ(bas.name, "bas:3");
  EXPECT_EQ(bas.values, rbm::make_bars_and_stripes(3).values);

  const Dataset glyphs = rbm::load_dataset("glyphs");
  EXPECT_EQ(glyphs.n_samples, 1000u);
  EXPECT_EQ(glyphs.values, rbm::make_glyph_digits(100).values);

  const Dataset some = rbm::load_dataset("glyphs:5:labels=3,4:limit=6");
  EXPECT_EQ(some.name, "glyphs:5:labels=3,4:limit=6");
  EXPECT_EQ(some.labels, (std::vector<std::int32_t>{3, 4, 3, 4, 3, 4}));

  const Dataset small = rbm::load_dataset("glyphs:2:resize=7x5:threshold=0.25");
  EXPECT_NO_THROW(small.validate());
  EXPECT_EQ(small.n_samples, 20u);
  EXPECT_EQ(small.n_visible, 35);
  EXPECT_EQ(small.image_height, 7);
  EXPECT_EQ(small.image_width, 5);
}

TEST(DataSpec, FileKinds) {
  TempDir dir;
  std::vector<std::uint8_t> pixels(4 * 2 * 2);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = i % 3 == 0 ? 200 : 20;
  write_file(dir / "train-images-idx3-ubyte.gz", idx_images(0x803, 4, 2, 2, pixels), true);
  write_file(dir / "train-labels-idx1-ubyte.gz", idx_labels(0x801, {7, 8, 9, 7}), true);
  write_file(dir / "t10k-images-idx3-ubyte",
             idx_images(0x803, 2, 2, 2, {255, 0, 0, 255, 0, 0, 0, 0}));
  write_file(dir / "t10k-labels-idx1-ubyte", idx_labels(0x801, {1, 2}));
  const std::string root = dir.path().string();

  const Dataset train = rbm::load_dataset("mnist:" + root);
  EXPECT_EQ(train.n_samples, 4u);
  EXPECT_EQ(train.values[0], 1);
  EXPECT_EQ(train.values[1], 0);
  EXPECT_EQ(train.name, "mnist:" + root);
  const Dataset test = rbm::load_dataset("mnist:" + root + ":test");
  EXPECT_EQ(test.values, (std::vector<std::uint8_t>{1, 0, 0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(test.labels, (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(rbm::load_dataset("mnist:" + root + ":train:7,9").labels,
            (std::vector<std::int32_t>{7, 9, 7}));
  EXPECT_EQ(rbm::load_dataset("mnist:" + root + ":7:limit=1").labels,
            (std::vector<std::int32_t>{7}));
  EXPECT_EQ(rbm::load_dataset("mnist:" + root + ":labels=8:resize=3x3").n_visible, 9);
  EXPECT_EQ(rbm::load_dataset("mnist:" + root + ":threshold=0.9").values,
            std::vector<std::uint8_t>(16, 0));

  write_file(dir / "d.csv", "0,8,16,4,1\n16,16,0,0,2\n");
  const Dataset csv = rbm::load_dataset("csv:" + (dir / "d.csv").string());
  EXPECT_EQ(csv.values, (std::vector<std::uint8_t>{0, 0, 1, 0, 1, 1, 0, 0}));
  EXPECT_EQ(rbm::load_dataset("csv:" + (dir / "d.csv").string() + ":scale=32:threshold=0.2").values,
            (std::vector<std::uint8_t>{0, 1, 1, 0, 1, 1, 0, 0}));
  EXPECT_EQ(rbm::load_dataset("csv:" + (dir / "d.csv").string() + ":resize=3x3").n_visible, 9);

  std::string amat;
  for (int row = 0; row < 3; ++row)
    for (int i = 0; i < 784; ++i) amat += (i == 783 ? "1\n" : "0 ");
  write_file(dir / "b.amat", amat);
  const Dataset binary = rbm::load_dataset("amat:" + (dir / "b.amat").string() + ":limit=2");
  EXPECT_EQ(binary.n_samples, 2u);
  EXPECT_EQ(binary.n_visible, 784);
  EXPECT_EQ(binary.image_height, 28);

  // A threshold on binary data needs a resize first (grey levels); on its own it is refused.
  const std::string amat_spec = "amat:" + (dir / "b.amat").string();
  EXPECT_TRUE(throws_with<rbm::InvalidArgument>(
      [&] { rbm::load_dataset(amat_spec + ":threshold=0.5"); },
      {amat_spec + ":threshold=0.5", "threshold", "already binary"}));
  const Dataset resized = rbm::load_dataset(amat_spec + ":resize=2x2:threshold=0.1");
  EXPECT_EQ(resized.n_visible, 4);
  // The only pixel on is the bottom-right corner, which a corner-aligned resize keeps.
  EXPECT_EQ(resized.values, (std::vector<std::uint8_t>{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(rbm::load_dataset(amat_spec + ":resize=28x28:threshold=0.5").values,
            rbm::load_dataset(amat_spec).values);

  EXPECT_TRUE(
      throws_with<rbm::IoError>([&] { rbm::load_dataset("mnist:" + (dir / "none").string()); },
                                {(dir / "none" / "train-images-idx3-ubyte").string()}));
}

struct BadSpec {
  std::string spec;
  std::string names;  ///< what the message must mention
};
/// Test listings show the spec (gtest would otherwise print the struct's raw bytes).
void PrintTo(const BadSpec& bad, std::ostream* out) {
  *out << "'" << bad.spec << "'";
}

class DataSpecBad : public ::testing::TestWithParam<BadSpec> {};

TEST_P(DataSpecBad, NamesTheBadPart) {
  const BadSpec& bad = GetParam();
  EXPECT_TRUE(throws_with<rbm::InvalidArgument>([&] { rbm::load_dataset(bad.spec); },
                                                {"dataset spec '" + bad.spec + "'", bad.names}));
}

INSTANTIATE_TEST_SUITE_P(
    Data,
    DataSpecBad,
    ::testing::Values(BadSpec{"", "empty spec"},
                      BadSpec{"foo:1", "unknown kind 'foo'"},
                      BadSpec{"mnist:/x:trian", "unknown part 'trian' (expected train or test)"},
                      BadSpec{"mnist:/x:test:train", "unexpected part 'train'"},
                      BadSpec{"mnist:/x:7,8,x", "'7,8,x'"},
                      BadSpec{"mnist", "needs a directory"},
                      BadSpec{"csv", "needs a file"},
                      BadSpec{"bas", "needs the size"},
                      BadSpec{"bas:x", "'x'"},
                      BadSpec{"bas:40", "'40'"},
                      BadSpec{"bas:4:extra", "unexpected part 'extra'"},
                      BadSpec{"bas:4:", "empty part"},
                      BadSpec{"glyphs:0", "'0'"},
                      BadSpec{"glyphs:5:threshold=abc", "'threshold=abc'"},
                      BadSpec{"glyphs:5:threshold=1.5", "'threshold=1.5'"},
                      BadSpec{"glyphs:5:threshold=", "'threshold='"},
                      BadSpec{"glyphs:5:labels=a,b", "'labels=a,b'"},
                      BadSpec{"glyphs:5:labels=1,,2", "'labels=1,,2'"},
                      BadSpec{"glyphs:5:labels=", "'labels='"},
                      BadSpec{"glyphs:5:labels=11", "selects no"},
                      BadSpec{"glyphs:5:labels=1:labels=2", "labels given twice"},
                      BadSpec{"glyphs:5:limit=0", "'limit=0'"},
                      BadSpec{"glyphs:5:limit=-3", "'limit=-3'"},
                      BadSpec{"glyphs:5:resize=14", "'resize=14'"},
                      BadSpec{"glyphs:5:resize=0x3", "'resize=0x3'"},
                      BadSpec{"glyphs:5:color=red", "unknown option 'color=red'"},
                      BadSpec{"glyphs:5:threshold=0.2:threshold=0.3", "'threshold' given twice"},
                      BadSpec{"bas:3:labels=1", "needs labelled data"},
                      BadSpec{"bas:3:scale=2", "'scale' applies only to csv"},
                      BadSpec{"csv:/x.csv:scale=0", "'scale=0'"},
                      BadSpec{"bas:3:threshold=0.3", "option 'threshold' needs grey levels"},
                      BadSpec{"glyphs:2:threshold=0.5", "'glyphs' data is already binary"},
                      BadSpec{"glyphs:2000000", "'2000000'"},
                      BadSpec{"glyphs:1000:resize=4096x4096", "more than 2^31"},
                      BadSpec{"bas:16:resize=4096x4096", "more than 2^31"}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

// ---- the real files in ../shared/data ------------------------------------------------------

class DataRealFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    if (data_dir().empty() || !fs::is_directory(data_dir())) {
      GTEST_SKIP() << "no shared data folder at '" << data_dir() << "' (RBM_TEST_DATA_DIR)";
    }
  }
  /// Skips unless `relative` exists under the data folder; returns its full path.
  std::string need(const std::string& relative) {
    const fs::path path = fs::path(data_dir()) / relative;
    if (!fs::exists(path)) skipped_ = true;
    return path.string();
  }
  bool skipped_ = false;
};

TEST_F(DataRealFiles, MnistTest) {
  const std::string images = need("mnist/t10k-images-idx3-ubyte.gz");
  const std::string labels = need("mnist/t10k-labels-idx1-ubyte.gz");
  if (skipped_) GTEST_SKIP() << "MNIST t10k files absent from " << data_dir();
  const GrayImages test = rbm::load_mnist_idx(images, labels);
  EXPECT_EQ(test.n_images, 10000u);
  EXPECT_EQ(test.height, 28);
  EXPECT_EQ(test.width, 28);
  ASSERT_EQ(test.labels.size(), 10000u);
  std::map<int, int> counts;
  for (int label : test.labels) ++counts[label];
  EXPECT_EQ(counts.size(), 10u);
  EXPECT_EQ(counts.begin()->first, 0);
  EXPECT_EQ(counts.rbegin()->first, 9);
  const auto [low, high] = std::minmax_element(test.pixels.begin(), test.pixels.end());
  EXPECT_EQ(*low, 0.0f);
  EXPECT_EQ(*high, 1.0f);

  const Dataset subset = rbm::load_dataset("mnist:" + data_dir() + "/mnist:test:7,8,9");
  EXPECT_EQ(subset.n_samples,
            static_cast<std::size_t>(counts[7] + counts[8] + counts[9]));  // 1028+974+1009
  EXPECT_EQ(subset.n_visible, 784);
}

TEST_F(DataRealFiles, MnistTrain) {
  const std::string images = need("mnist/train-images-idx3-ubyte.gz");
  const std::string labels = need("mnist/train-labels-idx1-ubyte.gz");
  if (skipped_) GTEST_SKIP() << "MNIST train files absent from " << data_dir();
  const GrayImages train = rbm::load_mnist_idx(images, labels);
  EXPECT_EQ(train.n_images, 60000u);
  EXPECT_EQ(train.height, 28);
  EXPECT_EQ(train.width, 28);
  EXPECT_EQ(train.labels.size(), 60000u);
  // The 7/8/9 subset of the MNIST 7/8/9 study: 6265 + 5851 + 5949 = 18065 training images.
  EXPECT_EQ(rbm::select_labels(train, {7, 8, 9}).n_images, 18065u);
}

TEST_F(DataRealFiles, Digits) {
  const std::string path = need("digits/digits.csv.gz");
  if (skipped_) GTEST_SKIP() << "digits.csv.gz absent from " << data_dir();
  const GrayImages digits = rbm::load_csv(path);
  EXPECT_EQ(digits.n_images, 1797u);
  EXPECT_EQ(digits.height, 8);
  EXPECT_EQ(digits.width, 8);
  std::vector<int> counts(10, 0);
  for (int label : digits.labels) {
    ASSERT_GE(label, 0);
    ASSERT_LE(label, 9);
    ++counts[label];
  }
  EXPECT_EQ(counts, (std::vector<int>{178, 182, 177, 183, 181, 182, 181, 179, 174, 180}));
  EXPECT_EQ(*std::max_element(digits.pixels.begin(), digits.pixels.end()), 1.0f);  // 16/16

  // The 14×14 digits' preprocessing: scale to [0,1], upsample 8×8 → 14×14, threshold 0.5.
  const Dataset digits14 = rbm::load_dataset("csv:" + path + ":resize=14x14");
  EXPECT_NO_THROW(digits14.validate());
  EXPECT_EQ(digits14.n_samples, 1797u);
  EXPECT_EQ(digits14.n_visible, 196);
  EXPECT_EQ(digits14.image_height, 14);
}

TEST_F(DataRealFiles, BinarizedMnist) {
  const std::map<std::string, std::size_t> rows = {{"binarized_mnist_train.amat.gz", 50000},
                                                   {"binarized_mnist_valid.amat.gz", 10000},
                                                   {"binarized_mnist_test.amat.gz", 10000}};
  for (const auto& [file, count] : rows) {
    const std::string path = need("binarized-mnist/" + file);
    if (skipped_) GTEST_SKIP() << file << " absent from " << data_dir();
    const Dataset data = rbm::load_amat(path);
    EXPECT_NO_THROW(data.validate());
    EXPECT_EQ(data.n_samples, count) << file;
    EXPECT_EQ(data.n_visible, 784) << file;
    EXPECT_EQ(data.image_height, 28) << file;
  }
}

}  // namespace

TEST(DataSpecSeed, GlyphSeedSelectsTheGenerator) {
  const rbm::Dataset a = rbm::load_dataset("glyphs:3:seed=5");
  EXPECT_EQ(a.values, rbm::make_glyph_digits(3, 5).values);
  EXPECT_NE(a.values, rbm::load_dataset("glyphs:3").values);
  EXPECT_THROW(rbm::load_dataset("bas:3:seed=5"), rbm::InvalidArgument);
  EXPECT_THROW(rbm::load_dataset("glyphs:3:seed=x"), rbm::InvalidArgument);
}
