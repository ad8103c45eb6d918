// host/data/spec.cpp — load_dataset: turns one spec string such as "mnist:DIR:test:7,8,9" or
// "csv:digits.csv.gz:resize=14x14:threshold=0.5" into a Dataset (grammar in rbm/dataset.hpp).
#include <charconv>
#include <cmath>
#include <filesystem>
#include <optional>

#include "host/check.hpp"
#include "rbm/dataset.hpp"

namespace rbm {
namespace {

constexpr const char* kinds_expected =
    "expected bas:N, glyphs[:N], mnist:DIR, csv:FILE or amat:FILE";
constexpr const char* options_expected =
    "expected threshold, scale, resize, labels, skip, limit or seed";
// A resize may not make more pixel values than this (8 GiB as float32): a few characters of
// spec must not ask for an allocation no machine has (e.g. glyphs:1000:resize=4096x4096).
constexpr std::size_t kMaxResizedValues = std::size_t{1} << 31;

/// A whole string as an integer in [low, high]; nothing otherwise.
std::optional<long long> parse_int(const std::string& text, long long low, long long high) {
  long long value = 0;
  const char* last = text.data() + text.size();
  const auto [end, error] = std::from_chars(text.data(), last, value);
  if (text.empty() || error != std::errc() || end != last || value < low || value > high) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> parse_real(const std::string& text) {
  double value = 0.0;
  const char* last = text.data() + text.size();
  const auto [end, error] = std::from_chars(text.data(), last, value);
  if (text.empty() || error != std::errc() || end != last || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

bool looks_like_label_list(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789,") == std::string::npos;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = text.find(separator, start);
    parts.push_back(text.substr(start, at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

/// The parsed spec, with the spec kept for error messages.
struct Spec {
  std::string text;
  std::string kind;
  std::string path;                 // mnist DIR, csv/amat FILE
  std::vector<std::string> extras;  // positional parts after kind (and path)
  std::optional<float> threshold;
  std::optional<float> scale;
  std::optional<std::pair<int, int>> resize;
  std::optional<std::vector<int>> labels;
  std::optional<std::size_t> skip;  ///< rows dropped from the front (before `limit`)
  std::optional<std::size_t> limit;
  std::optional<std::uint64_t> seed;  ///< glyphs only

  template <typename... Parts>
  [[noreturn]] void fail(const Parts&... parts) const {
    RBM_THROW(InvalidArgument, "dataset spec '", text, "': ", parts...);
  }

  std::vector<int> parse_labels(const std::string& list, const std::string& part) const {
    std::vector<int> result;
    for (const std::string& item : split(list, ',')) {
      const auto label = parse_int(item, 0, 1'000'000'000);
      if (!label) fail("bad label list in '", part, "' (expected integers like 7,8,9)");
      result.push_back(static_cast<int>(*label));
    }
    return result;
  }

  void set_labels(std::vector<int> list, const std::string& part) {
    if (labels) fail("labels given twice (again in '", part, "')");
    labels = std::move(list);
  }

  void parse_option(const std::string& part) {
    const std::size_t equals = part.find('=');
    const std::string key = part.substr(0, equals);
    const std::string value = part.substr(equals + 1);
    auto once = [&](bool already) {
      if (already) fail("option '", key, "' given twice (again in '", part, "')");
    };
    if (key == "threshold") {
      once(threshold.has_value());
      const auto x = parse_real(value);
      if (!x || *x < 0.0 || *x > 1.0) fail("bad threshold in '", part, "' (expected 0 <= X <= 1)");
      threshold = static_cast<float>(*x);
    } else if (key == "scale") {
      once(scale.has_value());
      const auto s = parse_real(value);
      if (!s || *s <= 0.0) fail("bad scale in '", part, "' (expected a positive number)");
      scale = static_cast<float>(*s);
    } else if (key == "resize") {
      once(resize.has_value());
      const std::size_t x = value.find('x');
      const auto height = parse_int(value.substr(0, x), 1, 4096);
      const auto width =
          x == std::string::npos ? std::nullopt : parse_int(value.substr(x + 1), 1, 4096);
      if (!height || !width) fail("bad size in '", part, "' (expected HxW, e.g. resize=14x14)");
      resize = std::make_pair(static_cast<int>(*height), static_cast<int>(*width));
    } else if (key == "labels") {
      set_labels(parse_labels(value, part), part);
    } else if (key == "skip") {
      once(skip.has_value());
      const auto n = parse_int(value, 0, (1LL << 62));
      if (!n) fail("bad skip in '", part, "' (expected a non-negative integer)");
      skip = static_cast<std::size_t>(*n);
    } else if (key == "limit") {
      once(limit.has_value());
      const auto n = parse_int(value, 1, (1LL << 62));
      if (!n) fail("bad limit in '", part, "' (expected a positive integer)");
      limit = static_cast<std::size_t>(*n);
    } else if (key == "seed") {
      once(seed.has_value());
      const auto n = parse_int(value, 0, (1LL << 62));
      if (!n) fail("bad seed in '", part, "' (expected a non-negative integer)");
      seed = static_cast<std::uint64_t>(*n);
    } else {
      fail("unknown option '", part, "' (", options_expected, ")");
    }
  }
};

Spec parse_spec(const std::string& text) {
  Spec spec;
  spec.text = text;
  if (text.empty()) spec.fail("empty spec (", kinds_expected, ")");
  const std::vector<std::string> parts = split(text, ':');
  spec.kind = parts[0];
  std::size_t next = 1;
  if (spec.kind == "mnist" || spec.kind == "csv" || spec.kind == "amat") {
    // The path comes first and unparsed, so that it may contain '='.
    if (parts.size() < 2 || parts[1].empty()) {
      spec.fail("'", spec.kind, "' needs a ", spec.kind == "mnist" ? "directory" : "file",
                ", e.g. ", spec.kind, spec.kind == "mnist" ? ":DIR" : ":FILE");
    }
    spec.path = parts[1];
    next = 2;
  } else if (spec.kind != "bas" && spec.kind != "glyphs") {
    spec.fail("unknown kind '", spec.kind, "' (", kinds_expected, ")");
  }
  for (; next < parts.size(); ++next) {
    const std::string& part = parts[next];
    if (part.empty()) spec.fail("empty part after '", parts[next - 1], "'");
    if (part.find('=') != std::string::npos) {
      spec.parse_option(part);
    } else {
      spec.extras.push_back(part);
    }
  }
  if (spec.seed && spec.kind != "glyphs") {
    spec.fail("option 'seed' applies only to glyphs, not to '", spec.kind, "'");
  }
  if (spec.scale && spec.kind != "csv") {
    spec.fail("option 'scale' applies only to csv, not to '", spec.kind, "'");
  }
  // On 0/1 values a threshold could only do nothing (X < 1) or blank every image (X = 1), so
  // without a resize (which makes grey levels) it is surely a mistake in the spec.
  const bool binary_kind = spec.kind == "bas" || spec.kind == "glyphs" || spec.kind == "amat";
  if (spec.threshold && !spec.resize && binary_kind) {
    spec.fail("option 'threshold' needs grey levels, but '", spec.kind,
              "' data is already binary (give a resize, or drop the threshold)");
  }
  return spec;
}

/// `DIR/<stem>.gz` if present, else `DIR/<stem>`; IoError if neither exists.
std::string find_idx_file(const Spec& spec, const std::string& stem) {
  const std::filesystem::path plain = std::filesystem::path(spec.path) / stem;
  std::filesystem::path gzip = plain;
  gzip += ".gz";
  std::error_code ignored;
  if (std::filesystem::exists(gzip, ignored)) return gzip.string();
  if (std::filesystem::exists(plain, ignored)) return plain.string();
  RBM_THROW(IoError, "dataset spec '", spec.text, "': neither '", gzip.string(), "' nor '",
            plain.string(), "' exists");
}

/// The images from `first` on (none when there are fewer).
GrayImages drop_images(GrayImages images, std::size_t first) {
  first = std::min(first, images.n_images);
  const std::size_t per_image = static_cast<std::size_t>(images.height) * images.width;
  images.pixels.erase(images.pixels.begin(), images.pixels.begin() + first * per_image);
  if (!images.labels.empty())
    images.labels.erase(images.labels.begin(), images.labels.begin() + first);
  images.n_images -= first;
  return images;
}

GrayImages first_images(GrayImages images, std::size_t count) {
  if (count >= images.n_images) return images;
  images.n_images = count;
  images.pixels.resize(count * static_cast<std::size_t>(images.height) * images.width);
  if (!images.labels.empty()) images.labels.resize(count);
  return images;
}

/// The rows from `first` on (none when there are fewer).
Dataset drop_rows(Dataset data, std::size_t first) {
  first = std::min(first, data.n_samples);
  data.values.erase(data.values.begin(), data.values.begin() + first * data.n_visible);
  if (!data.labels.empty()) data.labels.erase(data.labels.begin(), data.labels.begin() + first);
  data.n_samples -= first;
  return data;
}

GrayImages to_gray(const Dataset& data) {
  GrayImages images;
  images.n_images = data.n_samples;
  images.height = data.image_height;
  images.width = data.image_width;
  images.pixels.assign(data.values.begin(), data.values.end());
  images.labels = data.labels;
  return images;
}

/// Bilinear resize to the spec's HxW, refused when the result would be absurdly large.
GrayImages resize(const Spec& spec, const GrayImages& images) {
  const auto [height, width] = *spec.resize;
  const std::size_t per_image = static_cast<std::size_t>(height) * width;
  if (images.n_images > kMaxResizedValues / per_image) {
    spec.fail("resize=", height, "x", width, " of ", images.n_images, " images would make ",
              images.n_images, "x", per_image, " pixel values, more than 2^31");
  }
  return resize_bilinear(images, height, width);
}

/// Label subset, limit, resize and threshold applied to grey-level images, in that order (the
/// limit before the resize only saves work: both act per image).
Dataset finish_gray(const Spec& spec, GrayImages images) {
  if (spec.labels) {
    if (images.labels.empty())
      spec.fail("a label subset needs labelled data; '", spec.kind, "' has none");
    images = select_labels(images, *spec.labels);
    if (images.n_images == 0) spec.fail("the label subset selects no images");
  }
  if (spec.skip) images = drop_images(std::move(images), *spec.skip);
  if (spec.limit) images = first_images(std::move(images), *spec.limit);
  if (images.n_images == 0) spec.fail("skip and limit leave no images");
  if (spec.resize) images = resize(spec, images);
  return binarize(images, spec.threshold.value_or(0.5f));
}

/// The same steps for data that is already binary; a resize goes through grey levels.
Dataset finish_binary(const Spec& spec, Dataset data) {
  if (spec.labels) {
    if (data.labels.empty())
      spec.fail("a label subset needs labelled data; '", spec.kind, "' has none");
    data = select_labels(data, *spec.labels);
    if (data.n_samples == 0) spec.fail("the label subset selects no samples");
  }
  if (spec.skip) data = drop_rows(std::move(data), *spec.skip);
  if (spec.limit) data = head(data, *spec.limit);
  if (data.n_samples == 0) spec.fail("skip and limit leave no samples");
  if (!spec.resize) return data;
  if (data.image_height == 0)
    spec.fail("resize needs images, and '", spec.kind, "' data has no image shape");
  return binarize(resize(spec, to_gray(data)), spec.threshold.value_or(0.5f));
}

Dataset load(Spec& spec) {
  const auto& extras = spec.extras;
  if (spec.kind == "bas") {
    if (extras.empty()) spec.fail("'bas' needs the size N, e.g. bas:4");
    if (extras.size() > 1) spec.fail("unexpected part '", extras[1], "'");
    const auto n = parse_int(extras[0], 1, 16);
    if (!n) spec.fail("bad size '", extras[0], "' (expected an integer N in [1, 16])");
    return finish_binary(spec, make_bars_and_stripes(static_cast<int>(*n)));
  }
  if (spec.kind == "glyphs") {
    if (extras.size() > 1) spec.fail("unexpected part '", extras[1], "'");
    std::size_t per_class = 100;
    if (!extras.empty()) {
      const auto n = parse_int(extras[0], 1, 1'000'000);
      if (!n) spec.fail("bad count '", extras[0], "' (expected images per class, 1 to 1000000)");
      per_class = static_cast<std::size_t>(*n);
    }
    return finish_binary(spec, make_glyph_digits(per_class, spec.seed.value_or(1)));
  }
  if (spec.kind == "mnist") {
    std::string split_name = "train";
    std::size_t i = 0;
    if (i < extras.size() && (extras[i] == "train" || extras[i] == "test"))
      split_name = extras[i++];
    if (i < extras.size() && looks_like_label_list(extras[i])) {
      spec.set_labels(spec.parse_labels(extras[i], extras[i]), extras[i]);
      ++i;
    }
    if (i < extras.size()) {
      const bool has_digit = extras[i].find_first_of("0123456789") != std::string::npos;
      if (has_digit) spec.fail("bad label list '", extras[i], "' (expected integers like 7,8,9)");
      if (i == 0) spec.fail("unknown part '", extras[i], "' (expected train or test)");
      spec.fail("unexpected part '", extras[i], "'");
    }
    const std::string prefix = split_name == "train" ? "train" : "t10k";
    const std::string images_path = find_idx_file(spec, prefix + "-images-idx3-ubyte");
    const std::string labels_path = find_idx_file(spec, prefix + "-labels-idx1-ubyte");
    return finish_gray(spec, load_mnist_idx(images_path, labels_path));
  }
  if (!extras.empty()) spec.fail("unexpected part '", extras[0], "'");
  if (spec.kind == "csv") {
    CsvOptions options;
    options.scale = spec.scale.value_or(0.0f);
    return finish_gray(spec, load_csv(spec.path, options));
  }
  return finish_binary(spec, load_amat(spec.path));  // amat
}

}  // namespace

Dataset load_dataset(const std::string& spec_text) {
  Spec spec = parse_spec(spec_text);
  Dataset data = load(spec);
  data.name = spec_text;
  return data;
}

}  // namespace rbm
