// host/python/arrays.cpp — arrays from Python into the library: NumPy arrays and DLPack tensors
// are read where they lie when their dtype and layout allow, converted deliberately otherwise,
// and refused with a message naming the argument, its shape, dtype or device when neither makes
// sense (see bindings.hpp).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>

#include "host/python/bindings.hpp"

namespace rbm::python {
namespace {

namespace dl = nb::dlpack;

std::string dtype_text(dl::dtype t) {
  const char* kind = "unknown";
  switch (static_cast<dl::dtype_code>(t.code)) {
    case dl::dtype_code::Int:
      kind = "int";
      break;
    case dl::dtype_code::UInt:
      kind = "uint";
      break;
    case dl::dtype_code::Float:
      kind = "float";
      break;
    case dl::dtype_code::Bfloat:
      kind = "bfloat";
      break;
    case dl::dtype_code::Complex:
      kind = "complex";
      break;
    case dl::dtype_code::Bool:
      return "bool";
    default:
      break;
  }
  return kind + std::to_string(t.bits);
}

bool on_host(const AnyArray& a) {
  return a.device_type() == nb::device::cpu::value ||
         a.device_type() == nb::device::cuda_host::value;
}
bool on_cuda(const AnyArray& a) {
  return a.device_type() == nb::device::cuda::value ||
         a.device_type() == nb::device::cuda_managed::value;
}

/// Throws InvalidType unless the array is in memory the host can read.
void expect_host(const AnyArray& a, const std::string& what) {
  if (!on_host(a))
    throw InvalidType(what + " is on " + device_text(a) +
                      "; this needs host memory (e.g. tensor.cpu() or cupy.asnumpy(array))");
}

bool c_contiguous(const AnyArray& a) {
  std::int64_t expected = 1;
  for (std::size_t d = a.ndim(); d-- > 0;) {
    if (a.shape(d) != 1 && a.stride(d) != expected) return false;
    expected *= static_cast<std::int64_t>(a.shape(d));
  }
  return true;
}

/// Element e (in C order) of a strided array: its offset in elements.
class Walker {
 public:
  explicit Walker(const AnyArray& a) : a_(a), index_(a.ndim(), 0) {}
  std::int64_t next() {
    std::int64_t offset = 0;
    for (std::size_t d = 0; d < index_.size(); ++d)
      offset += static_cast<std::int64_t>(index_[d]) * a_.stride(d);
    for (std::size_t d = index_.size(); d-- > 0;) {
      if (++index_[d] < a_.shape(d)) break;
      index_[d] = 0;
    }
    return offset;
  }

 private:
  const AnyArray& a_;
  std::vector<std::size_t> index_;
};

template <typename T>
void gather(const AnyArray& a, std::vector<double>& out) {
  const T* base = static_cast<const T*>(a.data());
  Walker walk(a);
  for (double& value : out) value = static_cast<double>(base[walk.next()]);
}

template <typename T>
bool is(dl::dtype t) {
  return t == nb::dtype<T>();
}

/// Every element of a host array of a real dtype (any strides), in C order, as double.
std::vector<double> all_doubles(const AnyArray& a, const std::string& what) {
  expect_host(a, what);
  std::vector<double> out(a.size());
  const dl::dtype t = a.dtype();
  if (is<bool>(t) || is<std::uint8_t>(t))
    gather<std::uint8_t>(a, out);
  else if (is<std::int8_t>(t))
    gather<std::int8_t>(a, out);
  else if (is<std::int16_t>(t))
    gather<std::int16_t>(a, out);
  else if (is<std::uint16_t>(t))
    gather<std::uint16_t>(a, out);
  else if (is<std::int32_t>(t))
    gather<std::int32_t>(a, out);
  else if (is<std::uint32_t>(t))
    gather<std::uint32_t>(a, out);
  else if (is<std::int64_t>(t))
    gather<std::int64_t>(a, out);
  else if (is<std::uint64_t>(t))
    gather<std::uint64_t>(a, out);
  else if (is<float>(t))
    gather<float>(a, out);
  else if (is<double>(t))
    gather<double>(a, out);
  else
    throw InvalidType(what + " has dtype " + dtype_text(t) +
                      "; expected real numbers (bool, integers, float32 or float64)");
  return out;
}

/// The element type with the same bytes as dtype `t` for the values 0 and 1, if there is one.
bool direct_type(dl::dtype t, ElementType& type) {
  if (is<bool>(t) || is<std::uint8_t>(t) || is<std::int8_t>(t))
    type = ElementType::uint8;
  else if (is<std::int32_t>(t) || is<std::uint32_t>(t))
    type = ElementType::int32;
  else if (is<std::int64_t>(t) || is<std::uint64_t>(t))
    type = ElementType::int64;
  else if (is<float>(t))
    type = ElementType::float32;
  else if (is<double>(t))
    type = ElementType::float64;
  else
    return false;
  return true;
}

std::string index_text(std::size_t e, const std::vector<long>& shape) {
  std::vector<std::size_t> index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = e % static_cast<std::size_t>(shape[d]);
    e /= static_cast<std::size_t>(shape[d]);
  }
  std::string text = "[";
  for (std::size_t d = 0; d < index.size(); ++d) text += (d ? ", " : "") + std::to_string(index[d]);
  return text + "]";
}

}  // namespace

