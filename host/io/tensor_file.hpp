// host/io/tensor_file.hpp — safetensors files of named float32 tensors with string metadata:
// the container of model files (host/io/safetensors.cpp) and training checkpoints.
//
// Format (https://github.com/huggingface/safetensors): 8-byte little-endian header length N,
// N bytes of JSON (padded with spaces to a multiple of 8), raw little-endian tensor data; each
// tensor's "data_offsets" are relative to the end of the header.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rbm::detail {

struct NamedTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;  ///< row-major, product(shape) entries
};

struct TensorFile {
  std::map<std::string, std::string> metadata;  ///< the header's "__metadata__"
  std::vector<NamedTensor> tensors;             ///< read back sorted by name

  const NamedTensor* find(const std::string& name) const;
  /// Throws IoError naming `path`, the tensor and the rank expected.
  const NamedTensor& get(const std::string& path, const std::string& name, std::size_t rank) const;
};

/// Writes atomically (temporary file, fsync, rename).
void write_tensor_file(const std::string& path, const char* what, const TensorFile& file);
/// Throws IoError naming the file and the problem (missing, truncated, bad JSON, bad shape).
TensorFile read_tensor_file(const std::string& path);

}  // namespace rbm::detail
