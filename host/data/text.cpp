// host/data/text.cpp — text loaders: CSV in the scikit-learn digits layout (pixels, then a
// label) and binarized-MNIST .amat (0/1 per pixel, no labels). Both read gzip or plain files.
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "host/check.hpp"
#include "host/data/gz_file.hpp"
#include "rbm/dataset.hpp"

namespace rbm {
namespace {

/// A token for an error message, shortened: a wrong separator can make one "token" of a line.
std::string shown(const char* first, const char* last) {
  constexpr std::ptrdiff_t longest = 40;
  if (last - first <= longest) return std::string(first, last);
  return std::string(first, first + longest) + "...";
}

/// Reads a gzip or plain text file line by line, counting lines for error messages.
class LineReader {
 public:
  explicit LineReader(const std::string& path) : file_(path), buffer_(kBufferBytes) {}

  /// The next line without its "\n" or "\r\n"; false at the end of the file. A NUL byte is
  /// an IoError (a binary file, or a device like /dev/zero that would never end a line), and
  /// so is a line longer than kMaxLineBytes: a text loader must not grow one string without
  /// bound on input that is no text file.
  bool next(std::string& line) {
    line.clear();
    for (;;) {
      if (begin_ == end_ && !refill()) {
        if (line.empty()) return false;
        break;  // a last line without "\n"
      }
      const char* first = buffer_.data() + begin_;
      const char* last = buffer_.data() + end_;
      const char* newline = static_cast<const char*>(std::memchr(first, '\n', last - first));
      const char* stop = newline != nullptr ? newline : last;
      if (std::memchr(first, '\0', stop - first) != nullptr) {
        RBM_THROW(IoError, "'", file_.path(), "' line ", line_number_ + 1,
                  ": NUL byte (not a text file?)");
      }
      if (line.size() + (stop - first) > kMaxLineBytes) {
        RBM_THROW(IoError, "'", file_.path(), "' line ", line_number_ + 1, " is longer than ",
                  kMaxLineBytes >> 20, " MiB (not a text file?)");
      }
      line.append(first, stop);
      begin_ = static_cast<std::size_t>(stop - buffer_.data());
      if (newline != nullptr) {
        ++begin_;
        break;
      }
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    ++line_number_;
    return true;
  }

  std::size_t line_number() const { return line_number_; }
  /// "'<path>' line N" for messages.
  std::string where() const { return detail::concat("'", file_.path(), "' line ", line_number_); }

 private:
  static constexpr std::size_t kBufferBytes = std::size_t{1} << 16;
  // A 28x28 CSV row is a few KB and an .amat row of a 4096x4096 image 32 MiB.
  static constexpr std::size_t kMaxLineBytes = std::size_t{64} << 20;

  /// Reads the next block into the buffer; false at the end of the file.
  bool refill() {
    const int got = gzread(file_.get(), buffer_.data(), static_cast<unsigned>(buffer_.size()));
    std::string message;
    const int code = file_.error(message);
    // zlib reports a stream cut short as Z_BUF_ERROR with a short (or empty) read.
    if (code == Z_BUF_ERROR) {
      RBM_THROW(IoError, "'", file_.path(),
                "': truncated: the compressed stream ends early in line ", line_number_ + 1);
    }
    if (got < 0 || code != Z_OK) {
      RBM_THROW(IoError, "'", file_.path(), "': read error in line ", line_number_ + 1, ": ",
                message);
    }
    begin_ = 0;
    end_ = static_cast<std::size_t>(got);
    return got > 0;
  }

  detail::GzFile file_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0, end_ = 0;  ///< the unread part of buffer_
  std::size_t line_number_ = 0;
};

bool is_blank(const std::string& line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

/// Parses one CSV field (surrounding blanks allowed) as a finite number.
double parse_number(const char* first, const char* last, const LineReader& in, std::size_t column) {
  while (first < last && (*first == ' ' || *first == '\t')) ++first;
  while (last > first && (last[-1] == ' ' || last[-1] == '\t')) --last;
  if (first < last && *first == '+') ++first;  // from_chars rejects a leading '+'
  double value = 0.0;
  const auto [end, error] = std::from_chars(first, last, value);
  if (first == last || error != std::errc() || end != last || !std::isfinite(value)) {
    RBM_THROW(IoError, in.where(), ", column ", column, ": not a number: '", shown(first, last),
              "'");
  }
  return value;
}

/// Image shape for `n_pixels` pixels: the one given, or a square when both are 0.
std::pair<int, int> image_shape(const std::string& path,
                                std::size_t n_pixels,
                                int height,
                                int width) {
  if (height > 0) {
    RBM_EXPECTS(static_cast<std::size_t>(height) * width == n_pixels, "'", path, "': ", n_pixels,
                " pixels per row do not make a ", height, "x", width, " image");
    return {height, width};
  }
  const auto side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(n_pixels))));
  RBM_EXPECTS(static_cast<std::size_t>(side) * side == n_pixels, "'", path, "': ", n_pixels,
              " pixels per row are not a square image; give the image height and width");
  return {side, side};
}

void check_shape_arguments(int height, int width, const char* caller) {
  RBM_EXPECTS(height >= 0 && width >= 0 && (height > 0) == (width > 0), caller, ": image shape ",
              height, "x", width, " must be both positive or both 0 (meaning inferred)");
}

}  // namespace