std::string shape_text(const AnyArray& a) {
  std::string text = "(";
  for (std::size_t d = 0; d < a.ndim(); ++d) text += (d ? ", " : "") + std::to_string(a.shape(d));
  return text + (a.ndim() == 1 ? ",)" : ")");
}

std::string device_text(const AnyArray& a) {
  switch (a.device_type()) {
    case nb::device::cpu::value:
      return "cpu";
    case nb::device::cuda::value:
      return "cuda:" + std::to_string(a.device_id());
    case nb::device::cuda_host::value:
      return "cuda_host";
    case nb::device::cuda_managed::value:
      return "cuda_managed:" + std::to_string(a.device_id());
    case nb::device::rocm::value:
      return "rocm:" + std::to_string(a.device_id());
    case nb::device::metal::value:
      return "metal";
    default:
      return "device type " + std::to_string(a.device_type());
  }
}

AnyArray as_array(nb::handle value, const std::string& what) {
  AnyArray array;
  if (nb::try_cast(value, array)) return array;
  const std::string type_name = nb::type_name(value.type()).c_str();
  if (value.is_none() || nb::isinstance<nb::str>(value) || nb::isinstance<nb::bytes>(value))
    throw InvalidType(what + ": expected an array, got " + type_name);
  nb::object converted;
  try {
    converted = nb::module_::import_("numpy").attr("asarray")(value);
  } catch (nb::python_error& e) {
    throw InvalidType(what + ": expected an array or a sequence of numbers, got " + type_name +
                      " (" + e.what() + ")");
  }
  if (nb::try_cast(converted, array)) return array;
  const nb::str dtype(nb::handle(converted.attr("dtype")));
  throw InvalidType(what + ": expected an array of numbers, got " + type_name + " of dtype " +
                    dtype.c_str());
}

namespace {

/// `value` as an array of the expected shape (-1: any extent); fills in the actual extents.
AnyArray shaped_array(nb::handle value, const std::string& what, std::vector<long>& shape) {
  AnyArray a = as_array(value, what);
  bool shape_ok = a.ndim() == shape.size();
  for (std::size_t d = 0; shape_ok && d < shape.size(); ++d)
    shape_ok = shape[d] < 0 || a.shape(d) == static_cast<std::size_t>(shape[d]);
  if (!shape_ok) {
    std::string expected = "(";
    for (std::size_t d = 0; d < shape.size(); ++d)
      expected += (d ? ", " : "") + (shape[d] < 0 ? std::string("any") : std::to_string(shape[d]));
    throw InvalidArgument(what + ": expected shape " + expected + (shape.size() == 1 ? ",)" : ")") +
                          ", got " + shape_text(a));
  }
  for (std::size_t d = 0; d < shape.size(); ++d) shape[d] = static_cast<long>(a.shape(d));
  return a;
}

template <typename T>
void expect_finite(const std::vector<T>& values,
                   const std::string& what,
                   const std::vector<long>& shape) {
  for (std::size_t e = 0; e < values.size(); ++e)
    if (!std::isfinite(values[e])) {
      std::ostringstream text;
      text << what << index_text(e, shape) << " is " << values[e] << " (values must be finite)";
      throw InvalidArgument(text.str());
    }
}

}  // namespace

