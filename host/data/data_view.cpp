// host/data/data_view.cpp — datasets read from caller-owned host arrays (see data_view.hpp).
#include "host/data/data_view.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "host/check.hpp"

namespace rbm {

const char* to_string(ElementType type) {
  switch (type) {
    case ElementType::uint8:
      return "uint8";
    case ElementType::int32:
      return "int32";
    case ElementType::int64:
      return "int64";
    case ElementType::float32:
      return "float32";
    case ElementType::float64:
      return "float64";
  }
  return "unknown";
}

namespace detail {
namespace {

/// Copies N·D elements of type T into bits, refusing the first one that is not 0 or 1.
template <typename T>
void copy_bits(const DataView& view, std::vector<std::uint8_t>& bits) {
  const T* values = static_cast<const T*>(view.data);
  for (std::size_t e = 0; e < bits.size(); ++e) {
    const T value = values[e];
    if (value == T(0) || value == T(1)) {
      bits[e] = static_cast<std::uint8_t>(value);
      continue;
    }
    // A uint8 prints as a number, not as a character; floats keep NaN and fractions visible.
    using Printed = std::conditional_t<std::is_floating_point_v<T>, double, long long>;
    RBM_THROW(InvalidArgument, view_label(view), ": value ", static_cast<Printed>(value),
              " at sample ", e / view.n_visible, ", unit ", e % view.n_visible,
              " is not 0 or 1 (data bits; threshold grey levels first, e.g. x > 0.5)");
  }
}

}  // namespace

std::size_t element_size(ElementType type) {
  switch (type) {
    case ElementType::uint8:
      return 1;
    case ElementType::int32:
    case ElementType::float32:
      return 4;
    case ElementType::int64:
    case ElementType::float64:
      return 8;
  }
  RBM_THROW(InvalidArgument, "unknown element type ", static_cast<int>(type));
}

std::string view_label(const DataView& view) {
  return view.name.empty() ? std::string("dataset") : "dataset '" + view.name + "'";
}

void check_view_shape(const DataView& view) {
  RBM_EXPECTS(view.n_samples > 0, view_label(view), " is empty (0 samples)");
  RBM_EXPECTS(view.n_visible > 0, view_label(view), ": ", view.n_visible, " columns");
  RBM_EXPECTS(view.data != nullptr, view_label(view), ": null data pointer");
  const std::size_t max_rows =
      std::numeric_limits<std::size_t>::max() / element_size(view.type) / view.n_visible;
  RBM_EXPECTS(view.n_samples <= max_rows, view_label(view), ": ", view.n_samples, " rows of ",
              view.n_visible, " ", to_string(view.type), " values do not fit in memory");
}

}  // namespace detail

Dataset dataset_from(const DataView& view) {
  using detail::copy_bits;
  detail::check_view_shape(view);
  RBM_EXPECTS(view.cuda_device < 0, detail::view_label(view),
              " is in CUDA device memory (cuda:", view.cuda_device, "), not host memory");
  Dataset data;
  data.n_samples = view.n_samples;
  data.n_visible = view.n_visible;
  data.name = view.name;
  data.values.resize(view.n_samples * static_cast<std::size_t>(view.n_visible));
  switch (view.type) {
    case ElementType::uint8:
      copy_bits<std::uint8_t>(view, data.values);
      break;
    case ElementType::int32:
      copy_bits<std::int32_t>(view, data.values);
      break;
    case ElementType::int64:
      copy_bits<std::int64_t>(view, data.values);
      break;
    case ElementType::float32:
      copy_bits<float>(view, data.values);
      break;
    case ElementType::float64:
      copy_bits<double>(view, data.values);
      break;
  }
  return data;
}

}  // namespace rbm