GrayImages load_csv(const std::string& path, const CsvOptions& options) {
  RBM_EXPECTS(std::isfinite(options.scale) && options.scale >= 0.0f, "load_csv: scale ",
              options.scale, " must be positive (or 0 for the file's maximum)");
  check_shape_arguments(options.image_height, options.image_width, "load_csv");
  LineReader in(path);
  std::vector<float> values;  // pixels, unscaled
  std::vector<std::int32_t> labels;
  std::size_t width = 0;  // fields per row, fixed by the first row
  std::size_t first_row_line = 0;
  std::size_t n_rows = 0;
  std::string line;
  std::vector<double> fields;
  while (in.next(line)) {
    if (is_blank(line)) continue;
    fields.clear();
    const char* p = line.data();
    const char* end = p + line.size();
    for (;;) {
      const char* comma = std::find(p, end, ',');
      fields.push_back(parse_number(p, comma, in, fields.size() + 1));
      if (comma == end) break;
      p = comma + 1;
    }
    if (width == 0) {
      width = fields.size();
      first_row_line = in.line_number();
      if (options.has_label && width < 2) {
        RBM_THROW(IoError, in.where(), ": ", width, " value, expected pixels and then a label");
      }
    } else if (fields.size() != width) {
      RBM_THROW(IoError, in.where(), ": ", fields.size(), " values, expected ", width,
                " (as on line ", first_row_line, ")");
    }
    const std::size_t n_pixels = options.has_label ? width - 1 : width;
    for (std::size_t i = 0; i < n_pixels; ++i) {
      if (fields[i] < 0.0) {
        RBM_THROW(IoError, in.where(), ", column ", i + 1, ": negative pixel value ", fields[i]);
      }
      // Pixels are kept as float: a larger value would become inf and then NaN when scaled.
      if (fields[i] > FLT_MAX) {
        RBM_THROW(IoError, in.where(), ", column ", i + 1, ": pixel value ", fields[i],
                  " is beyond float range");
      }
      values.push_back(static_cast<float>(fields[i]));
    }
    if (options.has_label) {
      const double label = fields.back();
      if (label != std::floor(label) || std::fabs(label) > 2147483647.0) {
        RBM_THROW(IoError, in.where(), ", column ", width, ": label ", label, " is not an integer");
      }
      labels.push_back(static_cast<std::int32_t>(label));
    }
    ++n_rows;
  }
  if (n_rows == 0) RBM_THROW(IoError, "'", path, "': no data rows");

  const std::size_t n_pixels = options.has_label ? width - 1 : width;
  const auto [height, image_width] =
      image_shape(path, n_pixels, options.image_height, options.image_width);
  float scale = options.scale;
  if (scale == 0.0f) {
    scale = *std::max_element(values.begin(), values.end());
    if (scale == 0.0f) scale = 1.0f;  // an all-zero file stays all zero
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] /= scale;
    if (values[i] > 1.0f) {
      RBM_THROW(IoError, "'", path, "': pixel ", values[i] * scale, " of row ", i / n_pixels + 1,
                " exceeds the scale ", scale);
    }
  }
  GrayImages images;
  images.n_images = n_rows;
  images.height = height;
  images.width = image_width;
  images.pixels = std::move(values);
  images.labels = std::move(labels);
  return images;
}

Dataset load_amat(const std::string& path, int image_height, int image_width) {
  check_shape_arguments(image_height, image_width, "load_amat");
  LineReader in(path);
  Dataset data;
  data.name = path;
  std::size_t width = image_height > 0 ? static_cast<std::size_t>(image_height) * image_width : 0;
  std::string line;
  while (in.next(line)) {
    if (is_blank(line)) continue;
    const std::size_t row_start = data.values.size();
    const char* p = line.data();
    const char* end = p + line.size();
    for (;;) {
      while (p < end && (*p == ' ' || *p == '\t')) ++p;
      if (p == end) break;
      const char* token = p;
      while (p < end && *p != ' ' && *p != '\t') ++p;
      // Fast path for the usual single digit; anything else must still read as 0 or 1.
      double value = -1.0;
      if (p - token == 1 && (*token == '0' || *token == '1')) {
        value = *token - '0';
      } else {
        const auto [stop, error] = std::from_chars(token, p, value);
        if (stop != p || error != std::errc()) value = -1.0;
      }
      if (value != 0.0 && value != 1.0) {
        RBM_THROW(IoError, in.where(), ", column ", data.values.size() - row_start + 1, ": value '",
                  shown(token, p), "' is not 0 or 1");
      }
      data.values.push_back(static_cast<std::uint8_t>(value));
    }
    const std::size_t n_values = data.values.size() - row_start;
    if (width == 0) width = n_values;  // inferred from the first row
    if (n_values != width) {
      RBM_THROW(IoError, in.where(), ": ", n_values, " values, expected ", width,
                image_height > 0 ? detail::concat(" (", image_height, "x", image_width, ")")
                                 : std::string(" (as on the first row)"));
    }
    ++data.n_samples;
  }
  if (data.n_samples == 0) RBM_THROW(IoError, "'", path, "': no data rows");
  data.n_visible = static_cast<int>(width);
  data.image_height = image_height;
  data.image_width = image_width;
  return data;
}

}  // namespace rbm
