// host/data/dataset.cpp — checks and transforms on Dataset and GrayImages: validation,
// binarization, label subsets, bilinear resampling, taking the first rows, label units and the
// base-rate biases of a dataset.
#include "rbm/dataset.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include "host/check.hpp"

namespace rbm {
namespace {

/// Throws InvalidArgument unless the shapes, pixel count and label count of `images` agree.
void check_images(const GrayImages& images, const char* caller) {
  RBM_EXPECTS(images.height >= 0 && images.width >= 0, caller, ": negative image shape ",
              images.height, "x", images.width);
  RBM_EXPECTS(images.n_images == 0 || (images.height > 0 && images.width > 0), caller,
              ": images have an empty shape ", images.height, "x", images.width);
  const std::size_t pixels_per_image = static_cast<std::size_t>(images.height) * images.width;
  RBM_EXPECTS(images.pixels.size() == images.n_images * pixels_per_image, caller, ": ",
              images.pixels.size(), " pixels for ", images.n_images, " images of ", images.height,
              "x", images.width);
  RBM_EXPECTS(images.labels.empty() || images.labels.size() == images.n_images, caller, ": ",
              images.labels.size(), " labels for ", images.n_images, " images");
}

bool in_keep(const std::vector<int>& keep, std::int32_t label) {
  return std::find(keep.begin(), keep.end(), label) != keep.end();
}

void check_keep(const std::vector<int>& keep, std::size_t n_labels, std::size_t n_items) {
  RBM_EXPECTS(!keep.empty(), "select_labels: the list of labels to keep is empty");
  RBM_EXPECTS(n_items == 0 || n_labels == n_items, "select_labels: the data has no labels");
}

}  // namespace

void Dataset::validate() const {
  const std::string who = name.empty() ? std::string("dataset") : "dataset '" + name + "'";
  RBM_EXPECTS(n_visible >= 0, who, ": negative n_visible ", n_visible);
  RBM_EXPECTS(n_samples == 0 || n_visible > 0, who, ": ", n_samples, " samples of zero length");
  RBM_EXPECTS(values.size() == n_samples * static_cast<std::size_t>(n_visible), who, ": ",
              values.size(), " values for ", n_samples, " samples of ", n_visible);
  RBM_EXPECTS(labels.empty() || labels.size() == n_samples, who, ": ", labels.size(),
              " labels for ", n_samples, " samples");
  RBM_EXPECTS(image_height >= 0 && image_width >= 0, who, ": negative image shape ", image_height,
              "x", image_width);
  RBM_EXPECTS((image_height == 0 && image_width == 0) ||
                  (image_height > 0 && image_width > 0 &&
                   static_cast<long long>(image_height) * image_width == n_visible),
              who, ": image shape ", image_height, "x", image_width, " does not match n_visible ",
              n_visible);
  const auto bad = std::find_if(values.begin(), values.end(), [](std::uint8_t v) { return v > 1; });
  if (bad != values.end()) {
    const std::size_t index = static_cast<std::size_t>(bad - values.begin());
    RBM_THROW(InvalidArgument, who, ": value ", static_cast<int>(*bad), " at sample ",
              index / n_visible, ", unit ", index % n_visible, " is not 0 or 1");
  }
}

Dataset binarize(const GrayImages& images, float threshold) {
  check_images(images, "binarize");
  RBM_EXPECTS(std::isfinite(threshold), "binarize: threshold ", threshold, " is not finite");
  RBM_EXPECTS(static_cast<long long>(images.height) * images.width <= INT_MAX,
              "binarize: ", images.height, "x", images.width,
              " images have more pixels than a Dataset holds");
  Dataset data;
  data.n_samples = images.n_images;
  data.n_visible = images.height * images.width;
  data.image_height = images.height;
  data.image_width = images.width;
  data.labels = images.labels;
  data.values.resize(images.pixels.size());
  std::transform(images.pixels.begin(), images.pixels.end(), data.values.begin(),
                 [threshold](float p) { return static_cast<std::uint8_t>(p > threshold); });
  return data;
}

GrayImages select_labels(const GrayImages& images, const std::vector<int>& keep) {
  check_images(images, "select_labels");
  check_keep(keep, images.labels.size(), images.n_images);
  GrayImages out;
  out.height = images.height;
  out.width = images.width;
  const std::size_t stride = static_cast<std::size_t>(images.height) * images.width;
  for (std::size_t n = 0; n < images.n_images; ++n) {
    if (!in_keep(keep, images.labels[n])) continue;
    const auto first = images.pixels.begin() + n * stride;
    out.pixels.insert(out.pixels.end(), first, first + stride);
    out.labels.push_back(images.labels[n]);
    ++out.n_images;
  }
  return out;
}

Dataset select_labels(const Dataset& data, const std::vector<int>& keep) {
  data.validate();
  check_keep(keep, data.labels.size(), data.n_samples);
  Dataset out;
  out.n_visible = data.n_visible;
  out.image_height = data.image_height;
  out.image_width = data.image_width;
  out.name = data.name;
  const std::size_t stride = static_cast<std::size_t>(data.n_visible);
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    if (!in_keep(keep, data.labels[n])) continue;
    const auto first = data.values.begin() + n * stride;
    out.values.insert(out.values.end(), first, first + stride);
    out.labels.push_back(data.labels[n]);
    ++out.n_samples;
  }
  return out;
}