std::vector<float> read_floats(nb::handle value,
                               const std::string& what,
                               std::vector<long>& shape) {
  const AnyArray a = shaped_array(value, what, shape);
  std::vector<float> out(a.size());
  if (a.dtype() == nb::dtype<float>() && on_host(a) && c_contiguous(a)) {
    if (!out.empty()) std::memcpy(out.data(), a.data(), out.size() * sizeof(float));
  } else {
    const std::vector<double> values = all_doubles(a, what);
    for (std::size_t e = 0; e < values.size(); ++e) {
      out[e] = static_cast<float>(values[e]);
      if (std::isfinite(values[e]) && !std::isfinite(out[e])) {
        std::ostringstream text;
        text << what << index_text(e, shape) << " = " << values[e] << " is beyond float32's range";
        throw InvalidArgument(text.str());
      }
    }
  }
  expect_finite(out, what, shape);
  return out;
}

std::vector<double> read_doubles(nb::handle value,
                                 const std::string& what,
                                 std::vector<long>& shape) {
  const AnyArray a = shaped_array(value, what, shape);
  std::vector<double> out = all_doubles(a, what);
  expect_finite(out, what, shape);
  return out;
}

std::unique_ptr<DataArray> data_array(nb::handle value, const std::string& what) {
  auto out = std::make_unique<DataArray>();
  out->array = as_array(value, what);
  const AnyArray& a = out->array;
  std::size_t columns = 0;
  if (a.ndim() == 2) {
    columns = a.shape(1);
  } else if (a.ndim() == 3) {  // images [N][H][W]
    columns = a.shape(1) * a.shape(2);
    out->image_height = static_cast<int>(a.shape(1));
    out->image_width = static_cast<int>(a.shape(2));
  } else {
    throw InvalidArgument(what + ": expected a 2-D array [samples, units] or images [samples, " +
                          "height, width], got shape " + shape_text(a) +
                          (a.ndim() == 1 ? " (one sample: x.reshape(1, -1))" : ""));
  }
  if (columns > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw InvalidArgument(what + ": " + std::to_string(columns) + " units per sample is too many");
  DataView& view = out->view;
  view.n_samples = a.ndim() ? a.shape(0) : 0;
  view.n_visible = static_cast<int>(columns);
  view.name = what;
  const bool direct = direct_type(a.dtype(), view.type) && c_contiguous(a);
  if (on_cuda(a)) {
    if (!direct)
      throw InvalidArgument(what + " on " + device_text(a) + " has dtype " + dtype_text(a.dtype()) +
                            (c_contiguous(a) ? "" : " and is not contiguous") +
                            "; device arrays must be contiguous (tensor.contiguous()) of dtype "
                            "bool, uint8, int8, int32, int64, float32 or float64");
    view.data = a.data();
    view.cuda_device = a.device_id();
    return out;
  }
  expect_host(a, what);
  if (direct) {
    view.data = a.data();
  } else {  // other dtypes or strides: one deliberate copy, checked by the library like the rest
    out->converted = all_doubles(a, what);
    view.type = ElementType::float64;
    view.data = out->converted.data();
  }
  return out;
}

Dataset to_dataset(nb::handle value, const std::string& what) {
  if (nb::isinstance<Dataset>(value)) return nb::cast<const Dataset&>(value);
  const auto array = data_array(value, what);
  if (array->view.cuda_device >= 0)
    throw InvalidType(what + " is on " + device_text(array->array) +
                      "; a Dataset holds host memory: upload the tensor with an Engine('cuda') "
                      "instead (engine.upload(tensor)), or pass tensor.cpu()");
  Dataset data = dataset_from(array->view);
  data.image_height = array->image_height;
  data.image_width = array->image_width;
  return data;
}

// ---- PythonCalls -----------------------------------------------------------------------------

bool PythonCalls::signalled() {
  nb::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() == 0) return false;
  nb::python_error error;
  keep(error);
  return true;
}

void PythonCalls::keep(nb::python_error& e) {
  if (!error_) error_ = std::make_unique<nb::python_error>(std::move(e));
  stop_ = true;
}

void PythonCalls::raise_if_failed() {
  if (!error_) return;
  nb::python_error error = std::move(*error_);
  error_.reset();
  throw error;
}

}  // namespace rbm::python
