// host/io/tensor_file.cpp — reading and writing safetensors files of float32 tensors.
//
// Files come from anywhere (numpy, PyTorch, other tools), so the reader trusts nothing in
// them: every size is checked against the bytes the file actually holds before anything is
// allocated, and every failure leaves as an rbm::IoError naming the file.
#include "host/io/tensor_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <nlohmann/json.hpp>

#include "host/check.hpp"
#include "host/io/atomic_file.hpp"

namespace rbm::detail {
namespace {

using nlohmann::json;

// Header sizes beyond this are certainly corrupt (a model's header is a few hundred bytes plus
// its provenance); Python's safetensors uses the same 100 MB bound.
constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;
// numpy's NPY_MAXDIMS: no tool that writes these files makes tensors of higher rank.
constexpr std::size_t kMaxRank = 64;

/// The element types the reader accepts; all are converted to float32 on load.
enum class DType { f32, f64, f16, bf16 };

bool parse_dtype(const std::string& text, DType& dtype, std::size_t& bytes) {
  if (text == "F32") {
    dtype = DType::f32, bytes = 4;
  } else if (text == "F64") {
    dtype = DType::f64, bytes = 8;
  } else if (text == "F16") {
    dtype = DType::f16, bytes = 2;
  } else if (text == "BF16") {
    dtype = DType::bf16, bytes = 2;
  } else {
    return false;
  }
  return true;
}

/// Little-endian unsigned integer of `n` bytes at `p` (unaligned, independent of the host).
std::uint64_t load_le(const unsigned char* p, std::size_t n) {
  std::uint64_t value = 0;
  for (std::size_t k = 0; k < n; ++k) value |= std::uint64_t{p[k]} << (8 * k);
  return value;
}

/// IEEE binary16 → float: every half value is exactly representable as a float.
float half_to_float(std::uint16_t h) {
  const float sign = (h & 0x8000u) ? -1.0f : 1.0f;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);  // subnormal
  if (exponent == 31) return mantissa == 0 ? sign * INFINITY : NAN;
  return sign * std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
}

/// bfloat16 is the upper half of a float32.
float bfloat16_to_float(std::uint16_t b) {
  const std::uint32_t bits = std::uint32_t{b} << 16;
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

/// double → float, with values beyond float's range going to ±inf explicitly (the plain cast
/// is undefined behaviour there); Model::validate then rejects them like any non-finite value.
float double_to_float(double value) {
  if (std::isfinite(value) && std::fabs(value) > static_cast<double>(FLT_MAX))
    return value > 0 ? INFINITY : -INFINITY;
  return static_cast<float>(value);
}

void convert(const unsigned char* bytes, DType dtype, std::size_t count, float* out) {
  switch (dtype) {
    case DType::f32:
      for (std::size_t k = 0; k < count; ++k) {
        const auto bits = static_cast<std::uint32_t>(load_le(bytes + 4 * k, 4));
        std::memcpy(out + k, &bits, sizeof(float));
      }
      return;
    case DType::f64:
      for (std::size_t k = 0; k < count; ++k) {
        const std::uint64_t bits = load_le(bytes + 8 * k, 8);
        double value;
        std::memcpy(&value, &bits, sizeof value);
        out[k] = double_to_float(value);
      }
      return;
    case DType::f16:
      for (std::size_t k = 0; k < count; ++k)
        out[k] = half_to_float(static_cast<std::uint16_t>(load_le(bytes + 2 * k, 2)));
      return;
    case DType::bf16:
      for (std::size_t k = 0; k < count; ++k)
        out[k] = bfloat16_to_float(static_cast<std::uint16_t>(load_le(bytes + 2 * k, 2)));
      return;
  }
}

std::string header_text(const TensorFile& file) {
  json header;
  header["__metadata__"] = file.metadata;
  std::uint64_t offset = 0;
  for (const NamedTensor& t : file.tensors) {
    const std::uint64_t bytes = t.values.size() * sizeof(float);
    header[t.name] = {
        {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the format pads the header to 8 bytes
  return text;
}

/// A tensor's place in the data section, checked before any of it is copied.
struct TensorSpan {
  std::string name;
  std::vector<std::int64_t> shape;
  DType dtype = DType::f32;
  std::uint64_t begin = 0, end = 0;  ///< byte offsets into the data section
  std::uint64_t count = 0;           ///< elements
};

/// Checks one tensor's header entry against the `data_size`-byte data section.
TensorSpan parse_tensor(const std::string& name,
                        const json& info,
                        std::uint64_t data_size,
                        const std::string& path) {
  auto fail = [&](const std::string& what) {
    RBM_THROW(IoError, "'", path, "': tensor '", name, "' ", what);
  };
  if (!info.is_object()) fail("is not described by a JSON object");
  TensorSpan span;
  span.name = name;
  const auto dtype = info.find("dtype");
  if (dtype == info.end() || !dtype->is_string()) fail("has no dtype string");
  std::size_t element_bytes = 0;
  if (!parse_dtype(dtype->get<std::string>(), span.dtype, element_bytes))
    fail("has dtype " + dtype->get<std::string>() + ", expected F32, F64, F16 or BF16");

  const auto shape = info.find("shape");
  if (shape == info.end() || !shape->is_array()) fail("has no shape array");
  if (shape->size() > kMaxRank)
    fail("has rank " + std::to_string(shape->size()) + ", more than " + std::to_string(kMaxRank));
  // The element count may not exceed what the data section can hold; checking this extent by
  // extent also keeps the product from overflowing (a shape of [2^62, 4] must not wrap to 0).
  const std::uint64_t capacity = data_size / element_bytes;
  span.count = 1;
  for (const json& extent : *shape) {
    if (!extent.is_number_integer()) fail("has a shape entry that is not an integer");
    if (!extent.is_number_unsigned() || extent.get<std::uint64_t>() == 0)
      fail("has a non-positive extent");
    const auto e = extent.get<std::uint64_t>();
    if (e > capacity / span.count)
      fail("has an extent " + std::to_string(e) + " (dimension " +
           std::to_string(span.shape.size()) + ") that makes more elements than the " +
           std::to_string(data_size) + "-byte data section holds");
    span.count *= e;
    span.shape.push_back(static_cast<std::int64_t>(e));
  }

  const auto offsets = info.find("data_offsets");
  if (offsets == info.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
    fail("has malformed data_offsets (expected two non-negative integers)");
  span.begin = (*offsets)[0].get<std::uint64_t>();
  span.end = (*offsets)[1].get<std::uint64_t>();
  if (span.end < span.begin || span.end > data_size ||
      span.end - span.begin != span.count * element_bytes)
    fail("data_offsets [" + std::to_string(span.begin) + ", " + std::to_string(span.end) +
         "] do not fit its shape or the " + std::to_string(data_size) +
         "-byte data section (truncated file?)");
  return span;
}

TensorFile parse_file(const std::string& path, const std::string& text, const std::string& data) {
  TensorFile file;
  std::vector<TensorSpan> spans;
  try {
    const json header = json::parse(text);
    if (!header.is_object()) RBM_THROW(IoError, "'", path, "': the header is not a JSON object");
    for (const auto& [name, info] : header.items()) {
      if (name != "__metadata__") {
        spans.push_back(parse_tensor(name, info, data.size(), path));
        continue;
      }
      if (!info.is_object())
        RBM_THROW(IoError, "'", path, "': __metadata__ is not a JSON object of strings");
      for (const auto& [key, value] : info.items()) {
        if (!value.is_string())
          RBM_THROW(IoError, "'", path, "': __metadata__ entry '", key, "' is ", value.type_name(),
                    ", not a string");
        file.metadata[key] = value.get<std::string>();
      }
    }
  } catch (const json::exception& e) {
    RBM_THROW(IoError, "'", path, "' has a corrupt safetensors header: ", e.what());
  }
  // Tensors may not share bytes: with overlaps, a small file could name the same megabytes
  // thousands of times and make us allocate far more than it holds.
  std::vector<const TensorSpan*> by_offset;
  for (const TensorSpan& span : spans) by_offset.push_back(&span);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorSpan* a, const TensorSpan* b) { return a->begin < b->begin; });
  for (std::size_t k = 1; k < by_offset.size(); ++k) {
    if (by_offset[k]->begin < by_offset[k - 1]->end)
      RBM_THROW(IoError, "'", path, "': tensors '", by_offset[k - 1]->name, "' and '",
                by_offset[k]->name, "' overlap in the data section");
  }
  for (const TensorSpan& span : spans) {
    NamedTensor tensor;
    tensor.name = span.name;
    tensor.shape = span.shape;
    tensor.values.resize(span.count);
    convert(reinterpret_cast<const unsigned char*>(data.data()) + span.begin, span.dtype,
            span.count, tensor.values.data());
    file.tensors.push_back(std::move(tensor));
  }
  return file;
}

}  // namespace

const NamedTensor* TensorFile::find(const std::string& name) const {
  for (const NamedTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const NamedTensor& TensorFile::get(const std::string& path,
                                   const std::string& name,
                                   std::size_t rank) const {
  const NamedTensor* tensor = find(name);
  if (!tensor) RBM_THROW(IoError, "'", path, "': missing tensor '", name, "'");
  if (tensor->shape.size() != rank)
    RBM_THROW(IoError, "'", path, "': tensor '", name, "' has rank ", tensor->shape.size(),
              ", expected ", rank);
  return *tensor;
}

void write_tensor_file(const std::string& path, const char* what, const TensorFile& file) {
  static_assert(sizeof(float) == 4, "safetensors F32 needs 4-byte floats");
  const std::string header = header_text(file);
  write_file_atomically(path, what, [&](std::FILE* out) {
    const std::uint64_t header_size = header.size();
    unsigned char size_bytes[8];
    for (int k = 0; k < 8; ++k) size_bytes[k] = static_cast<unsigned char>(header_size >> (8 * k));
    bool ok = std::fwrite(size_bytes, 1, 8, out) == 8;
    ok = ok && std::fwrite(header.data(), 1, header.size(), out) == header.size();
    for (const NamedTensor& t : file.tensors)
      ok = ok &&
           std::fwrite(t.values.data(), sizeof(float), t.values.size(), out) == t.values.size();
    return ok;
  });
}

TensorFile read_tensor_file(const std::string& path) {
  // Only regular files: a directory opens as a stream of unknown size, and a FIFO or a device
  // such as /dev/zero would block or never end.
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error) RBM_THROW(IoError, "cannot open '", path, "': ", error.message());
  if (!std::filesystem::is_regular_file(status))
    RBM_THROW(IoError, "cannot open '", path, "': not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) RBM_THROW(IoError, "cannot open '", path, "': ", std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  in.seekg(0);
  if (end < 0 || !in) RBM_THROW(IoError, "'", path, "': cannot determine the file size");
  const auto file_size = static_cast<std::uint64_t>(end);
  if (file_size < 8)
    RBM_THROW(IoError, "'", path, "' is not a safetensors file: ", file_size, " bytes");
  try {
    unsigned char size_bytes[8];
    in.read(reinterpret_cast<char*>(size_bytes), 8);
    const std::uint64_t header_size = load_le(size_bytes, 8);
    if (header_size > kMaxHeaderBytes || header_size > file_size - 8)
      RBM_THROW(IoError, "'", path, "' is corrupt or truncated: header claims ", header_size,
                " bytes but the file has ", file_size, " bytes");
    std::string text(header_size, '\0');
    in.read(text.data(), static_cast<std::streamsize>(header_size));
    std::string data(file_size - 8 - header_size, '\0');
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    if (!in) RBM_THROW(IoError, "'", path, "': read failed (file changed while reading?)");
    return parse_file(path, text, data);
  } catch (const std::bad_alloc&) {
    RBM_THROW(OutOfMemory, "'", path, "': out of host memory reading a ", file_size,
              "-byte tensor file");
  }
}

}  // namespace rbm::detail