GrayImages resize_bilinear(const GrayImages& images, int height, int width) {
  check_images(images, "resize_bilinear");
  RBM_EXPECTS(height > 0 && width > 0, "resize_bilinear: target shape ", height, "x", width,
              " is not positive");
  RBM_EXPECTS(images.n_images == 0 || static_cast<long long>(height) * width <= (1LL << 30),
              "resize_bilinear: target shape ", height, "x", width, " is too large");
  // Corner-aligned sampling (output corners sit on input corners, as scipy.ndimage.zoom with
  // order=1 does): corner pixels are kept exactly and a 1-pixel input stays constant.
  struct Tap {
    int lo, hi;
    double frac;
  };
  auto taps = [](int in_size, int out_size) {
    std::vector<Tap> result(out_size);
    for (int o = 0; o < out_size; ++o) {
      const double src = out_size == 1 ? 0.5 * (in_size - 1)
                                       : static_cast<double>(o) * (in_size - 1) / (out_size - 1);
      const int lo = std::min(static_cast<int>(std::floor(src)), in_size - 1);
      const int hi = std::min(lo + 1, in_size - 1);
      result[o] = {lo, hi, src - lo};
    }
    return result;
  };
  const std::vector<Tap> rows = taps(images.height, height);
  const std::vector<Tap> cols = taps(images.width, width);

  GrayImages out;
  out.n_images = images.n_images;
  out.height = height;
  out.width = width;
  out.labels = images.labels;
  out.pixels.resize(images.n_images * static_cast<std::size_t>(height) * width);
  const std::size_t in_stride = static_cast<std::size_t>(images.height) * images.width;
  for (std::size_t n = 0; n < images.n_images; ++n) {
    const float* in = images.pixels.data() + n * in_stride;
    float* dst = out.pixels.data() + n * static_cast<std::size_t>(height) * width;
    for (int y = 0; y < height; ++y) {
      const Tap r = rows[y];
      const float* top = in + static_cast<std::size_t>(r.lo) * images.width;
      const float* bottom = in + static_cast<std::size_t>(r.hi) * images.width;
      for (int x = 0; x < width; ++x) {
        const Tap c = cols[x];
        const double upper = top[c.lo] + c.frac * (top[c.hi] - top[c.lo]);
        const double lower = bottom[c.lo] + c.frac * (bottom[c.hi] - bottom[c.lo]);
        dst[static_cast<std::size_t>(y) * width + x] =
            static_cast<float>(upper + r.frac * (lower - upper));
      }
    }
  }
  return out;
}

Dataset head(const Dataset& data, std::size_t count) {
  data.validate();
  if (count >= data.n_samples) return data;
  Dataset out;
  out.n_samples = count;
  out.n_visible = data.n_visible;
  out.image_height = data.image_height;
  out.image_width = data.image_width;
  out.name = data.name;
  out.values.assign(data.values.begin(),
                    data.values.begin() + count * static_cast<std::size_t>(data.n_visible));
  if (!data.labels.empty()) out.labels.assign(data.labels.begin(), data.labels.begin() + count);
  return out;
}

std::vector<float> base_rate_bias(const std::vector<double>& column_means,
                                  std::size_t n_samples,
                                  UnitType visible_type) {
  RBM_EXPECTS(visible_type == UnitType::bernoulli || visible_type == UnitType::spin,
              "base_rate_bias: a visible layer cannot be ", to_string(visible_type));
  const double eps = 1.0 / (2.0 * static_cast<double>(n_samples) + 2.0);
  const double scale = visible_type == UnitType::spin ? 0.5 : 1.0;
  std::vector<float> bias(column_means.size());
  for (std::size_t i = 0; i < bias.size(); ++i) {
    RBM_EXPECTS(column_means[i] >= 0 && column_means[i] <= 1, "base_rate_bias: column ", i,
                " has mean ", column_means[i], ", not in [0, 1]");
    const double p = std::clamp(column_means[i], eps, 1.0 - eps);
    bias[i] = static_cast<float>(scale * std::log(p / (1.0 - p)));
  }
  return bias;
}

std::vector<float> base_rate_bias(const Dataset& data, UnitType visible_type) {
  data.validate();
  std::vector<double> means(data.n_visible, 0.0);
  for (std::size_t n = 0; n < data.n_samples; ++n)
    for (int i = 0; i < data.n_visible; ++i) means[i] += data.at(n, i);
  for (double& mean : means) mean /= static_cast<double>(std::max<std::size_t>(data.n_samples, 1));
  return base_rate_bias(means, data.n_samples, visible_type);
}

Dataset with_label_units(const Dataset& data, const std::vector<int>& classes) {
  data.validate();
  RBM_EXPECTS(!classes.empty(), "with_label_units: no classes given");
  for (std::size_t k = 0; k < classes.size(); ++k)
    RBM_EXPECTS(std::count(classes.begin(), classes.end(), classes[k]) == 1,
                "with_label_units: class ", classes[k], " is listed twice");
  RBM_EXPECTS(data.n_samples == 0 || data.labels.size() == data.n_samples, "with_label_units: ",
              data.name.empty() ? std::string("the data") : "'" + data.name + "'",
              " has no labels");
  const std::size_t K = classes.size(), D = static_cast<std::size_t>(data.n_visible);
  Dataset out;
  out.n_samples = data.n_samples;
  out.n_visible = detail::checked_int(D + K, "pixels plus label units");
  out.labels = data.labels;
  out.name = data.name;
  out.values.assign(out.n_samples * (D + K), 0);
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const auto k = std::find(classes.begin(), classes.end(), data.labels[n]) - classes.begin();
    RBM_EXPECTS(static_cast<std::size_t>(k) < K, "with_label_units: row ", n, " has label ",
                data.labels[n], ", which is not one of the classes");
    std::copy_n(data.values.begin() + n * D, D, out.values.begin() + n * (D + K));
    out.values[n * (D + K) + D + k] = 1;
  }
  return out;
}

}  // namespace rbm
