// host/data/idx.cpp — the MNIST IDX reader: images (magic 0x803) and labels (magic 0x801).
// Headers are big-endian uint32s; zlib's gz* calls read gzip and plain files alike.
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "host/check.hpp"
#include "host/data/gz_file.hpp"
#include "rbm/dataset.hpp"

namespace rbm {
namespace {

constexpr std::uint32_t images_magic = 0x00000803;  // type 0x08 = unsigned byte, 3 dimensions
constexpr std::uint32_t labels_magic = 0x00000801;  // type 0x08 = unsigned byte, 1 dimension

std::string hex32(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

/// Binary reads from a gzip or plain file.
class GzReader {
 public:
  explicit GzReader(const std::string& path) : file_(path) {}

  /// Reads up to `count` bytes; fewer only at the end of the file. Throws on a corrupt stream.
  std::size_t read(std::uint8_t* out, std::size_t count) {
    std::size_t done = 0;
    while (done < count) {
      // gzread takes an unsigned count and returns an int: stay well below INT_MAX per call.
      const auto chunk = static_cast<unsigned>(std::min<std::size_t>(count - done, 1u << 30));
      const int got = gzread(file_.get(), out + done, chunk);
      if (got < 0) {
        std::string message;
        if (file_.error(message) == Z_BUF_ERROR) {
          RBM_THROW(IoError, "'", path(), "': truncated: the compressed stream ends early after ",
                    done, " of ", count, " bytes");
        }
        RBM_THROW(IoError, "'", path(), "': read error: ", message);
      }
      if (got == 0) break;
      done += static_cast<std::size_t>(got);
    }
    return done;
  }

  /// Reads exactly `count` bytes, growing the buffer geometrically from 64 KiB with what has
  /// really been read, so that a lying header cannot make us allocate more than about twice
  /// what the file holds (a header claiming 10^9 images costs 64 KiB, not gigabytes).
  std::vector<std::uint8_t> read_exact(std::size_t count, const char* what) {
    constexpr std::size_t first_chunk = std::size_t{64} << 10;
    std::vector<std::uint8_t> bytes;
    while (bytes.size() < count) {
      const std::size_t old_size = bytes.size();
      const std::size_t want = std::min(std::max(first_chunk, old_size), count - old_size);
      bytes.resize(old_size + want);
      const std::size_t got = read(bytes.data() + old_size, want);
      if (got < want) {
        RBM_THROW(IoError, "'", path(), "': truncated: expected ", count, " bytes of ", what,
                  ", got ", old_size + got);
      }
    }
    return bytes;
  }

  const std::string& path() const { return file_.path(); }

 private:
  detail::GzFile file_;
};

/// Big-endian uint32s from the first bytes of an IDX header.
std::vector<std::uint32_t> read_header(GzReader& in, int n_words) {
  const std::vector<std::uint8_t> bytes = in.read_exact(4 * n_words, "header");
  std::vector<std::uint32_t> words(n_words);
  for (int i = 0; i < n_words; ++i) {
    const std::uint8_t* b = bytes.data() + 4 * i;
    words[i] = std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 |
               std::uint32_t{b[3]};
  }
  return words;
}

void check_magic(const GzReader& in,
                 std::uint32_t magic,
                 std::uint32_t expected,
                 const char* what) {
  if (magic != expected) {
    RBM_THROW(IoError, "'", in.path(), "': bad magic number ", hex32(magic), ", expected ",
              hex32(expected), " (", what, ")");
  }
}

}  // namespace

GrayImages load_mnist_idx(const std::string& images_path, const std::string& labels_path) {
  GrayImages images;
  {
    GzReader in(images_path);
    const std::vector<std::uint32_t> header = read_header(in, 4);
    check_magic(in, header[0], images_magic, "MNIST IDX images");
    const std::uint32_t count = header[1], rows = header[2], cols = header[3];
    if (rows == 0 || cols == 0 || rows > INT_MAX || cols > INT_MAX ||
        std::uint64_t{rows} * cols > INT_MAX) {
      RBM_THROW(IoError, "'", images_path, "': implausible image shape ", rows, "x", cols);
    }
    const std::size_t pixels_per_image = std::size_t{rows} * cols;
    const std::vector<std::uint8_t> bytes = in.read_exact(count * pixels_per_image, "pixels");
    images.n_images = count;
    images.height = static_cast<int>(rows);
    images.width = static_cast<int>(cols);
    images.pixels.resize(bytes.size());
    std::transform(bytes.begin(), bytes.end(), images.pixels.begin(),
                   [](std::uint8_t b) { return static_cast<float>(b) / 255.0f; });
  }
  if (labels_path.empty()) return images;

  GzReader in(labels_path);
  const std::vector<std::uint32_t> header = read_header(in, 2);
  check_magic(in, header[0], labels_magic, "MNIST IDX labels");
  if (header[1] != images.n_images) {
    RBM_THROW(IoError, "'", labels_path, "': ", header[1], " labels, but '", images_path,
              "' holds ", images.n_images, " images");
  }
  const std::vector<std::uint8_t> bytes = in.read_exact(header[1], "labels");
  images.labels.assign(bytes.begin(), bytes.end());
  return images;
}

}  // namespace rbm
